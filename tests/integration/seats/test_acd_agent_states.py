"""SEAT-2: agent states in Redis — validated, timestamped, published once, counted."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.seats.acd import (
    Acd,
    AcdTimer,
    AgentState,
    Call,
    IllegalTransition,
    Offered,
    UnknownAgent,
)
from tests.integration.seats.conftest import events, setup_queue

pytestmark = pytest.mark.feature("SEAT-2")


async def test_sign_in_ready_not_ready_sign_out_each_publish_one_event(acd: Acd) -> None:
    await setup_queue(acd, ["1001"])
    await acd.sign_in("1001", ready=False, reason="login")
    await acd.agent_ready("1001")
    await acd.not_ready("1001", "lunch")
    await acd.not_ready("1001", "training")  # a new reason code is a change too
    await acd.sign_out("1001")

    moves = await events(acd, "agent_state")
    assert [(e["from"], e["to"], e["reason"]) for e in moves] == [
        ("signed_out", "not_ready", "login"),
        ("not_ready", "ready", ""),
        ("ready", "not_ready", "lunch"),
        ("not_ready", "not_ready", "training"),
        ("not_ready", "signed_out", ""),
    ]
    for e in moves:
        assert e["tenant"] == str(acd.tenant_id)
        assert e["agent"] == "1001"
        assert int(e["at"]) > 1_600_000_000_000  # epoch milliseconds from the Redis clock
        assert int(e["in_state_ms"]) >= 0


async def test_time_in_state_is_the_agents_clock(acd: Acd) -> None:
    await setup_queue(acd, ["1001"])
    await acd.sign_in("1001", ready=False, reason="login")
    await asyncio.sleep(0.25)
    status = await acd.agent_status("1001")
    assert status.state is AgentState.NOT_READY and status.reason == "login"
    assert 0.24 <= status.in_state < 1.0
    await acd.agent_ready("1001")
    (moved,) = [e for e in await events(acd, "agent_state") if e["to"] == "ready"]
    assert 240 <= int(moved["in_state_ms"]) < 1000


@pytest.mark.parametrize(
    ("prepare", "attempt"),
    [
        ([], "hold"),  # signed out cannot hold
        ([], "resume"),
        (["sign_in"], "sign_in"),  # already signed in
        (["sign_in", "offer", "answer"], "sign_out"),  # hang up first
        (["sign_in", "offer", "answer"], "ready"),  # talking cannot make itself ready
        (["sign_in", "offer"], "sign_out"),  # reserved for a call: reject it first
        (["sign_in", "offer"], "not_ready"),
    ],
)
async def test_illegal_transitions_raise_and_change_nothing(
    acd: Acd, prepare: list[str], attempt: str
) -> None:
    await setup_queue(acd, ["1001"])
    for step in prepare:
        await _do(acd, step)
    before = await acd.agent_status("1001")
    n_events = len(await events(acd))
    with pytest.raises(IllegalTransition, match=r"agent 1001 .*(cannot go|is )"):
        await _do(acd, attempt)
    after = await acd.agent_status("1001")
    assert (after.state, after.call_id) == (before.state, before.call_id)
    assert len(await events(acd)) == n_events  # nothing published


async def _do(acd: Acd, step: str) -> None:
    if step == "sign_in":
        await acd.sign_in("1001")
    elif step == "offer":
        assert isinstance(await acd.offer(Call("c1", "sales")), Offered)
    elif step == "answer":
        await acd.answer("c1", "1001")
    elif step == "sign_out":
        await acd.sign_out("1001")
    elif step == "ready":
        await acd.agent_ready("1001")
    elif step == "not_ready":
        await acd.not_ready("1001", "break")
    else:
        await getattr(acd, step)("1001")


async def test_illegal_transition_message_names_the_allowed_moves(acd: Acd) -> None:
    await setup_queue(acd, ["1001"])
    with pytest.raises(IllegalTransition) as err:
        await acd.hold("1001")
    assert str(err.value) == (
        "agent 1001 cannot go from signed_out to hold (from signed_out only: not_ready, ready)"
    )


async def test_unknown_agent_is_a_clear_error(acd: Acd) -> None:
    with pytest.raises(UnknownAgent, match="no agent 4242"):
        await acd.sign_in("4242")


async def test_talk_hold_wrap_up_and_counters(acd: Acd) -> None:
    await setup_queue(acd, ["1001"], wrap_up=True, acw_timeout=0)
    await acd.sign_in("1001")
    for n in range(2):
        call_id = f"c{n}"
        assert isinstance(await acd.offer(Call(call_id, "sales")), Offered)
        await acd.answer(call_id, "1001")
        await acd.hold("1001")
        await acd.resume("1001")
        await asyncio.sleep(0.1)
        await acd.hangup(call_id)
        status = await acd.agent_status("1001")
        # acw_timeout 0: wrap-up lasts until the agent ends it.
        assert status.state is AgentState.AFTER_CALL_WORK
        await acd.agent_ready("1001")
    status = await acd.agent_status("1001")
    assert status.calls_taken == 2
    assert 0.2 <= status.talk_time < 1.0
    path = [e["to"] for e in await events(acd, "agent_state")]
    assert (
        path
        == ["ready"] + ["ringing", "talking", "hold", "talking", "after_call_work", "ready"] * 2
    )


async def test_wrap_up_off_returns_straight_to_ready(acd: Acd) -> None:
    await setup_queue(acd, ["1001"], wrap_up=False)
    await acd.sign_in("1001")
    await acd.offer(Call("c1", "sales"))
    await acd.answer("c1", "1001")
    await acd.hangup("c1")
    assert (await acd.agent_status("1001")).state is AgentState.READY


async def test_after_call_work_expires_on_time(acd: Acd) -> None:
    """The timer sleeps until the deadline (woken by the hang-up's event), not in a poll loop."""
    await setup_queue(acd, ["1001"], acw_timeout=0.4)
    await acd.sign_in("1001")
    timer = AcdTimer([acd])
    timer.start()
    try:
        await asyncio.sleep(0.05)  # the timer is now blocked with no deadline at all
        await acd.offer(Call("c1", "sales"))
        await acd.answer("c1", "1001")
        hung_up = time.monotonic()
        await acd.hangup("c1")
        while (await acd.agent_status("1001")).state is not AgentState.READY:
            assert time.monotonic() - hung_up < 2.0, "wrap-up never ended"
            await asyncio.sleep(0.01)
        elapsed = time.monotonic() - hung_up
    finally:
        await timer.stop()
    assert 0.39 <= elapsed < 0.75  # upper bound: slack for a loaded 2-core CI box
    (ended,) = [e for e in await events(acd, "agent_state") if e["from"] == "after_call_work"]
    assert ended["reason"] == "acw timeout"
    assert 395 <= int(ended["in_state_ms"]) < 750
    # One sweep per wake-up: start, each event (offer, answer, hang-up...), the deadline.
    assert timer.sweeps < 20


async def test_after_call_work_ended_early_by_the_agent_cancels_the_deadline(acd: Acd) -> None:
    await setup_queue(acd, ["1001"], acw_timeout=0.2)
    await acd.sign_in("1001")
    await acd.offer(Call("c1", "sales"))
    await acd.answer("c1", "1001")
    await acd.hangup("c1")
    await acd.not_ready("1001", "break")
    await asyncio.sleep(0.25)
    decisions, next_in = await acd.sweep()
    assert decisions == [] and next_in is None
    assert (await acd.agent_status("1001")).state is AgentState.NOT_READY


async def test_ready_after_wrap_up_takes_the_waiting_call(acd: Acd) -> None:
    await setup_queue(acd, ["1001"], acw_timeout=0)
    await acd.sign_in("1001")
    await acd.offer(Call("c1", "sales"))
    await acd.answer("c1", "1001")
    await acd.offer(Call("c2", "sales"))
    await acd.hangup("c1")
    assert await acd.agent_ready("1001") == [Offered("c2", "1001", "sales", 20.0, "")]
