"""TEN-4: search the audit trail; export it as CSV through a background job."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import uuid4

from advanced_alchemy.filters import OrderBy
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import func, or_

from app.db.deps import DbSession
from app.db.repository import TenantRepository
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.storage import get_storage
from app.tenants import schemas as s
from app.tenants.actors import export_audit
from app.tenants.auth import current_principal
from app.tenants.models import AuditEntry
from app.tenants.permissions import Perm
from app.worker.idempotency import job_status, register_job

READ = {"permission": Perm.AUDIT_READ}


class AuditRepository(TenantRepository[AuditEntry]):
    model_type = AuditEntry


def audit_out(e: AuditEntry) -> s.AuditOut:
    return s.AuditOut(
        id=e.id,
        at=e.at,
        actor_id=e.actor_id,
        actor_email=e.actor_email,
        action=e.action,
        outcome=e.outcome,
        method=e.method,
        path=e.path,
        target_type=e.target_type,
        target_id=e.target_id,
        status_code=e.status_code,
        source_ip=e.source_ip,
        detail=e.detail,
    )


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]

    @get("/", opt=READ)
    async def search_audit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        actor_email: Annotated[
            str | None, QueryParameter(name="actorEmail", max_length=254)
        ] = None,
        action: Annotated[str | None, QueryParameter(max_length=100)] = None,
        outcome: Annotated[str | None, QueryParameter(max_length=20)] = None,
        target_id: Annotated[str | None, QueryParameter(name="targetId", max_length=100)] = None,
        source_ip: Annotated[str | None, QueryParameter(name="sourceIp", max_length=64)] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        search: Annotated[str | None, QueryParameter(max_length=100)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Offset = 0,
    ) -> s.Page[s.AuditOut]:
        repo = AuditRepository(session=db_session, tenant_id=current_principal(request).tenant_id)
        filters: list[Any] = [OrderBy("at", "desc")]
        if actor_email:
            filters.append(func.lower(AuditEntry.actor_email) == actor_email.lower())
        if action:
            filters.append(AuditEntry.action.startswith(action, autoescape=True))
        if outcome:
            filters.append(AuditEntry.outcome == outcome)
        if target_id:
            filters.append(AuditEntry.target_id == target_id)
        if source_ip:
            filters.append(AuditEntry.source_ip == source_ip)
        if since:
            filters.append(AuditEntry.at >= since)
        if until:
            filters.append(AuditEntry.at < until)
        if search:
            pattern = f"%{search.lower()}%"
            filters.append(
                or_(
                    func.lower(AuditEntry.action).like(pattern),
                    func.lower(AuditEntry.path).like(pattern),
                    func.lower(AuditEntry.actor_email).like(pattern),
                )
            )
        entries, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(
            items=[audit_out(e) for e in entries], total=total, limit=limit, offset=offset
        )

    @post("/exports", opt=READ | {"audit_action": "audit.export"}, status_code=202)
    async def start_export(
        self, request: Request[Any, Any, Any], data: JSONBody[s.AuditExportIn]
    ) -> s.JobOut:
        tenant_id = current_principal(request).tenant_id
        key = str(uuid4())
        job = await register_job(tenant_id, key, "export_audit")
        export_audit.send(
            str(tenant_id),
            key,
            data.since.isoformat() if data.since else None,
            data.until.isoformat() if data.until else None,
        )
        return s.JobOut(key=key, status=job.status, result=job.result)

    @get("/exports/{key:str}", opt=READ)
    async def export_status(self, request: Request[Any, Any, Any], key: FromPath[str]) -> s.JobOut:
        job = await job_status(current_principal(request).tenant_id, key)
        if job is None:
            raise Problem(404, "No such export.")
        return s.JobOut(key=job.key, status=job.status, result=job.result)

    @get("/exports/{key:str}/file", opt=READ, media_type="text/csv")
    async def export_file(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[bytes]:
        job = await job_status(current_principal(request).tenant_id, key)
        if job is None or job.status != "done":
            raise Problem(404, "This export is not ready (or does not exist).")
        data = get_storage().get(str(job.result["objectKey"]))
        return Response(
            data,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="audit-{key}.csv"'},
        )
