"""SEAT-3: which ready agent each strategy picks, and the order waiting calls are served in."""

from __future__ import annotations

import asyncio

import pytest

from app.seats.acd import Acd, Call, Offered, Queued, Strategy
from tests.integration.seats.conftest import events, setup_queue

pytestmark = pytest.mark.feature("SEAT-3")


async def ready_in_order(acd: Acd, agents: list[str]) -> None:
    """Sign agents in one after another, so the first has been idle longest."""
    for agent in agents:
        await acd.sign_in(agent)
        await asyncio.sleep(0.003)  # distinct idle-since milliseconds


async def serve(acd: Acd, call_id: str, queue: str = "sales", **kw: object) -> str:
    """Offer a call, answer it, hang up: returns the agent who got it."""
    decision = await acd.offer(Call(call_id, queue, **kw))  # type: ignore[arg-type]
    assert isinstance(decision, Offered), decision
    await acd.answer(call_id, decision.agent_id)
    await acd.hangup(call_id)
    return decision.agent_id


async def offered_to(acd: Acd, call_id: str, queue: str = "sales", **kw: object) -> str | None:
    decision = await acd.offer(Call(call_id, queue, **kw))  # type: ignore[arg-type]
    return decision.agent_id if isinstance(decision, Offered) else None


async def test_longest_idle_first(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b", "c"], strategy=Strategy.LONGEST_IDLE, wrap_up=False)
    await ready_in_order(acd, ["b", "c", "a"])
    # Each agent back from a call becomes the most recently idle.
    assert [await serve(acd, f"c{i}") for i in range(5)] == ["b", "c", "a", "b", "c"]


async def test_round_robin_follows_the_member_order(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b", "c"], strategy=Strategy.ROUND_ROBIN, wrap_up=False)
    await ready_in_order(acd, ["c", "b", "a"])  # idle order must not matter
    assert [await serve(acd, f"c{i}") for i in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


async def test_round_robin_skips_agents_who_are_not_ready(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b", "c"], strategy=Strategy.ROUND_ROBIN, wrap_up=False)
    await ready_in_order(acd, ["a", "b", "c"])
    assert await serve(acd, "c0") == "a"
    await acd.not_ready("b", "break")
    assert await serve(acd, "c1") == "c"
    assert await serve(acd, "c2") == "a"


async def test_fewest_calls_evens_out_the_work(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b", "c"], strategy=Strategy.FEWEST_CALLS, wrap_up=False)
    await ready_in_order(acd, ["a"])
    assert [await serve(acd, f"x{i}") for i in range(3)] == ["a", "a", "a"]
    await ready_in_order(acd, ["b", "c"])
    # b and c have taken none: they catch up with a before a gets another call, in turns
    # (ties go to the longest idle).
    got = [await serve(acd, f"y{i}") for i in range(7)]
    assert got == ["b", "c", "b", "c", "b", "c", "a"]
    counts = {a: (await acd.agent_status(a)).calls_taken for a in "abc"}
    assert counts == {"a": 4, "b": 3, "c": 3}


async def test_priority_strategy_offers_the_first_tier_first(acd: Acd) -> None:
    # setup_queue gives member priorities 0, 1, 2 in list order: "senior" is tier 0.
    await setup_queue(acd, ["senior", "mid", "junior"], strategy=Strategy.PRIORITY, wrap_up=False)
    await ready_in_order(acd, ["junior", "mid", "senior"])
    assert await offered_to(acd, "c1") == "senior"
    assert await offered_to(acd, "c2") == "mid"
    assert await offered_to(acd, "c3") == "junior"


async def test_skills_best_level_first_tie_longest_idle(acd: Acd) -> None:
    skills = {
        "novice": {"english": 1},
        "fluent1": {"english": 5},
        "fluent2": {"english": 5},
        "none": {},
    }
    await setup_queue(
        acd, list(skills), strategy=Strategy.SKILLS, agent_skills=skills, skills={"english": 1}
    )
    await ready_in_order(acd, ["none", "novice", "fluent2", "fluent1"])
    assert await offered_to(acd, "c1") == "fluent2"  # level 5, idle longer than fluent1
    assert await offered_to(acd, "c2") == "fluent1"
    assert await offered_to(acd, "c3") == "novice"
    # "none" lacks the skill: never offered, the call waits.
    assert await offered_to(acd, "c4") is None


async def test_a_call_can_require_an_extra_skill(acd: Acd) -> None:
    skills = {"a": {"english": 3}, "b": {"english": 3, "japanese": 2}}
    await setup_queue(acd, ["a", "b"], agent_skills=skills)
    await ready_in_order(acd, ["a", "b"])
    assert await offered_to(acd, "c1", skills={"japanese": 1}) == "b"


async def test_sticky_agent_gets_their_caller_back(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b", "c"], strategy=Strategy.STICKY, wrap_up=False)
    await ready_in_order(acd, ["a", "b", "c"])
    assert await serve(acd, "c1", caller="+8613800000001") == "a"
    assert await serve(acd, "c2", caller="+8613800000002") == "b"
    # a is now the most recently idle... but +...01 was served by a.
    assert await serve(acd, "c3", caller="+8613800000001") == "a"
    # Sticky agent busy: fall back to longest idle.
    await acd.not_ready("a", "break")
    assert await serve(acd, "c4", caller="+8613800000001") == "c"
    # c served that caller last, so c is now the sticky agent.
    assert await serve(acd, "c5", caller="+8613800000001") == "c"


@pytest.mark.feature("TEN-7")
async def test_vip_jumps_the_queue_and_transfers_get_a_boost(acd: Acd) -> None:
    await setup_queue(acd, ["a"], priority_step=60, wrap_up=False)
    for call_id in ("first", "second"):
        assert isinstance(await acd.offer(Call(call_id, "sales")), Queued)
    vip = await acd.offer(Call("vip", "sales", vip=True))
    transfer = await acd.offer(Call("transfer", "sales", transferred=True))
    assert isinstance(vip, Queued) and vip.position == 1
    assert isinstance(transfer, Queued) and transfer.position == 2
    order = []
    (offer,) = await acd.sign_in("a")
    while True:
        assert isinstance(offer, Offered)
        order.append(offer.call_id)
        await acd.answer(offer.call_id, "a")
        follow = await acd.hangup(offer.call_id)
        if not follow:
            break
        (offer,) = follow
    assert order == ["vip", "transfer", "first", "second"]


async def test_long_waiters_age_past_newer_priority_calls(acd: Acd) -> None:
    # One priority level is worth 0.2 s of waiting here.
    await setup_queue(acd, ["a"], priority_step=0.2)
    await acd.offer(Call("old", "sales"))
    await asyncio.sleep(0.3)
    await acd.offer(Call("vip", "sales", priority=1))
    (offer,) = await acd.sign_in("a")
    assert isinstance(offer, Offered) and offer.call_id == "old"


async def test_position_and_expected_wait_from_handle_times(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b"], default_handle_time=100, acw_timeout=0)
    await acd.sign_in("a", ready=False, reason="login")
    await acd.sign_in("b", ready=False, reason="login")
    queued = [await acd.offer(Call(f"c{i}", "sales")) for i in range(5)]
    # Two agents signed in: positions 1-2 wait one handle time, 3-4 two, 5 three.
    assert [(q.position, q.expected_wait) for q in queued] == [  # type: ignore[union-attr]
        (1, 100.0),
        (2, 100.0),
        (3, 200.0),
        (4, 200.0),
        (5, 300.0),
    ]
    # After a measured call (answer -> end of wrap-up ~0.2 s), the estimate follows it.
    (offer,) = await acd.agent_ready("a")
    assert isinstance(offer, Offered) and offer.call_id == "c0"
    await acd.answer("c0", "a")
    await asyncio.sleep(0.2)
    await acd.hangup("c0")
    await acd.not_ready("a", "break")
    pos = await acd.position("c4")
    assert pos.position == 4 and pos.state == "waiting"
    assert 0.39 <= pos.expected_wait < 0.6  # ceil(4/2) * ~0.2 s
    status = await acd.queue_status("sales")
    assert status.waiting == 4 and 0.19 <= status.average_handle_time < 0.3


async def test_all_busy_is_published_when_it_changes(acd: Acd) -> None:
    await setup_queue(acd, ["a", "b"], wrap_up=False)
    await acd.sign_in("a")
    await acd.sign_in("b")
    await acd.offer(Call("c1", "sales"))
    await acd.offer(Call("c2", "sales"))  # now nobody is ready
    await acd.offer(Call("c3", "sales"))  # still all busy: no new event
    await acd.answer("c1", "a")
    await acd.hangup("c1")  # a takes c3 at once: still all busy
    await acd.answer("c2", "b")
    await acd.hangup("c2")  # b is ready and nothing waits
    flags = [e["all_busy"] for e in await events(acd, "queue_busy")]
    assert flags == ["1", "0", "1", "0"]
    assert (await acd.queue_status("sales")).all_busy is False
