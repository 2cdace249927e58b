"""BILL-1: rate tables by destination prefix, billing increments, rounding, costs stored per
call and totals per seat / queue / campaign / tenant, from CDRs seeded in real Postgres.
Every figure below is worked out by hand. Re-rating is idempotent; another tenant's calls
never count; only admins see billing."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from app.billing.models import CallCharge
from app.billing.rating import RateRow, billable_seconds, call_cost, longest_prefix, talk_seconds
from app.db.session import tenant_session
from tests.fixtures.app import TenantCtx
from tests.integration.billing.conftest import seed_campaign_attempt
from tests.integration.recordings.seed import seed_call, seed_queue
from tests.integration.recordings.test_calls_search import (
    as_role,
    worker_process,  # noqa: F401  (fixture)
)

DAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
RANGE = {"since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z"}

OUTBOUND = {
    "name": "China Telecom 2026",
    "currency": "CNY",
    "rates": [
        {"prefix": "", "pricePerMinute": "1.00", "description": "Rest of world"},
        {"prefix": "86", "pricePerMinute": "0.10", "initialIncrement": 60, "increment": 6},
        {"prefix": "861", "pricePerMinute": "0.12", "initialIncrement": 6, "increment": 6,
         "description": "China mobile"},
        {"prefix": "8610", "pricePerMinute": "0.05", "initialIncrement": 60, "increment": 6,
         "connectionFee": "0.02", "description": "Beijing"},
        {"prefix": "86755", "pricePerMinute": "0.0333", "initialIncrement": 1, "increment": 1},
    ],
}  # fmt: skip
INBOUND = {"name": "In", "currency": "CNY", "rates": [{"prefix": "", "pricePerMinute": "0.01"}]}


def rate(prefix: str, price: str, initial: int, inc: int, fee: str = "0") -> RateRow:
    return RateRow(UUID(int=len(prefix)), prefix, Decimal(price), initial, inc, Decimal(fee))


@pytest.mark.feature("BILL-1")
def test_longest_prefix_increments_and_half_up_rounding() -> None:
    rates = {r.prefix: r for r in (rate("", "1", 60, 60), rate("86", "0.1", 60, 6),
                                   rate("8610", "0.05", 60, 6, "0.02"))}  # fmt: skip
    assert longest_prefix(rates, "+86 10-1234 5678").prefix == "8610"  # type: ignore[union-attr]
    assert longest_prefix(rates, "0086 21 1234").prefix == "86"  # type: ignore[union-attr]
    assert longest_prefix(rates, "+44 20 7123").prefix == ""  # type: ignore[union-attr]
    assert longest_prefix({"86": rates["86"]}, "+44 20") is None
    # 60/6: a started first minute is a minute, then each started 6 seconds.
    assert [billable_seconds(d, 60, 6) for d in (0, 1, 60, 61, 66, 67)] == [0, 60, 60, 66, 66, 72]
    assert [billable_seconds(d, 6, 6) for d in (1, 6, 7)] == [6, 6, 12]
    assert [billable_seconds(d, 60, 60) for d in (59, 61)] == [60, 120]
    # 0.0333/min for 61 s = 0.033855 -> 0.0339 (half up, 4 places); no answer costs nothing.
    assert call_cost(rate("86755", "0.0333", 1, 1), 61) == (61, Decimal("0.0339"))
    assert call_cost(rate("8610", "0.05", 60, 6, "0.02"), 0) == (0, Decimal("0.0000"))
    assert call_cost(rate("8610", "0.05", 60, 6, "0.02"), 75) == (78, Decimal("0.0850"))
    answered = datetime(2026, 1, 1, tzinfo=UTC)
    assert talk_seconds(answered, answered.replace(second=10, microsecond=1)) == 11
    assert talk_seconds(answered, answered.replace(second=10)) == 10
    assert talk_seconds(None, answered) == 0


async def put_tables(client: httpx.AsyncClient, t: TenantCtx) -> None:
    for direction, body in (("outbound", OUTBOUND), ("inbound", INBOUND)):
        r = await client.put(f"/api/v1/billing/rate-tables/{direction}", headers=t.headers,
                             json=body)  # fmt: skip
        assert r.status_code == 200, r.text


async def seed(client: httpx.AsyncClient, t: TenantCtx, other: TenantCtx) -> dict[str, Any]:
    """Talk time = ended_after - 0.5 (seed_call answers at +0.5 s), rounded up."""
    _, a = await as_role(client, t, "agent")
    _, b = await as_role(client, t, "agent")
    A, B, T = UUID(a), UUID(b), t.tenant_id
    q = await seed_queue(T, "Sales")
    out = {"direction": "outbound"}
    # A: Beijing 45 s -> 60 billable: 0.02 + 0.05 = 0.0700 (campaign X)
    _, k1 = await seed_call(T, DAY, to_number="+861012345678", agent_user_id=A,
                            ended_after=45.5, **out)  # fmt: skip
    # A: Beijing 75 s -> 60 + 3*6 = 78: 0.02 + 0.05 * 78/60 = 0.0850
    await seed_call(T, DAY, to_number="+861087654321", agent_user_id=A, ended_after=75.5, **out)
    # B: mobile 10 s -> 12 (6/6): 0.12 * 12/60 = 0.0240
    await seed_call(T, DAY, to_number="+8613800138000", agent_user_id=B, ended_after=10.5, **out)
    # B: Shenzhen 61 s per second at 0.0333 = 0.033855 -> 0.0339
    await seed_call(T, DAY, to_number="+8675512345678", agent_user_id=B, ended_after=61.5, **out)
    # no agent: London 61 s on the catch-all 60/60 -> 120 s at 1.00 = 2.0000 (campaign Y)
    _, k5 = await seed_call(T, DAY, to_number="+442071234567", ended_after=61.5, **out)
    # unanswered (no talk time): rated 0, status "unanswered"
    await seed_call(T, DAY, to_number="+861012345678", agent_user_id=A, ended_after=0.5, **out)
    # inbound to queue Q, agent A: the caller's number on the inbound table, 30 s -> 60 = 0.0100
    await seed_call(T, DAY, from_number="+8613900000000", agent_user_id=A, queue_id=q,
                    ended_after=30.5)  # fmt: skip
    # internal: never rated; February: rated but out of the range
    await seed_call(T, DAY, direction="internal", agent_user_id=A, ended_after=100)
    await seed_call(T, datetime(2026, 2, 27, tzinfo=UTC), to_number="+861012345678",
                    agent_user_id=A, ended_after=600.5, **out)  # fmt: skip
    # the other tenant's call, same numbers: never in this tenant's figures
    await seed_call(other.tenant_id, DAY, to_number="+861012345678", agent_user_id=A,
                    ended_after=999, **out)  # fmt: skip
    x = await seed_campaign_attempt(T, "Spring promo", k1)
    y = await seed_campaign_attempt(T, "UK leads", k5)
    return {"a": a, "b": b, "q": str(q), "x": str(x), "y": str(y)}


async def usage(client: httpx.AsyncClient, t: TenantCtx, by: str) -> dict[str, Any]:
    r = await client.get("/api/v1/billing/usage", headers=t.headers, params=RANGE | {"by": by})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def figures(body: dict[str, Any]) -> dict[str | None, tuple[int, int, str]]:
    return {r["key"]: (r["calls"], r["billableSeconds"], r["cost"]) for r in body["rows"]}


async def charge_rows(tenant_id: UUID) -> list[CallCharge]:
    async with tenant_session(tenant_id) as session:
        return list(await session.scalars(select(CallCharge).order_by(CallCharge.number)))


@pytest.mark.feature("BILL-1")
async def test_rating_costs_and_totals_per_seat_queue_campaign_tenant(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    await put_tables(client, tenant)
    ids = await seed(client, tenant, other_tenant)
    r = await client.post("/api/v1/billing/rating", headers=tenant.headers, json={})
    assert r.status_code == 200, r.text
    assert r.json()["rated"] == 8, "7 outbound/inbound calls in March + 1 in February"

    seat = await usage(client, tenant, "seat")
    assert seat["currency"] == "CNY"
    assert figures(seat) == {
        ids["a"]: (3, 60 + 78 + 60, "0.1650"),
        ids["b"]: (2, 12 + 61, "0.0579"),
        None: (1, 120, "2.0000"),
    }
    assert {r["key"]: r["name"] for r in seat["rows"]}[ids["a"]] == "Agent"
    assert Decimal(seat["total"]) == Decimal("2.2229")
    assert figures(await usage(client, tenant, "queue"))[ids["q"]] == (1, 60, "0.0100")
    campaign = figures(await usage(client, tenant, "campaign"))
    assert campaign[ids["x"]] == (1, 60, "0.0700")
    assert campaign[ids["y"]] == (1, 120, "2.0000")
    assert figures(await usage(client, tenant, "tenant")) == {None: (6, 391, "2.2229")}

    rows = await charge_rows(tenant.tenant_id)
    statuses = sorted(c.status for c in rows)
    assert statuses == ["rated"] * 7 + ["unanswered"]
    beijing = [c for c in rows if c.number == "+861012345678" and c.status == "rated"]
    assert {(c.prefix, c.duration_seconds, c.cost) for c in beijing} == {
        ("8610", 45, Decimal("0.0700")),
        ("8610", 600, Decimal("0.5200")),  # February: 0.02 + 0.05 * 600/60
    }

    # The other tenant has no rate table: its call is kept, unpriced, and shows nowhere here.
    r = await client.post("/api/v1/billing/rating", headers=other_tenant.headers, json={})
    assert r.json()["rated"] == 1
    assert [c.status for c in await charge_rows(other_tenant.tenant_id)] == ["no_rate"]
    assert figures(await usage(client, other_tenant, "tenant")) == {None: (0, 0, "0")}


@pytest.mark.feature("BILL-1")
async def test_rerating_is_idempotent_and_follows_a_price_change(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    await put_tables(client, tenant)
    await seed(client, tenant, other_tenant)
    rate_url = "/api/v1/billing/rating"
    assert (await client.post(rate_url, headers=tenant.headers, json={})).json()["rated"] == 8
    assert (await client.post(rate_url, headers=tenant.headers, json={})).json()["rated"] == 0
    before = {(c.id, c.cost) for c in await charge_rows(tenant.tenant_id)}

    # Re-rate March twice: same rows, same figures.
    march = {"rerate": True} | RANGE
    assert (await client.post(rate_url, headers=tenant.headers, json=march)).json()["rated"] == 7
    assert (await client.post(rate_url, headers=tenant.headers, json=march)).json()["rated"] == 7
    assert {(c.id, c.cost) for c in await charge_rows(tenant.tenant_id)} == before

    # Beijing goes up to 0.06/min: March's Beijing call is 0.02 + 0.06 = 0.08; February's
    # charge (outside the re-rated range) keeps its old price.
    body = OUTBOUND | {"rates": [
        r | {"pricePerMinute": "0.06"} if r["prefix"] == "8610" else r for r in OUTBOUND["rates"]
    ]}  # fmt: skip
    r = await client.put("/api/v1/billing/rate-tables/outbound", headers=tenant.headers, json=body)
    assert r.status_code == 200
    await client.post(rate_url, headers=tenant.headers, json=march)
    rows = await charge_rows(tenant.tenant_id)
    assert len(rows) == 8, "re-rating updates, never adds"
    beijing = {c.duration_seconds: c.cost for c in rows if c.prefix == "8610" and c.cost}
    assert beijing == {45: Decimal("0.0800"), 75: Decimal("0.0980"), 600: Decimal("0.5200")}
    async with tenant_session(tenant.tenant_id) as session:
        n = await session.scalar(select(func.count()).select_from(CallCharge))
    assert n == 8


@pytest.mark.feature("BILL-1")
async def test_prefix_test_endpoint_and_rate_table_validation(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    await put_tables(client, tenant)
    match = "/api/v1/billing/rate-tables/outbound/match"
    r = await client.get(match, headers=tenant.headers,
                         params={"number": "+86 10 1234 5678", "seconds": 75})  # fmt: skip
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["prefix"], got["description"], got["billableSeconds"], got["cost"]) == (
        "8610",
        "Beijing",
        78,
        "0.0850",
    )
    r = await client.get(match, headers=other_tenant.headers, params={"number": "+861012345678"})
    assert r.json()["matched"] is False, "another tenant's rates are invisible"
    tables = (await client.get("/api/v1/billing/rate-tables", headers=tenant.headers)).json()
    assert [(t["direction"], len(t["rates"])) for t in tables] == [("outbound", 5), ("inbound", 1)]
    r = await client.get("/api/v1/billing/rate-tables", headers=other_tenant.headers)
    assert r.json() == []
    dup = OUTBOUND | {"rates": OUTBOUND["rates"] + [{"prefix": "86", "pricePerMinute": "1"}]}
    r = await client.put("/api/v1/billing/rate-tables/outbound", headers=tenant.headers, json=dup)
    assert r.status_code == 400
    bad = OUTBOUND | {"rates": [{"prefix": "86a", "pricePerMinute": "1"}]}
    r = await client.put("/api/v1/billing/rate-tables/outbound", headers=tenant.headers, json=bad)
    assert r.status_code == 400
    neg = OUTBOUND | {"rates": [{"prefix": "86", "pricePerMinute": "-1"}]}
    r = await client.put("/api/v1/billing/rate-tables/outbound", headers=tenant.headers, json=neg)
    assert r.status_code == 400


@pytest.mark.feature("BILL-1")
async def test_only_admins_read_or_change_billing(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    for role in ("supervisor", "agent", "qa"):
        headers, _ = await as_role(client, tenant, role)
        assert (await client.get("/api/v1/billing/usage", headers=headers)).status_code == 403
        r = await client.put("/api/v1/billing/rate-tables/outbound", headers=headers, json=INBOUND)
        assert r.status_code == 403


@pytest.mark.feature("BILL-1")
async def test_worker_actor_rates_landed_cdrs_once(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    worker_process: subprocess.Popen[bytes],  # noqa: F811
) -> None:
    from app.billing.actors import rate_calls
    from app.worker.idempotency import job_status

    await put_tables(client, tenant)
    await seed(client, tenant, other_tenant)
    rate_calls.send(str(tenant.tenant_id), "rate:sweep-1")
    rate_calls.send(str(tenant.tenant_id), "rate:sweep-1")  # a duplicated message
    for _ in range(300):
        job = await job_status(tenant.tenant_id, "rate:sweep-1")
        if job is not None and job.status == "done":
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the worker did not rate the calls")
    assert job.result == {"rated": 8}
    assert len(await charge_rows(tenant.tenant_id)) == 8
    assert figures(await usage(client, tenant, "tenant")) == {None: (6, 391, "2.2229")}


@pytest.mark.feature("BILL-1")
async def test_scheduler_sweep_rates_calls_ended_since(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    worker_process: subprocess.Popen[bytes],  # noqa: F811
) -> None:
    from app.billing.sweep import has_unrated_calls
    from app.worker.scheduler import Scheduler

    await put_tables(client, tenant)
    await seed(client, tenant, other_tenant)
    assert await has_unrated_calls(tenant.tenant_id)
    await Scheduler(interval=60).tick()
    for _ in range(300):
        if not await has_unrated_calls(tenant.tenant_id):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the scheduler's sweep did not rate the calls")
    assert figures(await usage(client, tenant, "tenant")) == {None: (6, 391, "2.2229")}
    # The sweep rated the other tenant's call too (unpriced: it has no rate table).
    for _ in range(100):
        if not await has_unrated_calls(other_tenant.tenant_id):
            break
        await asyncio.sleep(0.1)
    assert [c.status for c in await charge_rows(other_tenant.tenant_id)] == ["no_rate"]
