"""Pacing decisions obey the cap, the manual ratio, the max ratio and the progressive floor;
the predictive pacer beats progressive on a simulated campaign (DIAL-2, DIAL-4)."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from app.dialer.pacing import (
    AbandonmentLedger,
    AgentPhase,
    BusyAgent,
    CampaignSnapshot,
    CapPolicy,
    PacingConfig,
    PacingModel,
    _poisson_binomial,
)
from app.dialer.simulation import Oracle, Predictive, Progressive, SimConfig, run


def _trained(config: PacingConfig | None = None, *, answer_rate: float = 0.3) -> PacingModel:
    """A pacer that has seen a campaign like the simulated one: 30% answer after ~10 s,
    talks ~120 s, wrap-ups ~15 s."""
    model = PacingModel(config)
    rng = np.random.default_rng(1)
    for _ in range(400):
        answered = rng.random() < answer_rate
        model.stats.record_attempt(answered, rng.uniform(6, 14) if answered else 30.0)
    for _ in range(200):
        model.stats.record_talk(rng.lognormal(np.log(100), 0.6))
        model.stats.record_wrap_up(rng.gamma(4, 15 / 4))
    _answers(model, at=-1.0, count=300)
    return model


def _answers(model: PacingModel, at: float, count: int, abandoned: int = 0) -> None:
    """Answered calls in the cap's rolling window (the threshold left alone)."""
    for i in range(count):
        model.ledger.record(at, abandoned=i < abandoned)


def _snapshot(
    idle: int, talk: list[float], wrap: list[float], ringing: int = 0
) -> CampaignSnapshot:
    busy = [BusyAgent(AgentPhase.TALK, e) for e in talk] + [
        BusyAgent(AgentPhase.WRAP_UP, e) for e in wrap
    ]
    return CampaignSnapshot(idle_agents=idle, busy_agents=busy, ringing=[5.0] * ringing)


@pytest.mark.feature("DIAL-2")
def test_thin_statistics_mean_progressive_one_line_per_idle_agent_reserved() -> None:
    decision = PacingModel().decide(0.0, _snapshot(idle=4, talk=[30.0], wrap=[]))
    assert (decision.lines, decision.mode, decision.reserve_agents) == (4, "progressive", True)


@pytest.mark.feature("DIAL-2")
def test_predictive_dials_ahead_for_agents_about_to_free_but_not_for_fresh_talks() -> None:
    model = _trained()
    wrapping_up = model.decide(0.0, _snapshot(idle=0, talk=[], wrap=[14.0] * 10))
    just_talking = model.decide(0.0, _snapshot(idle=0, talk=[3.0] * 10, wrap=[]))
    assert wrapping_up.mode == "predictive"
    assert wrapping_up.lines >= 10  # ten agents free within seconds, 30% answer: over-dial
    assert just_talking.lines == 0  # nobody will be free when these would answer
    assert wrapping_up.line_risk <= model.threshold


@pytest.mark.feature("DIAL-2")
def test_more_ringing_calls_mean_fewer_new_lines() -> None:
    model = _trained()
    quiet = model.decide(0.0, _snapshot(idle=5, talk=[200.0] * 15, wrap=[]))
    busy = model.decide(0.0, _snapshot(idle=5, talk=[200.0] * 15, wrap=[], ringing=10))
    assert busy.lines < quiet.lines


@pytest.mark.feature("DIAL-4")
def test_at_the_abandonment_cap_only_reserved_lines_or_nothing() -> None:
    snap = _snapshot(idle=3, talk=[], wrap=[14.0] * 10)
    for policy, lines in ((CapPolicy.RESERVED_ONLY, 3), (CapPolicy.STOP, 0)):
        model = _trained(PacingConfig(abandon_cap=0.03, on_cap=policy))
        model.ledger = AbandonmentLedger(model.config.abandon_window)
        for i in range(97):
            model.record_answer(float(i), abandoned=False)
        for i in range(3):
            model.record_answer(100.0 + i, abandoned=True)  # exactly 3%: at the cap
        decision = model.decide(103.0, snap)
        assert (decision.mode, decision.lines) == ("capped", lines)
        assert decision.reserve_agents is (policy is CapPolicy.RESERVED_ONLY)
        # An hour later those abandonments have left the rolling window.
        _answers(model, at=3700.0, count=200)
        assert model.decide(103.0 + 3601.0, snap).mode == "predictive"


@pytest.mark.feature("DIAL-4")
def test_manual_ratio_sets_lines_in_flight_per_available_agent() -> None:
    model = _trained(PacingConfig(manual_ratio=2.0))
    decision = model.decide(0.0, _snapshot(idle=4, talk=[400.0] * 4, wrap=[], ringing=2))
    assert decision.mode == "manual"
    assert decision.lines + 2 == round(2.0 * decision.available_agents)
    assert decision.ratio == pytest.approx(2.0, abs=0.2)


@pytest.mark.feature("DIAL-4")
def test_max_ratio_and_trunk_lines_bound_every_mode() -> None:
    snap = _snapshot(idle=4, talk=[], wrap=[14.0] * 30)
    capped_ratio = _trained(PacingConfig(manual_ratio=10.0, max_ratio=2.5)).decide(0.0, snap)
    assert capped_ratio.ratio <= 2.5 + 1e-9
    few_trunks = _trained(PacingConfig(max_lines=6)).decide(0.0, snap)
    assert few_trunks.lines == 6
    lenient = _trained(PacingConfig(target_abandon_rate=0.2, abandon_cap=0.3, max_ratio=1.5))
    assert lenient.decide(0.0, snap).ratio <= 1.5 + 1e-9


@pytest.mark.feature("DIAL-2")
def test_progressive_floor_keeps_one_line_per_idle_agent_even_when_risky() -> None:
    model = _trained(PacingConfig(target_abandon_rate=0.001, abandon_cap=0.03))
    decision = model.decide(0.0, _snapshot(idle=3, talk=[1.0] * 20, wrap=[]))
    assert decision.lines == 3


@pytest.mark.feature("DIAL-4")
def test_threshold_tunes_itself_toward_the_target() -> None:
    model = _trained(PacingConfig(target_abandon_rate=0.02))
    start = model.threshold
    for i in range(300):
        model.record_answer(float(i), abandoned=False)
    assert model.threshold > start  # nothing abandoned: dial harder
    for i in range(30):
        model.record_answer(300.0 + i, abandoned=True)
    assert model.threshold < start  # 10% abandoned: back off


def test_bad_configurations_are_refused() -> None:
    with pytest.raises(ValueError, match="abandon_cap"):
        PacingConfig(target_abandon_rate=0.05, abandon_cap=0.03)
    with pytest.raises(ValueError, match="max_ratio"):
        PacingConfig(max_ratio=0.5)
    with pytest.raises(ValueError, match="manual_ratio"):
        PacingConfig(manual_ratio=0)


@pytest.mark.feature("DIAL-2")
def test_simulated_campaign_predictive_beats_progressive_within_the_cap() -> None:
    cfg = SimConfig(agents=20, hours=1.0)
    progressive, predictive, oracle = (run(cfg, s) for s in (Progressive(), Predictive(), Oracle()))
    assert progressive.abandoned == 0 and oracle.abandoned == 0
    assert predictive.abandon_rate <= 0.03
    gain = predictive.talk_minutes_per_agent_hour / progressive.talk_minutes_per_agent_hour
    assert gain >= 1.25
    assert predictive.talk_minutes_per_agent_hour < oracle.talk_minutes_per_agent_hour


@pytest.mark.feature("DIAL-4")
def test_risky_lines_only_while_the_window_has_room_under_the_cap() -> None:
    snap = _snapshot(idle=3, talk=[], wrap=[14.0] * 10)
    config = PacingConfig(abandon_cap=0.03, cap_reserve=1.0, cap_taper=2.0)
    roomy, tight, full = (_trained(config) for _ in range(3))
    for model, abandoned in ((roomy, 0), (tight, 2), (full, 2)):
        model.ledger = AbandonmentLedger(3600.0)
        _answers(model, at=0.0, count=100, abandoned=abandoned)
    # 100 answered, none abandoned: 3 more fit under 3%; 1 kept in hand, 2 of taper: full θ.
    free = roomy.decide(1.0, snap)
    assert free.mode == "predictive" and free.threshold == pytest.approx(roomy.threshold)
    # 2 of 100 abandoned: one more and the window is at 2.97%; θ tapered nearly to nothing.
    slow = tight.decide(1.0, snap)
    assert slow.mode == "predictive" and slow.threshold < tight.threshold / 10
    assert slow.lines < free.lines
    # The same with an answered call waiting for an agent: no room, only reserved lines.
    waiting = CampaignSnapshot(idle_agents=3, busy_agents=snap.busy_agents, waiting_answered=1)
    stop = full.decide(1.0, waiting)
    assert (stop.mode, stop.reserve_agents, stop.lines) == ("capped", True, 2)
    assert full.cap_room(1.0, waiting) < 0 <= full.cap_room(1.0, snap)


@pytest.mark.feature("DIAL-4")
def test_answers_on_their_way_are_kept_in_hand_under_the_cap() -> None:
    model = _trained(PacingConfig(abandon_cap=0.03))
    model.ledger = AbandonmentLedger(3600.0)
    _answers(model, at=0.0, count=200)
    quiet = _snapshot(idle=3, talk=[200.0] * 10, wrap=[])
    busy = _snapshot(idle=3, talk=[200.0] * 10, wrap=[], ringing=20)
    # Ringing 5 s: each still has about its full answer chance (0.3 here).
    assert model.cap_room(1.0, quiet) - model.cap_room(1.0, busy) == pytest.approx(
        model.config.cap_burst * 20 * 0.3, rel=0.25
    )


@pytest.mark.feature("DIAL-4")
@pytest.mark.parametrize("agents", [5, 20])
def test_simulated_rolling_hour_never_goes_over_the_cap(agents: int) -> None:
    cfg = SimConfig(agents=agents, hours=1.5, seed=7)
    predictive = run(cfg, Predictive())
    assert predictive.abandoned > 0  # it took risks...
    assert predictive.max_window_rate <= 0.03  # ...but no rolling hour went over the cap
    oracle = run(cfg, Oracle())
    assert predictive.talk_minutes_per_agent_hour < oracle.talk_minutes_per_agent_hour


@pytest.mark.feature("DIAL-4")
def test_the_room_counts_the_answers_about_to_leave_the_rolling_window() -> None:
    # 100 answered calls 59 minutes ago, then one abandoned: the window is at 1% now, but in
    # a few minutes those 100 calls leave it and the abandoned one is most of what is left.
    ledger = AbandonmentLedger(3600.0)
    for i in range(100):
        ledger.record(float(i), abandoned=False)
    ledger.record(3500.0, abandoned=True)
    now = 3540.0
    assert ledger.rate(now) == pytest.approx(1 / 101)
    assert ledger.spare(now, 0.03) > 2  # the window of now alone would take two more
    assert ledger.lasting_room(now, 0.03) < 0  # the coming windows cannot take one
    model = _trained(PacingConfig(abandon_cap=0.03))
    model.ledger = ledger
    decision = model.decide(now, _snapshot(idle=3, talk=[], wrap=[14.0] * 10))
    assert (decision.mode, decision.reserve_agents, decision.lines) == ("capped", True, 3)


@pytest.mark.feature("DIAL-4")
def test_little_room_under_the_cap_means_careful_lines_not_one_per_agent() -> None:
    # 200 answered, 5 abandoned: 1 more fits under 3%, too few for risky lines (1.5 kept in
    # hand, answers on their way), but enough for lines that almost surely reach an agent.
    snap = _snapshot(idle=6, talk=[200.0] * 14, wrap=[])
    model = _trained(PacingConfig(abandon_cap=0.03))
    model.ledger = AbandonmentLedger(3600.0)
    _answers(model, at=0.0, count=200, abandoned=5)
    roomy = _trained(PacingConfig(abandon_cap=0.03))
    assert model.cap_room(1.0, snap) < 0 < roomy.cap_room(1.0, snap)
    careful, free = model.decide(1.0, snap), roomy.decide(1.0, snap)
    assert careful.mode == "careful" and not careful.reserve_agents
    assert 6 < careful.lines < free.lines  # more than 1:1, fewer than with room to spare
    assert careful.line_risk <= 0.1 * model.config.target_abandon_rate
    # Turned off: one reserved line per idle agent, as before.
    strict = _trained(PacingConfig(abandon_cap=0.03, careful_risk=0.0))
    strict.ledger = model.ledger
    assert (strict.decide(1.0, snap).mode, strict.decide(1.0, snap).lines) == ("capped", 6)


@pytest.mark.feature("DIAL-2")
def test_learned_pacing_state_survives_a_restart() -> None:
    model = _trained()
    model.ledger = AbandonmentLedger(3600.0)
    _answers(model, at=100.0, count=150, abandoned=2)
    model.threshold = 0.031
    saved = json.loads(json.dumps(model.to_dict(now=1000.0)))  # what Redis would hold
    # The new process's clock starts elsewhere; 60 s passed while it restarted.
    restored = PacingModel.from_dict(saved, now=5.0, offline=60.0)
    assert restored.threshold == 0.031
    assert restored.ledger.counts(5.0) == (150, 2)
    snap = _snapshot(idle=2, talk=[80.0, 150.0] * 5, wrap=[3.0, 9.0])
    before, after = model.decide(1060.0, snap), restored.decide(5.0, snap)
    assert after.mode == "predictive"  # no 1:1 warm-up after the restart
    assert (after.lines, after.line_risk) == (before.lines, pytest.approx(before.line_risk))
    assert PacingModel().decide(5.0, snap).mode == "progressive"  # what a restart cost before
    # Down for an hour: the old window is gone, the learnt distributions are not.
    late = PacingModel.from_dict(saved, now=5.0, offline=3600.0)
    assert late.ledger.counts(5.0) == (0, 0) and len(late.stats.talk_times) == 200
    for bad in ({**saved, "version": 99}, {**saved, "talkTimes": [-1.0]}, {"version": 1}):
        with pytest.raises(ValueError):
            PacingModel.from_dict(bad, now=5.0)


@pytest.mark.feature("DIAL-2")
def test_forecast_is_exact_and_fast_for_a_hundred_agents() -> None:
    # The count of answers among calls with different chances: the pairwise (FFT) product
    # equals the textbook one-call-at-a-time sum.
    probs = np.random.default_rng(3).random((3, 157)) ** 3
    exact = np.zeros((3, 158))
    exact[:, 0] = 1.0
    for col in range(probs.shape[1]):
        moved = exact * probs[:, col : col + 1]
        exact -= moved
        exact[:, 1:] += moved[:, :-1]
    assert np.abs(_poisson_binomial(probs) - exact).max() < 1e-12
    # decide() for 100 agents (callcontrol asks every second per campaign): CPU time.
    model, rng = _trained(), np.random.default_rng(4)
    timings = []
    for i in range(60):
        talk = list(rng.uniform(0, 300, 80))
        snap = CampaignSnapshot(
            idle_agents=int(rng.integers(0, 10)),
            busy_agents=[BusyAgent(AgentPhase.TALK, e) for e in talk]
            + [BusyAgent(AgentPhase.WRAP_UP, e) for e in rng.uniform(0, 20, 15)],
            ringing=list(rng.uniform(0, 29, 60)),
        )
        started = time.thread_time()
        model.decide(float(i), snap)
        timings.append(time.thread_time() - started)
    assert float(np.median(timings)) < 0.005


@pytest.mark.feature("DIAL-4")
def test_no_risky_line_while_not_one_abandonment_fits_whatever_the_reserves() -> None:
    # A new campaign's window: 30 answered calls, none abandoned. One abandonment would be
    # 1/31 = 3.2%: even with no reserve configured, only reserved lines.
    snap = _snapshot(idle=3, talk=[], wrap=[14.0] * 10)
    model = _trained(PacingConfig(abandon_cap=0.03, cap_reserve=0.0, cap_burst=0.0))
    model.ledger = AbandonmentLedger(3600.0)
    _answers(model, at=0.0, count=30)
    assert model.ledger.lasting_room(1.0, 0.03) < 1 <= model.ledger.lasting_room(1.0, 0.06)
    decision = model.decide(1.0, snap)
    assert (decision.mode, decision.reserve_agents, decision.lines) == ("capped", True, 3)
    _answers(model, at=0.5, count=10)  # 40 answered: one abandonment now fits (1/41 = 2.4%)
    assert model.decide(1.0, snap).mode in ("predictive", "careful")
