"""BILL-2: SaaS billing against localstripe (a real HTTP server speaking Stripe's protocol)
through the official `stripe` library: customer and per-seat subscription, seat sync, call
usage sent as invoice items, invoices, signed webhooks delivered by localstripe to a real
`fastline serve`, and the credit limit that stops click-to-call."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import httpx
import pytest
import stripe

from app.billing.stripe_billing import HttpxClient, get_account
from app.db.session import tenant_session
from app.seats.agents import AgentProfile
from app.tenants.models import Business
from tests.fixtures.app import TenantCtx
from tests.fixtures.server import running_server
from tests.integration.billing.conftest import STRIPE_KEY, WEBHOOK_SECRET
from tests.integration.billing.test_rating import put_tables, seed
from tests.integration.recordings.test_calls_search import (
    as_role,
    worker_process,  # noqa: F401  (fixture)
)

ACCOUNT = "/api/v1/billing/account"


@asynccontextmanager
async def stripe_side(base: str) -> AsyncIterator[stripe.StripeClient]:
    """The test plays Stripe's other users (the customer paying) with its own client."""
    http = HttpxClient()
    try:
        yield stripe.StripeClient(STRIPE_KEY, http_client=http, base_addresses={"api": base})
    finally:
        await http.close_async()


async def add_agent_seat(client: httpx.AsyncClient, t: TenantCtx) -> None:
    _, user_id = await as_role(client, t, "agent")
    async with tenant_session(t.tenant_id) as session:
        business = Business(tenant_id=t.tenant_id, name=f"b-{user_id}")
        session.add(business)
        await session.flush()
        session.add(
            AgentProfile(tenant_id=t.tenant_id, user_id=UUID(user_id), business_id=business.id)
        )


async def account(client: httpx.AsyncClient, t: TenantCtx) -> dict[str, Any]:
    r = await client.get(ACCOUNT, headers=t.headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def subscription_quantity(base: str, sub_id: str) -> int:
    async with stripe_side(base) as sc:
        sub = await sc.v1.subscriptions.retrieve_async(sub_id)
    return int(sub["items"]["data"][0]["quantity"])


@pytest.mark.feature("BILL-2")
async def test_customer_and_per_seat_subscription_follow_the_agents(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, localstripe: str
) -> None:
    r = await client.put(ACCOUNT, headers=tenant.headers,
                         json={"currency": "CNY", "seatPriceMinor": 9900})  # fmt: skip
    assert r.status_code == 200, r.text
    await add_agent_seat(client, tenant)
    await add_agent_seat(client, tenant)
    await add_agent_seat(client, other_tenant)
    r = await client.post("/api/v1/billing/subscription", headers=tenant.headers)
    assert r.status_code == 200, r.text
    acct = r.json()
    assert (acct["seats"], acct["agentSeats"], acct["currency"]) == (2, 2, "cny")
    assert acct["stripeCustomerId"].startswith("cus_")
    assert await subscription_quantity(localstripe, acct["stripeSubscriptionId"]) == 2
    async with stripe_side(localstripe) as sc:
        customer = await sc.v1.customers.retrieve_async(acct["stripeCustomerId"])
        sub = await sc.v1.subscriptions.retrieve_async(acct["stripeSubscriptionId"])
    assert customer["metadata"]["tenant_id"] == str(tenant.tenant_id)
    assert sub["items"]["data"][0]["plan"]["amount"] == 9900
    # Subscribing twice changes nothing; the plan is fixed once subscribed.
    again = (await client.post("/api/v1/billing/subscription", headers=tenant.headers)).json()
    assert again["stripeSubscriptionId"] == acct["stripeSubscriptionId"]
    r = await client.put(ACCOUNT, headers=tenant.headers, json={"seatPriceMinor": 1})
    assert r.status_code == 409

    await add_agent_seat(client, tenant)
    r = await client.post("/api/v1/billing/seats/sync", headers=tenant.headers)
    assert r.status_code == 200, r.text
    assert r.json()["seats"] == 3
    assert await subscription_quantity(localstripe, acct["stripeSubscriptionId"]) == 3

    other = await account(client, other_tenant)
    assert other["stripeCustomerId"] is None, "one tenant's subscription is not another's"
    headers, _ = await as_role(client, tenant, "supervisor")
    r = await client.post("/api/v1/billing/subscription", headers=headers)
    assert r.status_code == 403


def card(number: str) -> Any:
    return {
        "type": "card",
        "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
    }


async def wait_for(check: Any, what: str, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


@pytest.mark.feature("BILL-2")
async def test_usage_invoice_webhooks_and_credit_limit(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, localstripe: str
) -> None:
    await put_tables(client, tenant)
    await seed(client, tenant, other_tenant)  # 2.2229 in March + 0.5200 in February
    await client.post("/api/v1/billing/rating", headers=tenant.headers, json={})
    sub = await client.post("/api/v1/billing/subscription", headers=tenant.headers)
    customer = sub.json()["stripeCustomerId"]

    # Credit limit 1.00 < 2.7429 unpaid: outbound calling refused, click-to-call included.
    r = await client.put(ACCOUNT, headers=tenant.headers, json={"creditLimit": "1.00"})
    assert r.status_code == 200, r.text
    acct = r.json()
    assert (acct["unpaid"], acct["creditLimit"], acct["mayDial"]) == ("2.7429", "1.00", False)
    assert "Credit limit" in acct["dialRefusedReason"]
    r = await client.post("/api/v1/calls/click-to-call", headers=tenant.headers,
                          json={"extension": "1000", "number": "+861012345678"})  # fmt: skip
    assert (r.status_code, r.json()["code"]) == (402, "credit_limit")
    assert (await account(client, other_tenant))["mayDial"] is True

    # Calls rated in CNY are never billed as another currency.
    async with tenant_session(tenant.tenant_id) as session:
        acct_row = await get_account(session, tenant.tenant_id)
        acct_row.currency = "usd"
    r = await client.post("/api/v1/billing/usage/report", headers=tenant.headers)
    assert (r.status_code, r.json()["code"]) == (409, "currency_mismatch")
    async with tenant_session(tenant.tenant_id) as session:
        (await get_account(session, tenant.tenant_id)).currency = "cny"

    # The rated cost goes to Stripe once, in minor units (2.7429 -> 274 fen).
    r = await client.post("/api/v1/billing/usage/report", headers=tenant.headers)
    assert r.status_code == 200, r.text
    item = r.json()
    assert item["amountMinor"] == 274 and item["stripeItemId"].startswith("ii_")
    r = await client.post("/api/v1/billing/usage/report", headers=tenant.headers)
    assert r.json() == {"stripeItemId": None, "amountMinor": 0}

    with running_server() as server:
        webhook = f"{server}/api/v1/billing/stripe/webhook"
        async with httpx.AsyncClient() as raw:
            r = await raw.post(f"{localstripe}/_config/webhooks/fastline",
                               data={"url": webhook, "secret": WEBHOOK_SECRET})  # fmt: skip
            assert r.status_code == 200, r.text
        async with stripe_side(localstripe) as sc:
            # The customer pays by card: the invoice carries the usage item.
            pm = await sc.v1.payment_methods.create_async(card("4242424242424242"))
            await sc.v1.payment_methods.attach_async(pm.id, {"customer": customer})
            await sc.v1.customers.update_async(
                customer, {"invoice_settings": {"default_payment_method": pm.id}}
            )
            invoice = await sc.v1.invoices.create_async({"customer": customer})
            assert item["stripeItemId"] in [ln.get("invoice_item") for ln in invoice.lines.data]
            await sc.v1.invoices.pay_async(invoice.id)

            async def paid() -> dict[str, Any] | None:
                a = await account(client, tenant)
                return a if a["lastInvoiceId"] == invoice.id else None

            acct = await wait_for(paid, "invoice.payment_succeeded")
            assert (acct["status"], acct["unpaid"], acct["mayDial"]) == ("active", "0.0029", True)
            # (A declined card's invoice.payment_failed: localstripe's /pay sends none, so the
            # next test signs that event itself.)

    invoices = (await client.get("/api/v1/billing/invoices", headers=tenant.headers)).json()
    by_id = {i["id"]: i for i in invoices}
    assert by_id[invoice.id]["status"] == "paid"
    assert by_id[invoice.id]["amountPaid"] == by_id[invoice.id]["total"]
    assert (await client.get("/api/v1/billing/invoices", headers=other_tenant.headers)).json() == []


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    ts = int(time.time())
    mac = hmac.new(secret.encode(), b"%d.%s" % (ts, payload), hashlib.sha256).hexdigest()
    return payload, f"t={ts},v1={mac}"


@pytest.mark.feature("BILL-2")
async def test_webhook_refuses_bad_signatures_and_foreign_customers(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx, localstripe: str
) -> None:
    url = "/api/v1/billing/stripe/webhook"
    ours = (await client.post("/api/v1/billing/subscription", headers=tenant.headers)).json()
    event = {"id": "evt_1", "object": "event", "type": "invoice.payment_failed",
             "data": {"object": {"id": "in_x", "object": "invoice",
                                 "customer": ours["stripeCustomerId"]}}}  # fmt: skip
    payload, _ = signed(event)
    _, forged = signed(event, secret="whsec_wrong")
    for headers in ({}, {"Stripe-Signature": forged}, {"Stripe-Signature": "t=1,v1=00"}):
        r = await client.post(url, content=payload, headers=headers)
        assert (r.status_code, r.json().get("code")) == (400, "bad_signature")
    assert (await account(client, tenant))["status"] == "active"

    # A customer whose metadata names this tenant, but which is not this tenant's customer.
    async with stripe_side(localstripe) as sc:
        stranger = await sc.v1.customers.create_async(
            {"metadata": {"tenant_id": str(tenant.tenant_id)}}
        )
    body, sig = signed(event | {"data": {"object": {"id": "in_y", "customer": stranger.id}}})
    r = await client.post(url, content=body, headers={"Stripe-Signature": sig})
    assert r.json() == {"result": "unknown customer"}
    assert (await account(client, tenant))["status"] == "active"

    body, sig = signed(event)
    r = await client.post(url, content=body, headers={"Stripe-Signature": sig})
    assert r.json() == {"result": "payment failed"}
    assert (await account(client, tenant))["status"] == "past_due"
    assert (await account(client, other_tenant))["status"] == "active"
    body, sig = signed(event | {"type": "customer.created"})
    r = await client.post(url, content=body, headers={"Stripe-Signature": sig})
    assert r.json() == {"result": "ignored"}


@pytest.mark.feature("BILL-2")
async def test_without_stripe_rating_and_credit_work_and_stripe_routes_say_why(
    client: httpx.AsyncClient, tenant: TenantCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FASTLINE_STRIPE_API_KEY", raising=False)
    r = await client.post("/api/v1/billing/subscription", headers=tenant.headers)
    assert (r.status_code, r.json()["code"]) == (409, "billing_not_configured")
    assert (await client.get("/api/v1/billing/invoices", headers=tenant.headers)).json() == []
    r = await client.put(ACCOUNT, headers=tenant.headers, json={"creditLimit": "0"})
    assert r.json()["mayDial"] is True, "nothing unpaid: 0 is not above a limit of 0"


@pytest.mark.feature("BILL-2")
async def test_scheduler_sweep_bills_agents_added_within_a_period(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    localstripe: str,
    worker_process: subprocess.Popen[bytes],  # noqa: F811  (after localstripe: has its address)
) -> None:
    from app.billing.sweep import sweep

    await add_agent_seat(client, tenant)
    acct = (await client.post("/api/v1/billing/subscription", headers=tenant.headers)).json()
    assert acct["seats"] == 1
    assert await sweep(tenant.tenant_id) == [], "nothing changed: nothing sent"
    await add_agent_seat(client, tenant)
    await add_agent_seat(client, tenant)
    assert await sweep(tenant.tenant_id) == ["sync_seats"]

    async def synced() -> bool:
        return (await account(client, tenant))["seats"] == 3

    await wait_for(synced, "the worker's sync_seats")
    assert await subscription_quantity(localstripe, acct["stripeSubscriptionId"]) == 3
    assert await sweep(tenant.tenant_id) == []
