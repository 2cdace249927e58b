"""ACD configuration in Postgres, synced into the Redis ACD (SEAT-3, SEAT-4, SEAT-7, TEN-5)."""

from __future__ import annotations

import uuid

import pytest

from app.lib.keys import tenant_key
from app.seats.acd import Acd, AgentState, Call, Offered, Queued
from app.seats.queues import sync_tenant
from tests.fixtures.app import add_user
from tests.integration.seats.acd_setup import agent, business, drop_acd, queue, role_headers
from tests.integration.seats.conftest import drop_tenant


@pytest.mark.feature("SEAT-3")
async def test_queue_and_agent_config_reach_the_redis_acd(client, tenant, redis):
    biz = await business(client, tenant)
    q = await queue(
        client, tenant, biz, "Support", strategy="skills", skills={"english": 2}, ringTimeout=12
    )
    a = await agent(client, tenant, biz, [q["id"]], skills={"english": 3})
    acd = Acd(redis, tenant.tenant_id)
    base = tenant_key(tenant.tenant_id, "acd")
    cfg = await redis.hgetall(f"{base}:queue:{q['id']}")
    assert (cfg["strategy"], cfg["ring_timeout_ms"], cfg["business"]) == ("skills", "12000", biz)
    status = await acd.agent_status(a.user_id)
    assert status.queues == (q["id"],) and status.business_id == biz
    assert await redis.hgetall(f"{base}:agent:{a.user_id}:skills") == {"english": "3"}

    # A change through the API is in Redis at once: the next offer rings by the new rules.
    r = await client.put(
        f"/api/v1/acd/queues/{q['id']}",
        headers=tenant.headers,
        json={"name": "Support", "businessId": biz, "strategy": "longest_idle", "skills": {}},
    )
    assert r.status_code == 200, r.text
    assert await redis.hget(f"{base}:queue:{q['id']}", "strategy") == "longest_idle"
    await acd.sign_in(a.user_id)
    decision = await acd.offer(Call("c-1", q["id"], caller="+8613800138000"))
    assert isinstance(decision, Offered) and decision.agent_id == a.user_id
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-3")
async def test_redis_is_rebuilt_from_postgres_after_a_loss(client, tenant, redis):
    biz = await business(client, tenant)
    q1 = await queue(client, tenant, biz, "First")
    q2 = await queue(
        client, tenant, biz, "Second", overflowKind="queue", overflowTarget=q1["id"], maxWait=30
    )
    a = await agent(client, tenant, biz, [q1["id"], q2["id"]])
    await drop_acd(redis, tenant.tenant_id)  # Redis lost the tenant's ACD

    counts = await sync_tenant(redis, tenant.tenant_id)
    assert counts == {"queues": 2, "agents": 1, "members": 2}
    acd = Acd(redis, tenant.tenant_id)
    assert (await acd.agent_status(a.user_id)).queues == tuple(sorted([q1["id"], q2["id"]]))
    assert (
        await redis.hget(tenant_key(tenant.tenant_id, "acd", "queue", q2["id"]), "overflow_target")
        == q1["id"]
    )

    # The console triggers the rebuild by itself when the sync marker is gone.
    await drop_acd(redis, tenant.tenant_id)
    r = await client.get("/api/v1/cti/me", headers=a.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"]["state"] == "signed_out"
    assert {x["id"] for x in r.json()["queues"]} == {q1["id"], q2["id"]}
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("TEN-5")
async def test_queue_and_agent_of_different_businesses_are_refused(client, tenant, redis):
    sales, service = (
        await business(client, tenant, "Sales"),
        await business(client, tenant, "Service"),
    )
    q_sales = await queue(client, tenant, sales, "Sales line")
    q_service = await queue(client, tenant, service, "Service line")
    a = await agent(client, tenant, sales, [q_sales["id"]])

    r = await client.put(
        f"/api/v1/acd/agents/{a.profile_id}/queues",
        headers=tenant.headers,
        json=[{"queueId": q_service["id"]}],
    )
    assert r.status_code == 409 and r.json()["code"] == "business_mismatch"
    assert "another business" in r.json()["detail"]
    r = await client.post(
        "/api/v1/acd/queues/",
        headers=tenant.headers,
        json={
            "name": "X",
            "businessId": service,
            "overflowKind": "queue",
            "overflowTarget": q_sales["id"],
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "business_mismatch"
    r = await client.put(
        f"/api/v1/acd/queues/{q_sales['id']}",
        headers=tenant.headers,
        json={"name": "Sales line", "businessId": service},
    )
    assert r.status_code == 409 and r.json()["code"] == "business_mismatch"
    r = await client.patch(
        f"/api/v1/acd/agents/{a.profile_id}", headers=tenant.headers, json={"businessId": service}
    )
    assert r.status_code == 409
    # Nothing of the refused changes reached the ACD.
    acd = Acd(redis, tenant.tenant_id)
    assert (await acd.agent_status(a.user_id)).queues == (q_sales["id"],)
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-3")
async def test_config_validation_gives_clear_errors(client, tenant, other_tenant, redis):
    biz = await business(client, tenant)
    base = {"name": "Q", "businessId": biz}
    cases = [
        ({"overflowKind": "external", "overflowTarget": "not a number"}, 400),
        ({"overflowKind": "queue", "overflowTarget": str(uuid.uuid4())}, 404),
        ({"overflowKind": "voicemail"}, 400),
        ({"businessId": str(uuid.uuid4())}, 404),
        ({"ringTimeout": 0}, 400),
        ({"strategy": "random"}, 400),
        ({"skills": {"English!": 2}}, 400),
    ]
    for extra, status in cases:
        r = await client.post("/api/v1/acd/queues/", headers=tenant.headers, json=base | extra)
        assert r.status_code == status, (extra, r.text)
    await queue(client, tenant, biz, "Q")
    r = await client.post("/api/v1/acd/queues/", headers=tenant.headers, json=base)
    assert r.status_code == 409
    # Another tenant's user cannot be made an agent here: 404, as for a made-up id.
    stranger = await add_user(client, other_tenant, "agent")
    r = await client.post(
        "/api/v1/acd/agents/",
        headers=tenant.headers,
        json={"userId": stranger["id"], "businessId": biz},
    )
    assert r.status_code == 404
    # A seat already bound to another agent is refused (SEAT-10).
    a = await agent(client, tenant, biz)
    other = await add_user(client, tenant, "agent")
    seat = (await client.get(f"/api/v1/acd/agents/{a.profile_id}", headers=tenant.headers)).json()
    r = await client.post(
        "/api/v1/acd/agents/",
        headers=tenant.headers,
        json={"userId": other["id"], "businessId": biz, "extensionId": seat["extensionId"]},
    )
    assert r.status_code == 409
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-7")
async def test_supervisors_read_and_move_agents_but_do_not_configure(client, tenant, redis):
    biz = await business(client, tenant)
    q1, q2 = await queue(client, tenant, biz, "One"), await queue(client, tenant, biz, "Two")
    a = await agent(client, tenant, biz, [q1["id"]])
    headers = await role_headers(client, tenant, "supervisor")
    assert (await client.get("/api/v1/acd/queues/", headers=headers)).status_code == 200
    r = await client.post(
        "/api/v1/acd/queues/", headers=headers, json={"name": "Z", "businessId": biz}
    )
    assert r.status_code == 403
    r = await client.put(
        f"/api/v1/acd/agents/{a.profile_id}/queues",
        headers=headers,
        json=[{"queueId": q2["id"], "priority": 3}],
    )
    assert r.status_code == 200, r.text
    assert r.json()["queues"] == [{"queueId": q2["id"], "priority": 3}]
    acd = Acd(redis, tenant.tenant_id)
    assert (await acd.agent_status(a.user_id)).queues == (q2["id"],)
    # The agent is in the new queue for routing too.
    await acd.sign_in(a.user_id)
    assert isinstance(await acd.offer(Call("c-2", q2["id"])), Offered)
    assert isinstance(await acd.offer(Call("c-3", q1["id"])), Queued)
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-3")
async def test_deleting_a_queue_takes_it_out_of_redis(client, tenant, redis):
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Temp")
    a = await agent(client, tenant, biz, [q["id"]])
    acd = Acd(redis, tenant.tenant_id)
    await acd.offer(Call("waiting-1", q["id"]))  # nobody signed in: it waits
    r = await client.delete(f"/api/v1/acd/queues/{q['id']}", headers=tenant.headers)
    assert r.status_code == 409 and "waiting" in r.json()["detail"]
    await acd.hangup("waiting-1")
    r = await client.delete(f"/api/v1/acd/queues/{q['id']}", headers=tenant.headers)
    assert r.status_code == 204
    assert (await acd.agent_status(a.user_id)).queues == ()
    assert not await redis.exists(tenant_key(tenant.tenant_id, "acd", "queue", q["id"]))
    agent_view = (
        await client.get(f"/api/v1/acd/agents/{a.profile_id}", headers=tenant.headers)
    ).json()
    assert agent_view["queues"] == []
    assert (await acd.agent_status(a.user_id)).state is AgentState.SIGNED_OUT
    await drop_tenant(redis, tenant.tenant_id)
