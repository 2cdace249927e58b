"""The agent WebSocket `/api/v1/cti/ws` against a real `fastline serve` (SEAT-2, SEAT-5, SEAT-6,
TEN-1): state changes and commands, screen pops to the offered agent only, tenant isolation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.calls.services import save_call_record
from app.seats.acd import Acd, Call, Offered
from tests.fixtures.server import running_server
from tests.integration.seats.acd_setup import agent, business, queue, role_headers
from tests.integration.seats.conftest import drop_tenant


@pytest.fixture(scope="module")
def server(migrated_db: str) -> Iterator[str]:
    with running_server() as url:
        yield url.replace("http://", "ws://")


async def recv(ws: ClientConnection, wait: float = 5.0) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), wait)))


_inboxes: dict[int, list[dict[str, Any]]] = {}


async def until(ws: ClientConnection, **match: Any) -> dict[str, Any]:
    """The first message, received or to come, whose fields include `match`; it is taken out
    of the socket's inbox. Events and replies race (the feed and the command run side by
    side), so tests look for what they expect without assuming an order between the two."""
    inbox = _inboxes.setdefault(id(ws), [])
    while True:
        for i, message in enumerate(inbox):
            if all(message.get(k) == v for k, v in match.items()):
                return inbox.pop(i)
        inbox.append(await recv(ws))


async def silence(ws: ClientConnection, wait: float = 1.0) -> list[dict[str, Any]]:
    """Everything the socket receives within `wait` seconds."""
    got: list[dict[str, Any]] = []
    try:
        while True:
            got.append(await recv(ws, wait))
    except TimeoutError:
        return got


def url(server: str, token: str) -> str:
    return f"{server}/api/v1/cti/ws?token={token}"


@pytest.mark.feature("SEAT-2")
@pytest.mark.feature("SEAT-5")
async def test_agent_socket_commands_state_events_and_all_busy(server, client, tenant, redis):
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Hotline")
    a = await agent(client, tenant, biz, [q["id"]])
    async with connect(url(server, a.token)) as ws:
        hello = await recv(ws)
        assert hello["type"] == "hello" and hello["status"]["state"] == "signed_out"
        assert hello["extension"] == a.extension
        assert hello["queues"] == [{"id": q["id"], "name": "Hotline", "allBusy": True}]
        await ws.send(json.dumps({"id": "r1", "action": "sign_in"}))
        reply = await until(ws, type="reply", id="r1")
        assert reply["ok"] and reply["result"]["state"] == "ready"
        event = await until(ws, type="state", state="ready")
        assert event["from"] == "signed_out"
        busy = await until(ws, type="queue_busy")
        assert (busy["queue"], busy["name"], busy["allBusy"]) == (q["id"], "Hotline", False)

        await ws.send(json.dumps({"id": "r2", "action": "not_ready", "reason": "nope"}))
        reply = await until(ws, type="reply", id="r2")
        assert (reply["ok"], reply["status"]) == (False, 400)
        await ws.send(json.dumps({"id": "r3", "action": "not_ready", "reason": "break"}))
        assert (await until(ws, type="reply", id="r3"))["ok"]
        event = await until(ws, type="state", state="not_ready")
        assert event["reason"] == "break"
        assert (await until(ws, type="queue_busy"))["allBusy"] is True  # SEAT-5

        await ws.send(json.dumps({"id": "r4", "action": "hangup"}))
        reply = await until(ws, type="reply", id="r4")
        assert (reply["ok"], reply["status"]) == (False, 409)  # no call to hang up
        await ws.send("[1, 2]")
        assert (await until(ws, type="reply"))["status"] == 400
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-6")
async def test_offer_pops_the_screen_of_the_offered_agent_only(server, client, tenant, redis):
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Sales", strategy="priority")
    first = await agent(client, tenant, biz, [q["id"]])
    second = await agent(client, tenant, biz, [q["id"]])
    caller = "+8613812345678"
    earlier = datetime.now(UTC) - timedelta(days=2)
    await save_call_record(
        {
            "tenant_id": tenant.tenant_id,
            "call_key": "earlier-call",
            "direction": "inbound",
            "from_number": caller,
            "to_number": "+864001234567",
            "arrived_at": earlier,
            "answered_at": earlier + timedelta(seconds=5),
            "ended_at": earlier + timedelta(seconds=65),
            "legs": [],
        }
    )
    acd = Acd(redis, tenant.tenant_id)
    async with connect(url(server, first.token)) as ws1, connect(url(server, second.token)) as ws2:
        await recv(ws1), await recv(ws2)
        for ws in (ws1, ws2):
            await ws.send(json.dumps({"id": "in", "action": "sign_in"}))
            assert (await until(ws, type="reply", id="in"))["ok"]
        decision = await acd.offer(Call("call-42", q["id"], caller=caller))
        assert isinstance(decision, Offered) and decision.agent_id == first.user_id

        pop = await until(ws1, type="offer")
        assert pop["callId"] == "call-42"
        assert pop["queue"] == {"id": q["id"], "name": "Sales"}
        assert pop["caller"]["number"] == caller
        assert pop["ringTimeout"] == 20
        assert [c["callKey"] for c in pop["previousCalls"]] == ["earlier-call"]
        assert pop["previousCalls"][0]["durationSeconds"] == 60
        assert (await until(ws1, type="state", state="ringing"))["callId"] == "call-42"

        seen = await silence(ws2)
        assert not [m for m in seen if m.get("type") in ("offer", "state")], seen
        assert "call-42" not in json.dumps(seen)

        await acd.answer("call-42", first.user_id)
        assert (await until(ws1, type="answered"))["callId"] == "call-42"
        await ws1.send(json.dumps({"id": "h", "action": "hold", "callId": "other-call"}))
        assert (await until(ws1, type="reply", id="h"))["status"] == 404  # not their call
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("TEN-1")
async def test_sockets_are_isolated_per_tenant_and_authenticated(
    server, client, tenant, other_tenant, redis
):
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Mine")
    mine = await agent(client, tenant, biz, [q["id"]])
    other_biz = await business(client, other_tenant)
    theirs = await agent(client, other_tenant, other_biz, [])
    acd = Acd(redis, tenant.tenant_id)
    async with connect(url(server, theirs.token)) as spy:
        await recv(spy)
        await acd.sign_in(mine.user_id)
        await acd.offer(Call("secret-call", q["id"], caller="+8613700000000"))
        seen = await silence(spy)
        assert seen == []

    # No token, a bad token, a role without a console, a user who is no agent.
    qa = (await role_headers(client, tenant, "qa"))["Authorization"].split()[1]
    supervisor = (await role_headers(client, tenant, "supervisor"))["Authorization"].split()[1]
    for token, code in (
        ("", 4401),
        (f"{tenant.tenant_id}.forged", 4401),
        (qa, 4403),
        (supervisor, 4404),
    ):
        async with connect(url(server, token)) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await recv(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == code, token
    await drop_tenant(redis, tenant.tenant_id)
    await drop_tenant(redis, other_tenant.tenant_id)
