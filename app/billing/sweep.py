"""BILL-1 periodic rating: the worker scheduler (`app/worker/scheduler.py`) calls
`send_rating(tenant_id)` for every active tenant each period; a message is sent only when a
finished call of the tenant has no charge yet, so idle tenants cost one EXISTS query."""

from __future__ import annotations

import asyncio
from uuid import UUID

from sqlalchemy import and_, exists, select

from app.billing.models import CallCharge
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
