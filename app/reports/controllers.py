"""REC-4 reports API: agent and queue figures for charts, and their Excel export.

`GET /api/v1/reports/agents`, `GET /api/v1/reports/queues` (since, until: default the last
30 days; period day|week|month|year; tz; slSeconds), `POST /api/v1/reports/exports` (a worker
writes the .xlsx), `GET /api/v1/reports/exports/{key}` and `/file`. Permission `reports.read`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.calls.history_controllers import XLSX, export_file, export_job_out
from app.calls.history_schemas import ExportJobOut
from app.db.deps import DbSession
from app.lib.problems import Problem
from app.reports import convert
from app.reports import schemas as s
from app.reports.services import ReportQuery, ReportRangeError, agent_report, queue_report
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm
from app.worker.idempotency import register_job

READ = {"permission": Perm.REPORTS_READ}
DEFAULT_DAYS = 30

When = Annotated[datetime | None, QueryParameter()]
PeriodParam = Annotated[s.Period, QueryParameter()]
Tz = Annotated[str, QueryParameter(max_length=64)]
Sl = Annotated[float, QueryParameter(name="slSeconds", gt=0, le=3600)]


def report_query(
    tenant_id: UUID,
    since: datetime | None,
    until: datetime | None,
    period: str,
    tz: str,
    sl_seconds: float,
) -> ReportQuery:
    until = until or datetime.now(UTC)
    q = ReportQuery(
        tenant_id=tenant_id,
        since=since or until - timedelta(days=DEFAULT_DAYS),
        until=until,
        period=period,  # type: ignore[arg-type]  # checked below
        tz=tz,
        sl_seconds=sl_seconds,
    )
    try:
        q.check()
    except ReportRangeError as exc:
        raise Problem(400, str(exc), code="bad_report_range") from exc
    return q


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]

    @get("/agents", opt=READ)
    async def agents_report(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        since: When = None,
        until: When = None,
        period: PeriodParam = "day",
        tz: Tz = "Asia/Shanghai",
        sl_seconds: Sl = 20.0,
    ) -> s.AgentReportOut:
        """Per agent: calls, answered, answered outbound, talk time, average handle time;
        `totals` over the range and `series` per period bucket."""
        tenant_id = current_principal(request).tenant_id
        q = report_query(tenant_id, since, until, period, tz, sl_seconds)
        return convert.agent_report_out(await agent_report(db_session, q))

    @get("/queues", opt=READ)
    async def queues_report(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        since: When = None,
        until: When = None,
        period: PeriodParam = "day",
        tz: Tz = "Asia/Shanghai",
        sl_seconds: Sl = 20.0,
    ) -> s.QueueReportOut:
        """Per queue: offered, answered, abandoned, average / longest wait, service level
        (answered within `slSeconds` / offered)."""
        tenant_id = current_principal(request).tenant_id
        q = report_query(tenant_id, since, until, period, tz, sl_seconds)
        return convert.queue_report_out(await queue_report(db_session, q))

    @post("/exports", opt=READ | {"audit_action": "report.export"}, status_code=202)
    async def start_report_export(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.ReportExportIn],
        lang: Annotated[str, QueryParameter(max_length=10)] = "en",
    ) -> ExportJobOut:
        from app.reports.actors import export_report

        p = current_principal(request)
        q = report_query(p.tenant_id, data.since, data.until, data.period, data.tz, data.sl_seconds)
        key = str(uuid4())
        job = await register_job(p.tenant_id, key, "export_report")
        export_report.send(str(p.tenant_id), key, str(p.user_id), data.kind, q.to_json(), lang)
        return ExportJobOut(key=key, status=job.status)

    @get("/exports/{key:str}", opt=READ)
    async def report_export_status(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> ExportJobOut:
        return await export_job_out(request, key, "export_report")

    @get("/exports/{key:str}/file", opt=READ, media_type=XLSX)
    async def report_export_file(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[bytes]:
        return await export_file(request, key, "export_report", "report")
