"""Campaign rules (DIAL-1, DIAL-5, DIAL-10): validation, the trunk channel budget, start/pause,
distribution of leads to agents and groups, abandonment rates and per-list reports.

The trunk budget is checked at the data level: the campaigns RUNNING on one trunk may together
hold at most the trunk's `max_channels`, so two campaigns never dial into each other's lines.
callcontrol enforces it again at run time (live channel counters in Redis).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Uuid, and_, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import utcnow
from app.dialer import messages
from app.dialer.leads import parse_hhmm, valid_zone
from app.dialer.models import (
    AgentGroup,
    AgentGroupMember,
    Campaign,
    CampaignMode,
    CampaignStatus,
    Disposition,
    Lead,
    LeadAttempt,
    LeadList,
    LeadStatus,
    Outcome,
)
from app.dialer.pacing import PacingConfig
from app.edge.models import Trunk
from app.tenants.models import User


class CampaignError(ValueError):
    """A campaign setting a tenant admin has to fix; str() says what."""


RETRY_OUTCOMES = {o.value for o in Outcome} - {Outcome.INVALID, Outcome.DELIVERED}


def check_windows(windows: list[dict[str, Any]]) -> None:
    for w in windows:
        try:
            start, end = parse_hhmm(w["start"]), parse_hhmm(w["end"])
        except (KeyError, ValueError) as exc:
            raise CampaignError(f"calling window {w}: {exc}") from exc
        if start >= end:
            raise CampaignError(
                f"calling window {w['start']}-{w['end']}: the end must be after the start "
                "(split a window that crosses midnight in two)"
            )
        if any(d not in range(1, 8) for d in w.get("days") or []):
            raise CampaignError("calling window days are 1 (Monday) to 7 (Sunday)")


def check_settings(c: Campaign) -> None:
    """Everything that can be checked without other rows."""
    check_windows(c.windows)
    if not valid_zone(c.timezone):
        raise CampaignError(f"unknown time zone {c.timezone!r}")
    if c.starts_on and c.ends_on and c.ends_on < c.starts_on:
        raise CampaignError("the campaign ends before it starts")
    for outcome, rule in c.retry_rules.items():
        if outcome not in RETRY_OUTCOMES:
            raise CampaignError(f"no retry rule for outcome {outcome!r}")
        if rule.get("delayMinutes", 0) < 0 or rule.get("maxAttempts", 1) < 0:
            raise CampaignError(f"retry rule {outcome}: delay and attempts cannot be negative")
    if c.manual_ratio is not None and not 1.0 <= c.manual_ratio <= c.max_ratio:
        raise CampaignError("the manual ratio must be between 1 and the max ratio")
    pacing_config(c)  # the pacing model refuses what it cannot run
    check_messages(c)


def check_messages(c: Campaign) -> None:
    """DIAL-8: voice, texts and the survey (the message itself is needed only to run)."""
    if (c.message_voice or "zh") not in messages.VOICES:
        raise CampaignError(f"unknown voice {c.message_voice!r}: use zh or en")
    for text in (c.message_text or "", c.machine_text or ""):
        if "\0" in text:
            raise CampaignError("texts to speak cannot contain NUL characters")
    try:
        survey = messages.survey_of(c)
    except ValueError as exc:
        raise CampaignError(f"survey: {exc}") from exc
    if survey is not None and c.mode != CampaignMode.NOTIFICATION:
        raise CampaignError("only notification campaigns ask a survey after their message")


def pacing_config(c: Campaign) -> PacingConfig:
    """What `app/dialer/pacing.PacingModel` takes from a campaign (DIAL-2, DIAL-4)."""
    return PacingConfig(
        target_abandon_rate=c.target_abandon_rate,
        abandon_cap=max(c.target_abandon_rate, 0.03),
        manual_ratio=c.manual_ratio,
        max_ratio=c.max_ratio,
        max_lines=c.max_channels,
    )


async def check_references(session: AsyncSession, c: Campaign) -> None:
    """Trunk, agents and groups named by the campaign belong to its tenant."""
    if c.trunk_id is not None:
        trunk = await _trunk(session, c.tenant_id, c.trunk_id, lock=False)
        if c.max_channels > trunk.max_channels:
            raise CampaignError(
                f"the campaign wants {c.max_channels} channels; trunk {trunk.name!r} has "
                f"{trunk.max_channels}"
            )
    wanted = set(messages.prompt_ids(c))
    if wanted:
        from app.ivr_builder.models import IvrPrompt

        found = await session.scalar(
            select(func.count()).where(IvrPrompt.tenant_id == c.tenant_id, IvrPrompt.id.in_(wanted))
        )
        if found != len(wanted):
            raise CampaignError("some prompts do not exist: upload them under IVR prompts first")
    if c.agent_ids:
        found = await session.scalar(
            select(func.count()).where(User.tenant_id == c.tenant_id, User.id.in_(c.agent_ids))
        )
        if found != len(set(c.agent_ids)):
            raise CampaignError("some agents do not exist")
    if c.group_ids:
        found = await session.scalar(
            select(func.count()).where(
                AgentGroup.tenant_id == c.tenant_id, AgentGroup.id.in_(c.group_ids)
            )
        )
        if found != len(set(c.group_ids)):
            raise CampaignError("some agent groups do not exist")


async def _trunk(session: AsyncSession, tenant_id: UUID, trunk_id: UUID, *, lock: bool) -> Trunk:
    query = select(Trunk).where(Trunk.tenant_id == tenant_id, Trunk.id == trunk_id)
    trunk = await session.scalar(query.with_for_update() if lock else query)
    if trunk is None:
        raise CampaignError("no such trunk")
    return trunk


async def check_trunk_budget(session: AsyncSession, c: Campaign) -> None:
    """DIAL-10: running campaigns on one trunk share its channels without overbooking. The
    trunk row is locked so that two campaigns starting at once are checked one after the
    other."""
    if c.trunk_id is None:
        return
    trunk = await _trunk(session, c.tenant_id, c.trunk_id, lock=True)
    others = await session.scalar(
        select(func.coalesce(func.sum(Campaign.max_channels), 0)).where(
            Campaign.tenant_id == c.tenant_id,
            Campaign.trunk_id == c.trunk_id,
            Campaign.status == CampaignStatus.RUNNING,
            Campaign.id != c.id,
        )
    )
    if int(others or 0) + c.max_channels > trunk.max_channels:
        raise CampaignError(
            f"trunk {trunk.name!r} has {trunk.max_channels} channels and running campaigns "
            f"already hold {others}; this one wants {c.max_channels}"
        )


async def change_status(session: AsyncSession, c: Campaign, target: CampaignStatus) -> None:
    allowed = {
        CampaignStatus.RUNNING: {CampaignStatus.DRAFT, CampaignStatus.PAUSED},
        CampaignStatus.PAUSED: {CampaignStatus.RUNNING},
        CampaignStatus.FINISHED: {
            CampaignStatus.DRAFT,
            CampaignStatus.RUNNING,
            CampaignStatus.PAUSED,
        },
    }
    if c.status not in allowed[target]:
        raise CampaignError(f"a {c.status} campaign cannot become {target}")
    if target == CampaignStatus.RUNNING:
        check_settings(c)
        if not c.windows:
            raise CampaignError("a campaign needs at least one calling window to run")
        if c.mode == CampaignMode.NOTIFICATION and not messages.has_message(c):
            raise CampaignError(
                "a notification campaign needs its message: a recorded prompt or text to speak"
            )
        await check_trunk_budget(session, c)
    c.status = target
    await session.flush()


# --- distribution (DIAL-1) ------------------------------------------------------------------


async def campaign_agents(session: AsyncSession, c: Campaign) -> list[UUID]:
    """The campaign's agents: named ones, then members of its groups."""
    members = (
        await session.scalars(
            select(AgentGroupMember.user_id)
            .where(
                AgentGroupMember.tenant_id == c.tenant_id,
                AgentGroupMember.group_id.in_(c.group_ids or []),
            )
            .order_by(AgentGroupMember.created_at)
        )
    ).all()
    return list(dict.fromkeys([*c.agent_ids, *members]))


async def distribute_evenly(
    session: AsyncSession, c: Campaign, *, agents: list[UUID], groups: list[UUID], reassign: bool
) -> dict[str, int]:
    """Round-robin in file order over agents (or groups): sizes differ by at most one."""
    targets, column = (agents, "assigned_agent_id") if agents else (groups, "assigned_group_id")
    if not targets:
        raise CampaignError("nobody to distribute to: give agents or groups")
    scope = [
        Lead.tenant_id == c.tenant_id,
        Lead.campaign_id == c.id,
        Lead.status.in_([LeadStatus.NEW, LeadStatus.RETRY]),
    ]
    if not reassign:
        scope += [Lead.assigned_agent_id.is_(None), Lead.assigned_group_id.is_(None)]
    ranked = (
        select(Lead.id, (func.row_number().over(order_by=Lead.line) - 1).label("rn"))
        .where(*scope)
        .subquery()
    )
    pick = func.cast(ranked.c.rn % len(targets), Integer)
    target = case(*[(pick == i, literal(t, Uuid)) for i, t in enumerate(targets)])
    other = "assigned_group_id" if column == "assigned_agent_id" else "assigned_agent_id"
    await session.execute(
        update(Lead)
        .where(Lead.tenant_id == c.tenant_id, Lead.id == ranked.c.id)
        .values({column: target, other: None})
        .execution_options(synchronize_session=False)
    )
    return await _assignment_counts(session, c, column)


async def distribute_by_rule(
    session: AsyncSession, c: Campaign, rules: list[dict[str, Any]]
) -> dict[str, int]:
    """Each rule `{"field": "city", "value": "Beijing", "agentId"|"groupId": ...}` gives the
    matching unassigned leads (custom field or `name`) to one agent or group, first rule wins."""
    for rule in rules:
        field, value = rule["field"], str(rule["value"])
        matches = Lead.name == value if field == "name" else Lead.fields[field].astext == value
        values = (
            {"assigned_agent_id": rule["agentId"], "assigned_group_id": None}
            if rule.get("agentId")
            else {"assigned_group_id": rule["groupId"], "assigned_agent_id": None}
        )
        await session.execute(
            update(Lead)
            .where(
                Lead.tenant_id == c.tenant_id,
                Lead.campaign_id == c.id,
                Lead.assigned_agent_id.is_(None),
                Lead.assigned_group_id.is_(None),
                matches,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
    return await _assignment_counts(session, c, "assigned_agent_id") | await _assignment_counts(
        session, c, "assigned_group_id"
    )


async def _assignment_counts(session: AsyncSession, c: Campaign, column: str) -> dict[str, int]:
    col = getattr(Lead, column)
    rows = await session.execute(
        select(col, func.count())
        .where(Lead.tenant_id == c.tenant_id, Lead.campaign_id == c.id, col.is_not(None))
        .group_by(col)
    )
    return {str(k): int(v) for k, v in rows.all()}


async def move_agents(
    session: AsyncSession, tenant_id: UUID, group_id: UUID, user_ids: list[UUID]
) -> int:
    """Batch move (DIAL-1): the agents leave whatever group they were in and join this one."""
    found = await session.scalar(
        select(func.count()).where(User.tenant_id == tenant_id, User.id.in_(user_ids))
    )
    if found != len(set(user_ids)):
        raise CampaignError("some agents do not exist")
    now = utcnow()
    stmt = insert(AgentGroupMember).values(
        [
            {
                "tenant_id": tenant_id,
                "group_id": group_id,
                "user_id": u,
                "created_at": now,
                "updated_at": now,
            }
            for u in dict.fromkeys(user_ids)
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_dialer_agent_group_member_user",
            set_={"group_id": group_id, "updated_at": now},
        )
    )
    return len(set(user_ids))


# --- compliance and reports ------------------------------------------------------------------


async def abandonment(session: AsyncSession, c: Campaign, now: datetime) -> dict[str, Any]:
    """Abandoned calls over live answered calls (Ofcom's measure), per day in the campaign's
    zone for the last 30 days and over the 30 days as a whole."""
    since = now - timedelta(days=30)
    day = func.date(func.timezone(c.timezone, LeadAttempt.started_at)).label("day")
    live = func.count().filter(LeadAttempt.outcome.in_([Outcome.ANSWERED, Outcome.ABANDONED]))
    abandoned = func.count().filter(LeadAttempt.abandoned)
    rows = (
        await session.execute(
            select(day, live, abandoned)
            .where(
                LeadAttempt.tenant_id == c.tenant_id,
                LeadAttempt.campaign_id == c.id,
                LeadAttempt.started_at >= since,
                LeadAttempt.started_at <= now,
            )
            .group_by(day)
            .order_by(day)
        )
    ).all()
    days = [_rate(d, int(lv), int(ab)) for d, lv, ab in rows]
    total_live, total_ab = sum(d["live"] for d in days), sum(d["abandoned"] for d in days)
    return {"days": days, "last30": _rate(None, total_live, total_ab)}


NOT_ANSWERED = (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.FAILED, Outcome.INVALID)


async def survey_tally(session: AsyncSession, c: Campaign) -> dict[str, Any]:
    """DIAL-8: what a notification campaign reached and what people answered. Keys come with
    the campaign's labels (a key no longer offered keeps the label stored with its answers)."""
    on_machine = func.coalesce(LeadAttempt.cpa_verdict == "machine", False)
    rows = (
        await session.execute(
            select(
                LeadAttempt.outcome,
                on_machine,
                LeadAttempt.survey_key,
                func.max(LeadAttempt.survey_label),
                func.count(),
            )
            .where(
                LeadAttempt.tenant_id == c.tenant_id,
                LeadAttempt.campaign_id == c.id,
                LeadAttempt.outcome.is_not(None),
            )
            .group_by(LeadAttempt.outcome, on_machine, LeadAttempt.survey_key)
        )
    ).all()
    try:
        survey = messages.survey_of(c)
    except ValueError:
        survey = None
    labels = dict(survey.keys) if survey else {}
    counts = dict.fromkeys(labels, 0)
    by_outcome: dict[str, int] = {}
    people = machines = no_key = 0
    for outcome, machine, key, label, n in rows:
        n = int(n)
        by_outcome[str(outcome)] = by_outcome.get(str(outcome), 0) + n
        if outcome != Outcome.DELIVERED:
            continue
        if machine:
            machines += n
            continue
        people += n
        if key:
            counts[key] = counts.get(key, 0) + n
            labels.setdefault(key, label or "")
        else:
            no_key += n
    delivered = people + machines
    attempts = sum(by_outcome.values())
    return {
        "campaignId": str(c.id),
        "attempts": attempts,
        "delivered": delivered,
        "deliveredToPeople": people,
        "leftOnMachines": machines,
        "notDelivered": attempts - delivered,
        "notAnswered": sum(by_outcome.get(o, 0) for o in NOT_ANSWERED),
        "byOutcome": by_outcome,
        "answered": sum(counts.values()),
        "noKey": no_key,
        "keys": [{"key": k, "label": labels.get(k, ""), "count": n} for k, n in counts.items()],
    }


def _rate(day: date | None, live: int, abandoned: int) -> dict[str, Any]:
    return {
        "day": day.isoformat() if day else None,
        "live": live,
        "abandoned": abandoned,
        "rate": abandoned / live if live else 0.0,
    }


async def list_report(session: AsyncSession, lead_list: LeadList) -> dict[str, Any]:
    """Counts by outcome, contact rate and conversions by disposition for one imported list."""
    tid, lid = lead_list.tenant_id, lead_list.id
    by_outcome: dict[Any, int] = dict(
        (
            await session.execute(
                select(LeadAttempt.outcome, func.count())
                .where(LeadAttempt.tenant_id == tid, LeadAttempt.list_id == lid)
                .group_by(LeadAttempt.outcome)
            )
        )
        .tuples()
        .all()
    )
    by_status: dict[Any, int] = dict(
        (
            await session.execute(
                select(Lead.status, func.count())
                .where(Lead.tenant_id == tid, Lead.list_id == lid)
                .group_by(Lead.status)
            )
        )
        .tuples()
        .all()
    )
    dispositions = (
        await session.execute(
            select(Lead.disposition, func.count(), func.bool_or(Disposition.is_success))
            .join(
                Disposition,
                and_(
                    Disposition.tenant_id == Lead.tenant_id,
                    Disposition.campaign_id == Lead.campaign_id,
                    Disposition.code == Lead.disposition,
                ),
            )
            .where(Lead.tenant_id == tid, Lead.list_id == lid)
            .group_by(Lead.disposition)
        )
    ).all()
    dialled = await _count_leads(session, lead_list, Lead.attempts > 0)
    contacted = await _count_leads(
        session, lead_list, Lead.outcome_counts.has_key(Outcome.ANSWERED.value)
    )
    sales = sum(int(n) for _, n, success in dispositions if success)
    return {
        "listId": str(lid),
        "leads": sum(by_status.values()),
        "byStatus": by_status,
        "attemptsByOutcome": {str(k): v for k, v in by_outcome.items()},
        "dialled": dialled,
        "contacted": contacted,
        "contactRate": contacted / dialled if dialled else 0.0,
        "byDisposition": {str(code): int(n) for code, n, _ in dispositions},
        "conversions": sales,
        "conversionRate": sales / contacted if contacted else 0.0,
    }


async def _count_leads(session: AsyncSession, lead_list: LeadList, where: Any) -> int:
    return int(
        await session.scalar(
            select(func.count()).where(
                Lead.tenant_id == lead_list.tenant_id, Lead.list_id == lead_list.id, where
            )
        )
        or 0
    )


def local_day_bounds(now: datetime, zone: str) -> tuple[datetime, datetime]:
    local = now.astimezone(ZoneInfo(zone))
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
