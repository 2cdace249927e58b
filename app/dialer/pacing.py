"""How many lines a campaign dials right now (DIAL-2 predictive/progressive, DIAL-4 ratio).

The question, asked about once a second per campaign: if we dial k more numbers now, what is
the chance that the k-th one is answered by a person when no agent is free for it within the
connect grace (2 s)? That call would be *abandoned* (the callee hears silence or a message,
and regulators count it). We dial every line whose chance stays below a threshold θ.

The model (a forecast from live statistics, not an Erlang formula: Erlang C assumes Poisson
arrivals and exponential service in a steady state, while a campaign's agents are a small pool
whose remaining talk times we can *see*; an agent 200 s into a call is far likelier to be free
in 10 s than one 5 s into it, and the survival function captures that while Erlang cannot):

- A new call, if answered, is answered after a delay D (dial -> a person's "hello", including
  the answering-machine verdict), drawn from the delays measured on this campaign's recent
  answered attempts. We average over a few quantiles d_j of D.
- Agents free by d_j + grace: the idle ones for sure, and each busy agent i with probability
  q_i = P(free within h | elapsed e_i), from the survival functions of talk time T and wrap-up
  time A (both empirical, recent calls): in talk, q = P(T + A <= e + h | T > e); in wrap-up,
  q = P(A <= e + h | A > e). T and A are taken independent; their sum is a convolution on a
  1 s grid, so a lookup per agent is cheap.
- Calls competing for those agents before ours: calls already ringing (call j, ringing for r_j
  seconds, is answered within d_j with probability p·[F_D(r+d) - F_D(r)] / P(unresolved at r),
  where p is the campaign's measured answer rate and "unresolved" counts both calls still to be
  answered and calls still to fail), answered calls already waiting, and the other new lines
  (each answered by d_j with probability p·F_D(d_j)).
- All these are independent Bernoulli counts, so the distribution of (competing answers -
  busy agents freed) is computed exactly: each count is a Poisson-binomial, the product of the
  calls' polynomials (1 - q + q·x), multiplied pairwise a tree level at a time by batched FFT;
  the other new lines are a binomial count. The k-th line is abandoned with probability
  P(competing - freed >= idle), and the number of lines under θ is found by bisection (the
  risk only grows with k). 100 agents: ~0.5 ms of CPU per decision (p99 ~1-2 ms, table
  rebuilds included), half what the call-by-call sum cost.

Automatic adjustment (DIAL-4): θ starts at the target abandonment rate and is tuned by the
outcomes: log θ += gain · (target - abandoned) at every answered call, a stochastic-
approximation loop whose fixed point is "measured abandonment = target". It corrects what the
model gets wrong (dependence between calls, a drifting answer rate) without hand tuning.
(The per-line rule with θ = target alone would undershoot: every earlier line is safer than the
last one.)

Controls, strongest first:
1. Hard cap: with the rolling abandonment rate (answered calls of the last `abandon_window`
   seconds) at or over `abandon_cap`, nothing is dialled (`CapPolicy.STOP`), or only lines
   with an agent reserved for them, which cannot be abandoned (`CapPolicy.RESERVED_ONLY`).
2. Thin statistics (too few answered attempts or finished talks to forecast): progressive
   1:1, one line per idle agent, each with its agent reserved.
3. Room under the cap (`cap_room`), so that the cap is never *crossed*, not merely obeyed once
   crossed. The window of n answered calls with a abandoned takes k more abandonments while
   (a + k) / (n + k) <= cap, i.e. k = (cap·n - a) / (1 - cap). But an abandonment now stays
   in every window of the coming hour while the calls now in the window leave it at known
   times (a busy hour ago means a thin window soon: over the cap with no new abandonment at
   all), so the room counted is `AbandonmentLedger.lasting_room`: the least k over the coming
   hour, the calls of the window expiring when they will and new answers arriving at the
   recent rate less two standard deviations. Kept in hand from that:
   `cap_reserve` (1.5), each answered call waiting for an agent right now, and `cap_burst`
   (0.75) per answer expected from the calls already ringing (abandonments come in bursts:
   when the pool is short, several answers in a row find nobody; without this a 100-agent
   campaign went to 3.8% in its first minutes, and with 1 + 0.5 one 20-agent run of twelve
   still touched 3.08%). No room left for risky lines but at least one abandonment of
   lasting room: *careful* lines (mode "careful"), those whose risk is under
   `careful_share` (0.1) x target and only while the chance that the answers in flight use
   up all the lasting room but one stays under `careful_risk` (0.2%), from the same
   distribution (a line is added only if P(more than k - 1 answers find nobody) stays under
   it). That keeps several idle agents busy at almost no risk while a new window fills up,
   instead of dialling 1:1. Less than one abandonment of lasting room: reserved lines only,
   as at the cap, whatever `cap_reserve` says. Less than
   `cap_taper` (2) abandonments of room: θ is scaled down in proportion, so the pacer eases off
   before the cap instead of running into it and then dialling progressive for the rest of
   the hour (that stop-start cost more than the risk it saved). Consequences: a new campaign
   (or one idle for an hour) takes risky lines only once its window holds about 80 answered
   calls (careful ones from about 35), and a small pool (5 agents answer ~130 calls an hour:
   the cap allows 3.9 abandonments, ~3.3 lasting, 2.3 of them kept in hand) stays well under
   the target.
4. Manual ratio (`manual_ratio`): lines in flight = ratio x available agents, where
   "available" = idle agents + expected agents free within the median answer horizon
   (the forecast above), minus answered calls already waiting (the hard cap applies, the
   room rule does not: the ratio is the administrator's).
5. Otherwise predictive as described. Both 4 and 5 are bounded by `max_ratio` (lines in
   flight per available agent), `max_lines` (trunk channels), and floored at one line in
   flight per idle agent (progressive 1:1 never abandons more than predictive would).

Learned state: `to_dict(now)` / `from_dict(data, now, config, offline)` carry the samples,
the learnt θ and the rolling window (as ages, since clocks do not survive a restart) as
JSON-ready data, so callcontrol can keep them in Redis and a restart need not begin again
with the 1:1 warm-up (runtime.py does not persist them yet).

Measured (`bench/dialer.py --seeds 20240601 1 2 3 --explain`, the simulated campaign of
`simulation.py`, 3 h; talk minutes per agent-hour; "max1h" = worst rolling hour; before =
this pacer without the lasting room and the careful lines):
- 100 agents: 1.54-1.55x progressive, 94.8-95.3% of the oracle (before 94.5-95.1%), 2.0-2.2%
  abandoned, max1h 2.5-2.8%: the goals are met; seeds 4-9 too (94.7-95.2%, max1h 2.4-2.8%).
- 20 agents: 1.37-1.43x, 84.9-85.9% of the oracle (before 83.8-84.7%; goal 90%: missed),
  1.7-2.0%, max1h 2.5-2.7%; seeds 4-9: 83.9-86.3% (before 78.5-85.4%), max1h 2.3-2.8%.
- 5 agents: 1.10-1.15x (before 1.12-1.15x; goal 1.25x: missed), 0 abandoned; seeds 4-9:
  1.09-1.17x (before 1.09-1.20x), 0-1 abandoned, max1h 0-1.2%.
- No rolling hour over 3% in any run. `decide` CPU time per call, mean / p99: 0.2 / 0.8 ms
  at 5 agents, 0.35 / 0.8 ms at 20, 0.6-0.8 / 1.0-1.7 ms at 100.
Why the small pools miss, with figures:
- The oracle's main advantage is knowing which dial a person will answer. The same pacer,
  told only that (it skips the other leads; still not when they answer nor when agents free
  up: `simulation.KnownOutcomes`, the bench's "known" column), reaches 91-93% of the oracle
  at 5 agents, 93.5-94% at 20 and 97.5% at 100 (0.6-1.6% abandoned at 5 and 20). Told
  instead the exact time every agent frees up (an earlier measurement), it did no better
  than the forecast (20 agents, 86% at 2.2%). So the
  agent-release forecast is not what is missing: a line answers with p ~ 0.26 after 7-17 s,
  the answers of the next 10-20 s are a sum of coin flips nobody can know, and with a 2 s
  grace the pool must keep idle agents against that noise; the buffer grows like the square
  root of the pool, so its share shrinks with size (12% of agent time idle at 20 agents,
  nearly all of it with six or more fresh lines ringing).
- The budget is not what is missing either. With no cap at all (same pacer, target 2%) 20
  agents reach 86.7-87.8% at 2.1-2.2% abandoned (but a worst hour of 3.1-3.9%); aiming at 3%
  gives 87.8-88.8% at 3.3%, 89-90% only at 5.4%. 5 agents with no cap: 1.19-1.24x at
  0.3-1.7% abandoned (target 2%) but a worst hour of 3.0-4.3%; 1.26x aiming at 3%. Not the
  start-up: over 6 hours the capped pacer stays at 1.11-1.16x (0.2-0.5% abandoned) while
  with no cap it reaches 1.23-1.24x at 1.8-3.0%, worst hours 4.0-5.7%. A 5-agent
  pool answers ~130 calls an hour, so a 3% hour holds 3 abandonments; its first ~15 minutes
  cannot afford a single one (under 34 answered calls one is over 3%), and in steady state
  the room rule keeps θ at about a third of the learnt θ even with no abandonment at all
  (lasting room ~3.3, less 1.5 + 0.75 per answer on its way, tapered over 2). Loosening that
  is what crosses the cap: smaller reserves (0.5-1 + 0-0.75 per answer on its way, taper 1),
  with or without a burst chance constraint from the forecast in place of the reserves (its
  burst chances are too optimistic: 3.2-4% hours even at 0.2%), brought 1-4 more
  abandonments per 5-agent run for no gain (1.09-1.19x), crossed 3% in some runs, and cost
  20 agents up to 5 points (up to 12 aiming at 3%: stop-start at the cap); with the reserves
  kept, targets of 2.5% or 3% changed nothing (the room rule binds first).
- Also tried, no gain: deciding at every call end as well as every second (+0.3 points, noise),
  a higher θ while agents are idle and a lower one while dialling ahead (-0 to -2 points),
  max ratio 15 instead of 6 (never binding), earlier a finer answer-delay quadrature (5 points).
The oracle (`simulation.Oracle`) is a real bound: its agents are never idle after their
first answer, so it books talk / (talk + wrap-up) of every agent-hour, 53.0-53.9 minutes
against 60 x 120 / 135 = 53.3 expected (per-seed talk draws vary); the predictive pacer stays
well under it in every run, and the bench flags any run where it would not.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]

_STATE_VERSION = 1  # of `PacingModel.to_dict`
_QUANTILES = (0.15, 0.5, 0.85)  # of the answer delay: early, typical and late answers
_REBUILD_EVERY = 20  # new samples before the busy-time tables are rebuilt
_GRID_LIMIT = 4 * 3600  # seconds of talk the survival grid covers; beyond, an exponential tail


class AgentPhase(StrEnum):
    TALK = "talk"
    WRAP_UP = "wrap_up"


class CapPolicy(StrEnum):
    STOP = "stop"  # dial nothing at all
    RESERVED_ONLY = "reserved_only"  # 1:1 for idle agents, each reserved: cannot be abandoned


@dataclass(frozen=True, slots=True)
class BusyAgent:
    phase: AgentPhase
    elapsed: float  # seconds since the phase began


@dataclass(frozen=True, slots=True)
class CampaignSnapshot:
    """Live state of one campaign at decision time (read from Redis by callcontrol)."""

    idle_agents: int  # ready, not reserved for a call
    busy_agents: Sequence[BusyAgent] = ()
    ringing: Sequence[float] = ()  # seconds since dialling, per unreserved call not yet resolved
    waiting_answered: int = 0  # answered calls waiting for an agent right now


@dataclass(frozen=True, slots=True)
class PacingConfig:
    target_abandon_rate: float = 0.02
    abandon_cap: float = 0.03
    abandon_window: float = 3600.0  # seconds of answered calls the cap looks at
    connect_grace: float = 2.0  # an answered call waits this long for an agent
    manual_ratio: float | None = None
    max_ratio: float = 6.0
    max_lines: int | None = None  # trunk channels this campaign may hold
    min_answers: int = 20  # answered attempts before forecasting
    min_talks: int = 10  # finished talks (and wrap-ups) before forecasting
    on_cap: CapPolicy = CapPolicy.RESERVED_ONLY
    adapt: bool = True
    adapt_gain: float = 0.05
    sample_window: int = 500  # recent attempts / talks kept for the distributions
    cap_reserve: float = 1.5  # abandonments kept in hand under the cap before predictive
    cap_taper: float = 2.0  # θ scales down linearly over the last this-many spare abandonments
    cap_burst: float = 0.75  # per answer already on its way, this many abandonments kept in hand
    # No room for risky lines but still one abandonment to spare: lines with a forecast risk
    # under `careful_share` x target, and only while P(the calls in flight use up the spare)
    # stays under `careful_risk` (0 turns this off: reserved lines only).
    careful_share: float = 0.1
    careful_risk: float = 0.002

    def __post_init__(self) -> None:
        if not 0 < self.target_abandon_rate <= self.abandon_cap < 1:
            raise ValueError("need 0 < target_abandon_rate <= abandon_cap < 1")
        if self.manual_ratio is not None and self.manual_ratio <= 0:
            raise ValueError("manual_ratio must be positive")
        if self.max_ratio < 1:
            raise ValueError("max_ratio below 1 would starve idle agents")
        if self.max_lines is not None and self.max_lines < 1:
            raise ValueError("max_lines must be at least 1")
        if not (0 <= self.careful_share <= 1 and 0 <= self.careful_risk < 1):
            raise ValueError("need 0 <= careful_share <= 1 and 0 <= careful_risk < 1")


@dataclass(frozen=True, slots=True)
class PacingDecision:
    lines: int  # new calls to place now
    mode: str  # "predictive" | "manual" | "progressive" | "capped"
    reserve_agents: bool  # each new line takes an idle agent for itself (progressive)
    available_agents: float  # idle + expected free within the answer horizon - waiting
    ratio: float  # lines in flight after dialling, per available agent
    line_risk: float  # forecast abandonment chance of the last line placed (0 if none)
    abandon_rate: float  # measured, rolling window
    threshold: float  # θ in use (the learnt θ, tapered near the cap)
    reason: str


class CampaignStats:
    """Recent outcomes of one campaign: the distributions the forecast is built from."""

    def __init__(self, window: int = 500) -> None:
        self.answer_delays: deque[float] = deque(maxlen=window)  # answered: dial -> person
        self.failure_times: deque[float] = deque(maxlen=window)  # not answered: dial -> end
        self.outcomes: deque[bool] = deque(maxlen=window)  # answered?
        self.talk_times: deque[float] = deque(maxlen=window)
        self.wrap_up_times: deque[float] = deque(maxlen=window)
        self.version = 0  # bumped on every sample, so cached tables know when to rebuild

    def record_attempt(self, answered: bool, seconds: float) -> None:
        (self.answer_delays if answered else self.failure_times).append(max(0.0, seconds))
        self.outcomes.append(answered)
        self.version += 1

    def record_talk(self, seconds: float) -> None:
        self.talk_times.append(max(0.0, seconds))
        self.version += 1

    def record_wrap_up(self, seconds: float) -> None:
        self.wrap_up_times.append(max(0.0, seconds))
        self.version += 1

    @property
    def answer_rate(self) -> float:
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else 0.0


class AbandonmentLedger:
    """Answered calls of the last `window` seconds and how many were abandoned."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._answered: deque[float] = deque()  # when each answered call ended up (ascending)
        self._abandoned: deque[float] = deque()  # the same, abandoned calls only
        self._recorded = 0  # answers ever recorded: the cache key of `lasting_room`
        self._lasting: tuple[tuple[float, float, float, int], float] | None = None

    def record(self, now: float, abandoned: bool) -> None:
        self._answered.append(now)
        if abandoned:
            self._abandoned.append(now)
        self._recorded += 1
        self._expire(now)

    def rate(self, now: float) -> float:
        answered, abandoned = self.counts(now)
        return abandoned / answered if answered else 0.0

    def counts(self, now: float) -> tuple[int, int]:
        """(answered, abandoned) in the window."""
        self._expire(now)
        return len(self._answered), len(self._abandoned)

    def spare(self, now: float, cap: float) -> float:
        """How many more abandonments (each an answered call) the window takes before its
        rate goes over `cap`: the largest k with (abandoned + k) / (answered + k) <= cap."""
        answered, abandoned = self.counts(now)
        return (cap * answered - abandoned) / (1.0 - cap)

    def lasting_room(self, now: float, cap: float, z: float = 2.0) -> float:
        """How many abandonments may happen now and leave every rolling window of the next
        `window` seconds at or under `cap` (`spare` looks at the window of now only).

        The window shrinks as the calls in it expire (at known times: a quiet hour ago means a
        thin window soon, and a rate over the cap with no new abandonment at all) and grows
        with new answers, counted here at the recent answer rate less `z` standard deviations.
        Abandonments now stay in every window of the coming hour, so the room is the minimum
        over the expiry moments t of (cap * (kept(t) + new(t)) - abandoned_kept(t)) / (1 - cap).
        """
        key = (now, cap, z, self._recorded)
        if self._lasting is not None and self._lasting[0] == key:
            return self._lasting[1]
        n, a = self.counts(now)
        if not n:
            return 0.0
        times = np.fromiter(self._answered, np.float64, n)
        abandoned = np.fromiter(self._abandoned, np.float64, a)
        rate = n / min(max(now - times[0], 60.0), self.window)  # answers per second
        after = np.concatenate([[0.0], times + self.window - now])  # seconds to each expiry
        kept = n - np.arange(n + 1)
        kept_abandoned = a - np.concatenate([[0], np.searchsorted(abandoned, times, "right")])
        new = np.maximum(rate * after - z * np.sqrt(rate * after), 0.0)
        room = float(((cap * (kept + new) - kept_abandoned) / (1.0 - cap)).min())
        self._lasting = (key, room)
        return room

    def ages(self, now: float) -> tuple[list[float], list[float]]:
        """Seconds since each answered call in the window, and since each abandoned one."""
        self._expire(now)
        return [now - t for t in self._answered], [now - t for t in self._abandoned]

    def _expire(self, now: float) -> None:
        for events in (self._answered, self._abandoned):
            while events and events[0] <= now - self.window:
                events.popleft()


class _Empirical:
    """A distribution from samples: vectorized CDF and quantiles."""

    def __init__(self, samples: Sequence[float]) -> None:
        self.sorted = np.sort(np.asarray(samples, dtype=np.float64))

    def cdf(self, x: Floats | float) -> Floats:
        n = max(self.sorted.size, 1)
        return np.searchsorted(self.sorted, x, side="right") / n

    def quantiles(self, qs: Sequence[float]) -> Floats:
        if not self.sorted.size:
            return np.zeros(len(qs))
        return self.sorted[(np.asarray(qs) * (self.sorted.size - 1)).round().astype(int)]


@dataclass(frozen=True, slots=True)
class _AttemptModel:
    """Answer rate and delays of recent attempts (rebuilt when the stats change)."""

    answer_rate: float
    delays: _Empirical  # dial -> answered, for answered attempts
    failures: _Empirical  # dial -> end, for the others
    d: Floats  # the answer-delay quantiles a decision averages over

    @classmethod
    def of(cls, stats: CampaignStats) -> _AttemptModel:
        delays = _Empirical(stats.answer_delays)
        return cls(
            stats.answer_rate, delays, _Empirical(stats.failure_times), delays.quantiles(_QUANTILES)
        )


def _kaplan_meier(done: Sequence[float], running: Floats) -> tuple[Floats, Floats]:
    """(pmf, survival) on a 1 s grid from finished durations and still-running ones.

    The running ones are right-censored observations: without them a campaign's first
    statistics would be the shortest calls only (they end first), and the pacer would believe
    agents free up sooner than they do. Kaplan-Meier product-limit estimator: hazard at t =
    endings at t / still at risk at t.
    """
    ended = np.ceil(np.asarray(done, dtype=np.float64)).clip(0, _GRID_LIMIT).astype(int)
    alive = np.floor(running).clip(0, _GRID_LIMIT).astype(int)
    size = int(max(ended.max(initial=0), alive.max(initial=0))) + 2
    endings = np.bincount(ended, minlength=size).astype(np.float64)
    censored = np.bincount(alive, minlength=size).astype(np.float64)
    at_risk = np.cumsum((endings + censored)[::-1])[::-1]
    hazard = np.divide(endings, at_risk, out=np.zeros(size), where=at_risk > 0)
    survival = np.cumprod(1.0 - hazard)
    pmf: Floats = np.concatenate([[1.0], survival[:-1]]) - survival
    return pmf, np.asarray(survival, dtype=np.float64)


class _BusyTimeModel:
    """P(agent free within h seconds | phase, elapsed), on a 1 s grid."""

    def __init__(
        self,
        talk: Sequence[float],
        wrap_up: Sequence[float],
        talking: Floats | None = None,
        wrapping: Floats | None = None,
    ) -> None:
        none = np.zeros(0)
        self.f_talk, self.s_talk = _kaplan_meier(talk, none if talking is None else talking)
        _, s_wrap = _kaplan_meier(wrap_up, none if wrapping is None else wrapping)
        self.cdf_wrap = 1.0 - s_wrap  # P(A <= a), a on the grid
        # Past the grid: an exponential tail with the mean residual life of the longest tenth.
        self.talk_tail = _mean_residual(talk)
        self.wrap_tail = _mean_residual(wrap_up)
        self._talk_tables: dict[int, Floats] = {}
        # Half the talks seen to their end (censored ones included), or the forecast is a guess.
        self.median_known = bool(self.s_talk.size and self.s_talk[-1] < 0.5)

    def _cdf_wrap(self, a: npt.NDArray[np.int_]) -> Floats:
        return self.cdf_wrap[np.minimum(a, self.cdf_wrap.size - 1)]

    def _talk_table(self, h: int) -> Floats:
        """q(e) for all elapsed e on the grid: sum_u f_T[e+u] F_A[h-u] / S_T[e], u = 1..h."""
        table = self._talk_tables.get(h)
        if table is None:
            kernel = self._cdf_wrap(np.arange(h - 1, -1, -1))  # F_A[h-1-n], n = 0..h-1
            padded = np.concatenate([self.f_talk[1:], np.zeros(h)])
            numerator = np.correlate(padded, kernel, mode="valid")[: self.s_talk.size]
            with np.errstate(divide="ignore", invalid="ignore"):
                table = np.where(self.s_talk > 1e-9, numerator / self.s_talk, np.nan)
            self._talk_tables[h] = table
        return table

    def free_within(self, phase: AgentPhase, elapsed: Floats, h: int) -> Floats:
        e = np.floor(elapsed).astype(int)
        if phase is AgentPhase.WRAP_UP:
            done = self._cdf_wrap(e)
            with np.errstate(divide="ignore", invalid="ignore"):
                q = (self._cdf_wrap(e + h) - done) / (1.0 - done)
            fallback = 1.0 - np.exp(-h / np.maximum(self.wrap_tail, elapsed))
        else:
            table = self._talk_table(h)
            q = table[np.minimum(e, table.size - 1)]
            q = np.where(e < table.size, q, np.nan)
            # Lindy: past everything seen, a call that lasted e seconds has about e to go.
            fallback = 1.0 - np.exp(-h / np.maximum(self.talk_tail, elapsed))
        return np.clip(np.where(np.isfinite(q), q, fallback), 0.0, 1.0)


def _seconds(values: object) -> list[float]:
    if not isinstance(values, list):
        raise TypeError("a list of seconds was expected")
    out = [float(v) for v in values]
    if not all(math.isfinite(v) and v >= 0 for v in out):
        raise TypeError("seconds must be finite and not negative")
    return out


def _mean_residual(samples: Sequence[float]) -> float:
    values = np.asarray(samples, dtype=np.float64)
    if values.size == 0:
        return 60.0
    top = np.quantile(values, 0.9)
    return max(float(np.mean(values[values >= top] - top)), 2.0)


def _binomial(probs: Floats, k: int) -> Floats:
    """(J, k + 1): [j, i] = P(Binomial(k, probs[j]) = i)."""
    i = np.arange(k + 1)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1)))])
    log_choose = log_fact[k] - log_fact[i] - log_fact[k - i]
    p = np.clip(probs, 1e-300, 1 - 1e-12)[:, None]
    return np.asarray(np.exp(log_choose + i * np.log(p) + (k - i) * np.log1p(-p)), np.float64)


def _poisson_binomial(probs: Floats) -> Floats:
    """pmf (J, n + 1) of the number of successes among independent Bernoullis, one per column
    of `probs` (J, n): the pmfs are multiplied pairwise as polynomials, a level of the tree at
    a time, each level one batched FFT (log2 n NumPy calls instead of n)."""
    rows, n = probs.shape
    pmfs = np.stack([1.0 - probs, probs], axis=-1)  # (J, n, 2): one polynomial per Bernoulli
    if n == 0:
        return np.ones((rows, 1))
    while pmfs.shape[1] > 1:
        if pmfs.shape[1] % 2:  # an odd one out is paired with "always 0"
            one = np.zeros((rows, 1, pmfs.shape[2]))
            one[:, :, 0] = 1.0
            pmfs = np.concatenate([pmfs, one], axis=1)
        size = 2 * pmfs.shape[2] - 1
        spectra = np.fft.rfft(pmfs, size, axis=-1)
        pmfs = np.fft.irfft(spectra[:, 0::2] * spectra[:, 1::2], size, axis=-1)
    pmf = np.clip(pmfs[:, 0, : n + 1], 0.0, None)
    return np.asarray(pmf / pmf.sum(axis=1, keepdims=True), dtype=np.float64)


class PacingModel:
    """One campaign's pacer. Feed it outcomes (`stats`, `record_answer`), ask `decide`."""

    def __init__(self, config: PacingConfig | None = None) -> None:
        self.config = config or PacingConfig()
        self.stats = CampaignStats(self.config.sample_window)
        self.ledger = AbandonmentLedger(self.config.abandon_window)
        self.threshold = self.config.target_abandon_rate
        self._busy_model: _BusyTimeModel | None = None
        self._busy_version = -1
        self._attempts: _AttemptModel | None = None
        self._attempts_version = -1

    # -- learned state, to survive a restart ------------------------------------------------
    def to_dict(self, now: float) -> dict[str, object]:
        """What the model has learnt, as JSON-ready data: the recent samples, the learnt θ and
        the rolling window (as ages at `now`, since clocks do not survive a restart). The
        configuration is not in it: it comes from the campaign."""
        answered, abandoned = self.ledger.ages(now)
        s = self.stats
        return {
            "version": _STATE_VERSION,
            "threshold": self.threshold,
            "answerDelays": list(s.answer_delays),
            "failureTimes": list(s.failure_times),
            "outcomes": [int(o) for o in s.outcomes],
            "talkTimes": list(s.talk_times),
            "wrapUpTimes": list(s.wrap_up_times),
            "answeredAges": answered,
            "abandonedAges": abandoned,
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        now: float,
        config: PacingConfig | None = None,
        offline: float = 0.0,
    ) -> PacingModel:
        """A model that goes on from `to_dict`'s data. `now` is the restored process's clock;
        `offline` the seconds between saving and restoring (they age the rolling window).
        Raises ValueError on data it cannot use (then start a fresh model: 1:1 warm-up)."""
        if data.get("version") != _STATE_VERSION:
            raise ValueError(f"unknown pacing state version {data.get('version')!r}")
        model = cls(config)
        try:
            cfg, s = model.config, model.stats
            target = cfg.target_abandon_rate
            model.threshold = min(max(float(data["threshold"]), target / 4), 0.5)
            s.answer_delays.extend(_seconds(data["answerDelays"]))
            s.failure_times.extend(_seconds(data["failureTimes"]))
            s.outcomes.extend(bool(o) for o in data["outcomes"])
            s.talk_times.extend(_seconds(data["talkTimes"]))
            s.wrap_up_times.extend(_seconds(data["wrapUpTimes"]))
            s.version += 1
            answered = sorted(_seconds(data["answeredAges"]), reverse=True)
            abandoned = sorted(_seconds(data["abandonedAges"]), reverse=True)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"bad pacing state: {exc}") from exc
        if len(abandoned) > len(answered):
            raise ValueError("bad pacing state: more abandoned calls than answered ones")
        # Oldest first; abandoned calls were answered calls too, matched by age.
        pending = list(abandoned)
        for age in answered:
            gone = pending and pending[0] >= age
            if gone:
                pending.pop(0)
            model.ledger.record(now - offline - age, abandoned=bool(gone))
        model.ledger.counts(now)  # drop what aged out while offline
        return model

    # -- outcomes -----------------------------------------------------------------------
    def record_answer(self, now: float, abandoned: bool) -> None:
        """An answered (live) call either reached an agent in time or was abandoned."""
        self.ledger.record(now, abandoned)
        if self.config.adapt:
            target = self.config.target_abandon_rate
            self.threshold *= math.exp(self.config.adapt_gain * (target - float(abandoned)))
            self.threshold = min(max(self.threshold, target / 4), 0.5)

    # -- the decision -------------------------------------------------------------------
    def decide(self, now: float, snap: CampaignSnapshot) -> PacingDecision:
        cfg = self.config
        rate = self.ledger.rate(now)
        idle_free = max(snap.idle_agents - snap.waiting_answered, 0)
        reserved_lines = self._line_limit(max(idle_free - len(snap.ringing), 0), snap)
        if rate >= cfg.abandon_cap:
            reserved = cfg.on_cap is CapPolicy.RESERVED_ONLY
            lines = reserved_lines if reserved else 0
            why = f"abandonment {rate:.1%} at or over the {cfg.abandon_cap:.1%} cap"
            return self._decision(lines, "capped", reserved, idle_free, snap, 0.0, rate, why)
        if self._thin() or not self.busy_time_model(snap).median_known:
            why = "too few outcomes to forecast: progressive 1:1"
            return self._decision(
                reserved_lines, "progressive", True, idle_free, snap, 0.0, rate, why
            )
        theta, careful = self.threshold, False
        if cfg.manual_ratio is None:
            room = self.cap_room(now, snap)
            # Abandonments that fit under the cap for the next hour, the waiting calls counted.
            lasting = self.ledger.lasting_room(now, cfg.abandon_cap) - snap.waiting_answered
            # Not one abandonment to spare: whatever the reserves are set to, no risky line.
            room = room if lasting >= 1 else min(room, -1.0)
            careful = room < 0 and cfg.careful_risk > 0 and lasting >= 1
            if room < 0 and not careful:
                reserved = cfg.on_cap is CapPolicy.RESERVED_ONLY
                lines = reserved_lines if reserved else 0
                why = f"no room left under the {cfg.abandon_cap:.1%} cap for a risky line"
                return self._decision(lines, "capped", reserved, idle_free, snap, 0.0, rate, why)
            if careful:
                theta = cfg.careful_share * cfg.target_abandon_rate
            elif cfg.cap_taper > 0:
                theta *= min(1.0, room / cfg.cap_taper)
        forecast = _Forecast(self, snap)
        if careful:  # keep one abandonment of the lasting room in hand
            forecast.tail_limit = (math.floor(lasting) - 1, cfg.careful_risk)
        floor = max(idle_free - len(snap.ringing), 0)
        ceiling = math.floor(cfg.max_ratio * max(forecast.available, 1.0)) - len(snap.ringing)
        ceiling = max(ceiling, floor)
        if cfg.manual_ratio is not None:
            wanted = round(cfg.manual_ratio * forecast.available) - len(snap.ringing)
            lines = self._line_limit(min(max(wanted, floor), ceiling), snap)
            risk = forecast.risk(lines)
            why = f"manual ratio {cfg.manual_ratio:g}"
            return self._decision(lines, "manual", False, forecast.available, snap, risk, rate, why)
        safe = forecast.safe_lines(self._line_limit(ceiling, snap), theta)
        lines = self._line_limit(max(safe, floor), snap)
        risk = forecast.risk(lines)
        why = f"lines whose abandonment risk is under θ={theta:.2%}"
        if careful:
            why = f"little room under the cap: {why}, bursts kept under {cfg.careful_risk:.1%}"
        mode = "careful" if careful else "predictive"
        available = forecast.available
        return self._decision(lines, mode, False, available, snap, risk, rate, why, theta)

    def cap_room(self, now: float, snap: CampaignSnapshot) -> float:
        """Abandonments the rolling window can still take without going over the cap, less
        what is kept in hand: `cap_reserve`, the answered calls waiting right now, and
        `cap_burst` per answer already on its way (abandonments come in bursts: when the pool
        is short, several answers in a row find nobody). Negative: no risky line now."""
        cfg = self.config
        return (
            self.ledger.lasting_room(now, cfg.abandon_cap)
            - cfg.cap_reserve
            - snap.waiting_answered
            - cfg.cap_burst * self._answers_on_the_way(snap)
        )

    def _answers_on_the_way(self, snap: CampaignSnapshot) -> float:
        """Expected answers among the unreserved calls ringing now (0 while thin)."""
        if not snap.ringing or len(self.stats.answer_delays) < self.config.min_answers:
            return 0.0
        attempts = self.attempt_model()
        p, r = attempts.answer_rate, np.asarray(snap.ringing, dtype=np.float64)
        later = p * (1 - attempts.delays.cdf(r))
        unresolved = later + (1 - p) * (1 - attempts.failures.cdf(r))
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.where(unresolved > 1e-9, later / unresolved, 0.0).sum())

    def busy_time_model(self, snap: CampaignSnapshot | None = None) -> _BusyTimeModel:
        # Rebuilt every few samples, not every one: a table costs more than a decision.
        stale = self.stats.version - self._busy_version >= _REBUILD_EVERY
        if self._busy_model is None or stale:
            running = {
                phase: np.array(
                    [a.elapsed for a in (snap.busy_agents if snap else ()) if a.phase is phase]
                )
                for phase in AgentPhase
            }
            self._busy_model = _BusyTimeModel(
                self.stats.talk_times,
                self.stats.wrap_up_times,
                running[AgentPhase.TALK],
                running[AgentPhase.WRAP_UP],
            )
            self._busy_version = self.stats.version
        return self._busy_model

    def attempt_model(self) -> _AttemptModel:
        if self._attempts is None or self._attempts_version != self.stats.version:
            self._attempts = _AttemptModel.of(self.stats)
            self._attempts_version = self.stats.version
        return self._attempts

    def _thin(self) -> bool:
        s, cfg = self.stats, self.config
        return (
            len(s.answer_delays) < cfg.min_answers
            or len(s.talk_times) < cfg.min_talks
            or len(s.wrap_up_times) < cfg.min_talks
        )

    def _line_limit(self, lines: int, snap: CampaignSnapshot) -> int:
        if self.config.max_lines is not None:
            lines = min(lines, self.config.max_lines - len(snap.ringing))
        return max(lines, 0)

    def _decision(
        self,
        lines: int,
        mode: str,
        reserve: bool,
        available: float,
        snap: CampaignSnapshot,
        risk: float,
        rate: float,
        reason: str,
        threshold: float | None = None,
    ) -> PacingDecision:
        in_flight = lines + len(snap.ringing)
        return PacingDecision(
            lines=lines,
            mode=mode,
            reserve_agents=reserve,
            available_agents=available,
            ratio=in_flight / available if available > 0 else float(in_flight),
            line_risk=risk,
            abandon_rate=rate,
            threshold=self.threshold if threshold is None else threshold,
            reason=reason,
        )


@dataclass
class _Forecast:
    """The distributions of one decision, for each answer-delay quantile d_j."""

    model: PacingModel
    snap: CampaignSnapshot
    available: float = field(init=False)
    _base: Floats = field(init=False)  # pmf (J, L) of competing answers - freed busy agents
    _offset: int = field(init=False)  # index of value 0 in _base
    _new_answer: Floats = field(init=False)  # (J,) P(another new line answers by d_j)
    _survival: Floats = field(init=False)  # (J, L + 1) P(value index >= m)
    _need: int = field(init=False)
    # (k, ε): stop the walk once P(more than k of the answers in flight find no agent) > ε
    tail_limit: tuple[int, float] | None = None

    def __post_init__(self) -> None:
        attempts = self.model.attempt_model()
        d = attempts.d
        horizons = np.ceil(d + self.model.config.connect_grace).astype(int)
        freed = self._freed(horizons)  # (J, busy)
        ringing = self._ringing_answers(attempts)  # (J, ringing)
        self._new_answer = attempts.answer_rate * attempts.delays.cdf(d)
        waiting, idle = self.snap.waiting_answered, self.snap.idle_agents
        self.available = idle - waiting + float(freed[len(_QUANTILES) // 2].sum())
        # Agents all but sure to stay busy change nothing: leave them out of the sum.
        freed = freed[:, freed.max(axis=0) > 1e-4]
        self._offset = freed.shape[1]
        # value v = answers - freed sits at index v + offset: convolve P(answers) with the
        # reversed P(freed)
        answers, frees = _poisson_binomial(ringing), _poisson_binomial(freed)
        self._base = np.array(
            [np.convolve(a, f[::-1]) for a, f in zip(answers, frees, strict=True)]
        )
        size = self._base.shape[1]
        self._survival = np.zeros((len(_QUANTILES), size + 1))  # [:, m] = P(index >= m)
        self._survival[:, :size] = np.cumsum(self._base[:, ::-1], axis=1)[:, ::-1]
        self._need = self._offset + idle - waiting  # index from which our line finds nobody

    def _freed(self, horizons: npt.NDArray[np.int_]) -> Floats:
        busy_model = self.model.busy_time_model(self.snap)
        by_phase = {
            phase: np.array([a.elapsed for a in self.snap.busy_agents if a.phase is phase])
            for phase in AgentPhase
        }
        rows = [
            np.concatenate([busy_model.free_within(ph, e, int(h)) for ph, e in by_phase.items()])
            for h in horizons
        ]
        return np.array(rows).reshape(len(horizons), -1)

    def _ringing_answers(self, attempts: _AttemptModel) -> Floats:
        p, d, delays, failures = (
            attempts.answer_rate,
            attempts.d,
            attempts.delays,
            attempts.failures,
        )
        r = np.asarray(self.snap.ringing, dtype=np.float64)
        unresolved = p * (1 - delays.cdf(r)) + (1 - p) * (1 - failures.cdf(r))
        answered = p * (delays.cdf(r[None, :] + d[:, None]) - delays.cdf(r)[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            probs = np.where(unresolved > 1e-9, answered / unresolved, 0.0)
        return np.clip(probs, 0.0, 1.0).reshape(len(d), r.size)

    def risk(self, k: int) -> float:
        """Abandonment chance of the k-th new line (k >= 1), averaged over d_j: it is
        abandoned if competing answers - freed >= idle agents, the competitors being the
        ringing calls, the answered calls already waiting, and the k - 1 other new lines
        answered by d_j (a binomial count)."""
        if k <= 0:
            return 0.0
        i, others = np.arange(k), _binomial(self._new_answer, k - 1)  # (J, k)
        at_risk = self._survival[:, np.clip(self._need - i, 0, self._survival.shape[1] - 1)]
        return float((others * at_risk).sum() / others.shape[0])

    def burst(self, k: int, spare: int) -> float:
        """P(more than `spare` of the answers in flight find no agent) once k new lines are
        dialled, at the worst d_j."""
        i, news = np.arange(k + 1), _binomial(self._new_answer, k)  # (J, k + 1)
        index = np.clip(self._need + spare + 1 - i, 0, self._survival.shape[1] - 1)
        return float((news * self._survival[:, index]).sum(axis=1).max())

    def safe_lines(self, limit: int, theta: float) -> int:
        """The most new lines (at most `limit`) whose every risk is at most θ, and with
        `tail_limit` whose bursts stay likely enough. Both only grow with k: a bisection."""

        def ok(k: int) -> bool:
            if self.risk(k) > theta:
                return False
            return (
                self.tail_limit is None or self.burst(k, self.tail_limit[0]) <= self.tail_limit[1]
            )

        low, high = 0, max(limit, 0)  # ok(low) holds; find the largest k with ok(k)
        step = 1
        while low + step <= high and ok(low + step):  # gallop: few lines are the usual answer
            low, step = low + step, 2 * step
        high = min(high, low + step - 1)
        while low < high:
            mid = (low + high + 1) // 2
            if ok(mid):
                low = mid
            else:
                high = mid - 1
        return low

    def line_risks(self, lines: int) -> Floats:
        """risk(1), ..., risk(lines)."""
        return np.array([self.risk(k) for k in range(1, lines + 1)])
