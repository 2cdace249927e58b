"""Where an agent may send a customer (SEAT-6 transfer and conference, IVR-7): the queues and
other agents of the agent's own business (TEN-5) and the published flows, never another
business's or another tenant's."""

from __future__ import annotations

import pytest

from tests.integration.ivr_builder.test_ivr_api import create_flow, doc, node, publish
from tests.integration.seats.acd_setup import agent, business, queue
from tests.integration.seats.conftest import drop_tenant

pytestmark = pytest.mark.feature("SEAT-6", "IVR-7", "TEN-5")
BYE = doc("bye", node("bye", "hang_up"))


async def test_targets_are_the_agents_business_and_published_flows(
    client, tenant, other_tenant, redis
):
    sales, support = await business(client, tenant, "Sales"), await business(client, tenant, "Care")
    q_sales = await queue(client, tenant, sales, "Sales line")
    await queue(client, tenant, support, "Care line")
    me = await agent(client, tenant, sales, [q_sales["id"]])
    colleague = await agent(client, tenant, sales)
    await agent(client, tenant, support)  # another business: never a target
    published = await create_flow(client, tenant, "PIN entry", BYE)
    assert (await publish(client, tenant, published["id"])).status_code == 200
    await create_flow(client, tenant, "Draft only", BYE)  # not published: not offered
    foreign = await create_flow(client, other_tenant, "Their flow", BYE)
    assert (await publish(client, other_tenant, foreign["id"])).status_code == 200

    r = await client.get("/api/v1/cti/transfer-targets", headers=me.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [q["name"] for q in body["queues"]] == ["Sales line"]
    assert [a["id"] for a in body["agents"]] == [colleague.user_id]
    assert [f["name"] for f in body["flows"]] == ["PIN entry"]
    assert body["flows"][0]["id"] == published["id"]
    # An admin without an agent profile has no console to transfer from.
    r = await client.get("/api/v1/cti/transfer-targets", headers=tenant.headers)
    assert r.status_code == 404
    await drop_tenant(redis, tenant.tenant_id)
