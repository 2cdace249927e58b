"""Billing API (BILL-1, BILL-2) under `/api/v1/billing`: rate tables and a prefix test, rating
runs, cost totals per seat / queue / campaign / tenant, the account (seats, credit limit,
status), Stripe subscription, seat sync, usage report, invoices, and the Stripe webhook.
Permissions `billing.read` and `billing.manage` (admins); the webhook is public and verified
by its `Stripe-Signature`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

import stripe
from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import delete, select

from app.billing import schemas as s
from app.billing import services, stripe_billing
from app.billing.credit import may_dial
from app.billing.models import Rate, RateTable
from app.billing.rating import MINOR, RateRow, call_cost, longest_prefix
from app.db.deps import DbSession
from app.lib.problems import Problem
from app.tenants.auth import current_principal
from app.tenants.models import Tenant
from app.tenants.permissions import Perm

READ = {"permission": Perm.BILLING_READ}
MANAGE = {"permission": Perm.BILLING_MANAGE, "audit_action": "billing.change"}

When = Annotated[datetime | None, QueryParameter()]
DirectionPath = Annotated[s.Direction, FromPath]


def month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def not_configured(exc: Exception, status: int = 409) -> Problem:
    """409 to a tenant admin (the platform has no Stripe account set up: nothing to retry);
    503 to Stripe's webhook, which retries."""
    return Problem(status, f"Stripe billing is not set up: {exc}", code="billing_not_configured")


def stripe_failed(exc: stripe.StripeError) -> Problem:
    return Problem(502, f"Stripe refused the request: {exc.user_message or exc}", code="stripe")


def tidy(amount: Decimal) -> Decimal:
    """1.000000 -> 1.00, 0.033300 -> 0.0333: the digits that mean something."""
    cents = amount.quantize(MINOR)
    return cents if cents == amount else amount.normalize()


def table_out(table: RateTable, rates: list[Rate]) -> s.RateTableOut:
    return s.RateTableOut(
        id=table.id,
        direction=table.direction,  # type: ignore[arg-type]
        name=table.name,
        currency=table.currency,
        rates=[
            s.RateIO(
                prefix=r.prefix,
                price_per_minute=tidy(r.price_per_minute),
                initial_increment=r.initial_increment,
                increment=r.increment,
                connection_fee=tidy(r.connection_fee),
                description=r.description,
            )
            for r in sorted(rates, key=lambda r: r.prefix)
        ],
    )


class BillingController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]

    @get("/rate-tables", opt=READ)
    async def list_rate_tables(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[s.RateTableOut]:
        tenant_id = current_principal(request).tenant_id
        tables = list(
            await db_session.scalars(select(RateTable).where(RateTable.tenant_id == tenant_id))
        )
        rates = list(await db_session.scalars(select(Rate).where(Rate.tenant_id == tenant_id)))
        return [
            table_out(t, [r for r in rates if r.rate_table_id == t.id])
            for t in sorted(tables, key=lambda t: t.direction, reverse=True)
        ]

    @put("/rate-tables/{direction:str}", opt=MANAGE)
    async def put_rate_table(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        direction: DirectionPath,
        data: JSONBody[s.RateTableIn],
    ) -> s.RateTableOut:
        """Replace the outbound or inbound table with these rates (prefixes unique)."""
        tenant_id = current_principal(request).tenant_id
        prefixes = [r.prefix for r in data.rates]
        if len(set(prefixes)) != len(prefixes):
            raise Problem(400, "Each prefix may appear only once.", code="duplicate_prefix")
        table = await db_session.scalar(
            select(RateTable).where(
                RateTable.tenant_id == tenant_id, RateTable.direction == direction
            )
        )
        if table is None:
            table = RateTable(tenant_id=tenant_id, direction=direction, name="", currency="")
            db_session.add(table)
        table.name, table.currency = data.name, data.currency.upper()
        await db_session.flush()
        await db_session.execute(
            delete(Rate).where(Rate.tenant_id == tenant_id, Rate.rate_table_id == table.id)
        )
        rates = [
            Rate(
                tenant_id=tenant_id,
                rate_table_id=table.id,
                prefix=r.prefix,
                description=r.description,
                price_per_minute=r.price_per_minute,
                initial_increment=r.initial_increment,
                increment=r.increment,
                connection_fee=r.connection_fee or Decimal(0),
            )
            for r in data.rates
        ]
        db_session.add_all(rates)
        await db_session.flush()
        return table_out(table, rates)

    @get("/rate-tables/{direction:str}/match", opt=READ)
    async def match_rate(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        direction: DirectionPath,
        number: Annotated[str, QueryParameter(min_length=1, max_length=64)],
        seconds: Annotated[int | None, QueryParameter(ge=0, le=86400)] = None,
    ) -> s.RateMatchOut:
        """Which rate a number gets (longest prefix), and what `seconds` of talk would cost."""
        tenant_id = current_principal(request).tenant_id
        table = (await services.load_tables(db_session, tenant_id)).get(direction)
        rate: RateRow | None = longest_prefix(table.rates, number) if table else None
        if rate is None:
            return s.RateMatchOut(number=number, matched=False)
        desc = await db_session.scalar(
            select(Rate.description).where(Rate.tenant_id == tenant_id, Rate.id == rate.id)
        )
        out = s.RateMatchOut(
            number=number,
            matched=True,
            prefix=rate.prefix,
            description=desc or "",
            price_per_minute=rate.price_per_minute,
            initial_increment=rate.initial_increment,
            increment=rate.increment,
            connection_fee=rate.connection_fee,
        )
        if seconds is not None:
            out.seconds = seconds
            out.billable_seconds, out.cost = call_cost(rate, seconds)
        return out

    @post("/rating", opt=MANAGE, status_code=200)
    async def run_rating(
        self, request: Request[Any, Any, Any], data: JSONBody[s.RateRunIn]
    ) -> s.RateRunOut:
        """Rate the finished calls not rated yet now (or re-rate a range after a price
        change: `rerate` with since/until). The worker's sweep does the same."""
        tenant_id = current_principal(request).tenant_id
        rated = await services.rate_calls(
            tenant_id, rerate=data.rerate, since=data.since, until=data.until
        )
        return s.RateRunOut(rated=rated)

    @get("/usage", opt=READ)
    async def usage(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        by: Annotated[s.GroupBy, QueryParameter()] = "seat",
        since: When = None,
        until: When = None,
    ) -> s.UsageOut:
        """Rated calls, billable seconds and cost ended in [since, until) (default: this
        month, UTC) per seat, queue, campaign, or for the tenant."""
        tenant_id = current_principal(request).tenant_id
        until = until or datetime.now(UTC)
        since = since or month_start(until)
        if since >= until:
            raise Problem(400, "`since` must be before `until`.", code="bad_range")
        rows = await services.totals(db_session, tenant_id, since, until, by)
        ids = [r.key for r in rows if r.key is not None]
        names = await services.names(db_session, tenant_id, by, ids)
        tables = await services.load_tables(db_session, tenant_id)
        currency = tables["outbound"].currency if "outbound" in tables else ""
        return s.UsageOut(
            by=by,
            since=since,
            until=until,
            currency=currency,
            rows=[
                s.UsageRowOut(
                    key=r.key,
                    name=names.get(r.key, "") if r.key else "",
                    calls=r.calls,
                    billable_seconds=r.billable_seconds,
                    cost=r.cost,
                )
                for r in rows
            ],
            total=sum((r.cost for r in rows), Decimal(0)),
        )

    @get("/account", opt=READ)
    async def get_account(self, request: Request[Any, Any, Any]) -> s.AccountOut:
        return await account_out(current_principal(request).tenant_id)

    @put("/account", opt=MANAGE)
    async def put_account(
        self, request: Request[Any, Any, Any], data: JSONBody[s.AccountIn]
    ) -> s.AccountOut:
        """Currency and seat price (before subscribing), credit limit (any time)."""
        from app.db.session import tenant_session

        tenant_id = current_principal(request).tenant_id
        async with tenant_session(tenant_id) as session:
            account = await stripe_billing.get_account(session, tenant_id)
            if data.currency is not None or data.seat_price_minor is not None:
                if account.stripe_subscription_id is not None:
                    raise Problem(
                        409, "The plan is fixed once subscribed.", code="already_subscribed"
                    )
                account.currency = (data.currency or account.currency).lower()
                if data.seat_price_minor is not None:
                    account.seat_price_minor = data.seat_price_minor
            if data.clear_credit_limit:
                account.credit_limit = None
            elif data.credit_limit is not None:
                account.credit_limit = data.credit_limit
        return await account_out(tenant_id)

    @post("/subscription", opt=MANAGE, status_code=200)
    async def subscribe(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> s.AccountOut:
        """Create the Stripe customer and the per-seat subscription (once)."""
        tenant_id = current_principal(request).tenant_id
        name = await db_session.scalar(select(Tenant.name).where(Tenant.id == tenant_id))
        await db_session.commit()
        try:
            await stripe_billing.subscribe(tenant_id, name or str(tenant_id))
        except stripe_billing.BillingNotConfigured as exc:
            raise not_configured(exc) from exc
        except stripe.StripeError as exc:
            raise stripe_failed(exc) from exc
        return await account_out(tenant_id)

    @post("/seats/sync", opt=MANAGE, status_code=200)
    async def sync_seats(self, request: Request[Any, Any, Any]) -> s.AccountOut:
        """Subscription quantity = agent seats now."""
        tenant_id = current_principal(request).tenant_id
        try:
            await stripe_billing.sync_seats(tenant_id)
        except stripe_billing.BillingNotConfigured as exc:
            raise not_configured(exc) from exc
        except stripe.StripeError as exc:
            raise stripe_failed(exc) from exc
        return await account_out(tenant_id)

    @post("/usage/report", opt=MANAGE, status_code=200)
    async def report_usage(self, request: Request[Any, Any, Any]) -> s.UsageReportOut:
        """Rate, then send the call cost not reported yet to Stripe (next invoice)."""
        tenant_id = current_principal(request).tenant_id
        await services.rate_calls(tenant_id)
        try:
            item = await stripe_billing.report_usage(tenant_id)
        except stripe_billing.BillingNotConfigured as exc:
            raise not_configured(exc) from exc
        except stripe_billing.CurrencyMismatch as exc:
            raise Problem(409, f"{exc}.", code="currency_mismatch") from exc
        except stripe.StripeError as exc:
            raise stripe_failed(exc) from exc
        if item is None:
            return s.UsageReportOut(stripe_item_id=None, amount_minor=0)
        return s.UsageReportOut(stripe_item_id=item.stripe_item_id, amount_minor=item.amount_minor)

    @get("/invoices", opt=READ)
    async def invoices(self, request: Request[Any, Any, Any]) -> list[s.InvoiceOut]:
        tenant_id = current_principal(request).tenant_id
        try:
            found = await stripe_billing.list_invoices(tenant_id)
        except stripe_billing.BillingNotConfigured:
            return []
        except stripe.StripeError as exc:
            raise stripe_failed(exc) from exc
        return [s.InvoiceOut(**i) for i in found]

    @post(
        "/stripe/webhook",
        opt={"public": True, "audit": False},
        status_code=200,
        include_in_schema=False,
    )
    async def stripe_webhook(self, request: Request[Any, Any, Any]) -> s.WebhookOut:
        payload = await request.body()
        try:
            event = stripe_billing.verify_event(
                payload, request.headers.get("stripe-signature", "")
            )
        except stripe_billing.BillingNotConfigured as exc:
            raise not_configured(exc, 503) from exc
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise Problem(400, "Invalid Stripe signature.", code="bad_signature") from exc
        try:
            result = await stripe_billing.handle_event(event)
        except stripe.StripeError as exc:
            raise stripe_failed(exc) from exc
        return s.WebhookOut(result=result)


async def account_out(tenant_id: Any) -> s.AccountOut:
    from app.db.session import tenant_session

    async with tenant_session(tenant_id) as session:
        account = await stripe_billing.get_account(session, tenant_id)
        seats = await stripe_billing.count_seats(session, tenant_id)
        out = dict(
            currency=account.currency,
            seat_price_minor=account.seat_price_minor,
            seats=account.seats,
            agent_seats=seats,
            stripe_customer_id=account.stripe_customer_id,
            stripe_subscription_id=account.stripe_subscription_id,
            credit_limit=(
                account.credit_limit.quantize(MINOR) if account.credit_limit is not None else None
            ),
            status=account.status,
            last_invoice_id=account.last_invoice_id,
        )
    decision = await may_dial(tenant_id)
    return s.AccountOut(
        **out,  # type: ignore[arg-type]
        unpaid=decision.unpaid,
        may_dial=decision.allowed,
        dial_refused_reason=decision.reason,
    )
