"""Leads at work: masking (DIAL-6), time zones and calling windows (DIAL-5), do-not-call checks,
`next_leads` for the dialer runtime, attempts and retry rules (DIAL-5), dispositions (DIAL-7),
callbacks with reminders (DIAL-5), distribution to agents and groups (DIAL-1), the agent's
daily plan (DIAL-9).

Every function takes the tenant explicitly and also filters by it (RLS stands behind).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    ColumnElement,
    Time,
    and_,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.dialer.models import (
    RETRYABLE,
    AgentGroupMember,
    Callback,
    Campaign,
    CampaignDnc,
    CampaignStatus,
    Disposition,
    Lead,
    LeadAttempt,
    LeadStatus,
    Outcome,
)
from app.dialer.numbers import PhoneNumber
from app.tenants.models import CallerListEntry

RESERVATION = timedelta(minutes=10)  # a lead handed out and never attempted comes back after it

# Delay and attempt limits per outcome when a campaign says nothing (DIAL-5). An abandoned call
# reached a person who heard no agent: do not call them again for three days (Ofcom's rule).
DEFAULT_RETRY_RULES: dict[str, dict[str, int]] = {
    Outcome.BUSY: {"delayMinutes": 10, "maxAttempts": 3},
    Outcome.NO_ANSWER: {"delayMinutes": 60, "maxAttempts": 3},
    Outcome.MACHINE: {"delayMinutes": 240, "maxAttempts": 2},
    Outcome.FAILED: {"delayMinutes": 30, "maxAttempts": 2},
    Outcome.ABANDONED: {"delayMinutes": 72 * 60, "maxAttempts": 2},
    Outcome.ANSWERED: {"delayMinutes": 24 * 60, "maxAttempts": 3},  # after a non-final disposition
}

# --- masking (DIAL-6) ------------------------------------------------------------------------


def mask_number(e164: str) -> str:
    """What an agent sees: national digits with the middle hidden, `138****8000`."""
    digits = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(digits) <= 6:
        return "*" * len(digits)
    keep_head = 3 if len(digits) >= 10 else 2
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def shown_number(e164: str, *, reveal: bool) -> str:
    return e164 if reveal else mask_number(e164)


# --- time zones and calling windows (DIAL-5) ---------------------------------------------------

# Countries in one time zone (or nearly: the most populous zone). Countries spanning several
# zones (+1, +7, +52, +55, +61) take the campaign's zone unless the list has a time zone column.
_COUNTRY_ZONES = {
    "86": "Asia/Shanghai",
    "852": "Asia/Hong_Kong",
    "853": "Asia/Macau",
    "886": "Asia/Taipei",
    "81": "Asia/Tokyo",
    "82": "Asia/Seoul",
    "65": "Asia/Singapore",
    "60": "Asia/Kuala_Lumpur",
    "66": "Asia/Bangkok",
    "84": "Asia/Ho_Chi_Minh",
    "62": "Asia/Jakarta",
    "63": "Asia/Manila",
    "91": "Asia/Kolkata",
    "971": "Asia/Dubai",
    "44": "Europe/London",
    "49": "Europe/Berlin",
    "33": "Europe/Paris",
    "39": "Europe/Rome",
    "34": "Europe/Madrid",
    "64": "Pacific/Auckland",
}


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_for(number: PhoneNumber, default: str) -> str:
    return _COUNTRY_ZONES.get(number.country_code, default)


_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_hhmm(text: str) -> time:
    match = _HHMM.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day like 09:00")
    return time(int(match[1]), int(match[2]))


def in_windows(local: datetime, windows: Sequence[dict[str, Any]]) -> bool:
    """`local` (the callee's wall clock) falls in one of the windows; no windows = never."""
    for w in windows:
        days = w.get("days") or range(1, 8)
        if local.isoweekday() in days and parse_hhmm(w["start"]) <= local.time() < parse_hhmm(
            w["end"]
        ):
            return True
    return False


def _windows_sql(windows: Sequence[dict[str, Any]], now: datetime) -> ColumnElement[bool]:
    """The same test as `in_windows`, in SQL, against each lead's own time zone."""
    local = func.timezone(Lead.timezone, literal(now))
    clauses = []
    for w in windows:
        clause = and_(
            cast(local, Time) >= parse_hhmm(w["start"]),
            cast(local, Time) < parse_hhmm(w["end"]),
        )
        if w.get("days"):
            clause = and_(clause, func.extract("isodow", local).in_(list(w["days"])))
        clauses.append(clause)
    return or_(*clauses) if clauses else literal(False)


# --- do-not-call (TEN-7 black list + the campaign's own list) ----------------------------------


def black_list_e164(business_id: UUID | None, now: datetime) -> Any:
    """E.164 forms of the tenant's black-list numbers that apply to a campaign of `business_id`.

    TEN-7 stores numbers as `app/lib/numbers.normalize_number` leaves them: `+<digits>` or
    national digits. National Chinese forms are turned into E.164 here, as
    `app/dialer/numbers.normalize` would: mobile and 400/800 take `+86`, `0<area>...` drops
    its trunk `0`. Anything else compares as written."""
    n = CallerListEntry.number
    e164 = func.coalesce(
        func.nullif(func.regexp_replace(n, r"^(1[3-9][0-9]{9}|[48]00[0-9]{7})$", r"+86\1"), n),
        func.nullif(func.regexp_replace(n, r"^0([1-9][0-9]{8,10})$", r"+86\1"), n),
        n,
    )
    return select(e164).where(
        CallerListEntry.list_kind == "black",
        or_(CallerListEntry.business_id.is_(None), CallerListEntry.business_id == business_id),
        or_(CallerListEntry.expires_at.is_(None), CallerListEntry.expires_at > now),
    )


def campaign_dnc(campaign_id: UUID) -> Any:
    return select(CampaignDnc.number).where(CampaignDnc.campaign_id == campaign_id)


# --- next_leads: what the dialer may dial now ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class DialableLead:
    lead_id: UUID
    phone: str  # E.164, for the dialer only: never for agents
    timezone: str
    attempt: int  # the number this attempt will have (1 = first)
    kind: str  # "callback" | "retry" | "new"
    agent_id: UUID | None  # the agent it belongs to (callbacks, distributed leads)


def campaign_is_live(campaign: Campaign, now: datetime) -> bool:
    if campaign.status != CampaignStatus.RUNNING:
        return False
    today = now.astimezone(ZoneInfo(campaign.timezone)).date()
    if campaign.starts_on and today < campaign.starts_on:
        return False
    return not (campaign.ends_on and today > campaign.ends_on)


def _dialable(campaign: Campaign, now: datetime) -> ColumnElement[bool]:
    waiting = and_(
        Lead.status.in_([LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK]),
        or_(Lead.next_attempt_at.is_(None), Lead.next_attempt_at <= now),
    )
    stale = and_(Lead.status == LeadStatus.DIALING, Lead.reserved_until < now)
    return and_(
        Lead.tenant_id == campaign.tenant_id,
        Lead.campaign_id == campaign.id,
        or_(waiting, stale),
        Lead.attempts < campaign.max_attempts,
        _windows_sql(campaign.windows, now),
        Lead.phone.not_in(campaign_dnc(campaign.id)),
        Lead.phone.not_in(black_list_e164(campaign.business_id, now)),
    )


async def next_leads(
    session: AsyncSession, campaign: Campaign, now: datetime, n: int
) -> list[DialableLead]:
    """Up to `n` leads to dial now, reserved for `RESERVATION` so that no other dialer node
    takes them (`FOR UPDATE SKIP LOCKED`). Due callbacks first, then due retries (oldest due
    first), then new leads in file order. Nothing outside the callee's calling windows, inside
    a retry delay, on a do-not-call list, or past the campaign's attempt limit (DIAL-5)."""
    if n <= 0 or not campaign_is_live(campaign, now):
        return []
    order = (
        (Lead.status == LeadStatus.CALLBACK).desc(),
        Lead.next_attempt_at.asc().nulls_last(),
        Lead.line,
    )
    picked = (
        select(Lead.id)
        .where(_dialable(campaign, now))
        .order_by(*order)
        .limit(n)
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    rows = (
        await session.execute(
            update(Lead)
            .where(Lead.tenant_id == campaign.tenant_id, Lead.id.in_(select(picked.c.id)))
            .values(status=LeadStatus.DIALING, reserved_until=now + RESERVATION)
            .returning(
                Lead.id,
                Lead.phone,
                Lead.timezone,
                Lead.attempts,
                Lead.next_attempt_at,
                Lead.line,
                Lead.assigned_agent_id,
                Lead.last_outcome,
                select(Callback.id)
                .where(
                    Callback.tenant_id == Lead.tenant_id,
                    Callback.lead_id == Lead.id,
                    Callback.status == "pending",
                )
                .limit(1)
                .scalar_subquery(),
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    leads = [
        DialableLead(
            r[0],
            r[1],
            r[2],
            r[3] + 1,
            "callback" if r[8] else ("retry" if r[3] else "new"),
            r[6],
        )
        for r in rows
    ]
    rank = {"callback": 0, "retry": 1, "new": 2}
    by_id = {r[0]: r for r in rows}
    return sorted(
        leads,
        key=lambda d: (rank[d.kind], by_id[d.lead_id][4] or now, by_id[d.lead_id][5]),
    )


# --- attempts and retry rules -----------------------------------------------------------------


def retry_rule(campaign: Campaign, outcome: str) -> dict[str, int]:
    rule = dict(DEFAULT_RETRY_RULES.get(outcome, {"delayMinutes": 60, "maxAttempts": 1}))
    rule.update(campaign.retry_rules.get(outcome, {}))
    return rule


async def start_attempt(
    session: AsyncSession,
    lead: Lead,
    at: datetime,
    *,
    call_key: str | None = None,
    agent_id: UUID | None = None,
) -> LeadAttempt:
    attempt = LeadAttempt(
        tenant_id=lead.tenant_id,
        lead_id=lead.id,
        campaign_id=lead.campaign_id,
        list_id=lead.list_id,
        call_key=call_key,
        started_at=at,
        agent_id=agent_id,
        abandoned=False,
        note="",
    )
    lead.status, lead.reserved_until = LeadStatus.DIALING, at + RESERVATION
    lead.attempts += 1
    session.add(attempt)
    await session.flush()
    return attempt


def schedule_after(lead: Lead, campaign: Campaign, outcome: str, ended: datetime) -> None:
    """Where the lead goes after an attempt ended with `outcome` (DIAL-5)."""
    counts = dict(lead.outcome_counts)
    counts[outcome] = counts.get(outcome, 0) + 1
    lead.outcome_counts, lead.last_outcome, lead.reserved_until = counts, outcome, None
    if outcome in (Outcome.ANSWERED, Outcome.DELIVERED):
        lead.status, lead.next_attempt_at = LeadStatus.DONE, None
        return
    rule = retry_rule(campaign, outcome)
    retryable = outcome in RETRYABLE or outcome == Outcome.ABANDONED
    if (
        not retryable
        or counts[outcome] >= rule["maxAttempts"]
        or lead.attempts >= campaign.max_attempts
    ):
        lead.status, lead.next_attempt_at = LeadStatus.EXHAUSTED, None
        return
    lead.status = LeadStatus.RETRY
    lead.next_attempt_at = ended + timedelta(minutes=rule["delayMinutes"])


async def finish_attempt(
    session: AsyncSession,
    tenant_id: UUID,
    attempt_id: UUID,
    outcome: Outcome,
    ended_at: datetime,
    *,
    answered_at: datetime | None = None,
    sip_status: int | None = None,
    cpa_verdict: str | None = None,
    cpa_decision_ms: int | None = None,
    agent_id: UUID | None = None,
    survey_key: str | None = None,
    survey_label: str | None = None,
    message_ms: int | None = None,
) -> LeadAttempt:
    """What the dialer runtime calls when a call ends: the attempt row, then the lead's next
    state by the campaign's retry rules."""
    attempt = await _attempt(session, tenant_id, attempt_id)
    lead, campaign = await _lead_and_campaign(session, tenant_id, attempt.lead_id)
    attempt.outcome, attempt.ended_at, attempt.answered_at = outcome, ended_at, answered_at
    attempt.sip_status, attempt.cpa_verdict = sip_status, cpa_verdict
    attempt.cpa_decision_ms, attempt.abandoned = cpa_decision_ms, outcome == Outcome.ABANDONED
    attempt.agent_id = agent_id or attempt.agent_id
    attempt.survey_key, attempt.survey_label = survey_key, survey_label  # DIAL-8
    attempt.message_ms = message_ms
    schedule_after(lead, campaign, outcome, ended_at)
    await session.flush()
    return attempt


async def _attempt(session: AsyncSession, tenant_id: UUID, attempt_id: UUID) -> LeadAttempt:
    attempt = await session.get(LeadAttempt, (tenant_id, attempt_id))
    if attempt is None:
        raise LookupError("no such attempt")
    return attempt


async def _lead_and_campaign(
    session: AsyncSession, tenant_id: UUID, lead_id: UUID
) -> tuple[Lead, Campaign]:
    lead = await session.get(Lead, (tenant_id, lead_id), with_for_update=True)
    if lead is None:
        raise LookupError("no such lead")
    campaign = await session.get(Campaign, (tenant_id, lead.campaign_id))
    assert campaign is not None
    return lead, campaign


async def set_disposition(
    session: AsyncSession, tenant_id: UUID, attempt: LeadAttempt, code: str, note: str
) -> Disposition:
    """DIAL-7: the agent's disposition and notes; a non-final one puts the lead back for a
    later call (the `answered` retry rule)."""
    disposition = await session.scalar(
        select(Disposition).where(
            Disposition.tenant_id == tenant_id,
            Disposition.campaign_id == attempt.campaign_id,
            Disposition.code == code,
        )
    )
    if disposition is None:
        raise LookupError(f"no disposition {code!r} in this campaign")
    lead, campaign = await _lead_and_campaign(session, tenant_id, attempt.lead_id)
    attempt.disposition, attempt.note = code, note
    lead.disposition = code
    if not disposition.is_final and lead.status == LeadStatus.DONE:
        rule = retry_rule(campaign, Outcome.ANSWERED)
        if lead.outcome_counts.get(Outcome.ANSWERED, 0) < rule["maxAttempts"]:
            lead.status = LeadStatus.RETRY
            lead.next_attempt_at = (attempt.ended_at or attempt.started_at) + timedelta(
                minutes=rule["delayMinutes"]
            )
    await session.flush()
    return disposition


# --- callbacks (DIAL-5) -----------------------------------------------------------------------


async def schedule_callback(
    session: AsyncSession,
    tenant_id: UUID,
    lead_id: UUID,
    due_at: datetime,
    *,
    agent_id: UUID | None,
    note: str = "",
) -> Callback:
    """The lead comes back at `due_at` (still only inside its calling windows), to this agent."""
    lead, _ = await _lead_and_campaign(session, tenant_id, lead_id)
    await session.execute(
        update(Callback)
        .where(Callback.tenant_id == tenant_id, Callback.lead_id == lead_id)
        .where(Callback.status == "pending")
        .values(status="cancelled")
    )
    callback = Callback(
        tenant_id=tenant_id,
        lead_id=lead_id,
        campaign_id=lead.campaign_id,
        agent_id=agent_id,
        due_at=due_at,
        note=note,
        status="pending",
    )
    lead.status, lead.next_attempt_at, lead.reserved_until = LeadStatus.CALLBACK, due_at, None
    if agent_id is not None:
        lead.assigned_agent_id = agent_id
    session.add(callback)
    await session.flush()
    return callback


async def due_reminders(
    session: AsyncSession, tenant_id: UUID, now: datetime, ahead: timedelta
) -> list[tuple[Callback, Lead]]:
    """Pending callbacks due within `ahead` and not yet reminded; marks them reminded, so each
    reminder is sent once whoever runs this."""
    rows = (
        await session.execute(
            select(Callback, Lead)
            .join(Lead, and_(Lead.tenant_id == Callback.tenant_id, Lead.id == Callback.lead_id))
            .where(
                Callback.tenant_id == tenant_id,
                Callback.status == "pending",
                Callback.reminded_at.is_(None),
                Callback.due_at <= now + ahead,
            )
            .order_by(Callback.due_at)
            .with_for_update(of=Callback, skip_locked=True)
        )
    ).all()
    for callback, _ in rows:
        callback.reminded_at = now
    await session.flush()
    return [(c, lead) for c, lead in rows]


# --- distribution (DIAL-1) and agents' view ------------------------------------------------------


def agent_scope(tenant_id: UUID, user_id: UUID, group_id: UUID | None) -> ColumnElement[bool]:
    """Leads an agent may see and dial: given to them, to their group, or (undistributed) in a
    campaign they or their group are assigned to."""
    campaign_has_agent = exists(
        select(Campaign.id).where(
            Campaign.tenant_id == tenant_id,
            Campaign.id == Lead.campaign_id,
            or_(
                Campaign.agent_ids.contains([user_id]),
                Campaign.group_ids.contains([group_id]) if group_id else literal(False),
            ),
        )
    )
    undistributed = and_(
        Lead.assigned_agent_id.is_(None), Lead.assigned_group_id.is_(None), campaign_has_agent
    )
    mine = [Lead.assigned_agent_id == user_id, undistributed]
    if group_id:
        mine.append(and_(Lead.assigned_agent_id.is_(None), Lead.assigned_group_id == group_id))
    return and_(Lead.tenant_id == tenant_id, or_(*mine))


async def group_of(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> UUID | None:
    return await session.scalar(
        select(AgentGroupMember.group_id).where(
            AgentGroupMember.tenant_id == tenant_id, AgentGroupMember.user_id == user_id
        )
    )
