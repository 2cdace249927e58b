"""Wire formats of the call history and recordings API (REC-2, REC-5), camelCase JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

Direction = Literal["inbound", "outbound", "internal"]


class RecordingOut(Camel):
    id: UUID
    call_id: UUID | None
    call_key: str
    duration_seconds: float
    size_bytes: int
    listened: bool  # by the requesting user
    listened_at: datetime | None
    times_listened: int
    audio_url: str  # inline, HTTP Range (the <audio> element seeks with it)
    download_url: str


class CallRowOut(Camel):
    id: UUID
    call_key: str
    direction: str
    from_number: str  # E.164 for admins and supervisors, masked for others (DIAL-6)
    to_number: str
    extension: str | None
    agent_user_id: UUID | None
    agent_name: str | None
    queue_id: UUID | None
    queue_name: str | None
    disposition: str | None
    satisfaction: float | None  # mean post-call survey score (REC-6), none without answers
    arrived_at: datetime
    answered_at: datetime | None
    bridged_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float  # arrival -> end
    talk_seconds: float  # bridged -> end
    hangup_cause: str
    hangup_side: str
    recording: RecordingOut | None


class CallDetailOut(CallRowOut):
    queued_at: datetime | None
    wait_seconds: float | None  # in queue: until bridged, or until the caller gave up
    dtmf: str
    legs: list[dict[str, Any]]


class CallExportIn(Camel):
    since: datetime | None = None
    until: datetime | None = None
    agent_id: UUID | None = None
    extension: str | None = None
    number: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    direction: Direction | None = None
    min_duration: Annotated[float, msgspec.Meta(ge=0)] | None = None
    queue_id: UUID | None = None
    disposition: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    has_recording: bool | None = None
    satisfaction_at_most: Annotated[int, msgspec.Meta(ge=0, le=9)] | None = None


class ExportJobOut(Camel):
    key: str
    status: str
    rows: int | None = None
    file_url: str | None = None
