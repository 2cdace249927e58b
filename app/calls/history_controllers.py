"""REC-5: call history search on any combination of fields, call detail, Excel export.

`GET /api/v1/calls/search` (the portal's Calls page; `GET /api/v1/calls/` stays the partner
API's plain CDR list), `GET /api/v1/calls/{id}`, `POST /api/v1/calls/exports` (a worker writes
the .xlsx), `GET /api/v1/calls/exports/{key}` and `/file`. Permission `calls.read`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.calls import history_schemas as s
from app.calls.history import (
    CallFilters,
    CallRow,
    CallScope,
    call_seconds,
    check_number_search,
    find_call,
    search_calls,
    shown_number,
    talk_seconds,
)
from app.db.deps import DbSession
from app.dialer.leads import mask_number
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.storage import get_storage
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm
from app.tenants.schemas import Page
from app.worker.idempotency import job_status, register_job

READ = {"permission": Perm.CALLS_READ}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
When = Annotated[datetime | None, QueryParameter()]
Dir = Annotated[s.Direction | None, QueryParameter()]
AgentId = Annotated[UUID | None, QueryParameter(name="agentId")]
QueueId = Annotated[UUID | None, QueryParameter(name="queueId")]
Ext = Annotated[str | None, QueryParameter(max_length=6)]
Number = Annotated[str | None, QueryParameter(max_length=32)]
MinDuration = Annotated[float | None, QueryParameter(name="minDuration", ge=0)]
Disposition = Annotated[str | None, QueryParameter(max_length=40)]
HasRecording = Annotated[bool | None, QueryParameter(name="hasRecording")]
SatisfactionAtMost = Annotated[int | None, QueryParameter(name="satisfactionAtMost", ge=0, le=9)]
Listened = Annotated[bool | None, QueryParameter()]


def scope_of(request: Request[Any, Any, Any]) -> CallScope:
    p = current_principal(request)
    return CallScope.for_principal(p.tenant_id, p.user_id, p.role)


def recording_out(row: CallRow) -> s.RecordingOut | None:
    rec = row.recording
    if rec is None:
        return None
    base = f"/api/v1/recordings/{rec.id}"
    return s.RecordingOut(
        id=rec.id,
        call_id=row.record.id,
        call_key=rec.call_key,
        duration_seconds=rec.duration_seconds,
        size_bytes=rec.size_bytes,
        listened=row.listen is not None,
        listened_at=row.listen.last_listened_at if row.listen else None,
        times_listened=row.listen.times if row.listen else 0,
        audio_url=f"{base}/audio",
        download_url=f"{base}/download",
    )


def _row_fields(row: CallRow, reveal: bool) -> dict[str, Any]:
    r = row.record
    return {
        "id": r.id,
        "call_key": r.call_key,
        "direction": r.direction,
        "from_number": shown_number(r.from_number, reveal=reveal),
        "to_number": shown_number(r.to_number, reveal=reveal),
        "extension": r.extension,
        "agent_user_id": r.agent_user_id,
        "agent_name": row.agent_name,
        "queue_id": r.queue_id,
        "queue_name": row.queue_name,
        "disposition": row.disposition,
        "satisfaction": row.satisfaction,
        "arrived_at": r.arrived_at,
        "answered_at": r.answered_at,
        "bridged_at": r.bridged_at,
        "ended_at": r.ended_at,
        "duration_seconds": round(call_seconds(r), 3),
        "talk_seconds": round(talk_seconds(r), 3),
        "hangup_cause": r.hangup_cause,
        "hangup_side": r.hangup_side,
        "recording": recording_out(row),
    }


def row_out(row: CallRow, scope: CallScope) -> s.CallRowOut:
    return s.CallRowOut(**_row_fields(row, scope.reveal_numbers))


_LONG_DIGITS = re.compile(r"\+?\d{5,}")


def _masked_leg(leg: dict[str, Any]) -> dict[str, Any]:
    """Legs carry SIP URIs with the customer's number in them: mask every long digit run."""
    out = dict(leg)
    for field in ("from", "to", "uri", "number"):
        if isinstance(out.get(field), str):
            out[field] = _LONG_DIGITS.sub(lambda m: mask_number(m.group()), out[field])
    return out


def detail_out(row: CallRow, scope: CallScope) -> s.CallDetailOut:
    r = row.record
    wait: float | None = None
    if r.queued_at is not None:
        left = r.bridged_at or r.ended_at
        wait = max(0.0, (left - r.queued_at).total_seconds()) if left else None
    legs = r.legs if scope.reveal_numbers else [_masked_leg(leg) for leg in r.legs]
    return s.CallDetailOut(
        **_row_fields(row, scope.reveal_numbers),
        queued_at=r.queued_at,
        wait_seconds=wait,
        dtmf=r.dtmf,
        legs=legs,
    )


def filters_from(
    *,
    since: datetime | None,
    until: datetime | None,
    agent_id: UUID | None,
    extension: str | None,
    number: str | None,
    direction: str | None,
    min_duration: float | None,
    queue_id: UUID | None,
    disposition: str | None,
    has_recording: bool | None,
    listened: bool | None = None,
    satisfaction_at_most: int | None = None,
) -> CallFilters:
    if since and until and until <= since:
        raise Problem(400, "`until` must be after `since`.", code="bad_range")
    return CallFilters(
        since=since,
        until=until,
        agent_user_id=agent_id,
        extension=extension or None,
        number=number or None,
        direction=direction,
        min_duration=min_duration,
        queue_id=queue_id,
        disposition=disposition or None,
        has_recording=has_recording,
        listened=listened,
        satisfaction_at_most=satisfaction_at_most,
    )


async def export_job_out(request: Request[Any, Any, Any], key: str, actor: str) -> s.ExportJobOut:
    """The requester's own export job, else 404 (another user's export may show more)."""
    p = current_principal(request)
    job = await job_status(p.tenant_id, key)
    if (
        job is None
        or job.actor != actor
        or job.result.get("userId", str(p.user_id)) != str(p.user_id)
    ):
        raise Problem(404, "No such export.")
    rows = job.result.get("rows")
    return s.ExportJobOut(
        key=job.key,
        status=job.status,
        rows=int(rows) if isinstance(rows, int) else None,
        file_url=f"{request.url.path.rstrip('/')}/file" if job.status == "done" else None,
    )


async def export_file(
    request: Request[Any, Any, Any], key: str, actor: str, name: str
) -> Response[bytes]:
    await export_job_out(request, key, actor)
    job = await job_status(current_principal(request).tenant_id, key)
    if job is None or job.status != "done":
        raise Problem(404, "This export is not ready (or does not exist).")
    return Response(
        get_storage().get(str(job.result["objectKey"])),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}-{key}.xlsx"'},
    )


class CallHistoryController(Controller):
    path = "/api/v1/calls"
    tags = ["calls"]

    @get("/search", opt=READ)
    async def search_calls(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        since: When = None,
        until: When = None,
        agent_id: AgentId = None,
        extension: Ext = None,
        number: Number = None,
        direction: Dir = None,
        min_duration: MinDuration = None,
        queue_id: QueueId = None,
        disposition: Disposition = None,
        has_recording: HasRecording = None,
        satisfaction_at_most: SatisfactionAtMost = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.CallRowOut]:
        """Calls, newest first, on any combination of filters (REC-5). `number` matches digits
        anywhere in the calling or called number (for roles that see numbers masked: at most
        the last 4 digits, matched at the end, else 403); `minDuration` is talk seconds."""
        scope = scope_of(request)
        f = filters_from(
            since=since, until=until, agent_id=agent_id, extension=extension, number=number,
            direction=direction, min_duration=min_duration, queue_id=queue_id,
            disposition=disposition, has_recording=has_recording,
            satisfaction_at_most=satisfaction_at_most,
        )  # fmt: skip
        rows, total = await search_calls(db_session, scope, f, limit=limit, offset=offset)
        return Page(
            items=[row_out(r, scope) for r in rows], total=total, limit=limit, offset=offset
        )

    @get("/{call_id:uuid}", opt=READ)
    async def call_detail(
        self, request: Request[Any, Any, Any], db_session: DbSession, call_id: FromPath[UUID]
    ) -> s.CallDetailOut:
        """One call with every leg and its recording."""
        scope = scope_of(request)
        row = await find_call(db_session, scope, call_id)
        if row is None:
            raise Problem(404, "No such call.")
        return detail_out(row, scope)

    @post("/exports", opt=READ | {"audit_action": "calls.export"}, status_code=202)
    async def start_calls_export(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.CallExportIn],
        lang: Annotated[str, QueryParameter(max_length=10)] = "en",
    ) -> s.ExportJobOut:
        """Export the search to Excel in the background; poll the job, then get `/file`."""
        from app.recordings.actors import export_calls

        p = current_principal(request)
        f = filters_from(
            since=data.since, until=data.until, agent_id=data.agent_id, extension=data.extension,
            number=data.number, direction=data.direction, min_duration=data.min_duration,
            queue_id=data.queue_id, disposition=data.disposition,
            has_recording=data.has_recording, satisfaction_at_most=data.satisfaction_at_most,
        )  # fmt: skip
        check_number_search(scope_of(request), f)  # refused now, not in the worker
        key = str(uuid4())
        job = await register_job(p.tenant_id, key, "export_calls")
        export_calls.send(str(p.tenant_id), key, str(p.user_id), p.role, f.to_json(), lang)
        return s.ExportJobOut(key=key, status=job.status)

    @get("/exports/{key:str}", opt=READ)
    async def calls_export_status(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> s.ExportJobOut:
        return await export_job_out(request, key, "export_calls")

    @get("/exports/{key:str}/file", opt=READ, media_type=XLSX)
    async def calls_export_file(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[bytes]:
        return await export_file(request, key, "export_calls", "calls")
