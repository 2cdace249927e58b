"""CDRs (written idempotently), the calls API and the click-to-call command (API-3)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sqlalchemy import select

from app.callcontrol import live
from app.callcontrol.call import Call, CallState
from app.calls.models import CallRecord
from app.calls.services import commands_list, save_call_record
from app.db.session import tenant_session
from app.lib.redis import get_redis
from app.seats.models import Extension
from tests.fixtures.app import TenantCtx, add_user, login

pytestmark = pytest.mark.feature("API-3")


def ended_call(tenant: TenantCtx, number: str = "13800138000") -> Call:
    call = Call(
        key=uuid.uuid4().hex,
        tenant_id=tenant.tenant_id,
        direction="inbound",
        from_number=number,
        to_number="+861000",
        extension="101",
    )
    call.move(CallState.IVR)
    call.mark_answered()
    call.end("normal", "customer")
    return call


async def test_a_retried_cdr_write_updates_the_same_row(tenant: TenantCtx) -> None:
    call = ended_call(tenant)
    first = await save_call_record(call.cdr_values())
    call.hangup_cause = "normal, retried"
    again = await save_call_record(call.cdr_values())
    assert first == again
    async with tenant_session(tenant.tenant_id) as db:
        rows = list(await db.scalars(select(CallRecord)))
    assert [(r.id, r.hangup_cause) for r in rows] == [(first, "normal, retried")]


async def test_cdr_search_filters_and_pages(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    for i in range(3):
        await save_call_record(ended_call(tenant, f"1390000000{i}").cdr_values())
    await save_call_record(ended_call(other_tenant).cdr_values())
    r = await client.get("/api/v1/calls/", headers=tenant.headers, params={"limit": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], len(body["items"])) == (3, 2)
    r = await client.get(
        "/api/v1/calls/",
        headers=tenant.headers,
        params={"number": "13900000001", "direction": "inbound"},
    )
    assert [c["fromNumber"] for c in r.json()["items"]] == ["13900000001"]
    r = await client.get("/api/v1/calls/", headers=other_tenant.headers)
    assert r.json()["total"] == 1, "a tenant sees only its own calls"


async def test_live_calls_come_from_redis(client: httpx.AsyncClient, tenant: TenantCtx) -> None:
    call = Call(
        key=uuid.uuid4().hex,
        tenant_id=tenant.tenant_id,
        direction="inbound",
        from_number="13800138000",
        to_number="+861000",
    )
    await live.save(get_redis(), call, call.move(CallState.IVR))
    r = await client.get("/api/v1/calls/live", headers=tenant.headers)
    assert [(c["key"], c["state"]) for c in r.json()] == [(call.key, "ivr")]
    await live.save(get_redis(), call, call.end("normal", "customer"))
    r = await client.get("/api/v1/calls/live", headers=tenant.headers)
    assert r.json() == []


async def test_click_to_call_queues_a_command_and_agents_use_only_their_own_extension(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    agent = await add_user(client, tenant, "agent")
    token = (await login(client, tenant.slug, agent["email"])).json()["token"]
    as_agent = {"Authorization": f"Bearer {token}"}
    async with tenant_session(tenant.tenant_id) as db:
        from app.seats.services import create_extension

        own = await create_extension(
            db, tenant.tenant_id, "201", "Seat-Pass-201", user_id=uuid.UUID(agent["id"])
        )
        await create_extension(db, tenant.tenant_id, "202", "Seat-Pass-202")
        assert isinstance(own, Extension)
    await get_redis().delete(commands_list(tenant.tenant_id))
    body = {"extension": "202", "number": "13900139000"}
    r = await client.post("/api/v1/calls/click-to-call", headers=as_agent, json=body)
    assert r.status_code == 403
    r = await client.post(
        "/api/v1/calls/click-to-call",
        headers=as_agent,
        json={"extension": "201", "number": "not a number"},
    )
    assert r.status_code == 400
    r = await client.post(
        "/api/v1/calls/click-to-call",
        headers=tenant.headers,
        json={"extension": "999", "number": "13900139000"},
    )
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/calls/click-to-call",
        headers=as_agent,
        json={"extension": "201", "number": "139-0013-9000"},
    )
    assert r.status_code == 202, r.text
    queued = await get_redis().lrange(commands_list(tenant.tenant_id), 0, -1)
    # No callcontrol consumes it here; drop it so a later B2BUA does not dial it.
    await get_redis().delete(commands_list(tenant.tenant_id))
    [command] = [json.loads(raw) for raw in queued]
    assert command["name"] == "click_to_call"
    assert command["args"] == {"extension": "201", "number": "13900139000", "userId": agent["id"]}
