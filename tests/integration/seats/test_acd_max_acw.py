"""SEAT-2: an agent's own cap on after-call work (`AgentProfile.max_acw`): wrap-up ends after
min(queue's ACW timeout, the agent's max_acw), with the real Redis ACD and its timer."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from redis.asyncio import Redis

from app.seats.acd import Acd, AcdTimer, AgentState, Call
from tests.fixtures.app import TenantCtx
from tests.integration.seats.acd_setup import agent, business, queue
from tests.integration.seats.conftest import BUSINESS, drop_tenant, events, setup_queue

pytestmark = pytest.mark.feature("SEAT-2")


async def _talk_and_hang_up(acd: Acd, call_id: str, agent_id: str, queue_id: str = "sales") -> None:
    await acd.offer(Call(call_id, queue_id))
    await acd.answer(call_id, agent_id)
    await acd.hangup(call_id)


async def _acw_seconds(acd: Acd, agent_id: str, limit: float = 3.0) -> float:
    """Seconds from now until the agent leaves after-call work (the timer must end it)."""
    start = time.monotonic()
    while (await acd.agent_status(agent_id)).state is AgentState.AFTER_CALL_WORK:
        assert time.monotonic() - start < limit, "after-call work never ended"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def test_the_shorter_of_queue_timeout_and_agent_cap_ends_wrap_up(acd: Acd) -> None:
    await setup_queue(acd, ["capped", "free"], acw_timeout=1.2)
    await acd.put_agent("capped", BUSINESS, max_acw=0.3)  # re-provisioned with a cap
    for a in ("capped", "free"):
        await acd.sign_in(a, ready=False, reason="login")
    timer = AcdTimer([acd])
    timer.start()
    try:
        await acd.agent_ready("capped")
        await _talk_and_hang_up(acd, "c1", "capped")
        assert (await acd.agent_status("capped")).state is AgentState.AFTER_CALL_WORK
        capped = await _acw_seconds(acd, "capped")

        await acd.not_ready("capped", "lunch")
        await acd.agent_ready("free")
        await _talk_and_hang_up(acd, "c2", "free")
        free = await _acw_seconds(acd, "free")
    finally:
        await timer.stop()
    assert 0.25 <= capped < 0.8, f"the agent's 0.3 s cap applies ({capped:.2f} s)"
    assert 1.1 <= free < 1.8, f"no cap: the queue's 1.2 s ({free:.2f} s)"
    ends = [e for e in await events(acd, "agent_state") if e["from"] == "after_call_work"]
    assert [(e["agent"], e["reason"]) for e in ends] == [
        ("capped", "acw timeout"),
        ("free", "acw timeout"),
    ]


async def test_a_cap_longer_than_the_queue_timeout_changes_nothing(acd: Acd) -> None:
    await setup_queue(acd, ["1001"], acw_timeout=0.3)
    await acd.put_agent("1001", BUSINESS, max_acw=30)
    await acd.sign_in("1001")
    timer = AcdTimer([acd])
    timer.start()
    try:
        await _talk_and_hang_up(acd, "c1", "1001")
        took = await _acw_seconds(acd, "1001")
    finally:
        await timer.stop()
    assert 0.25 <= took < 0.8


async def test_the_cap_ends_a_manual_wrap_up_and_zero_means_none(acd: Acd) -> None:
    # acw_timeout 0: wrap-up lasts until the agent ends it, unless the agent has a cap.
    await setup_queue(acd, ["capped", "nocap", "zero"], acw_timeout=0)
    await acd.put_agent("capped", BUSINESS, max_acw=0.3)
    await acd.put_agent("zero", BUSINESS, max_acw=0)
    timer = AcdTimer([acd])
    timer.start()
    try:
        await acd.sign_in("nocap")
        await _talk_and_hang_up(acd, "c1", "nocap")
        await acd.sign_in("capped", ready=False, reason="login")
        await acd.agent_ready("capped")
        # nocap is in wrap-up (manual); capped takes the next call.
        await _talk_and_hang_up(acd, "c2", "capped")
        took = await _acw_seconds(acd, "capped")
        await asyncio.sleep(0.2)
        assert (await acd.agent_status("nocap")).state is AgentState.AFTER_CALL_WORK
        await acd.not_ready("capped", "lunch")
        await acd.sign_in("zero")
        await _talk_and_hang_up(acd, "c3", "zero")
        assert (await acd.agent_status("zero")).state is AgentState.READY, "a 0 s cap: no ACW"
    finally:
        await timer.stop()
    assert 0.25 <= took < 0.8


async def test_max_acw_set_through_the_api_reaches_the_acd(
    client: httpx.AsyncClient, tenant: TenantCtx, redis: Redis
) -> None:
    """The profile's max_acw goes to Redis on create and update, and survives a re-sync."""
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Support", acwTimeout=20)
    a = await agent(client, tenant, biz, [q["id"]], maxAcw=0.4)
    me = (await client.get("/api/v1/cti/me", headers=a.headers)).json()
    assert me["maxAcw"] == 0.4
    r = await client.post("/api/v1/cti/sign-in", headers=a.headers, json={})
    assert r.status_code == 200, r.text
    acd = Acd(redis, tenant.tenant_id)
    timer = AcdTimer([acd])
    timer.start()
    try:
        await _talk_and_hang_up(acd, "c1", a.user_id, q["id"])
        took = await _acw_seconds(acd, a.user_id)
        assert 0.35 <= took < 1.0, f"0.4 s cap, queue 20 s ({took:.2f} s)"

        r = await client.patch(
            f"/api/v1/acd/agents/{a.profile_id}", headers=tenant.headers, json={"maxAcw": 0.8}
        )
        assert r.status_code == 200, r.text
        await _talk_and_hang_up(acd, "c2", a.user_id, q["id"])
        took = await _acw_seconds(acd, a.user_id)
        assert 0.75 <= took < 1.5, f"updated to 0.8 s ({took:.2f} s)"
    finally:
        await timer.stop()
    await drop_tenant(redis, tenant.tenant_id)
