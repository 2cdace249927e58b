"""BILL-1: rate tables, rating CDRs into `call_charge`, cost totals for a period.

Rating is idempotent: a call's charge is upserted on (tenant_id, call_record_id), so a
duplicated sweep or a re-rating after a price change updates the same row. Calls rated:
finished `outbound` calls (the dialed number against the outbound table) and `inbound` calls
(the caller's number against the inbound table); `internal` calls are free and not rated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import and_, func, null, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import CallCharge, Rate, RateTable
from app.billing.rating import RateRow, call_cost, longest_prefix, talk_seconds
from app.calls.models import CallRecord
from app.db.session import tenant_session

RATED_DIRECTIONS = ("outbound", "inbound")
BATCH = 500
GroupBy = Literal["seat", "queue", "campaign", "tenant"]


@dataclass
class LoadedTable:
    currency: str
    rates: dict[str, RateRow]


async def load_tables(session: AsyncSession, tenant_id: UUID) -> dict[str, LoadedTable]:
    """The tenant's rate tables by direction, each as prefix -> rate."""
    tables = {
        t.id: t
        for t in await session.scalars(select(RateTable).where(RateTable.tenant_id == tenant_id))
    }
    out = {t.direction: LoadedTable(t.currency, {}) for t in tables.values()}
    for r in await session.scalars(select(Rate).where(Rate.tenant_id == tenant_id)):
        table = tables[r.rate_table_id]
        out[table.direction].rates[r.prefix] = RateRow(
            r.id, r.prefix, r.price_per_minute, r.initial_increment, r.increment, r.connection_fee
        )
    return out


def rated_number(call: CallRecord) -> str:
    return call.to_number if call.direction == "outbound" else call.from_number


def charge_values(
    tenant_id: UUID,
    call: CallRecord,
    tables: dict[str, LoadedTable],
    campaigns: dict[str, UUID],
) -> dict[str, Any]:
    assert call.ended_at is not None  # only finished calls are selected
    number = rated_number(call)
    duration = talk_seconds(call.answered_at, call.ended_at)
    table = tables.get(call.direction)
    rate = longest_prefix(table.rates, number) if table else None
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "call_record_id": call.id,
        "call_key": call.call_key,
        "direction": call.direction,
        "number": number,
        "ended_at": call.ended_at,
        "agent_user_id": call.agent_user_id,
        "queue_id": call.queue_id,
        "campaign_id": campaigns.get(call.call_key),
        "duration_seconds": duration,
        "currency": table.currency if table else "",
        "rate_id": rate.id if rate else None,
        "prefix": rate.prefix if rate else None,
        "billable_seconds": 0,
        "cost": Decimal(0),
    }
    if duration == 0:
        values["status"] = "unanswered"
    elif rate is None:
        values["status"] = "no_rate"
    else:
        values["billable_seconds"], values["cost"] = call_cost(rate, duration)
        values["status"] = "rated"
    return values


async def campaigns_of(session: AsyncSession, tenant_id: UUID, keys: list[str]) -> dict[str, UUID]:
    from app.dialer.models import LeadAttempt

    rows = await session.execute(
        select(LeadAttempt.call_key, LeadAttempt.campaign_id).where(
            LeadAttempt.tenant_id == tenant_id, LeadAttempt.call_key.in_(keys)
        )
    )
    return {key: campaign for key, campaign in rows if key is not None}


async def rate_calls(
    tenant_id: UUID,
    *,
    rerate: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Rate the tenant's finished calls not rated yet (all of them in [since, until) when
    `rerate`); returns how many charges were written."""
    written = 0
    after: UUID | None = None
    while True:
        async with tenant_session(tenant_id) as session:
            tables = await load_tables(session, tenant_id)
            q = (
                select(CallRecord)
                .where(
                    CallRecord.tenant_id == tenant_id,
                    CallRecord.direction.in_(RATED_DIRECTIONS),
                    CallRecord.ended_at.is_not(None),
                )
                .order_by(CallRecord.id)
                .limit(BATCH)
            )
            if after is not None:
                q = q.where(CallRecord.id > after)
            if since is not None:
                q = q.where(CallRecord.ended_at >= since)
            if until is not None:
                q = q.where(CallRecord.ended_at < until)
            if not rerate:
                q = q.outerjoin(
                    CallCharge,
                    and_(
                        CallCharge.tenant_id == CallRecord.tenant_id,
                        CallCharge.call_record_id == CallRecord.id,
                    ),
                ).where(CallCharge.id.is_(None))
            calls = list(await session.scalars(q))
            if not calls:
                return written
            campaigns = await campaigns_of(session, tenant_id, [c.call_key for c in calls])
            rows = [charge_values(tenant_id, c, tables, campaigns) for c in calls]
            stmt = insert(CallCharge)
            await session.execute(
                stmt.on_conflict_do_update(
                    constraint="uq_call_charge_call",
                    set_={
                        k: stmt.excluded[k]
                        for k in rows[0]
                        if k not in ("tenant_id", "call_record_id")
                    }
                    | {"updated_at": func.now()},
                ),
                rows,
            )
            written += len(rows)
            after = calls[-1].id


@dataclass
class Total:
    key: UUID | None
    calls: int
    billable_seconds: int
    cost: Decimal


GROUP_COLUMNS = {
    "seat": CallCharge.agent_user_id,
    "queue": CallCharge.queue_id,
    "campaign": CallCharge.campaign_id,
}


async def totals(
    session: AsyncSession, tenant_id: UUID, since: datetime, until: datetime, by: GroupBy
) -> list[Total]:
    """Rated calls, billable seconds and cost ended in [since, until), per seat (agent),
    queue (group), campaign or for the whole tenant (one row, key None)."""
    column = GROUP_COLUMNS.get(by)
    key = column if column is not None else null()
    q = select(
        key.label("key"),
        func.count(),
        func.coalesce(func.sum(CallCharge.billable_seconds), 0),
        func.coalesce(func.sum(CallCharge.cost), Decimal(0)),
    ).where(
        CallCharge.tenant_id == tenant_id,
        CallCharge.ended_at >= since,
        CallCharge.ended_at < until,
        CallCharge.status == "rated",
    )
    if column is not None:
        q = q.group_by(column).order_by(column)
    rows = await session.execute(q)
    return [Total(k, int(n), int(secs), Decimal(cost)) for k, n, secs, cost in rows]


async def names(
    session: AsyncSession, tenant_id: UUID, by: GroupBy, ids: list[UUID]
) -> dict[UUID, str]:
    """Display names of seats (users), queues or campaigns, for the portal."""
    if not ids or by == "tenant":
        return {}
    if by == "seat":
        from app.tenants.models import User

        cols: tuple[Any, Any, Any] = (User.id, User.display_name, User.tenant_id)
    elif by == "queue":
        from app.seats.queues import AcdQueue

        cols = (AcdQueue.id, AcdQueue.name, AcdQueue.tenant_id)
    else:
        from app.dialer.models import Campaign

        cols = (Campaign.id, Campaign.name, Campaign.tenant_id)
    rows = await session.execute(
        select(cols[0], cols[1]).where(cols[2] == tenant_id, cols[0].in_(ids))
    )
    return {i: str(n) for i, n in rows}


async def unpaid_cost(session: AsyncSession, tenant_id: UUID) -> Decimal:
    """Every rated cost minus the usage already paid on Stripe invoices."""
    from app.billing.models import UsageItem

    rated = await session.scalar(
        select(func.coalesce(func.sum(CallCharge.cost), Decimal(0))).where(
            CallCharge.tenant_id == tenant_id
        )
    )
    paid_minor = await session.scalar(
        select(func.coalesce(func.sum(UsageItem.amount_minor), 0)).where(
            UsageItem.tenant_id == tenant_id, UsageItem.paid.is_(True)
        )
    )
    return Decimal(rated or 0) - Decimal(paid_minor or 0) / 100
