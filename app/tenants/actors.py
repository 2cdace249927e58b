"""Background jobs of the tenants domain."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from uuid import UUID

import dramatiq
from sqlalchemy import select

import app.worker  # noqa: F401  (configures the broker before the actor is declared)
from app.db.session import tenant_session
from app.lib.keys import tenant_object_key
from app.lib.storage import get_storage
from app.tenants.models import AuditEntry
from app.worker.idempotency import run_once

AUDIT_COLUMNS = [
    "at",
    "actor_email",
    "action",
    "outcome",
    "method",
    "path",
    "target_type",
    "target_id",
    "status_code",
    "source_ip",
]


async def build_audit_csv(
    tenant_id: UUID, since: datetime | None, until: datetime | None
) -> tuple[bytes, int]:
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.at)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    rows = 0
    async with tenant_session(tenant_id) as session:
        for entry in await session.scalars(query):
            writer.writerow([getattr(entry, c) for c in AUDIT_COLUMNS])
            rows += 1
    return out.getvalue().encode("utf-8-sig"), rows


@dramatiq.actor(queue_name="exports", max_retries=3)  # type: ignore[arg-type]
async def export_audit(
    tenant_id: str, key: str, since: str | None = None, until: str | None = None
) -> None:
    tid = UUID(tenant_id)

    async def work() -> dict[str, Any]:
        data, rows = await build_audit_csv(
            tid,
            datetime.fromisoformat(since) if since else None,
            datetime.fromisoformat(until) if until else None,
        )
        object_key = tenant_object_key(tid, "exports", f"audit-{key}.csv")
        get_storage().put(object_key, data)
        return {"objectKey": object_key, "rows": rows}

    await run_once(tid, key, "export_audit", work)
