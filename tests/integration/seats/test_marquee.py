"""DIAL-9: the motivational marquee a supervisor sets reaches every agent's console, live over
the CTI WebSocket, and only the supervisor's own tenant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from tests.fixtures.server import running_server
from tests.integration.seats.acd_setup import agent, business, role_headers
from tests.integration.seats.conftest import drop_tenant
from tests.integration.seats.test_cti_ws import recv, silence, until, url

pytestmark = pytest.mark.feature("DIAL-9")


@pytest.fixture(scope="module")
def server(migrated_db: str) -> Iterator[str]:
    with running_server() as base:
        yield base.replace("http://", "ws://")


async def test_supervisor_sets_the_marquee_and_agents_see_it_live(
    client, tenant, other_tenant, redis, server
):
    biz = await business(client, tenant)
    a = await agent(client, tenant, biz)
    theirs = await agent(client, other_tenant, await business(client, other_tenant))
    supervisor = await role_headers(client, tenant, "supervisor")
    assert (await client.get("/api/v1/cti/marquee", headers=a.headers)).json() == {"messages": []}

    async with connect(url(server, a.token)) as ws, connect(url(server, theirs.token)) as spy:
        assert (await recv(ws))["type"] == "hello" and (await recv(spy))["type"] == "hello"
        words = ["3 sales to the team bonus!", "  ", "Lunch at 12:30"]
        r = await client.put("/api/v1/marquee", headers=supervisor, json={"messages": words})
        assert r.status_code == 200, r.text
        wanted = ["3 sales to the team bonus!", "Lunch at 12:30"]
        assert r.json() == {"messages": wanted}
        assert (await until(ws, type="marquee"))["messages"] == wanted
        assert not [m for m in await silence(spy, 1.0) if m.get("type") == "marquee"]

    assert (await client.get("/api/v1/cti/marquee", headers=a.headers)).json()["messages"] == wanted
    r = await client.get("/api/v1/cti/marquee", headers=theirs.headers)
    assert r.json() == {"messages": []}, "another tenant's agents never see it"
    # Agents read it, they do not write it; too many messages are refused with a reason.
    r = await client.put("/api/v1/marquee", headers=a.headers, json={"messages": ["me!"]})
    assert r.status_code == 403
    r = await client.put("/api/v1/marquee", headers=supervisor, json={"messages": ["x"] * 21})
    assert r.status_code == 400 and "At most 20" in r.json()["detail"]
    await drop_tenant(redis, tenant.tenant_id)
    await drop_tenant(redis, other_tenant.tenant_id)
