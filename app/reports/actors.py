"""Dramatiq actors of the reports domain: Excel exports (REC-4)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import dramatiq

import app.worker  # noqa: F401  (the broker first)
from app.db.session import tenant_session
from app.lib.keys import tenant_object_key
from app.lib.storage import get_storage
from app.recordings.exports import workbook_bytes
from app.reports import convert
from app.reports.services import ReportQuery, agent_report, queue_report
from app.worker.idempotency import run_once


async def build_report_xlsx(kind: str, q: ReportQuery, lang: str) -> tuple[bytes, int]:
    zh = lang.lower().startswith("zh")
    total = "合计" if zh else "Total"
    async with tenant_session(q.tenant_id) as session:
        if kind == "agents":
            rows = convert.agent_rows(await agent_report(session, q), total)
            header, title = convert.AGENT_HEADER, ("坐席报表" if zh else "Agents")
        else:
            rows = convert.queue_rows(await queue_report(session, q), total)
            header, title = convert.QUEUE_HEADER, ("队列报表" if zh else "Queues")
    return workbook_bytes(title, header["zh" if zh else "en"], rows), len(rows)


@dramatiq.actor(queue_name="exports", max_retries=3)  # type: ignore[arg-type]
async def export_report(
    tenant_id: str, key: str, user_id: str, kind: str, query: dict[str, Any], lang: str = "en"
) -> None:
    """REC-4: an agent or queue report as .xlsx in storage; idempotent by job key."""
    tid = UUID(tenant_id)

    async def work() -> dict[str, Any]:
        data, rows = await build_report_xlsx(kind, ReportQuery.from_json(tid, query), lang)
        object_key = tenant_object_key(tid, "exports", f"report-{kind}-{key}.xlsx")
        get_storage().put(object_key, data)
        return {"objectKey": object_key, "rows": rows, "userId": user_id}

    await run_once(tid, key, "export_report", work)
