"""SEAT-8 / REC-2 / DIAL-6: the screen pop's previous calls of the caller: when, direction, the
agent's name and extension, talk time, the wrap-up; the recording of the agent's own earlier
call is playable from the pop (the same audio URL the portal uses, with Range), another agent's
call is listed without its recording; no customer number reaches the agent; one query."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import event, update

from app.callcontrol.live import call_key_name
from app.calls.wrapup import CallWrapup
from app.db.session import get_engine, tenant_session
from app.seats import cti
from app.tenants.models import User
from tests.fixtures.app import TenantCtx
from tests.integration.recordings.seed import seed_call, seed_recording
from tests.integration.seats.acd_setup import agent, business
from tests.integration.seats.conftest import drop_tenant

pytestmark = pytest.mark.feature("SEAT-8", "REC-2", "DIAL-6")

CALLER = "+8613812345678"
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def _named(tenant: TenantCtx, user_id: str, name: str) -> None:
    async with tenant_session(tenant.tenant_id) as db:
        await db.execute(
            update(User).where(User.id == uuid.UUID(user_id)).values(display_name=name)
        )


async def _pop(redis: Redis, tenant: TenantCtx, user_id: str, frm: str, **live: str) -> dict:
    async with tenant_session(tenant.tenant_id) as db:
        ctx = await cti.load_context(db, tenant.tenant_id, uuid.UUID(user_id))
    call = uuid.uuid4().hex
    await redis.hset(call_key_name(tenant.tenant_id, call), mapping={"from": frm} | live)
    try:
        return await cti.screen_pop(redis, ctx, {"call": call, "queue": ""})
    finally:
        await redis.delete(call_key_name(tenant.tenant_id, call))


async def test_pop_lists_the_callers_calls_and_plays_only_the_agents_own_recordings(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, redis: Redis
) -> None:
    biz = await business(client, tenant)
    mine = await agent(client, tenant, biz)
    theirs = await agent(client, tenant, biz)
    await _named(tenant, mine.user_id, "Li Na")
    await _named(tenant, theirs.user_id, "Wang Wei")
    # Stored in different forms: E.164 and national digits are the same customer.
    _, own_key = await seed_call(
        tenant.tenant_id, DAY, from_number=CALLER, agent_user_id=uuid.UUID(mine.user_id),
        extension=mine.extension, bridged_after=4, ended_after=94,
    )  # fmt: skip
    own_rec = await seed_recording(tenant.tenant_id, own_key, seconds=1.5)
    _, their_key = await seed_call(
        tenant.tenant_id, DAY + timedelta(days=1), direction="outbound",
        from_number="+861012345678", to_number="13812345678",
        agent_user_id=uuid.UUID(theirs.user_id), extension=theirs.extension,
        bridged_after=2, ended_after=32,
    )  # fmt: skip
    await seed_recording(tenant.tenant_id, their_key)
    await seed_call(tenant.tenant_id, DAY, from_number="+8613900000000")  # someone else
    await seed_call(other_tenant.tenant_id, DAY, from_number=CALLER)  # another tenant
    async with tenant_session(tenant.tenant_id) as db:
        db.add(
            CallWrapup(
                tenant_id=tenant.tenant_id, call_key=own_key, code="follow_up",
                note="Call back on 13900139000 about the refund", agent_user_id=mine.user_id,
            )
        )  # fmt: skip

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        pop = await _pop(redis, tenant, mine.user_id, CALLER)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len([s for s in statements if "call_record" in s]) == 1

    calls = pop["previousCalls"]
    assert [c["callKey"] for c in calls] == [their_key, own_key]  # newest first
    theirs_row, own = calls
    assert own["arrivedAt"] == DAY.isoformat()
    assert (own["direction"], own["answered"]) == ("inbound", True)
    assert (own["agentName"], own["extension"]) == ("Li Na", mine.extension)
    assert own["talkSeconds"] == 90
    assert (own["disposition"], own["dispositionLabel"]) == ("follow_up", "Follow-up needed")
    assert own["note"] == "Call back on 139****9000 about the refund"  # DIAL-6 in notes too
    assert own["recordingId"] == str(own_rec)
    assert own["audioUrl"] == f"/api/v1/recordings/{own_rec}/audio"
    assert (theirs_row["agentName"], theirs_row["direction"]) == ("Wang Wei", "outbound")
    assert theirs_row["talkSeconds"] == 30 and theirs_row["disposition"] is None
    assert theirs_row["recordingId"] is None and theirs_row["audioUrl"] is None
    assert "13812345678" not in str(calls) and "12345678" not in str(calls)

    # The pop's URL is the recordings API's: the agent plays it, seeking with Range.
    r = await client.get(own["audioUrl"], headers=mine.headers | {"Range": "bytes=0-99"})
    assert r.status_code == 206 and len(r.content) == 100
    assert r.headers["content-type"].startswith("audio/wav")
    # The other agent's call has no URL in the pop and would be a 404 from the API too.
    r = await client.get(own["audioUrl"], headers=theirs.headers)
    assert r.status_code == 404

    # The other agent's pop: the same calls, their own recording instead.
    other_view = (await _pop(redis, tenant, theirs.user_id, "13812345678"))["previousCalls"]
    assert [c["recordingId"] is not None for c in other_view] == [True, False]
    await drop_tenant(redis, tenant.tenant_id)


async def test_a_masked_number_without_a_lead_lists_no_one_elses_calls(
    client: httpx.AsyncClient, tenant: TenantCtx, redis: Redis
) -> None:
    """A campaign call pops `138****5678`, which thousands of numbers share: without its lead
    the pop lists nothing rather than strangers' calls (DIAL-6)."""
    biz = await business(client, tenant)
    mine = await agent(client, tenant, biz)
    await seed_call(tenant.tenant_id, DAY, from_number="138****5678")
    await seed_call(tenant.tenant_id, DAY, from_number=CALLER)
    pop = await _pop(redis, tenant, mine.user_id, "138****5678")
    assert pop["previousCalls"] == []
    await drop_tenant(redis, tenant.tenant_id)


async def test_a_campaign_pop_lists_the_leads_calls_by_its_real_number_it_never_shows(
    client: httpx.AsyncClient, tenant: TenantCtx, redis: Redis
) -> None:
    """DIAL-7/DIAL-6: a campaign call pops the lead's masked number; its history is the lead's
    earlier attempt (CDR with the masked number), an inbound call from the lead's real number,
    with the dialer's disposition; a stranger sharing the mask is not listed."""
    from app.dialer.models import Campaign, Lead, LeadAttempt, LeadList

    biz = await business(client, tenant)
    mine = await agent(client, tenant, biz)
    _, attempt_key = await seed_call(
        tenant.tenant_id, DAY, direction="outbound", from_number="+861012345678",
        to_number="138****5678", agent_user_id=uuid.UUID(mine.user_id), bridged_after=1,
    )  # fmt: skip
    _, inbound_key = await seed_call(
        tenant.tenant_id, DAY + timedelta(hours=1), from_number="+8613800005678"
    )
    await seed_call(tenant.tenant_id, DAY, from_number="+8613811115678")  # same mask, stranger
    await seed_call(tenant.tenant_id, DAY, to_number="138****5678", direction="outbound")
    async with tenant_session(tenant.tenant_id) as db:
        campaign = Campaign(tenant_id=tenant.tenant_id, name="Renewals")
        db.add(campaign)
        await db.flush()
        lead_list = LeadList(tenant_id=tenant.tenant_id, campaign_id=campaign.id, name="list")
        db.add(lead_list)
        await db.flush()
        lead = Lead(
            tenant_id=tenant.tenant_id, campaign_id=campaign.id, list_id=lead_list.id,
            phone="+8613800005678",
        )  # fmt: skip
        db.add(lead)
        await db.flush()
        db.add(
            LeadAttempt(
                tenant_id=tenant.tenant_id, lead_id=lead.id, campaign_id=campaign.id,
                list_id=lead_list.id, call_key=attempt_key, started_at=DAY,
                disposition="callback",
            )
        )  # fmt: skip
        lead_id = str(lead.id)
    pop = await _pop(
        redis, tenant, mine.user_id, "138****5678", leadId=lead_id, campaignId=str(campaign.id)
    )
    calls = pop["previousCalls"]
    assert [c["callKey"] for c in calls] == [inbound_key, attempt_key]
    assert calls[1]["disposition"] == "callback" and calls[1]["direction"] == "outbound"
    assert "13800005678" not in str(pop)
    await drop_tenant(redis, tenant.tenant_id)
