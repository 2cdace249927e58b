"""SEAT-4 and SEAT-5: ring timeout then the next agent; waiting, max wait and overflow."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.seats.acd import (
    Acd,
    AcdTimer,
    AgentState,
    Call,
    CallActive,
    Decision,
    NoAnswer,
    NotOffered,
    Offered,
    Overflow,
    Overflowed,
    OverflowKind,
    Queued,
)
from tests.integration.seats.conftest import events, setup_queue

MOBILE = "+8613900000000"


@pytest.mark.feature("SEAT-4")
async def test_ring_timeout_rolls_over_to_the_next_agent(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b", "c"], ring_timeout=15)
    for agent in ("a", "b", "c"):
        await acd.sign_in(agent)
        await asyncio.sleep(0.002)
    first = await acd.offer(Call("c1", "sales"))
    assert first == Offered("c1", "a", "sales", 15.0, "")
    assert await acd.ring_timeout("c1", "a") == [Offered("c1", "b", "sales", 15.0, "")]
    assert await acd.reject("c1", "b") == [Offered("c1", "c", "sales", 15.0, "")]
    a = await acd.agent_status("a")
    assert (a.state, a.reason) == (AgentState.NOT_READY, "no answer")
    await acd.answer("c1", "c")
    failed = await events(acd, "call_ring_failed")
    assert [(e["agent"], e["why"]) for e in failed] == [("a", "ring_timeout"), ("b", "rejected")]


@pytest.mark.feature("SEAT-4")
async def test_never_the_same_agent_twice_in_a_row(acd: Acd) -> None:
    # The agent stays ready after a missed call, and is the only one: the call waits.
    await setup_queue(acd, ["a", "b"], no_answer=NoAnswer.READY)
    await acd.sign_in("a")
    await acd.offer(Call("c1", "sales"))
    (requeued,) = await acd.ring_timeout("c1", "a")
    assert isinstance(requeued, Queued)
    assert (await acd.agent_status("a")).state is AgentState.READY
    # Another call is fine for a; c1 goes to the next agent to appear.
    assert await acd.offer(Call("c2", "sales")) == Offered("c2", "a", "sales", 20.0, "")
    assert await acd.sign_in("b") == [Offered("c1", "b", "sales", 20.0, "")]


@pytest.mark.feature("SEAT-4")
async def test_an_agent_may_get_the_call_again_after_someone_else_missed_it(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b"], no_answer=NoAnswer.READY)
    await acd.sign_in("a")
    await asyncio.sleep(0.002)
    await acd.sign_in("b")
    await acd.offer(Call("c1", "sales"))
    assert await acd.ring_timeout("c1", "a") == [Offered("c1", "b", "sales", 20.0, "")]
    assert await acd.ring_timeout("c1", "b") == [Offered("c1", "a", "sales", 20.0, "")]


@pytest.mark.feature("SEAT-4")
async def test_the_timer_enforces_ring_timeout(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b"], ring_timeout=0.3)
    await acd.sign_in("a")
    await asyncio.sleep(0.002)
    await acd.sign_in("b")
    seen: list[Decision] = []

    async def on_decision(_: Acd, decision: Decision) -> None:
        seen.append(decision)

    timer = AcdTimer([acd], on_decision)
    timer.start()
    try:
        await acd.offer(Call("c1", "sales", node="cc-1"))
        started = time.monotonic()
        while not seen:
            assert time.monotonic() - started < 2
            await asyncio.sleep(0.01)
    finally:
        await timer.stop()
    assert 0.29 <= time.monotonic() - started < 0.75
    assert seen == [Offered("c1", "b", "sales", 0.3, "cc-1")]
    # callcontrol's 200 OK from a arrives too late: the ACD refuses it.
    with pytest.raises(NotOffered, match="call c1 is not ringing agent a"):
        await acd.answer("c1", "a")


@pytest.mark.feature("SEAT-4")
@pytest.mark.feature("SEAT-5")
async def test_overflow_to_an_external_number_after_max_wait(acd: Acd) -> None:
    await setup_queue(acd, ["a"], max_wait=0.3, overflow=Overflow(OverflowKind.EXTERNAL, MOBILE))
    await acd.sign_in("a", ready=False, reason="meeting")  # signed in, but busy
    seen: list[Decision] = []

    async def on_decision(_: Acd, decision: Decision) -> None:
        seen.append(decision)

    timer = AcdTimer([acd], on_decision)
    timer.start()
    try:
        queued = await acd.offer(Call("c1", "sales", node="cc-2"))
        assert isinstance(queued, Queued)
        started = time.monotonic()
        while not seen:
            assert time.monotonic() - started < 2
            await asyncio.sleep(0.01)
    finally:
        await timer.stop()
    assert 0.28 <= time.monotonic() - started < 0.75
    assert seen == [Overflowed("c1", "sales", OverflowKind.EXTERNAL, MOBILE, "max_wait", "cc-2")]
    (event,) = await events(acd, "call_overflowed")
    assert (event["target_kind"], event["target"], event["node"]) == ("external", MOBILE, "cc-2")
    assert (await acd.position("c1")).state == "overflowed"
    assert (await acd.queue_status("sales")).waiting == 0
    # The agent becoming ready later does not get the call that left.
    assert await acd.agent_ready("a") == []


@pytest.mark.feature("SEAT-5")
async def test_overflow_at_once_when_no_agent_is_signed_in(acd: Acd) -> None:
    await setup_queue(acd, ["a"], overflow=Overflow(OverflowKind.VOICEMAIL, "sales-box"))
    decision = await acd.offer(Call("c1", "sales"))
    assert decision == Overflowed(
        "c1", "sales", OverflowKind.VOICEMAIL, "sales-box", "no_agents", ""
    )


@pytest.mark.feature("SEAT-4")
async def test_overflow_into_another_queue_keeps_the_call_in_the_acd(acd: Acd) -> None:
    await setup_queue(acd, ["b"], queue_id="backup")
    await setup_queue(acd, ["a"], queue_id="sales", overflow=Overflow(OverflowKind.QUEUE, "backup"))
    await acd.sign_in("b")
    assert await acd.offer(Call("c1", "sales")) == Offered("c1", "b", "backup", 20.0, "")
    await acd.answer("c1", "b")


@pytest.mark.feature("SEAT-4")
async def test_a_call_past_max_wait_overflows_when_its_ringing_fails(acd: Acd) -> None:
    await setup_queue(
        acd, ["a", "b"], max_wait=0.2, overflow=Overflow(OverflowKind.EXTERNAL, MOBILE)
    )
    await acd.sign_in("a")
    await acd.sign_in("b")
    await acd.offer(Call("c1", "sales"))
    await asyncio.sleep(0.25)
    (decision,) = await acd.reject("c1", "a")
    assert decision == Overflowed("c1", "sales", OverflowKind.EXTERNAL, MOBILE, "max_wait", "")


@pytest.mark.feature("SEAT-5")
async def test_caller_hangs_up_while_waiting_or_ringing(acd: Acd) -> None:
    await setup_queue(acd, ["a"])
    await acd.sign_in("a")
    await acd.offer(Call("ringing", "sales"))
    await acd.offer(Call("waiting1", "sales"))
    await acd.offer(Call("waiting2", "sales"))
    assert await acd.hangup("waiting1") == []
    # The ringing caller gives up: the agent is free and gets the next caller at once.
    assert await acd.hangup("ringing") == [Offered("waiting2", "a", "sales", 20.0, "")]
    assert await acd.hangup("ringing") == []  # idempotent
    abandoned = [e["call"] for e in await events(acd, "call_abandoned")]
    assert abandoned == ["waiting1", "ringing"]


@pytest.mark.feature("SEAT-3")
async def test_offering_an_active_call_twice_is_refused(acd: Acd) -> None:
    await setup_queue(acd, ["a"])
    await acd.offer(Call("c1", "sales"))
    with pytest.raises(CallActive, match="call c1 is already waiting"):
        await acd.offer(Call("c1", "sales"))
    await acd.hangup("c1")
    assert isinstance(await acd.offer(Call("c1", "sales", transferred=True)), Queued)
