"""The agent console over REST: states (SEAT-2), call control forwarded to callcontrol (SEAT-6),
supervisors' force functions (SEAT-7)."""

from __future__ import annotations

import uuid

import pytest

from app.calls.services import commands_list
from app.seats import cti_commands
from app.seats.acd import Acd, AgentState, Call, Offered
from tests.fixtures.app import add_user, login
from tests.integration.seats.acd_setup import agent, business, fake_callcontrol, queue, role_headers
from tests.integration.seats.conftest import drop_tenant


async def _state(client, a) -> str:
    r = await client.get("/api/v1/cti/me", headers=a.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["status"]["state"])


@pytest.mark.feature("SEAT-2")
async def test_agent_state_flow_through_rest(client, tenant, redis):
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Sales", acwTimeout=0)
    a = await agent(client, tenant, biz, [q["id"]])
    acd = Acd(redis, tenant.tenant_id)

    r = await client.post("/api/v1/cti/sign-in", headers=a.headers, json={})
    assert r.status_code == 200 and r.json()["state"] == "ready", r.text
    r = await client.post("/api/v1/cti/not-ready", headers=a.headers, json={"reason": "nap"})
    assert r.status_code == 400 and r.json()["code"] == "unknown_reason"
    assert "lunch" in r.json()["detail"]  # the message lists the codes to use
    r = await client.post("/api/v1/cti/not-ready", headers=a.headers, json={"reason": "lunch"})
    assert (r.json()["state"], r.json()["reason"]) == ("not_ready", "lunch")
    r = await client.post("/api/v1/cti/ready", headers=a.headers)
    assert r.json()["state"] == "ready"

    decision = await acd.offer(Call("call-1", q["id"], caller="13800138000"))
    assert isinstance(decision, Offered) and decision.agent_id == a.user_id
    r = await client.post("/api/v1/cti/sign-out", headers=a.headers)
    assert r.status_code == 409 and "ringing" in r.json()["detail"]  # would lose the call
    await acd.answer("call-1", a.user_id)
    await acd.hangup("call-1")
    assert await _state(client, a) == "after_call_work"
    r = await client.post("/api/v1/cti/end-acw", headers=a.headers)
    assert r.json()["state"] == "ready" and r.json()["callsTaken"] == 1
    r = await client.post("/api/v1/cti/end-acw", headers=a.headers)
    assert r.status_code == 409
    r = await client.post("/api/v1/cti/sign-out", headers=a.headers)
    assert r.json()["state"] == "signed_out"
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-2")
async def test_reason_codes_are_the_tenants_and_sign_in_needs_a_seat(client, tenant, redis):
    biz = await business(client, tenant)
    a = await agent(client, tenant, biz)
    r = await client.put(
        "/api/v1/acd/reasons/",
        headers=tenant.headers,
        json=[{"code": "coaching", "label": "Coaching"}, {"code": "toilet", "label": "WC"}],
    )
    assert r.status_code == 200, r.text
    me = (await client.get("/api/v1/cti/me", headers=a.headers)).json()
    assert [x["code"] for x in me["reasons"]] == ["coaching", "toilet"]
    r = await client.post(
        "/api/v1/cti/sign-in", headers=a.headers, json={"ready": False, "reason": "lunch"}
    )
    assert r.status_code == 400
    r = await client.post(
        "/api/v1/cti/sign-in", headers=a.headers, json={"ready": False, "reason": "coaching"}
    )
    assert r.json()["state"] == "not_ready"

    # A user who is no agent has no console; an agent without a seat cannot sign in.
    qa = await add_user(client, tenant, "supervisor")
    token = (await login(client, tenant.slug, qa["email"])).json()["token"]
    r = await client.get("/api/v1/cti/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404
    seatless = await add_user(client, tenant, "agent")
    r = await client.post(
        "/api/v1/acd/agents/",
        headers=tenant.headers,
        json={"userId": seatless["id"], "businessId": biz},
    )
    token = (await login(client, tenant.slug, seatless["email"])).json()["token"]
    r = await client.post(
        "/api/v1/cti/sign-in", headers={"Authorization": f"Bearer {token}"}, json={}
    )
    assert r.status_code == 409 and "extension" in r.json()["detail"]
    await drop_tenant(redis, tenant.tenant_id)


async def _on_a_call(client, tenant, redis, call_id="call-7"):
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Support")
    a = await agent(client, tenant, biz, [q["id"]])
    await client.post("/api/v1/cti/sign-in", headers=a.headers, json={})
    acd = Acd(redis, tenant.tenant_id)
    await acd.offer(Call(call_id, q["id"], caller="+8613900139000"))
    await acd.answer(call_id, a.user_id)
    return a, q, acd


@pytest.mark.feature("SEAT-6")
async def test_call_commands_are_forwarded_to_callcontrol_and_answered(
    client, tenant, other_tenant, redis
):
    a, q, acd = await _on_a_call(client, tenant, redis)
    async with fake_callcontrol(redis, tenant.tenant_id) as taken:
        r = await client.post("/api/v1/cti/calls/hold", headers=a.headers, json={})
        assert r.status_code == 200, r.text
        assert r.json()["result"] == {"done": "hold"} and r.json()["callId"] == "call-7"
        assert (await acd.agent_status(a.user_id)).state is AgentState.HOLD
        r = await client.post("/api/v1/cti/calls/resume", headers=a.headers, json={})
        assert (await acd.agent_status(a.user_id)).state is AgentState.TALKING
        r = await client.post("/api/v1/cti/calls/dtmf", headers=a.headers, json={"digits": "12#"})
        assert r.status_code == 200
        r = await client.post(
            "/api/v1/cti/calls/transfer",
            headers=a.headers,
            json={"mode": "attended", "targetKind": "queue", "target": q["id"]},
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            "/api/v1/cti/calls/conference",
            headers=a.headers,
            json={"targetKind": "external", "target": "0086 139-0013-9001"},
        )
        assert r.status_code == 200, r.text
    names = [c["name"] for c in taken]
    assert names == ["hold", "resume", "dtmf", "transfer", "conference"]
    for command in taken:
        assert command["args"]["agent"] == a.user_id
        assert command["args"]["callId"] == "call-7"
        assert command["args"]["extension"] == a.extension
    assert taken[2]["args"]["digits"] == "12#"
    transfer = taken[3]["args"]
    assert (transfer["mode"], transfer["targetKind"], transfer["target"]) == (
        "attended",
        "queue",
        q["id"],
    )
    assert taken[4]["args"]["target"] == "+8613900139001"

    # Targets must be the tenant's own; an agent acts only on their own call.
    other_biz = await business(client, other_tenant)
    foreign = await queue(client, other_tenant, other_biz, "Theirs")
    async with fake_callcontrol(redis, tenant.tenant_id) as taken:
        bad = [
            ({"targetKind": "queue", "target": foreign["id"]}, 404),
            ({"targetKind": "agent", "target": str(uuid.uuid4())}, 404),
            ({"targetKind": "moon", "target": "x"}, 400),
            ({"callId": "someone-elses-call", "targetKind": "queue", "target": q["id"]}, 404),
        ]
        for body, status in bad:
            r = await client.post("/api/v1/cti/calls/transfer", headers=a.headers, json=body)
            assert r.status_code == status, (body, r.text)
        r = await client.post("/api/v1/cti/calls/fly", headers=a.headers, json={})
        assert r.status_code == 404
    assert taken == []  # nothing refused reached callcontrol
    await drop_tenant(redis, tenant.tenant_id)
    await drop_tenant(redis, other_tenant.tenant_id)


@pytest.mark.feature("SEAT-6")
async def test_callcontrol_refusal_and_absence_are_clear(client, tenant, redis, monkeypatch):
    a, _, _ = await _on_a_call(client, tenant, redis)

    def refuse(command):
        return False, {}, 409, "the customer leg is already gone"

    async with fake_callcontrol(redis, tenant.tenant_id, refuse):
        r = await client.post("/api/v1/cti/calls/hangup", headers=a.headers, json={})
    assert r.status_code == 409 and r.json()["detail"] == "the customer leg is already gone"

    # Nobody listening: 503 at once, and the command does not linger to run later.
    r = await client.post("/api/v1/cti/calls/mute", headers=a.headers, json={})
    assert r.status_code == 503 and r.json()["code"] == "callcontrol_unavailable"
    assert await redis.llen(commands_list(tenant.tenant_id)) == 0

    # A node that takes commands but never answers: 503 after the reply timeout.
    monkeypatch.setattr(cti_commands, "REPLY_TIMEOUT", 0.5)
    async with fake_callcontrol(redis, tenant.tenant_id, reply=False) as taken:
        r = await client.post("/api/v1/cti/calls/unmute", headers=a.headers, json={})
    assert r.status_code == 503 and "did not answer" in r.json()["detail"]
    assert [c["name"] for c in taken] == ["unmute"]
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-7")
async def test_supervisors_force_agents_of_their_tenant_only(client, tenant, other_tenant, redis):
    a, _, acd = await _on_a_call(client, tenant, redis)
    sup_h = await role_headers(client, tenant, "supervisor")
    base = f"/api/v1/cti/agents/{a.user_id}"
    r = await client.post(f"{base}/force-sign-out", headers=sup_h)
    assert r.status_code == 409  # talking: signing out would drop the customer
    await acd.hangup("call-7")
    r = await client.post(f"{base}/force-ready", headers=sup_h)
    assert r.status_code == 200 and r.json()["state"] == "ready"
    assert r.json()["reason"] == "forced by supervisor"
    r = await client.post(f"{base}/force-sign-out", headers=sup_h)
    assert r.json()["state"] == "signed_out"

    # Agents cannot force anyone; other tenants' and made-up agents are 404.
    b = await agent(
        client,
        tenant,
        (await client.get("/api/v1/acd/agents/", headers=tenant.headers)).json()[0]["businessId"],
    )
    r = await client.post(f"{base}/force-ready", headers=b.headers)
    assert r.status_code == 403
    other_biz = await business(client, other_tenant)
    stranger = await agent(client, other_tenant, other_biz)
    for target in (stranger.user_id, str(uuid.uuid4())):
        r = await client.post(f"/api/v1/cti/agents/{target}/force-sign-out", headers=sup_h)
        assert r.status_code == 404, r.text
    await drop_tenant(redis, tenant.tenant_id)
    await drop_tenant(redis, other_tenant.tenant_id)
