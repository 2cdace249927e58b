"""SEAT-7 over REST: listen / whisper / barge / release / record a chosen agent's call.
Who may (supervisors, admins), what reaches callcontrol, the problems (no call, no seat,
callcontrol down, another tenant's agent) and the audit trail. The media side is proven live in
tests/integration/calls/test_supervisor_rest.py."""

from __future__ import annotations

import uuid

import httpx
import pytest
from redis.asyncio import Redis

from app.calls.services import commands_list
from app.seats.acd import Acd, Call
from tests.fixtures.app import TenantCtx
from tests.integration.seats.acd_setup import (
    AgentCtx,
    agent,
    business,
    fake_callcontrol,
    queue,
    role_headers,
)
from tests.integration.seats.conftest import drop_tenant

pytestmark = pytest.mark.feature("SEAT-7")

MODES = ("listen", "whisper", "barge")
COMMAND = {"listen": "listen", "whisper": "whisper", "barge": "barge",
           "release": "force_release", "record": "record"}  # fmt: skip


async def _setup(
    client: httpx.AsyncClient, tenant: TenantCtx, redis: Redis
) -> tuple[AgentCtx, AgentCtx, str, Acd, str]:
    """An agent talking on call-7, and a supervisor with a seat of their own."""
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Support")
    a = await agent(client, tenant, biz, [q["id"]])
    boss = await agent(client, tenant, biz, role="supervisor")
    r = await client.post("/api/v1/cti/sign-in", headers=a.headers, json={})
    assert r.status_code == 200, r.text
    acd = Acd(redis, tenant.tenant_id)
    await acd.offer(Call("call-7", q["id"], caller="+8613900139000"))
    await acd.answer("call-7", a.user_id)
    return a, boss, biz, acd, q["id"]


async def test_supervisor_commands_reach_callcontrol_with_the_agents_call_and_are_audited(
    client: httpx.AsyncClient, tenant: TenantCtx, redis: Redis
) -> None:
    a, boss, _, _, _ = await _setup(client, tenant, redis)
    admin_seatless = tenant.headers
    async with fake_callcontrol(redis, tenant.tenant_id) as taken:
        for action in (*MODES, "record", "release"):
            r = await client.post(f"/api/v1/cti/agents/{a.user_id}/{action}", headers=boss.headers)
            assert r.status_code == 200, (action, r.text)
            assert r.json()["callId"] == "call-7"
            assert r.json()["result"] == {"done": COMMAND[action]}
        # An admin without a seat can still record and release, not listen.
        r = await client.post(f"/api/v1/cti/agents/{a.user_id}/record", headers=admin_seatless)
        assert r.status_code == 200, r.text
    assert [c["name"] for c in taken] == [*MODES, "record", "force_release", "record"]
    for command in taken:
        assert command["args"]["callId"] == "call-7"
        assert command["args"]["agent"] == a.user_id
    for command in taken[:3]:
        assert command["args"]["supervisorExtension"] == boss.extension

    audit = (await client.get("/api/v1/audit/?action=agent.barge", headers=tenant.headers)).json()
    assert [(e["targetType"], e["targetId"], e["outcome"]) for e in audit["items"]] == [
        ("agent", a.user_id, "success")
    ]
    assert audit["items"][0]["actorId"] == boss.user_id
    released = (
        await client.get("/api/v1/audit/?action=agent.force_release", headers=tenant.headers)
    ).json()
    assert released["total"] == 1
    await drop_tenant(redis, tenant.tenant_id)


async def test_only_supervisors_and_admins_and_only_their_tenants_agents(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, redis: Redis
) -> None:
    a, boss, biz, _, _ = await _setup(client, tenant, redis)
    colleague = await agent(client, tenant, biz)
    qa = await role_headers(client, tenant, "qa")
    other_biz = await business(client, other_tenant)
    stranger = await agent(client, other_tenant, other_biz)
    other_boss = await agent(client, other_tenant, other_biz, role="supervisor")
    async with (
        fake_callcontrol(redis, tenant.tenant_id) as taken,
        fake_callcontrol(redis, other_tenant.tenant_id) as taken_there,
    ):
        for action in (*MODES, "release", "record"):
            for who in (colleague.headers, a.headers, qa):
                r = await client.post(f"/api/v1/cti/agents/{a.user_id}/{action}", headers=who)
                assert r.status_code == 403, (action, r.text)
            # Tenant B's supervisor cannot reach tenant A's agent, nor learn it exists.
            r = await client.post(
                f"/api/v1/cti/agents/{a.user_id}/{action}", headers=other_boss.headers
            )
            assert r.status_code == 404, (action, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            for target in (stranger.user_id, str(uuid.uuid4())):
                r = await client.post(f"/api/v1/cti/agents/{target}/{action}", headers=boss.headers)
                assert r.status_code == 404, (action, r.text)
    assert taken == [] and taken_there == []
    denied = (await client.get("/api/v1/audit/?action=agent.listen", headers=tenant.headers)).json()
    assert {e["outcome"] for e in denied["items"]} == {"denied", "failed"}
    await drop_tenant(redis, tenant.tenant_id)
    await drop_tenant(redis, other_tenant.tenant_id)


async def test_no_call_no_seat_own_call_and_callcontrol_down_are_problems(
    client: httpx.AsyncClient, tenant: TenantCtx, redis: Redis
) -> None:
    a, boss, biz, acd, _ = await _setup(client, tenant, redis)
    idle = await agent(client, tenant, biz)
    await client.post("/api/v1/cti/sign-in", headers=idle.headers, json={})
    seatless = await role_headers(client, tenant, "supervisor")
    async with fake_callcontrol(redis, tenant.tenant_id) as taken:
        for action in (*MODES, "release", "record"):
            r = await client.post(
                f"/api/v1/cti/agents/{idle.user_id}/{action}", headers=boss.headers
            )
            assert (r.status_code, r.json()["code"]) == (409, "no_call"), r.text
        for action in MODES:
            r = await client.post(f"/api/v1/cti/agents/{a.user_id}/{action}", headers=seatless)
            assert (r.status_code, r.json()["code"]) == (409, "no_seat"), r.text
    assert taken == []

    # Callcontrol's refusal is passed on; nobody listening is a 503 and nothing lingers.
    def refuse(command: dict[str, object]) -> tuple[bool, dict[str, object], int, str]:
        return False, {}, 409, "The call is a conference: join it instead."

    async with fake_callcontrol(redis, tenant.tenant_id, refuse):
        r = await client.post(f"/api/v1/cti/agents/{a.user_id}/listen", headers=boss.headers)
    assert r.status_code == 409 and "conference" in r.json()["detail"]
    r = await client.post(f"/api/v1/cti/agents/{a.user_id}/barge", headers=boss.headers)
    assert (r.status_code, r.json()["code"]) == (503, "callcontrol_unavailable"), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await redis.llen(commands_list(tenant.tenant_id)) == 0

    # After the call the agent has none to listen to.
    await acd.hangup("call-7")
    r = await client.post(f"/api/v1/cti/agents/{a.user_id}/listen", headers=boss.headers)
    assert r.status_code == 409
    await drop_tenant(redis, tenant.tenant_id)
