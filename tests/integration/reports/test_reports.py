"""REC-4: agent and queue reports aggregated in Postgres from seeded CDRs, by day / week /
month in the report's time zone; the numbers are worked out by hand below. Excel export in a
real worker; permissions; another tenant's calls never count."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from app.db.session import tenant_session
from app.dialer.leads import start_attempt
from app.dialer.models import Disposition, Lead
from tests.fixtures.app import TenantCtx
from tests.integration.dialer.conftest import import_now, make_campaign
from tests.integration.recordings.seed import seed_call, seed_queue
from tests.integration.recordings.test_calls_search import (
    as_role,
    sheet_rows,
    wait_export,
    worker_process,  # noqa: F401  (fixture)
)

RANGE = {"since": "2026-03-01T00:00:00+08:00", "until": "2026-05-01T00:00:00+08:00"}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


async def seed(client: httpx.AsyncClient, t: TenantCtx, other: TenantCtx) -> dict[str, str]:
    _, a = await as_role(client, t, "agent")
    _, b = await as_role(client, t, "agent")
    q1 = await seed_queue(t.tenant_id, "Q1 sales")
    q2 = await seed_queue(t.tenant_id, "Q2 service")
    A, B, T = UUID(a), UUID(b), t.tenant_id
    # Agent A: Q1 wait 10 talk 60; outbound talk 30 (03-02); Q1 wait 30 talk 120 (03-03).
    await seed_call(T, utc("2026-03-02T10:00:00+08:00"), agent_user_id=A, queue_id=q1,
                    queued_after=1, bridged_after=11, ended_after=71)  # fmt: skip
    _, sold = await seed_call(T, utc("2026-03-02T11:00:00+08:00"), agent_user_id=A,
                              direction="outbound", bridged_after=5, ended_after=35)  # fmt: skip
    _, later = await seed_call(T, utc("2026-03-03T10:00:00+08:00"), agent_user_id=A, queue_id=q1,
                               queued_after=1, bridged_after=31, ended_after=151)  # fmt: skip
    # The outbound call was a sale (a success disposition); the other a call-back (not one).
    await dispose(client, t, {sold: "sale", later: "callback"})
    # Agent B: 17:00 UTC on 03-02 is 01:00 on 03-03 in Shanghai; Q2 wait 5 talk 90.
    await seed_call(T, utc("2026-03-02T17:00:00+00:00"), agent_user_id=B, queue_id=q2,
                    queued_after=0, bridged_after=5, ended_after=95)  # fmt: skip
    # B's unanswered outbound call a week later.
    await seed_call(T, utc("2026-03-10T09:00:00+08:00"), agent_user_id=B, direction="outbound",
                    ended_after=20, hangup_side="system")  # fmt: skip
    # Q1: the caller gives up after 45 s; Q2 in April: overflow by the system after 10 s.
    await seed_call(T, utc("2026-03-02T12:00:00+08:00"), queue_id=q1, queued_after=1,
                    ended_after=46)  # fmt: skip
    await seed_call(T, utc("2026-04-01T09:00:00+08:00"), queue_id=q2, queued_after=2,
                    ended_after=12, hangup_side="system")  # fmt: skip
    # Out of range (February) and another tenant's call: never counted.
    await seed_call(T, utc("2026-02-28T09:00:00+08:00"), agent_user_id=A, queue_id=q1,
                    queued_after=1, bridged_after=2, ended_after=500)  # fmt: skip
    oq = await seed_queue(other.tenant_id, "Q1 sales")
    await seed_call(other.tenant_id, utc("2026-03-02T10:00:00+08:00"), agent_user_id=A,
                    queue_id=oq, queued_after=1, bridged_after=3, ended_after=999)  # fmt: skip
    return {"a": a, "b": b, "q1": str(q1), "q2": str(q2)}


async def dispose(client: httpx.AsyncClient, t: TenantCtx, codes: dict[str, str]) -> None:
    campaign = await make_campaign(client, t)
    phones = "".join(f"1390013900{i}\n" for i in range(len(codes)))
    await import_now(client, t, campaign["id"], "Phone\n" + phones, {"phone": "Phone"})
    campaign_id = UUID(campaign["id"])
    async with tenant_session(t.tenant_id) as session:
        for code, success in (("sale", True), ("callback", False)):
            session.add(Disposition(tenant_id=t.tenant_id, campaign_id=campaign_id, code=code,
                                    label=code, is_success=success, is_final=success))  # fmt: skip
        leads = (await session.scalars(select(Lead).order_by(Lead.line))).all()
        for lead, (call_key, code) in zip(leads, codes.items(), strict=True):
            attempt = await start_attempt(session, lead, datetime.now(UTC), call_key=call_key)
            attempt.disposition = code


async def get_report(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, **params: Any
) -> dict[str, Any]:
    r = await client.get(f"/api/v1/reports/{kind}", headers=headers, params=RANGE | params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def by(
    rows: list[dict[str, Any]], key: str, *fields: str
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    return {(row[key], row["bucket"]): tuple(row[f] for f in fields) for row in rows}


@pytest.mark.feature("REC-4")
async def test_agent_report_by_day_week_month(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    ids = await seed(client, tenant, other_tenant)
    a, b = ids["a"], ids["b"]
    fields = ("calls", "answered", "answeredOutbound", "sales", "talkSeconds", "avgHandleSeconds")
    day = await get_report(client, tenant.headers, "agents", period="day")
    assert by(day["totals"], "agentId", *fields) == {
        (a, None): (3, 3, 1, 1, 210.0, 70.0),
        (b, None): (2, 1, 0, 0, 90.0, 90.0),
    }
    assert by(day["series"], "agentId", "sales")[(a, "2026-03-02")] == (1,)
    assert by(day["series"], "agentId", "calls", "answered", "talkSeconds") == {
        (a, "2026-03-02"): (2, 2, 90.0),
        (a, "2026-03-03"): (1, 1, 120.0),
        (b, "2026-03-03"): (1, 1, 90.0),  # Shanghai day, not the UTC one
        (b, "2026-03-10"): (1, 0, 0.0),
    }
    week = await get_report(client, tenant.headers, "agents", period="week")
    assert by(week["series"], "agentId", "calls") == {
        (a, "2026-03-02"): (3,),  # ISO weeks start on Monday
        (b, "2026-03-02"): (1,),
        (b, "2026-03-09"): (1,),
    }
    month = await get_report(client, tenant.headers, "agents", period="month")
    assert by(month["series"], "agentId", "calls", "talkSeconds") == {
        (a, "2026-03-01"): (3, 210.0),
        (b, "2026-03-01"): (2, 90.0),
    }
    # In UTC, B's first call falls on 03-02.
    march = {"since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z"}
    utc_day = await get_report(client, tenant.headers, "agents", period="day", tz="UTC", **march)
    assert (b, "2026-03-02") in by(utc_day["series"], "agentId", "calls")
    other = await get_report(client, other_tenant.headers, "agents")
    assert [row["calls"] for row in other["totals"]] == [1], "only its own call"


@pytest.mark.feature("REC-4")
async def test_queue_report_offered_answered_abandoned_waits_service_level(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    ids = await seed(client, tenant, other_tenant)
    q1, q2 = ids["q1"], ids["q2"]
    fields = ("queueName", "offered", "answered", "abandoned", "answeredInSl", "serviceLevel",
              "avgWaitSeconds", "avgAnswerSeconds", "longestWaitSeconds")  # fmt: skip
    report = await get_report(client, tenant.headers, "queues", period="month")
    assert by(report["totals"], "queueId", *fields) == {
        (q1, None): ("Q1 sales", 3, 2, 1, 1, 0.3333, 28.333, 20.0, 45.0),
        (q2, None): ("Q2 service", 2, 1, 0, 1, 0.5, 7.5, 5.0, 10.0),
    }
    assert by(report["series"], "queueId", "offered", "answered") == {
        (q1, "2026-03-01"): (3, 2),
        (q2, "2026-03-01"): (1, 1),
        (q2, "2026-04-01"): (1, 0),
    }
    # A 35-second target counts Q1's 30-second answer too.
    wide = await get_report(client, tenant.headers, "queues", slSeconds=35)
    assert by(wide["totals"], "queueId", "answeredInSl")[(q1, None)] == (2,)
    days = await get_report(client, tenant.headers, "queues", period="day")
    assert by(days["series"], "queueId", "offered", "abandoned")[(q1, "2026-03-02")] == (2, 1)
    other = await get_report(client, other_tenant.headers, "queues")
    assert [(r["offered"], r["longestWaitSeconds"]) for r in other["totals"]] == [(1, 2.0)]


@pytest.mark.feature("REC-4")
async def test_report_permissions_and_bad_ranges(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    supervisor, _ = await as_role(client, tenant, "supervisor")
    assert (await client.get("/api/v1/reports/agents", headers=supervisor)).status_code == 200
    for role in ("qa", "agent"):
        headers, _ = await as_role(client, tenant, role)
        assert (await client.get("/api/v1/reports/queues", headers=headers)).status_code == 403
    bad = [
        {"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
        {"tz": "Mars/Olympus"},
        {"period": "fortnight"},
    ]
    for params in bad:
        r = await client.get("/api/v1/reports/agents", headers=tenant.headers, params=params)
        assert r.status_code == 400, params


@pytest.mark.feature("REC-4")
async def test_reports_export_to_excel_in_a_worker(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    other_tenant: TenantCtx,
    worker_process: subprocess.Popen[bytes],  # noqa: F811
) -> None:
    await seed(client, tenant, other_tenant)
    body = {"kind": "queues", "period": "month", **RANGE}
    r = await client.post("/api/v1/reports/exports", headers=tenant.headers, json=body)
    assert r.status_code == 202, r.text
    key = r.json()["key"]
    status = await wait_export(client, tenant.headers, f"/api/v1/reports/exports/{key}")
    f = await client.get(status["fileUrl"], headers=tenant.headers)
    header, *rows = sheet_rows(f.content)
    assert header[:5] == ("Period", "Queue", "Offered", "Answered", "Abandoned")
    assert ("Total", "Q1 sales", 3, 2, 1, 0.3333, 28.3, 20.0, 45.0) in rows
    assert ("2026-04-01", "Q2 service", 1, 0, 0, 0.0, 10.0, 0.0, 10.0) in rows
    r = await client.post(
        "/api/v1/reports/exports", headers=tenant.headers, params={"lang": "zh-CN"},
        json={"kind": "agents", **RANGE},
    )  # fmt: skip
    status = await wait_export(client, tenant.headers, f"/api/v1/reports/exports/{r.json()['key']}")
    header, *rows = sheet_rows(
        (await client.get(status["fileUrl"], headers=tenant.headers)).content
    )
    assert header[:3] == ("周期", "坐席", "呼叫数")
    assert sorted(row[2] for row in rows if row[0] == "合计") == [2, 3]
    # The other tenant cannot see the job.
    r = await client.get(f"/api/v1/reports/exports/{key}", headers=other_tenant.headers)
    assert r.status_code == 404
