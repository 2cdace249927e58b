"""BILL-2 credit limit: outbound calling stops once the tenant's unpaid rated cost exceeds
its limit. The dialer and click-to-call ask `may_dial(tenant_id)` before placing a call.

Unpaid = every rated call cost minus the usage already paid on Stripe invoices. No limit set
(None): always allowed. The figure lags rating by one sweep; a limit is a brake, not a meter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select

from app.billing.models import BillingAccount
from app.billing.services import unpaid_cost
from app.db.session import tenant_session


@dataclass(frozen=True)
class CreditDecision:
    allowed: bool
    reason: str
    unpaid: Decimal
    limit: Decimal | None

    def __bool__(self) -> bool:
        return self.allowed


async def may_dial(tenant_id: UUID) -> CreditDecision:
    """`if not (d := await may_dial(t)): refuse(d.reason)`."""
    async with tenant_session(tenant_id) as session:
        limit = await session.scalar(
            select(BillingAccount.credit_limit).where(BillingAccount.tenant_id == tenant_id)
        )
        unpaid = await unpaid_cost(session, tenant_id)
    if limit is not None and unpaid > limit:
        reason = (
            f"Credit limit reached: unpaid call charges {unpaid:.2f} exceed the limit {limit:.2f}."
        )
        return CreditDecision(False, reason, unpaid, limit)
    return CreditDecision(True, "", unpaid, limit)
