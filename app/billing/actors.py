"""Dramatiq actors of billing: rate finished calls (BILL-1), keep Stripe in step (BILL-2).

`rate_calls` is idempotent by nature (charges are upserted per call) and also runs under
`run_once` with the caller's key, so a sweep per period (`billing-rate:<period>`) or a
message per landed CDR batch rates each call once however often it is sent.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import dramatiq

import app.worker  # noqa: F401  (the broker first)
from app.billing import services, stripe_billing
from app.worker.idempotency import run_once


@dramatiq.actor(queue_name="billing", max_retries=5)  # type: ignore[arg-type]
async def rate_calls(tenant_id: str, key: str) -> None:
    """BILL-1: rate the tenant's finished calls that have no charge yet."""
    tid = UUID(tenant_id)

    async def work() -> dict[str, Any]:
        return {"rated": await services.rate_calls(tid)}

    await run_once(tid, key, "rate_calls", work)


@dramatiq.actor(queue_name="billing", max_retries=5)  # type: ignore[arg-type]
async def sync_seats(tenant_id: str) -> None:
    """BILL-2: subscription quantity = agent seats (send it when agents are added/removed)."""
    await stripe_billing.sync_seats(UUID(tenant_id))


@dramatiq.actor(queue_name="billing", max_retries=5)  # type: ignore[arg-type]
async def report_usage(tenant_id: str, key: str) -> None:
    """BILL-2: rate, then send the unreported call cost to Stripe as an invoice item."""
    tid = UUID(tenant_id)

    async def work() -> dict[str, Any]:
        await services.rate_calls(tid)
        item = await stripe_billing.report_usage(tid)
        return {"stripeItemId": item.stripe_item_id if item else None}

    await run_once(tid, key, "report_usage", work)


@dramatiq.actor(queue_name="billing", max_retries=5)  # type: ignore[arg-type]
async def rate_new_calls(tenant_id: str) -> None:
    """BILL-1 sweep (the worker scheduler, every period): rate the finished calls that have no
    charge. No job row: a duplicated message finds nothing left to rate."""
    await services.rate_calls(UUID(tenant_id))
