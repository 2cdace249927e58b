"""A discrete-event simulation of one outbound campaign, to judge pacing strategies (DIAL-2).

Every lead's fate is drawn up front from one seeded generator (answered by a person or a
machine, after how long; busy/invalid; no answer until the ring timeout; talk and wrap-up
lengths), so every strategy dials the same leads in the same order and meets the same people.

What happens to a call (times in seconds):
- a person answers after a lognormal ring time, plus the answering-machine detector's human
  verdict (0.8-2.0 s); the dialer then needs an agent within `connect_grace` or the call is
  *abandoned*;
- an answering machine answers like a person; the detector drops it 3 s later, except for the
  `amd_miss` share that is taken for a person and occupies an agent for `machine_talk` s;
- busy or invalid numbers fail after 2-6 s; the rest ring out at `ring_timeout`.

Strategies:
- `Progressive`: one line per idle agent, the agent reserved for it (never abandons);
- `Predictive`: `PacingModel` decides every `decide_every` seconds and whenever an agent
  becomes idle, learning the campaign's statistics online as calls end;
- `KnownOutcomes`: a diagnostic, not a dialer: `Predictive` told which leads a person will
  answer (it skips the others), not when, nor when agents free up; it measures what the coin
  flip of every dial costs (the oracle's main advantage, see `app/dialer/pacing.py`);
- `Oracle`: clairvoyant. It knows which leads a person will answer and after how long, and
  when each agent will be free, so it dials exactly so that a person answers the moment an
  agent frees up (skipping every lead that would not be answered). An upper bound, not a
  dialer.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import deque
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol, cast

import numpy as np

from app.dialer.pacing import AgentPhase, BusyAgent, CampaignSnapshot, PacingConfig, PacingModel


class Fate(IntEnum):
    HUMAN = 0
    MACHINE = 1
    FAILED = 2  # busy, invalid, congestion
    NO_ANSWER = 3


@dataclass(frozen=True, slots=True)
class SimConfig:
    agents: int
    hours: float = 3.0
    seed: int = 20240601
    human_rate: float = 0.25  # P(a person answers); with machines, ~0.3 of leads answer
    machine_rate: float = 0.06
    failed_rate: float = 0.12
    ring_median: float = 9.0  # a person's answer delay (lognormal)
    ring_sigma: float = 0.5
    ring_timeout: float = 30.0
    talk_mean: float = 120.0  # lognormal
    talk_sigma: float = 0.7
    wrap_up_mean: float = 15.0  # gamma, shape 4
    amd_miss: float = 0.1  # machines taken for a person
    machine_talk: float = 8.0  # an agent hears the machine and hangs up
    connect_grace: float = 2.0


@dataclass(slots=True)
class Leads:
    """Lead i's fate and its durations (arrays indexed by lead)."""

    fate: np.ndarray
    delay: np.ndarray  # dial -> live (person: after the AMD verdict) or -> failure
    talk: np.ndarray
    wrap_up: np.ndarray
    amd_missed: np.ndarray

    @classmethod
    def draw(cls, cfg: SimConfig, count: int) -> Leads:
        rng = np.random.default_rng(cfg.seed)
        probs = [cfg.human_rate, cfg.machine_rate, cfg.failed_rate]
        fate = rng.choice(4, size=count, p=[*probs, 1 - sum(probs)])
        ring = np.maximum(rng.lognormal(math.log(cfg.ring_median), cfg.ring_sigma, count), 2.0)
        ring = np.minimum(ring, cfg.ring_timeout - 2.0)
        verdict = rng.uniform(0.8, 2.0, count)
        delay = np.select(
            [fate == Fate.HUMAN, fate == Fate.MACHINE, fate == Fate.FAILED],
            [ring + verdict, ring + 3.0, rng.uniform(2.0, 6.0, count)],
            cfg.ring_timeout,
        )
        mu = math.log(cfg.talk_mean) - cfg.talk_sigma**2 / 2
        talk = rng.lognormal(mu, cfg.talk_sigma, count)
        wrap_up = rng.gamma(4.0, cfg.wrap_up_mean / 4.0, count)
        missed = rng.random(count) < cfg.amd_miss
        return cls(fate, delay, talk, wrap_up, missed)

    def live(self, i: int) -> bool:
        """Will the dialer treat this call as answered by a person?"""
        fate = self.fate[i]
        return bool(fate == Fate.HUMAN or (fate == Fate.MACHINE and self.amd_missed[i]))


@dataclass(slots=True)
class Agent:
    ident: int
    phase: AgentPhase | None = None  # None = idle
    since: float = 0.0
    reserved: bool = False


@dataclass(slots=True)
class Call:
    lead: int
    dialled: float
    agent: Agent | None  # reserved agent, if any
    answered_at: float = -1.0


@dataclass(slots=True)
class Results:
    agents: int
    hours: float
    talk_seconds: float = 0.0
    answered: int = 0  # live calls: connected or abandoned
    abandoned: int = 0
    dialled: int = 0
    window: float = 3600.0  # the rolling window of `max_window_rate` (the pacer's cap window)
    max_window_rate: float = 0.0  # highest abandonment rate of any window ending at an answer
    _recent: deque[tuple[float, bool]] = field(default_factory=deque, repr=False)
    _recent_abandoned: int = 0

    def answered_call(self, now: float, abandoned: bool) -> None:
        """Count one live call (connected or abandoned) and the rolling-window rate it leaves."""
        self._recent.append((now, abandoned))
        self._recent_abandoned += abandoned
        while self._recent[0][0] <= now - self.window:
            self._recent_abandoned -= self._recent.popleft()[1]
        rate = self._recent_abandoned / len(self._recent)
        self.max_window_rate = max(self.max_window_rate, rate)

    @property
    def talk_minutes_per_agent_hour(self) -> float:
        return self.talk_seconds / 60.0 / (self.agents * self.hours)

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0


class Strategy(Protocol):
    def start(self, sim: CampaignSim) -> None:
        """Called once at time 0."""

    def react(self, sim: CampaignSim) -> None:
        """Called after every event; may `sim.dial()`."""

    def connected(self, sim: CampaignSim, agent: Agent, lead: int) -> None:
        """A live call reached `agent`."""


@dataclass(order=True, slots=True)
class _Event:
    at: float
    seq: int
    kind: str = field(compare=False)
    payload: object = field(compare=False)


class CampaignSim:
    def __init__(self, cfg: SimConfig, strategy: Strategy) -> None:
        self.cfg = cfg
        self.strategy = strategy
        self.end = cfg.hours * 3600.0
        expected = cfg.agents * self.end / (cfg.talk_mean / 2) / cfg.human_rate
        self.leads = Leads.draw(cfg, int(expected) + 10_000)
        self.next_lead = 0
        self.now = 0.0
        self.agents = [Agent(i) for i in range(cfg.agents)]
        self.ringing: dict[int, Call] = {}  # by lead
        self.waiting: deque[Call] = deque()
        self.results = Results(cfg.agents, cfg.hours)
        self.agent_freed = False  # an agent became idle during the last event
        self.model: PacingModel | None = None  # a learning strategy's model, fed outcomes
        self._queue: list[_Event] = []
        self._seq = 0

    # -- API for strategies ---------------------------------------------------------------
    def idle_agents(self) -> list[Agent]:
        return [a for a in self.agents if a.phase is None and not a.reserved]

    def dial(self, agent: Agent | None = None, lead: int | None = None) -> None:
        if lead is None:
            lead, self.next_lead = self.next_lead, self.next_lead + 1
        if agent is not None:
            agent.reserved = True
        call = Call(lead, self.now, agent)
        self.ringing[lead] = call
        self.results.dialled += 1
        self.schedule(self.now + float(self.leads.delay[lead]), "resolve", call)

    def schedule(self, at: float, kind: str, payload: object) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _Event(at, self._seq, kind, payload))

    # -- the run --------------------------------------------------------------------------
    def run(self) -> Results:
        self.strategy.start(self)
        while self._queue:
            event = heapq.heappop(self._queue)
            if event.at > self.end:
                break
            self.now = event.at
            self.agent_freed = False
            getattr(self, "_on_" + event.kind)(event.payload)
            self.strategy.react(self)
        return self.results

    def _on_tick(self, _: object) -> None:
        self.schedule(self.now + 1.0, "tick", None)

    def _on_dial(self, payload: object) -> None:
        agent, lead = cast(tuple[Agent, int], payload)
        self.dial(agent, lead)

    def _on_resolve(self, call: Call) -> None:
        del self.ringing[call.lead]
        if not self.leads.live(call.lead):
            self.strategy_outcome(call, answered=False)
            if call.agent is not None:
                call.agent.reserved = False
                self.agent_freed = True
            return
        self.strategy_outcome(call, answered=True)
        call.answered_at = self.now
        self.results.answered += 1
        agent = call.agent or next(iter(self.idle_agents()), None)
        if agent is not None:
            self._connect(call, agent)
        else:
            self.waiting.append(call)
            self.schedule(self.now + self.cfg.connect_grace, "grace", call)

    def _on_grace(self, call: Call) -> None:
        if call in self.waiting:
            self.waiting.remove(call)
            self.results.abandoned += 1
            self.answer_outcome(abandoned=True)

    def _connect(self, call: Call, agent: Agent) -> None:
        agent.reserved = False
        agent.phase, agent.since = AgentPhase.TALK, self.now
        human = self.leads.fate[call.lead] == Fate.HUMAN
        talk = float(self.leads.talk[call.lead]) if human else self.cfg.machine_talk
        if human:
            self.results.talk_seconds += min(talk, self.end - self.now)
        self.answer_outcome(abandoned=False)
        self.strategy.connected(self, agent, call.lead)
        wrap_up = float(self.leads.wrap_up[call.lead]) if human else 3.0
        self.schedule(self.now + talk, "talk_end", (agent, talk, wrap_up))

    def _on_talk_end(self, payload: object) -> None:
        agent, talk, wrap_up = cast(tuple[Agent, float, float], payload)
        agent.phase, agent.since = AgentPhase.WRAP_UP, self.now
        self.talk_outcome(talk)
        self.schedule(self.now + wrap_up, "free", (agent, wrap_up))

    def _on_free(self, payload: object) -> None:
        agent, wrap_up = cast(tuple[Agent, float], payload)
        agent.phase = None
        self.wrap_up_outcome(wrap_up)
        if self.waiting and not agent.reserved:
            self._connect(self.waiting.popleft(), agent)
        else:
            self.agent_freed = True

    # -- outcomes, for a strategy that learns -------------------------------------------
    def strategy_outcome(self, call: Call, answered: bool) -> None:
        if self.model is not None:
            self.model.stats.record_attempt(answered, self.now - call.dialled)

    def answer_outcome(self, abandoned: bool) -> None:
        self.results.answered_call(self.now, abandoned)
        if self.model is not None:
            self.model.record_answer(self.now, abandoned)

    def talk_outcome(self, seconds: float) -> None:
        if self.model is not None:
            self.model.stats.record_talk(seconds)

    def wrap_up_outcome(self, seconds: float) -> None:
        if self.model is not None:
            self.model.stats.record_wrap_up(seconds)


class Progressive:
    def start(self, sim: CampaignSim) -> None:
        self.react(sim)

    def connected(self, sim: CampaignSim, agent: Agent, lead: int) -> None:
        pass

    def react(self, sim: CampaignSim) -> None:
        for agent in sim.idle_agents():
            sim.dial(agent)


class Predictive:
    def __init__(self, config: PacingConfig | None = None, decide_every: float = 1.0) -> None:
        self.model = PacingModel(config)
        self.decide_every = decide_every
        self._last = -math.inf
        self.decisions = 0
        self.decide_seconds: list[float] = []  # CPU time of each `decide` call

    def start(self, sim: CampaignSim) -> None:
        sim.model = self.model
        sim.schedule(0.0, "tick", None)

    def connected(self, sim: CampaignSim, agent: Agent, lead: int) -> None:
        pass

    def react(self, sim: CampaignSim) -> None:
        if sim.now - self._last < self.decide_every and not sim.agent_freed:
            return
        self._last = sim.now
        self.decisions += 1
        snapshot = self.snapshot(sim)
        started = time.thread_time()  # CPU time: other processes on the machine do not count
        decision = self.model.decide(sim.now, snapshot)
        self.decide_seconds.append(time.thread_time() - started)
        idle = iter(sim.idle_agents())
        for _ in range(decision.lines):
            self.next_lead(sim)
            sim.dial(next(idle, None) if decision.reserve_agents else None)

    def next_lead(self, sim: CampaignSim) -> None:
        """Called before each line is dialled (the next lead in file order)."""

    @staticmethod
    def snapshot(sim: CampaignSim) -> CampaignSnapshot:
        busy = [BusyAgent(a.phase, sim.now - a.since) for a in sim.agents if a.phase is not None]
        ringing = [sim.now - c.dialled for c in sim.ringing.values() if c.agent is None]
        return CampaignSnapshot(
            idle_agents=len(sim.idle_agents()),
            busy_agents=busy,
            ringing=ringing,
            waiting_answered=len(sim.waiting),
        )


class KnownOutcomes(Predictive):
    """Our pacer, dialling only the leads a person will answer (a diagnostic bound)."""

    def next_lead(self, sim: CampaignSim) -> None:
        while sim.leads.fate[sim.next_lead] != Fate.HUMAN:
            sim.next_lead += 1


class Oracle:
    """Dials person-answered leads so each answers exactly when its agent frees up."""

    def __init__(self) -> None:
        self._next = 0

    def start(self, sim: CampaignSim) -> None:
        for agent in sim.agents:
            self._plan(sim, agent, free_at=0.0)

    def react(self, sim: CampaignSim) -> None:
        pass

    def connected(self, sim: CampaignSim, agent: Agent, lead: int) -> None:
        busy = float(sim.leads.talk[lead] + sim.leads.wrap_up[lead])
        self._plan(sim, agent, free_at=sim.now + busy)

    def _plan(self, sim: CampaignSim, agent: Agent, free_at: float) -> None:
        while sim.leads.fate[self._next] != Fate.HUMAN:
            self._next += 1
        lead, self._next = self._next, self._next + 1
        at = max(free_at - float(sim.leads.delay[lead]), sim.now)
        sim.schedule(at, "dial", (agent, lead))


def run(cfg: SimConfig, strategy: Strategy) -> Results:
    return CampaignSim(cfg, strategy).run()
