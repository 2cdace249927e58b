"""Background jobs of the dialer: lead imports (DIAL-1), the abandonment evidence export and
callback reminders (DIAL-5). Each runs at most once per (tenant, key)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import dramatiq
from sqlalchemy import and_, select

import app.worker  # noqa: F401  (configures the broker before the actors are declared)
from app.db.base import utcnow
from app.db.session import tenant_session
from app.dialer.imports import ColumnMapping, ImportError_, errors_csv, import_rows, open_source
from app.dialer.leads import due_reminders, mask_number
from app.dialer.models import Campaign, Lead, LeadAttempt, LeadList
from app.lib.events import add_event
from app.lib.keys import tenant_key, tenant_object_key
from app.lib.redis import get_redis
from app.lib.storage import get_storage
from app.worker.idempotency import run_once

PROGRESS_TTL = 7 * 24 * 3600


def import_key(tenant_id: UUID, list_id: UUID) -> str:
    """Redis hash with the import's progress (read by GET /api/v1/dialer/imports/{id})."""
    return tenant_key(tenant_id, "dialer", "import", str(list_id))


async def publish_progress(tenant_id: UUID, list_id: UUID, fields: dict[str, Any]) -> None:
    redis = get_redis()
    pipe = redis.pipeline(transaction=True)
    pipe.hset(import_key(tenant_id, list_id), mapping={k: str(v) for k, v in fields.items()})
    pipe.expire(import_key(tenant_id, list_id), PROGRESS_TTL)
    finished = fields.get("status") in {"done", "failed"}
    kind = "dialer.import.finished" if finished else "dialer.import.progress"
    await add_event(pipe, tenant_id, kind, listId=str(list_id), **fields)
    await pipe.execute()


async def run_import(tenant_id: UUID, list_id: UUID) -> dict[str, Any]:
    async with tenant_session(tenant_id) as session:
        lead_list = await session.get(LeadList, (tenant_id, list_id))
        if lead_list is None or lead_list.status == "done":
            return {"status": lead_list.status if lead_list else "missing"}
        lead_list.status = "importing"
        data = get_storage().get(lead_list.object_key)
    await publish_progress(tenant_id, list_id, {"status": "importing", "percent": 0})

    async def progress(p: dict[str, Any]) -> None:
        await publish_progress(tenant_id, list_id, {"status": "importing", **p})

    try:
        summary = await _import_in_one_transaction(tenant_id, list_id, data, progress)
    except ImportError_ as exc:
        summary = await _fail(tenant_id, list_id, str(exc))
    await publish_progress(tenant_id, list_id, summary)
    return summary


async def _import_in_one_transaction(
    tenant_id: UUID, list_id: UUID, data: bytes, progress: Any
) -> dict[str, Any]:
    async with tenant_session(tenant_id) as session:
        lead_list = await session.get(LeadList, (tenant_id, list_id), with_for_update=True)
        campaign = await session.get(Campaign, (tenant_id, lead_list.campaign_id))  # type: ignore[union-attr]
        assert lead_list is not None and campaign is not None
        source = open_source(data, lead_list.file_format)
        result = await import_rows(
            session, campaign, list_id, source, ColumnMapping.from_json(lead_list.mapping), progress
        )
        errors_key = tenant_object_key(tenant_id, "dialer", "imports", f"{list_id}-errors.csv")
        get_storage().put(errors_key, errors_csv(result.errors))
        lead_list.status, lead_list.errors_key = "done", errors_key
        lead_list.rows, lead_list.imported = result.rows, result.imported
        lead_list.rejected, lead_list.counts = len(result.errors), result.counts
        lead_list.finished_at = utcnow()
    return {
        "status": "done",
        "phase": "done",
        "percent": 100,
        "rows": result.rows,
        "rowsPerSecond": round(result.rows / max(result.seconds, 1e-6)),
        "imported": result.imported,
        "rejected": len(result.errors),
    }


async def _fail(tenant_id: UUID, list_id: UUID, error: str) -> dict[str, Any]:
    async with tenant_session(tenant_id) as session:
        lead_list = await session.get(LeadList, (tenant_id, list_id))
        if lead_list is not None:
            lead_list.status, lead_list.error, lead_list.finished_at = "failed", error, utcnow()
    return {"status": "failed", "phase": "failed", "error": error}


@dramatiq.actor(queue_name="imports", max_retries=2, time_limit=15 * 60 * 1000)  # type: ignore[arg-type]
async def import_lead_list(tenant_id: str, list_id: str) -> None:
    tid, lid = UUID(tenant_id), UUID(list_id)
    await run_once(tid, f"lead-import:{lid}", "import_lead_list", lambda: run_import(tid, lid))


# --- abandonment evidence (compliance) -------------------------------------------------------

EVIDENCE_COLUMNS = [
    "attempt_id",
    "lead_id",
    "phone",
    "campaign_id",
    "started_at",
    "answered_at",
    "ended_at",
    "sip_status",
    "outcome",
    "cpa_verdict",
    "cpa_decision_ms",
    "abandoned",
    "agent_id",
    "disposition",
    "message_ms",
    "survey_key",
    "survey_label",
]


async def build_evidence_csv(
    tenant_id: UUID, campaign_id: UUID, since: datetime | None, until: datetime | None
) -> tuple[bytes, int]:
    query = (
        select(LeadAttempt, Lead.phone)
        .join(Lead, and_(Lead.tenant_id == LeadAttempt.tenant_id, Lead.id == LeadAttempt.lead_id))
        .where(LeadAttempt.tenant_id == tenant_id, LeadAttempt.campaign_id == campaign_id)
        .order_by(LeadAttempt.started_at)
    )
    if since:
        query = query.where(LeadAttempt.started_at >= since)
    if until:
        query = query.where(LeadAttempt.started_at < until)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EVIDENCE_COLUMNS)
    rows = 0
    async with tenant_session(tenant_id) as session:
        for attempt, phone in (await session.execute(query)).all():
            values = {c: getattr(attempt, c, None) for c in EVIDENCE_COLUMNS}
            values.update(attempt_id=attempt.id, phone=phone)
            writer.writerow(["" if values.get(c) is None else values[c] for c in EVIDENCE_COLUMNS])
            rows += 1
    return out.getvalue().encode("utf-8-sig"), rows


@dramatiq.actor(queue_name="exports", max_retries=3)  # type: ignore[arg-type]
async def export_evidence(
    tenant_id: str, key: str, campaign_id: str, since: str | None = None, until: str | None = None
) -> None:
    tid = UUID(tenant_id)

    async def work() -> dict[str, Any]:
        data, rows = await build_evidence_csv(
            tid,
            UUID(campaign_id),
            datetime.fromisoformat(since) if since else None,
            datetime.fromisoformat(until) if until else None,
        )
        object_key = tenant_object_key(tid, "exports", f"dialer-evidence-{key}.csv")
        get_storage().put(object_key, data)
        return {"objectKey": object_key, "rows": rows}

    await run_once(tid, key, "export_evidence", work)


# --- callback reminders (DIAL-5) -------------------------------------------------------------


async def send_callback_reminders(
    tenant_id: UUID, now: datetime, ahead: timedelta = timedelta(minutes=5)
) -> int:
    """One `dialer.callback.reminder` event per callback coming due (masked number: the
    event stream feeds agents' screens)."""
    async with tenant_session(tenant_id) as session:
        due = await due_reminders(session, tenant_id, now, ahead)
        redis = get_redis()
        for callback, lead in due:
            await add_event(
                redis,
                tenant_id,
                "dialer.callback.reminder",
                callbackId=str(callback.id),
                leadId=str(lead.id),
                campaignId=str(callback.campaign_id),
                agentId=str(callback.agent_id) if callback.agent_id else "",
                dueAt=callback.due_at.isoformat(),
                phone=mask_number(lead.phone),
                name=lead.name,
                note=callback.note,
            )
    return len(due)


@dramatiq.actor(queue_name="dialer", max_retries=1)  # type: ignore[arg-type]
async def remind_callbacks(tenant_id: str) -> None:
    """Run every minute per tenant by the dialer scheduler (callcontrol's campaign loop)."""
    await send_callback_reminders(UUID(tenant_id), utcnow())
