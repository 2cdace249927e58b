"""BILL-2: the tenant's SaaS billing through Stripe (the official `stripe` library, async).

Per tenant: a customer (metadata `tenant_id`), a monthly per-seat plan and a subscription
whose quantity is the number of agent seats (`agent_profile` rows), call usage reported as
pending invoice items (one per report, for the cost rated since the last one: Stripe's
metered usage records are not implemented by localstripe, which the tests run against),
invoices listed from Stripe, and webhooks (`invoice.paid` / `invoice.payment_succeeded`,
`invoice.payment_failed`) that set the account's status and mark the usage they carried paid.

Environment: `FASTLINE_STRIPE_API_KEY`, `FASTLINE_STRIPE_API_BASE` (unset: api.stripe.com;
tests: a localstripe on 127.0.0.1), `FASTLINE_STRIPE_WEBHOOK_SECRET`,
`FASTLINE_STRIPE_TRIAL_DAYS` (default 14: a new subscription starts with a trial, so no card
is needed to subscribe).
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import stripe
import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import BillingAccount, CallCharge, UsageItem
from app.billing.rating import to_minor
from app.db.session import tenant_session

log = structlog.get_logger(__name__)

PAID_EVENTS = frozenset({"invoice.paid", "invoice.payment_succeeded"})
FAILED_EVENTS = frozenset({"invoice.payment_failed"})


class BillingNotConfigured(Exception):
    pass


class CurrencyMismatch(Exception):
    pass


def trial_days() -> int:
    return int(os.environ.get("FASTLINE_STRIPE_TRIAL_DAYS", "14"))


def webhook_secret() -> str:
    secret = os.environ.get("FASTLINE_STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise BillingNotConfigured("FASTLINE_STRIPE_WEBHOOK_SECRET is not set")
    return secret


class HttpxClient(stripe.HTTPXClient):
    """stripe-python hands its form body to httpx as `data=<str>`, which httpx deprecates
    (DeprecationWarning, an error under our test settings): pass it as `content=`."""

    def _get_request_args_kwargs(self, method: str, url: str, headers: Any, post_data: Any):
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        body = kwargs.pop("data", None)
        if isinstance(body, bytes | str):
            kwargs["content"] = body
        elif body:
            kwargs["data"] = body
        return args, kwargs


@asynccontextmanager
async def stripe_client() -> AsyncIterator[stripe.StripeClient]:
    key = os.environ.get("FASTLINE_STRIPE_API_KEY", "")
    if not key:
        raise BillingNotConfigured("FASTLINE_STRIPE_API_KEY is not set")
    base = os.environ.get("FASTLINE_STRIPE_API_BASE")
    http = HttpxClient()
    client = stripe.StripeClient(
        key, http_client=http, base_addresses={"api": base} if base else {}, max_network_retries=2
    )
    try:
        yield client
    finally:
        await http.close_async()


async def get_account(session: AsyncSession, tenant_id: UUID) -> BillingAccount:
    """The tenant's billing account, created on first use."""
    account = await session.scalar(
        select(BillingAccount).where(BillingAccount.tenant_id == tenant_id).with_for_update()
    )
    if account is None:
        account = BillingAccount(tenant_id=tenant_id, currency="cny", seat_price_minor=0, seats=0)
        session.add(account)
        await session.flush()
    return account


async def count_seats(session: AsyncSession, tenant_id: UUID) -> int:
    from app.seats.agents import AgentProfile

    n = await session.scalar(
        select(func.count()).select_from(AgentProfile).where(AgentProfile.tenant_id == tenant_id)
    )
    return int(n or 0)


def quantity(seats: int) -> int:
    return max(seats, 1)  # Stripe refuses a quantity of 0


async def subscribe(tenant_id: UUID, tenant_name: str) -> BillingAccount:
    """Create (once) the customer, the per-seat plan and the subscription."""
    async with tenant_session(tenant_id) as session, stripe_client() as client:
        account = await get_account(session, tenant_id)
        if account.stripe_customer_id is None:
            customer = await client.v1.customers.create_async(
                {"name": tenant_name, "metadata": {"tenant_id": str(tenant_id)}}
            )
            account.stripe_customer_id = customer.id
        if account.stripe_plan_id is None:
            plan = await client.v1.plans.create_async(
                {
                    "amount": account.seat_price_minor,
                    "currency": account.currency,
                    "interval": "month",
                    "product": {"name": f"Fastline seats {tenant_id}"},
                    "metadata": {"tenant_id": str(tenant_id)},
                }
            )
            account.stripe_plan_id = plan.id
        if account.stripe_subscription_id is None:
            seats = await count_seats(session, tenant_id)
            sub = await client.v1.subscriptions.create_async(
                {
                    "customer": account.stripe_customer_id,
                    "items": [{"plan": account.stripe_plan_id, "quantity": quantity(seats)}],
                    # A trial: nothing is charged before the tenant has entered a card.
                    "trial_period_days": trial_days(),
                    "metadata": {"tenant_id": str(tenant_id)},
                }
            )
            account.stripe_subscription_id, account.seats = sub.id, quantity(seats)
        return account


async def sync_seats(tenant_id: UUID) -> int:
    """Set the subscription's quantity to the number of agent seats; returns it."""
    async with tenant_session(tenant_id) as session:
        account = await get_account(session, tenant_id)
        seats = quantity(await count_seats(session, tenant_id))
        if account.stripe_subscription_id is None or seats == account.seats:
            return account.seats
        async with stripe_client() as client:
            sub = await client.v1.subscriptions.retrieve_async(account.stripe_subscription_id)
            item_id = sub["items"]["data"][0]["id"]
            await client.v1.subscriptions.update_async(
                account.stripe_subscription_id,
                {"items": [{"id": item_id, "quantity": seats}]},
            )
        account.seats = seats
        return seats


async def report_usage(tenant_id: UUID, now: datetime | None = None) -> UsageItem | None:
    """Send the rated cost not reported yet as one pending invoice item (the next invoice
    bills it). The account row is locked meanwhile, so two reports never send the same cost."""
    period = (now or datetime.now(UTC)).strftime("%Y-%m")
    async with tenant_session(tenant_id) as session:
        account = await get_account(session, tenant_id)
        if account.stripe_customer_id is None:
            raise BillingNotConfigured("the tenant has no Stripe customer yet")
        currencies = set(
            await session.scalars(
                select(func.lower(CallCharge.currency))
                .where(CallCharge.tenant_id == tenant_id, CallCharge.status == "rated")
                .distinct()
            )
        )
        if currencies - {account.currency.lower()}:
            # Never bill CNY-rated calls as another currency's minor units.
            raise CurrencyMismatch(
                f"calls are rated in {', '.join(sorted(c.upper() for c in currencies))} but the "
                f"account is billed in {account.currency.upper()}"
            )
        cost, seconds = (
            await session.execute(
                select(
                    func.coalesce(func.sum(CallCharge.cost), Decimal(0)),
                    func.coalesce(func.sum(CallCharge.billable_seconds), 0),
                ).where(CallCharge.tenant_id == tenant_id)
            )
        ).one()
        sent_minor, sent_seconds = (
            await session.execute(
                select(
                    func.coalesce(func.sum(UsageItem.amount_minor), 0),
                    func.coalesce(func.sum(UsageItem.billable_seconds), 0),
                ).where(UsageItem.tenant_id == tenant_id)
            )
        ).one()
        amount = to_minor(Decimal(cost)) - int(sent_minor)
        if amount <= 0:
            return None
        minutes = (int(seconds) - int(sent_seconds)) / 60
        async with stripe_client() as client:
            item = await client.v1.invoice_items.create_async(
                {
                    "customer": account.stripe_customer_id,
                    "amount": amount,
                    "currency": account.currency,
                    "description": f"Call usage {period}: {minutes:.1f} min",
                    "metadata": {"tenant_id": str(tenant_id), "period": period},
                }
            )
        usage = UsageItem(
            tenant_id=tenant_id,
            period=period,
            stripe_item_id=item.id,
            amount_minor=amount,
            billable_seconds=int(seconds) - int(sent_seconds),
            paid=False,
        )
        session.add(usage)
        return usage


async def list_invoices(tenant_id: UUID) -> list[dict[str, Any]]:
    async with tenant_session(tenant_id) as session:
        account = await get_account(session, tenant_id)
        customer = account.stripe_customer_id
    if customer is None:
        return []
    async with stripe_client() as client:
        page = await client.v1.invoices.list_async({"customer": customer, "limit": 24})
    return [invoice_out(inv) for inv in page.data]


def invoice_out(inv: Any) -> dict[str, Any]:
    created = inv.get("created")
    return {
        "id": inv["id"],
        "number": inv.get("number") or "",
        "status": inv.get("status") or "",
        "currency": inv.get("currency") or "",
        "total": int(inv.get("total") or 0),
        "amount_due": int(inv.get("amount_due") or 0),
        "amount_paid": int(inv.get("amount_paid") or 0),
        "created": datetime.fromtimestamp(created, UTC) if created else None,
    }


def verify_event(payload: bytes, signature: str) -> dict[str, Any]:
    """The event if its `Stripe-Signature` is valid (raises `stripe.SignatureVerificationError`
    or ValueError otherwise)."""
    stripe.WebhookSignature.verify_header(
        payload.decode("utf-8"), signature, webhook_secret(), stripe.Webhook.DEFAULT_TOLERANCE
    )
    event = json.loads(payload)
    if not isinstance(event, dict):
        raise ValueError("not a Stripe event")
    return event


async def tenant_of_customer(customer_id: str) -> UUID | None:
    """The customer's `tenant_id` metadata, read back from Stripe (the webhook is not signed
    in as any tenant), then confirmed against that tenant's own account row."""
    async with stripe_client() as client:
        customer = await client.v1.customers.retrieve_async(customer_id)
    raw = (customer.get("metadata") or {}).get("tenant_id")
    try:
        tenant_id = UUID(str(raw))
    except ValueError:
        return None
    async with tenant_session(tenant_id) as session:
        found = await session.scalar(
            select(BillingAccount.id).where(
                BillingAccount.tenant_id == tenant_id,
                BillingAccount.stripe_customer_id == customer_id,
            )
        )
    return tenant_id if found is not None else None


async def handle_event(event: dict[str, Any]) -> str:
    """Apply a verified event; returns what was done (for the log and the tests)."""
    kind = str(event.get("type", ""))
    if kind not in PAID_EVENTS | FAILED_EVENTS:
        return "ignored"
    invoice = event["data"]["object"]
    tenant_id = await tenant_of_customer(str(invoice.get("customer", "")))
    if tenant_id is None:
        log.warning("stripe event for an unknown customer", type=kind)
        return "unknown customer"
    items = [
        line.get("invoice_item")
        for line in (invoice.get("lines") or {}).get("data", [])
        if line.get("invoice_item")
    ]
    async with tenant_session(tenant_id) as session:
        account = await get_account(session, tenant_id)
        account.last_invoice_id = str(invoice.get("id"))
        if kind in PAID_EVENTS:
            account.status = "active"
            if items:
                await session.execute(
                    update(UsageItem)
                    .where(UsageItem.tenant_id == tenant_id, UsageItem.stripe_item_id.in_(items))
                    .values(paid=True)
                )
            return "paid"
        account.status = "past_due"
        return "payment failed"
