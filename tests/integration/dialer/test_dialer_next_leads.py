"""`next_leads(campaign, now, n)` with a fixed clock: calling windows in the callee's zone,
retry delays and limits per outcome, callbacks, do-not-call lists, reservations (DIAL-5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from app.db.session import tenant_session
from app.dialer.leads import finish_attempt, next_leads, schedule_callback, start_attempt
from app.dialer.models import Campaign, Lead, LeadList, LeadStatus, Outcome
from tests.integration.dialer.conftest import make_campaign

pytestmark = pytest.mark.feature("DIAL-5")

# 2026-12-01 is a Tuesday. 02:00 UTC = 10:00 in Shanghai, 02:00 in London.
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WINDOWS = [{"start": "09:00", "end": "12:00"}, {"start": "18:30", "end": "20:30"}]


async def _setup(client, tenant, leads: list[tuple[str, str]], **fields) -> UUID:
    """A running campaign with `leads` [(E.164, zone)] in file order."""
    c = await make_campaign(client, tenant, windows=WINDOWS, **fields)
    r = await client.post(f"/api/v1/dialer/campaigns/{c['id']}/start", headers=tenant.headers)
    assert r.status_code == 201, r.text
    cid = UUID(c["id"])
    async with tenant_session(tenant.tenant_id) as s:
        lead_list = LeadList(
            tenant_id=tenant.tenant_id,
            campaign_id=cid,
            name="l",
            mapping={},
            rows=0,
            imported=0,
            rejected=0,
            counts={},
            error="",
            object_key="",
            errors_key="",
            status="done",
            file_format="csv",
        )
        s.add(lead_list)
        await s.flush()
        for line, (phone, zone) in enumerate(leads, start=2):
            s.add(
                Lead(
                    tenant_id=tenant.tenant_id,
                    campaign_id=cid,
                    list_id=lead_list.id,
                    line=line,
                    phone=phone,
                    timezone=zone,
                    fields={},
                    outcome_counts={},
                    attempts=0,
                    status=LeadStatus.NEW,
                    name="",
                )
            )
    return cid


async def _next(tenant, cid: UUID, now: datetime, n: int = 10) -> list[str]:
    async with tenant_session(tenant.tenant_id) as s:
        campaign = await s.get(Campaign, (tenant.tenant_id, cid))
        return [d.phone for d in await next_leads(s, campaign, now, n)]


async def _attempt(tenant, phone: str, outcome: Outcome, at: datetime) -> None:
    async with tenant_session(tenant.tenant_id) as s:
        lead = (await s.execute(Lead.__table__.select().where(Lead.phone == phone))).first()
        lead_obj = await s.get(Lead, (tenant.tenant_id, lead.id))
        attempt = await start_attempt(s, lead_obj, at)
        await finish_attempt(s, tenant.tenant_id, attempt.id, outcome, at + timedelta(seconds=30))


async def _release(tenant, cid: UUID) -> None:
    """Hand reserved leads back (as if the dialer never used them) to test the rules alone."""
    async with tenant_session(tenant.tenant_id) as s:
        await s.execute(
            Lead.__table__.update()
            .where(Lead.campaign_id == cid, Lead.status == LeadStatus.DIALING)
            .values(status=LeadStatus.NEW, reserved_until=None)
        )


async def test_windows_are_the_callees_local_time(client, tenant):
    cid = await _setup(
        client, tenant, [("+8613800138000", "Asia/Shanghai"), ("+442079460958", "Europe/London")]
    )
    assert await _next(tenant, cid, T0) == ["+8613800138000"]  # Shanghai 10:00, London 02:00
    await _release(tenant, cid)
    # 11:00 UTC: Shanghai 19:00 (evening window), London 11:00 (morning window).
    assert sorted(await _next(tenant, cid, T0 + timedelta(hours=9))) == [
        "+442079460958",
        "+8613800138000",
    ]
    await _release(tenant, cid)
    # 04:15 UTC: Shanghai 12:15, after the morning window; London 04:15.
    assert await _next(tenant, cid, T0 + timedelta(hours=2, minutes=15)) == []
    # 12:31 UTC: Shanghai 20:31, a minute after the evening window; London 12:31, after its
    # morning window; 18:31 UTC: London's evening window, Shanghai 02:31 at night.
    assert await _next(tenant, cid, T0 + timedelta(hours=10, minutes=31)) == []
    assert await _next(tenant, cid, T0 + timedelta(hours=16, minutes=31)) == ["+442079460958"]


async def test_window_days_and_campaign_dates(client, tenant):
    cid = await _setup(
        client,
        tenant,
        [("+8613800138000", "Asia/Shanghai")],
        startsOn="2026-12-02",
        endsOn="2026-12-05",
    )
    assert await _next(tenant, cid, T0) == []  # the day before the campaign starts
    assert await _next(tenant, cid, T0 + timedelta(days=1)) == ["+8613800138000"]
    await _release(tenant, cid)
    assert await _next(tenant, cid, T0 + timedelta(days=5)) == []  # after it ends


async def test_retry_delay_and_limits_per_outcome(client, tenant):
    phone = "+8613800138000"
    cid = await _setup(
        client,
        tenant,
        [(phone, "Asia/Shanghai")],
        retryRules={"busy": {"delayMinutes": 10, "maxAttempts": 2}},
    )
    assert await _next(tenant, cid, T0) == [phone]
    await _attempt(tenant, phone, Outcome.BUSY, T0)
    assert await _next(tenant, cid, T0 + timedelta(minutes=5)) == []  # inside the retry delay
    assert await _next(tenant, cid, T0 + timedelta(minutes=10, seconds=31)) == [phone]
    await _attempt(tenant, phone, Outcome.BUSY, T0 + timedelta(minutes=11))
    assert await _next(tenant, cid, T0 + timedelta(hours=1)) == []  # 2 busy: exhausted
    async with tenant_session(tenant.tenant_id) as s:
        lead = (await s.execute(Lead.__table__.select().where(Lead.phone == phone))).first()
        assert lead.status == LeadStatus.EXHAUSTED and lead.outcome_counts == {"busy": 2}


async def test_campaign_max_attempts_across_outcomes(client, tenant):
    phone = "+8613800138000"
    cid = await _setup(
        client,
        tenant,
        [(phone, "Asia/Shanghai")],
        maxAttempts=2,
        retryRules={
            "busy": {"delayMinutes": 0, "maxAttempts": 9},
            "no_answer": {"delayMinutes": 0, "maxAttempts": 9},
        },
    )
    await _attempt(tenant, phone, Outcome.BUSY, T0)
    assert await _next(tenant, cid, T0 + timedelta(minutes=1)) == [phone]
    await _attempt(tenant, phone, Outcome.NO_ANSWER, T0 + timedelta(minutes=2))
    assert await _next(tenant, cid, T0 + timedelta(minutes=3)) == []


async def test_retry_that_falls_outside_the_windows_waits_for_the_next_window(client, tenant):
    phone = "+8613800138000"
    cid = await _setup(
        client,
        tenant,
        [(phone, "Asia/Shanghai")],
        retryRules={"no_answer": {"delayMinutes": 90, "maxAttempts": 3}},
    )
    late_morning = T0 + timedelta(hours=1, minutes=30)  # Shanghai 11:30
    await _attempt(tenant, phone, Outcome.NO_ANSWER, late_morning)
    assert await _next(tenant, cid, late_morning + timedelta(minutes=95)) == []  # 13:05 local
    assert await _next(tenant, cid, T0 + timedelta(hours=8, minutes=31)) == [phone]  # 18:31


async def test_abandoned_and_invalid_numbers(client, tenant):
    cid = await _setup(
        client, tenant, [("+8613800138000", "Asia/Shanghai"), ("+8613800138001", "Asia/Shanghai")]
    )
    await _attempt(tenant, "+8613800138000", Outcome.ABANDONED, T0)
    await _attempt(tenant, "+8613800138001", Outcome.INVALID, T0)
    assert await _next(tenant, cid, T0 + timedelta(days=2)) == []  # 72 h rule; invalid: never
    assert await _next(tenant, cid, T0 + timedelta(days=3, minutes=1)) == ["+8613800138000"]


async def test_callbacks_come_first_at_their_time_and_inside_windows(client, tenant):
    a, b, c = "+8613800138000", "+8613800138001", "+8613800138002"
    cid = await _setup(
        client, tenant, [(a, "Asia/Shanghai"), (b, "Asia/Shanghai"), (c, "Asia/Shanghai")]
    )
    async with tenant_session(tenant.tenant_id) as s:
        lead = (await s.execute(Lead.__table__.select().where(Lead.phone == c))).first()
        await schedule_callback(
            s, tenant.tenant_id, lead.id, T0 + timedelta(hours=9), agent_id=None
        )  # Shanghai 19:00
    assert await _next(tenant, cid, T0) == [a, b]  # not before its time
    await _release(tenant, cid)
    assert await _next(tenant, cid, T0 + timedelta(hours=9), n=2) == [c, a]  # callback first
    await _release(tenant, cid)
    async with tenant_session(tenant.tenant_id) as s:
        lead = (await s.execute(Lead.__table__.select().where(Lead.phone == a))).first()
        await schedule_callback(
            s, tenant.tenant_id, lead.id, T0 + timedelta(hours=3), agent_id=None
        )  # Shanghai 13:00: outside the windows
    assert await _next(tenant, cid, T0 + timedelta(hours=3)) == []
    assert a in await _next(tenant, cid, T0 + timedelta(hours=8, minutes=30))


async def test_do_not_call_lists_apply_at_dial_time(client, tenant):
    a, b, c = "+8613800138000", "+8613800138001", "+861065529988"
    cid = await _setup(
        client, tenant, [(a, "Asia/Shanghai"), (b, "Asia/Shanghai"), (c, "Asia/Shanghai")]
    )
    # Added after the import: TEN-7 stores national forms; the campaign list stores E.164.
    await client.post(
        "/api/v1/caller-lists/",
        headers=tenant.headers,
        json={"listKind": "black", "number": "138 0013 8000"},
    )
    await client.post(
        "/api/v1/caller-lists/",
        headers=tenant.headers,
        json={"listKind": "black", "number": "010-6552-9988"},
    )
    await client.post(
        f"/api/v1/dialer/campaigns/{cid}/dnc",
        headers=tenant.headers,
        json={"numbers": ["13800138001"]},
    )
    assert await _next(tenant, cid, T0) == []


async def test_black_list_of_another_business_does_not_apply(client, tenant):
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Other"})
    other_business = r.json()["id"]
    cid = await _setup(client, tenant, [("+8613800138000", "Asia/Shanghai")])
    await client.post(
        "/api/v1/caller-lists/",
        headers=tenant.headers,
        json={"listKind": "black", "number": "13800138000", "businessId": other_business},
    )
    assert await _next(tenant, cid, T0) == ["+8613800138000"]


async def test_reservations_keep_two_dialers_apart_and_expire(client, tenant):
    phones = [f"+86138001380{i:02d}" for i in range(6)]
    cid = await _setup(client, tenant, [(p, "Asia/Shanghai") for p in phones])
    first = await _next(tenant, cid, T0, n=4)
    second = await _next(tenant, cid, T0, n=4)
    assert first == phones[:4] and second == phones[4:]
    assert await _next(tenant, cid, T0 + timedelta(minutes=5)) == []
    assert len(await _next(tenant, cid, T0 + timedelta(minutes=11))) == 6  # never attempted


async def test_paused_campaign_dials_nothing(client, tenant):
    cid = await _setup(client, tenant, [("+8613800138000", "Asia/Shanghai")])
    await client.post(f"/api/v1/dialer/campaigns/{cid}/pause", headers=tenant.headers)
    assert await _next(tenant, cid, T0) == []
