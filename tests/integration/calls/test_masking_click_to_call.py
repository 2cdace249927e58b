"""DIAL-6 for click-to-call: an agent never receives a customer's real number, neither in REST
replies nor on the CTI WebSocket, whether the agent dials a number (click-to-call) or a
campaign lead (click-to-dial by lead id); admins and supervisors keep the number, and
callcontrol's command carries it.

A real `fastline serve` (the agent's WebSocket), real Postgres and Redis."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from app.calls import masking
from app.calls.services import commands_list
from app.db.session import tenant_session
from app.lib.events import read_events
from app.lib.redis import get_redis
from app.seats.cti import AgentContext, AgentFeed
from app.seats.services import create_extension
from tests.fixtures.app import add_user, login
from tests.fixtures.server import running_server
from tests.integration.dialer.conftest import import_now, make_campaign

pytestmark = pytest.mark.feature("DIAL-6")

CLICK = "13900139000"  # dialled by number
LEAD = "13800138000"  # a campaign's lead
CSV = f"Phone,Name\n{LEAD},Customer A\n"


# The hidden middle and the end of each number, spaces or dashes allowed between digits: a
# leak in any form ("139 0013 9000", "+86-139-0013-9000", a SIP URI) is caught.
HIDDEN = [re.compile(r"[\s-]?".join(number[3:])) for number in (CLICK, LEAD)]


def assert_no_real_number(text: str) -> None:
    for pattern in HIDDEN:
        assert not pattern.search(text), text


@pytest.fixture(scope="module")
def server(migrated_db: str) -> Iterator[str]:
    with running_server() as url:
        yield url.replace("http://", "ws://")


async def _agent(client, tenant, number: str) -> tuple[dict[str, Any], dict[str, str]]:
    """An agent user with an agent profile (for the CTI socket) and their own extension."""
    user = await add_user(client, tenant, "agent")
    async with tenant_session(tenant.tenant_id) as session:
        ext = await create_extension(
            session, tenant.tenant_id, number, "sip-secret-123", user_id=uuid.UUID(user["id"])
        )
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Sales"})
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/acd/agents/",
        headers=tenant.headers,
        json={"userId": user["id"], "businessId": r.json()["id"], "extensionId": str(ext.id)},
    )
    assert r.status_code == 201, r.text
    token = (await login(client, tenant.slug, user["email"])).json()["token"]
    return user | {"token": token}, {"Authorization": f"Bearer {token}"}


async def _messages(ws: ClientConnection, until_types: set[str], wait: float = 10.0) -> list:
    """Everything the socket sends until one message of each type in `until_types` came, and
    then for one more second (anything else it would have said)."""
    got: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while until_types - {m.get("type") for m in got} and loop.time() < deadline:
        got.append(json.loads(await asyncio.wait_for(ws.recv(), deadline - loop.time())))
    try:
        while True:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), 1.0)))
    except TimeoutError:
        return got


async def test_agents_get_masked_numbers_for_click_to_call_and_campaign_calls(
    server, client, tenant
):
    agent, headers = await _agent(client, tenant, "701")
    redis = get_redis()
    await redis.delete(commands_list(tenant.tenant_id))
    c = await make_campaign(client, tenant, agentIds=[agent["id"]])
    await client.post(f"/api/v1/dialer/campaigns/{c['id']}/start", headers=tenant.headers)
    await import_now(client, tenant, c["id"], CSV)
    bodies: list[str] = []
    async with connect(f"{server}/api/v1/cti/ws?token={agent['token']}") as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "hello"
        # 1. Click-to-call by number, from the agent's own extension.
        r = await client.post(
            "/api/v1/calls/click-to-call",
            headers=headers,
            json={"extension": "701", "number": "139 0013 9000"},
        )
        assert r.status_code == 202, r.text
        assert r.json()["number"] == "139****9000"
        bodies.append(r.text)
        clicked = await _messages(ws, {"click_to_call"})
        [mine] = [m for m in clicked if m["type"] == "click_to_call"]
        assert (mine["number"], mine["extension"], mine["agent"]) == (
            "139****9000",
            "701",
            agent["id"],
        )
        assert mine["commandId"] == r.json()["commandId"]
        # 2. A campaign call: click-to-dial a lead of the agent's plan.
        plan = await client.get("/api/v1/dialer/my/plan", headers=headers)
        bodies.append(plan.text)
        lead_id = plan.json()["items"][0]["id"]
        pop = await client.get(f"/api/v1/dialer/leads/{lead_id}", headers=headers)
        bodies.append(pop.text)
        r = await client.post(
            f"/api/v1/dialer/leads/{lead_id}/dial", headers=headers, json={"extension": "701"}
        )
        assert r.status_code == 202, r.text
        bodies.append(r.text)
        dialled = await _messages(ws, {"click_to_call"})
        [lead_call] = [m for m in dialled if m["type"] == "click_to_call"]
        assert (lead_call["number"], lead_call["leadId"]) == ("138****8000", lead_id)
        assert lead_call["campaignId"] == c["id"]
    for text in [*bodies, json.dumps(hello), json.dumps(clicked), json.dumps(dialled)]:
        assert_no_real_number(text)

    # Callcontrol's commands carry the numbers (it dials them)...
    queued = [json.loads(x) for x in await redis.lrange(commands_list(tenant.tenant_id), 0, -1)]
    await redis.delete(commands_list(tenant.tenant_id))  # no B2BUA here: nothing may dial them
    assert [q["args"]["number"] for q in queued] == [CLICK, f"+86{LEAD}"]
    # ...the tenant's event stream does not (the CTI, the wallboard and webhooks all read it).
    events = await read_events(redis, tenant.tenant_id, "0", count=10_000)
    assert [f["number"] for _, f in events if f["type"] == "call.click_to_call"] == [
        "139****9000",
        "138****8000",
    ]
    assert_no_real_number(json.dumps([f for _, f in events]))
    # Admins and supervisors get the number back as dialled (normalized).
    for role in ("admin", "supervisor"):
        if role == "admin":
            staff = tenant.headers
        else:
            user = await add_user(client, tenant, role)
            token = (await login(client, tenant.slug, user["email"])).json()["token"]
            staff = {"Authorization": f"Bearer {token}"}
        r = await client.post(
            "/api/v1/calls/click-to-call",
            headers=staff,
            json={"extension": "701", "number": "139-0013-9000"},
        )
        assert r.status_code == 202 and r.json()["number"] == CLICK, r.text
    await redis.delete(commands_list(tenant.tenant_id))


def test_the_agent_feed_masks_numbers_in_call_events_and_only_numbers() -> None:
    profile = SimpleNamespace(user_id="me", acd_id="me")
    feed = AgentFeed(AgentContext(uuid.uuid4(), profile, "701", []), queues=set())  # type: ignore[arg-type]
    key = "3f2a1234567b89c0d1e2f3a4b5c6d7e8"  # a call key: hex, long digit runs inside
    feed.calls.add(key)
    event = {
        "type": "call.transferred",
        "tenant": "t",
        "callKey": key,
        "target": "+8613900139000",
        "to": "sip:13800138000@trunk.example;user=phone",
        "legs": json.dumps([{"from": "sip:+8613900139000@10.0.0.1"}]),
        "extension": "701",
        "talk_ms": "12345678",
        "digits": "88886666",  # keyed in by the caller (an account number): not masked
        "leadId": "84177962-660d-4723-affc-123456789012",  # an id, all digits in places
        "at": "2026-11-25T21:56:49.123456+00:00",
    }
    out = feed.view(event)
    assert out is not None
    assert_no_real_number(json.dumps(out))
    assert out["target"] == "139****9000" and out["to"].startswith("sip:138****8000@")
    assert out["callId"] == key and out["extension"] == "701" and out["talk_ms"] == "12345678"
    assert out["digits"] == "88886666" and out["leadId"] == event["leadId"]
    assert out["at"] == event["at"]
    # Other agents' click-to-calls are not shown; one's own is, masked.
    theirs = {"type": "call.click_to_call", "agent": "other", "number": "139****9000"}
    assert feed.view(theirs) is None
    mine = feed.view({"type": "call.click_to_call", "agent": "me", "number": "+8613900139000"})
    assert mine == {"type": "click_to_call", "agent": "me", "number": "139****9000"}
    assert masking.shown("+8613900139000", "supervisor") == "+8613900139000"
    assert masking.shown("+8613900139000", "qa") == "139****9000"
