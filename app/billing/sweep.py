"""Billing's periodic work: the worker scheduler (`app/worker/scheduler.py`) calls
`sweep(tenant_id)` for every active tenant each period (a minute).

BILL-1: `rate_new_calls` is sent only when a finished call of the tenant has no charge yet.
BILL-2: `sync_seats` is sent only when the tenant is subscribed and its number of agent seats
differs from the subscription's quantity, so agents added or removed are billed within a
period. Idle tenants cost two small queries."""

from __future__ import annotations

import asyncio
from uuid import UUID

from sqlalchemy import and_, exists, select

from app.billing.models import BillingAccount, CallCharge
from app.billing.services import RATED_DIRECTIONS
from app.calls.models import CallRecord
from app.db.session import tenant_session


async def has_unrated_calls(tenant_id: UUID) -> bool:
    charged = exists().where(
        and_(
            CallCharge.tenant_id == CallRecord.tenant_id, CallCharge.call_record_id == CallRecord.id
        )
    )
    unrated = exists().where(
        CallRecord.tenant_id == tenant_id,
        CallRecord.direction.in_(RATED_DIRECTIONS),
        CallRecord.ended_at.is_not(None),
        ~charged,
    )
    async with tenant_session(tenant_id) as session:
        return bool(await session.scalar(select(unrated)))


async def send_rating(tenant_id: UUID) -> bool:
    """Send `rate_new_calls` if the tenant has unrated calls; True if sent."""
    if not await has_unrated_calls(tenant_id):
        return False
    from app.billing.actors import rate_new_calls

    await asyncio.to_thread(rate_new_calls.send, str(tenant_id))
    return True


async def seats_changed(tenant_id: UUID) -> bool:
    from app.billing.stripe_billing import count_seats, quantity

    async with tenant_session(tenant_id) as session:
        account = await session.scalar(
            select(BillingAccount).where(BillingAccount.tenant_id == tenant_id)
        )
        if account is None or account.stripe_subscription_id is None:
            return False
        return quantity(await count_seats(session, tenant_id)) != account.seats


async def sweep(tenant_id: UUID) -> list[str]:
    """Send what the tenant needs this period; returns the actors sent."""
    from app.billing.actors import sync_seats

    sent = ["rate_new_calls"] if await send_rating(tenant_id) else []
    if await seats_changed(tenant_id):
        await asyncio.to_thread(sync_seats.send, str(tenant_id))
        sent.append("sync_seats")
    return sent
