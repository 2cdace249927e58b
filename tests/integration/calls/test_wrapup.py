"""Call wrap-up (SEAT-6, DIAL-7): an agent sets a disposition and a note on a call they
handled, even before callcontrol has written the call record; never on another agent's or
another tenant's call; supervisors on any; the tenant's own codes; the call search finds it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from app.callcontrol.live import call_key_name
from app.db.session import tenant_session
from app.lib.redis import get_redis
from app.seats.services import create_extension
from tests.fixtures.app import TenantCtx
from tests.integration.recordings.seed import seed_call
from tests.integration.recordings.test_calls_search import as_role

pytestmark = pytest.mark.feature("SEAT-6", "DIAL-7")
WHEN = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def test_codes_default_then_the_tenants_own(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    agent, _ = await as_role(client, tenant, "agent")
    r = await client.get("/api/v1/calls/wrapup-codes", headers=agent)
    assert r.status_code == 200
    assert [c["code"] for c in r.json()][:2] == ["resolved", "follow_up"]
    # An agent may not change the list; an admin replaces it.
    codes = [{"code": "paid", "label": "Paid"}, {"code": "refund", "label": "Refund asked"}]
    assert (await client.put("/api/v1/wrapup-codes", headers=agent, json=codes)).status_code == 403
    r = await client.put("/api/v1/wrapup-codes", headers=tenant.headers, json=codes)
    assert r.status_code == 200, r.text
    r = await client.get("/api/v1/calls/wrapup-codes", headers=agent)
    assert r.json() == codes
    twice = [codes[0], codes[0]]
    r = await client.put("/api/v1/wrapup-codes", headers=tenant.headers, json=twice)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem")


async def test_agent_wraps_up_own_call_and_the_search_shows_it(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    agent, agent_id = await as_role(client, tenant, "agent")
    other_agent, _ = await as_role(client, tenant, "agent")
    supervisor, _ = await as_role(client, tenant, "supervisor")
    _, key = await seed_call(tenant.tenant_id, WHEN, agent_user_id=uuid.UUID(agent_id))
    body = {"code": "sale", "note": "Wants the yearly plan"}

    r = await client.put(f"/api/v1/calls/{key}/wrapup", headers=other_agent, json=body)
    assert r.status_code == 404, "another agent's call is not theirs to wrap up"
    r = await client.put(f"/api/v1/calls/{key}/wrapup", headers=agent, json=body)
    assert r.status_code == 200, r.text
    assert (r.json()["code"], r.json()["agentUserId"]) == ("sale", agent_id)
    # Corrected: the same call's wrap-up is replaced, not doubled.
    fixed = {"code": "follow_up", "note": "Call back Friday"}
    assert (await client.put(f"/api/v1/calls/{key}/wrapup", headers=agent, json=fixed)).is_success
    r = await client.get(f"/api/v1/calls/{key}/wrapup", headers=supervisor)
    assert (r.json()["code"], r.json()["note"]) == ("follow_up", "Call back Friday")
    assert (await client.get(f"/api/v1/calls/{key}/wrapup", headers=other_agent)).status_code == 404

    found = await client.get(
        "/api/v1/calls/search", headers=supervisor, params={"disposition": "follow_up"}
    )
    assert found.status_code == 200, found.text
    rows = found.json()["items"]
    assert [row["callKey"] for row in rows] == [key]
    assert rows[0]["disposition"] == "follow_up"


async def test_bad_codes_and_long_notes_are_refused_with_a_reason(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    agent, agent_id = await as_role(client, tenant, "agent")
    _, key = await seed_call(tenant.tenant_id, WHEN, agent_user_id=uuid.UUID(agent_id))
    r = await client.put(f"/api/v1/calls/{key}/wrapup", headers=agent, json={"code": "nope"})
    assert r.status_code == 400 and "Unknown wrap-up code" in r.json()["detail"]
    r = await client.put(
        f"/api/v1/calls/{key}/wrapup", headers=agent, json={"code": "sale", "note": "x" * 2001}
    )
    assert r.status_code == 400
    r = await client.get(f"/api/v1/calls/{key}/wrapup", headers=agent)
    assert r.status_code == 404, "nothing was stored by the refused requests"


async def test_a_live_call_can_be_wrapped_up_before_its_record_is_written(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    agent, agent_id = await as_role(client, tenant, "agent")
    other_agent, _ = await as_role(client, tenant, "agent")
    async with tenant_session(tenant.tenant_id) as db:
        await create_extension(
            db, tenant.tenant_id, "811", "Seat-Pass-811", user_id=uuid.UUID(agent_id)
        )
    key = uuid.uuid4().hex
    live = call_key_name(tenant.tenant_id, key)
    redis = get_redis()
    await redis.hset(live, mapping={"key": key, "state": "bridged", "extension": "811"})  # type: ignore[misc]
    try:
        r = await client.put(
            f"/api/v1/calls/{key}/wrapup", headers=other_agent, json={"code": "resolved"}
        )
        assert r.status_code == 404
        ok = {"code": "resolved"}
        r = await client.put(f"/api/v1/calls/{key}/wrapup", headers=agent, json=ok)
        assert r.status_code == 200, r.text
        assert r.json()["agentUserId"] == agent_id
    finally:
        await redis.delete(live)


async def test_tenants_are_apart(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    agent, agent_id = await as_role(client, tenant, "agent")
    _, key = await seed_call(tenant.tenant_id, WHEN, agent_user_id=uuid.UUID(agent_id))
    assert (
        await client.put(f"/api/v1/calls/{key}/wrapup", headers=agent, json={"code": "sale"})
    ).is_success
    # The other tenant's admin knows the key: still no such call, and nothing of A's shows.
    r = await client.get(f"/api/v1/calls/{key}/wrapup", headers=other_tenant.headers)
    assert r.status_code == 404
    r = await client.put(
        f"/api/v1/calls/{key}/wrapup", headers=other_tenant.headers, json={"code": "resolved"}
    )
    assert r.status_code == 404
    r = await client.get(f"/api/v1/calls/{key}/wrapup", headers=agent)
    assert r.json()["code"] == "sale"
