"""Wire formats of the calls domain (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

Extension = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3,6}$")]
PhoneNumber = Annotated[str, msgspec.Meta(min_length=3, max_length=32)]
Direction = Literal["inbound", "outbound", "internal"]


class ClickToCallIn(Camel):
    extension: Extension
    number: PhoneNumber


class ClickToCallOut(Camel):
    command_id: str
    extension: str
    number: str


class CallRecordOut(Camel):
    id: UUID
    call_key: str
    direction: str
    from_number: str
    to_number: str
    extension: str | None
    agent_user_id: UUID | None
    arrived_at: datetime
    answered_at: datetime | None
    bridged_at: datetime | None
    ended_at: datetime | None
    hangup_cause: str
    hangup_side: str
    dtmf: str
    legs: list[dict[str, Any]]


class LiveCallOut(Camel):
    key: str
    direction: str
    state: str
    from_number: str
    to_number: str
    extension: str
    arrived_at: str
    bridged_at: str
    legs: list[dict[str, Any]]
