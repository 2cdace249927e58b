"""Supervisor wallboard (SEAT-8): snapshot figures after a scripted day, and the live stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app.seats.acd import Acd, Call, Offered, Queued
from tests.fixtures.server import running_server
from tests.integration.seats.acd_setup import agent, business, queue, role_headers
from tests.integration.seats.conftest import drop_tenant


@pytest.fixture(scope="module")
def server(migrated_db: str) -> Iterator[str]:
    with running_server() as url:
        yield url.replace("http://", "ws://")


async def _scripted_day(client, tenant, redis):
    """Two agents; two calls answered at once, one abandoned after waiting, one waiting."""
    biz = await business(client, tenant)
    q = await queue(client, tenant, biz, "Orders", serviceLevelSeconds=1, acwTimeout=0)
    a = await agent(client, tenant, biz, [q["id"]])
    b = await agent(client, tenant, biz, [q["id"]])
    acd = Acd(redis, tenant.tenant_id)
    await acd.sign_in(a.user_id)
    await acd.sign_in(b.user_id)
    first = await acd.offer(Call("c1", q["id"]))
    second = await acd.offer(Call("c2", q["id"]))
    assert isinstance(first, Offered) and isinstance(second, Offered)
    await acd.answer("c1", first.agent_id)
    await acd.answer("c2", second.agent_id)
    assert isinstance(await acd.offer(Call("c3", q["id"])), Queued)
    await asyncio.sleep(1.2)  # c3 waits past the 1 s service level, then gives up
    await acd.hangup("c3")
    await acd.hangup("c1")  # first.agent_id -> after-call work
    assert isinstance(await acd.offer(Call("c4", q["id"])), Queued)
    return q, a, b, acd, first.agent_id


@pytest.mark.feature("SEAT-8")
async def test_wallboard_snapshot_after_a_scripted_sequence(client, tenant, redis):
    q, a, b, _, freed = await _scripted_day(client, tenant, redis)
    headers = await role_headers(client, tenant, "supervisor")
    r = await client.get("/api/v1/wallboard", headers=headers, params={"tz": "UTC"})
    assert r.status_code == 200, r.text
    board = r.json()
    [row] = board["queues"]
    assert row["queue"] == q["id"] and row["name"] == "Orders"
    assert (row["waiting"], row["answeredToday"], row["abandonedToday"]) == (1, 2, 1)
    assert row["serviceLevel"] == pytest.approx(2 / 3, abs=1e-3)
    assert 0 <= row["longestWaitSeconds"] < 5
    agents = {x["agent"]: x for x in board["agents"]}
    assert set(agents) == {a.user_id, b.user_id}
    assert agents[freed]["state"] == "after_call_work"
    other = b.user_id if freed == a.user_id else a.user_id
    assert agents[other]["state"] == "talking" and agents[other]["callId"] == "c2"
    assert all(x["callsToday"] == 1 for x in agents.values())
    assert all(x["inStateSeconds"] >= 0 and x["extension"] for x in agents.values())

    # Agents and QA do not see the wallboard.
    assert (await client.get("/api/v1/wallboard", headers=a.headers)).status_code == 403
    qa = await role_headers(client, tenant, "qa")
    assert (await client.get("/api/v1/wallboard", headers=qa)).status_code == 403
    r = await client.get("/api/v1/wallboard", headers=headers, params={"tz": "Mars/Base"})
    assert r.status_code == 400
    await drop_tenant(redis, tenant.tenant_id)


@pytest.mark.feature("SEAT-8")
async def test_wallboard_socket_streams_changes(server, client, tenant, other_tenant, redis):
    _, a, _, acd, freed = await _scripted_day(client, tenant, redis)
    token = (await role_headers(client, tenant, "supervisor"))["Authorization"].split()[1]
    async with connect(f"{server}/api/v1/wallboard/ws?token={token}&tz=UTC") as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert snapshot["type"] == "snapshot"
        assert snapshot["queues"][0]["answeredToday"] == 2

        await acd.agent_ready(freed)  # takes the waiting call c4 at once
        await acd.answer("c4", freed)
        updates = []
        while not any(u.get("answeredToday") == 3 for u in updates):
            updates.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        mine = [u for u in updates if u["type"] == "agent" and u["agent"] == freed]
        assert [u["state"] for u in mine][-1] == "talking" and mine[-1]["callsToday"] == 2
        last_queue = [u for u in updates if u["type"] == "queue"][-1]
        assert (last_queue["waiting"], last_queue["answeredToday"]) == (0, 3)

    # Agents are refused; another tenant's supervisor sees only their own (empty) board.
    async with connect(f"{server}/api/v1/wallboard/ws?token={a.token}") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    spy = (await role_headers(client, other_tenant, "supervisor"))["Authorization"].split()[1]
    async with connect(f"{server}/api/v1/wallboard/ws?token={spy}") as ws:
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert snapshot["agents"] == [] and snapshot["queues"] == []
        await acd.hangup("c4")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 1.0)
    await drop_tenant(redis, tenant.tenant_id)
