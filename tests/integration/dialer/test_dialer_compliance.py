"""Abandonment rate per campaign (per day and 30 days), the evidence export in a real worker,
and the per-list campaign report (DIAL-1, DIAL-2 compliance data, DIAL-7)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select

from app.db.session import tenant_session
from app.dialer.leads import finish_attempt, set_disposition, start_attempt
from app.dialer.models import Lead, Outcome
from tests.integration.dialer.conftest import import_now, make_campaign

pytestmark = pytest.mark.feature("DIAL-7")

NOW = datetime.now(UTC).replace(microsecond=0)


async def _calls(tenant, campaign_id: str, outcomes: list[tuple[Outcome, timedelta, str | None]]):
    """One attempt per lead in file order: (outcome, how long ago, disposition)."""
    async with tenant_session(tenant.tenant_id) as s:
        leads = (
            await s.scalars(
                select(Lead).where(Lead.campaign_id == UUID(campaign_id)).order_by(Lead.line)
            )
        ).all()
        for lead, (outcome, ago, disposition) in zip(leads, outcomes, strict=False):
            at = NOW - ago
            attempt = await start_attempt(s, lead, at)
            answered = (
                at + timedelta(seconds=5)
                if outcome in {Outcome.ANSWERED, Outcome.ABANDONED}
                else None
            )
            await finish_attempt(
                s,
                tenant.tenant_id,
                attempt.id,
                outcome,
                at + timedelta(seconds=40),
                answered_at=answered,
                sip_status=200 if answered else 486,
                cpa_verdict="human" if answered else None,
                cpa_decision_ms=800,
            )
            if disposition:
                await set_disposition(s, tenant.tenant_id, attempt, disposition, "")


async def _setup(client, tenant, n: int) -> tuple[dict, str]:
    c = await make_campaign(client, tenant, timezone="UTC")
    for code, success in (("sale", True), ("no_interest", False)):
        await client.post(
            f"/api/v1/dialer/campaigns/{c['id']}/dispositions",
            headers=tenant.headers,
            json={"code": code, "label": code, "isSuccess": success},
        )
    csv_text = "Phone\n" + "".join(f"1380013{i:04d}\n" for i in range(n))
    list_id = await import_now(client, tenant, c["id"], csv_text, {"phone": "Phone"})
    return c, list_id


async def test_abandonment_rate_per_day_and_over_30_days(client, tenant):
    c, _ = await _setup(client, tenant, 8)
    await _calls(
        tenant,
        c["id"],
        [
            (Outcome.ANSWERED, timedelta(days=1), None),
            (Outcome.ABANDONED, timedelta(days=1), None),
            (Outcome.ANSWERED, timedelta(days=1), None),
            (Outcome.BUSY, timedelta(days=1), None),
            (Outcome.ANSWERED, timedelta(0), None),
            (Outcome.ANSWERED, timedelta(0), None),
            (Outcome.ANSWERED, timedelta(0), None),
            (Outcome.ABANDONED, timedelta(days=40), None),  # outside the 30 days
        ],
    )
    r = await client.get(f"/api/v1/dialer/campaigns/{c['id']}/abandonment", headers=tenant.headers)
    body = r.json()
    assert [(d["live"], d["abandoned"]) for d in body["days"]] == [(3, 1), (3, 0)]
    assert body["days"][0]["rate"] == pytest.approx(1 / 3)
    assert body["last30"] == {"day": None, "live": 6, "abandoned": 1, "rate": pytest.approx(1 / 6)}


async def test_report_per_list_counts_outcomes_contacts_and_sales(client, tenant):
    c, list_id = await _setup(client, tenant, 6)
    await _calls(
        tenant,
        c["id"],
        [
            (Outcome.ANSWERED, timedelta(hours=1), "sale"),
            (Outcome.ANSWERED, timedelta(hours=1), "no_interest"),
            (Outcome.ANSWERED, timedelta(hours=1), "sale"),
            (Outcome.BUSY, timedelta(hours=1), None),
            (Outcome.MACHINE, timedelta(hours=1), None),
        ],
    )
    report = (
        await client.get(f"/api/v1/dialer/lists/{list_id}/report", headers=tenant.headers)
    ).json()
    assert report["leads"] == 6 and report["dialled"] == 5 and report["contacted"] == 3
    assert report["attemptsByOutcome"] == {"answered": 3, "busy": 1, "machine": 1}
    assert report["contactRate"] == pytest.approx(3 / 5)
    assert report["byDisposition"] == {"sale": 2, "no_interest": 1}
    assert report["conversions"] == 2 and report["conversionRate"] == pytest.approx(2 / 3)


@pytest.mark.feature("DIAL-2")
async def test_evidence_export_runs_in_a_real_worker(client, tenant, worker_process):
    c, _ = await _setup(client, tenant, 3)
    await _calls(
        tenant,
        c["id"],
        [
            (Outcome.ANSWERED, timedelta(hours=2), None),
            (Outcome.ABANDONED, timedelta(hours=1), None),
            (Outcome.NO_ANSWER, timedelta(minutes=5), None),
        ],
    )
    r = await client.post(
        f"/api/v1/dialer/campaigns/{c['id']}/evidence-exports", headers=tenant.headers, json={}
    )
    assert r.status_code == 202, r.text
    key = r.json()["key"]
    for _ in range(300):
        status = (
            await client.get(
                f"/api/v1/dialer/campaigns/evidence-exports/{key}", headers=tenant.headers
            )
        ).json()
        if status["status"] == "done":
            break
        await asyncio.sleep(0.1)
    assert status["status"] == "done" and status["result"]["rows"] == 3
    text = (
        await client.get(
            f"/api/v1/dialer/campaigns/evidence-exports/{key}/file", headers=tenant.headers
        )
    ).text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["outcome"] for r in rows] == ["answered", "abandoned", "no_answer"]
    assert [r["abandoned"] for r in rows] == ["False", "True", "False"]
    assert rows[1]["phone"] == "+8613800130001" and rows[1]["answered_at"]
