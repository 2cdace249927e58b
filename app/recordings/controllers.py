"""REC-2: search recordings, their metadata, listened marks, playback with HTTP Range, download.

Permission `recordings.listen` (admin, supervisor, QA, agent). Agents see only the recordings
of their own calls and masked numbers; QA masked numbers too (DIAL-6). A recording of another
tenant (or, for an agent, of another agent's call) is a 404, never a 403: its id says nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath
from litestar.response import Stream

from app.calls import history_schemas as s
from app.calls.history import CallRow, CallScope, find_recording_call, search_calls
from app.calls.history_controllers import (
    AgentId,
    Dir,
    Disposition,
    Ext,
    Limit,
    Listened,
    MinDuration,
    Number,
    QueueId,
    SatisfactionAtMost,
    When,
    filters_from,
    recording_out,
    row_out,
    scope_of,
)
from app.db.deps import DbSession
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.storage import get_storage
from app.recordings.services import (
    RangeNotSatisfiableError,
    mark_listened,
    mark_unlistened,
    parse_range,
)
from app.tenants.permissions import Perm
from app.tenants.schemas import Page

LISTEN = {"permission": Perm.RECORDINGS_LISTEN}
WAV = "audio/wav"


async def _found(db: DbSession, scope: CallScope, recording_id: UUID) -> CallRow:
    row = await find_recording_call(db, scope, recording_id)
    if row is None or row.recording is None:
        raise Problem(404, "No such recording.")
    return row


def _filename(row: CallRow) -> str:
    at = row.record.arrived_at.strftime("%Y%m%d-%H%M%S")
    return f"call-{at}-{row.record.call_key[:12]}.wav"


def _audio(request: Request[Any, Any, Any], row: CallRow, disposition: str) -> Response[Any]:
    assert row.recording is not None
    key = row.recording.object_key
    storage = get_storage()
    if not storage.exists(key):
        raise Problem(404, "The recording's audio is missing from storage.", code="audio_missing")
    size = storage.size(key)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'{disposition}; filename="{_filename(row)}"',
        "Cache-Control": "private, max-age=3600",
    }
    try:
        wanted = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiableError:
        return Response(
            b"", status_code=416, headers=headers | {"Content-Range": f"bytes */{size}"}
        )
    start, end = wanted if wanted is not None else (0, size - 1)
    chunks: Iterator[bytes] = storage.iter_range(key, start, end)
    headers["Content-Length"] = str(end - start + 1)
    if wanted is None:
        return Stream(chunks, media_type=WAV, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Stream(chunks, media_type=WAV, status_code=206, headers=headers)


class RecordingController(Controller):
    path = "/api/v1/recordings"
    tags = ["recordings"]

    @get("/", opt=LISTEN)
    async def search_recordings(
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
        listened: Listened = None,
        satisfaction_at_most: SatisfactionAtMost = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.CallRowOut]:
        """Recorded calls, newest first; `listened` filters on the requesting user's marks."""
        scope = scope_of(request)
        f = filters_from(
            since=since, until=until, agent_id=agent_id, extension=extension, number=number,
            direction=direction, min_duration=min_duration, queue_id=queue_id,
            disposition=disposition, has_recording=True, listened=listened,
            satisfaction_at_most=satisfaction_at_most,
        )  # fmt: skip
        rows, total = await search_calls(db_session, scope, f, limit=limit, offset=offset)
        return Page(
            items=[row_out(r, scope) for r in rows], total=total, limit=limit, offset=offset
        )

    @get("/{recording_id:uuid}", opt=LISTEN)
    async def recording_detail(
        self, request: Request[Any, Any, Any], db_session: DbSession, recording_id: FromPath[UUID]
    ) -> s.RecordingOut:
        row = await _found(db_session, scope_of(request), recording_id)
        out = recording_out(row)
        assert out is not None
        return out

    @get("/{recording_id:uuid}/audio", opt=LISTEN, media_type=WAV)
    async def recording_audio(
        self, request: Request[Any, Any, Any], db_session: DbSession, recording_id: FromPath[UUID]
    ) -> Response[Any]:
        """The stereo WAV (customer left, agent right), inline; honours `Range: bytes=...`."""
        row = await _found(db_session, scope_of(request), recording_id)
        return _audio(request, row, "inline")

    @get(
        "/{recording_id:uuid}/download",
        opt=LISTEN | {"audit_action": "recording.download"},
        media_type=WAV,
    )
    async def recording_download(
        self, request: Request[Any, Any, Any], db_session: DbSession, recording_id: FromPath[UUID]
    ) -> Response[Any]:
        row = await _found(db_session, scope_of(request), recording_id)
        return _audio(request, row, "attachment")

    @post("/{recording_id:uuid}/listened", opt=LISTEN, status_code=200)
    async def mark_recording_listened(
        self, request: Request[Any, Any, Any], db_session: DbSession, recording_id: FromPath[UUID]
    ) -> s.RecordingOut:
        """The requesting user played it (the portal calls this on the audio's first play)."""
        scope = scope_of(request)
        await _found(db_session, scope, recording_id)
        await mark_listened(db_session, scope.tenant_id, recording_id, scope.user_id)
        return await self._reloaded(db_session, scope, recording_id)

    @delete("/{recording_id:uuid}/listened", opt=LISTEN, status_code=200)
    async def mark_recording_unlistened(
        self, request: Request[Any, Any, Any], db_session: DbSession, recording_id: FromPath[UUID]
    ) -> s.RecordingOut:
        scope = scope_of(request)
        await _found(db_session, scope, recording_id)
        await mark_unlistened(db_session, scope.tenant_id, recording_id, scope.user_id)
        return await self._reloaded(db_session, scope, recording_id)

    @staticmethod
    async def _reloaded(db: DbSession, scope: CallScope, recording_id: UUID) -> s.RecordingOut:
        db.expire_all()
        out = recording_out(await _found(db, scope, recording_id))
        assert out is not None
        return out
