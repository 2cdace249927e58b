"""DIAL-7: a campaign call's screen pop names the lead, so the console can show the record and
the call script (masked number, DIAL-6); an inbound call's pop has no lead."""

from __future__ import annotations

import uuid

import pytest

from app.callcontrol.live import call_key_name
from app.db.session import tenant_session
from app.seats import cti
from tests.integration.seats.acd_setup import agent, business
from tests.integration.seats.conftest import drop_tenant

pytestmark = pytest.mark.feature("DIAL-7", "SEAT-8")


async def test_campaign_call_pops_its_lead_and_inbound_does_not(client, tenant, redis):
    a = await agent(client, tenant, await business(client, tenant))
    async with tenant_session(tenant.tenant_id) as db:
        ctx = await cti.load_context(db, tenant.tenant_id, uuid.UUID(a.user_id))
    lead, campaign = str(uuid.uuid4()), str(uuid.uuid4())
    dialled, inbound = uuid.uuid4().hex, uuid.uuid4().hex
    await redis.hset(call_key_name(tenant.tenant_id, dialled), mapping={
        "from": "139****5678", "to": "139****5678", "leadId": lead, "campaignId": campaign,
    })  # fmt: skip
    await redis.hset(call_key_name(tenant.tenant_id, inbound), mapping={"from": "13800138000"})
    pop = await cti.screen_pop(redis, ctx, {"call": dialled, "queue": ""})
    assert pop["lead"] == {"id": lead, "campaignId": campaign}
    assert pop["caller"]["number"] == "139****5678"
    pop = await cti.screen_pop(redis, ctx, {"call": inbound, "queue": ""})
    assert "lead" not in pop
    await redis.delete(
        call_key_name(tenant.tenant_id, dialled), call_key_name(tenant.tenant_id, inbound)
    )
    await drop_tenant(redis, tenant.tenant_id)
