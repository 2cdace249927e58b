"""Wire shapes of the tickets API (CRM-5); camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.crm.tickets import ReplyChannel, TicketPriority, TicketStatus, TicketType
from app.tenants.schemas import Camel

Subject = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LongText = Annotated[str, msgspec.Meta(max_length=10_000)]
NonEmptyText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
CallKey = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Extension = Annotated[str, msgspec.Meta(pattern=r"^\d{3,6}$")]
When = Annotated[datetime, msgspec.Meta(tz=True)]


class TicketIn(Camel):
    subject: Subject
    type: TicketType = TicketType.CONSULT
    description: LongText = ""
    # Typed by the user; ignored when `call_key` names a call whose customer is known.
    phone: Phone = ""
    call_key: CallKey | None = None
    priority: TicketPriority = TicketPriority.NORMAL
    assignee_id: UUID | None = None
    due_at: When | None = None


class TicketPatch(Camel):
    subject: Subject | None = None
    type: TicketType | None = None
    description: LongText | None = None
    priority: TicketPriority | None = None
    due_at: When | None = None
    clear_due: bool = False


class TicketStatusIn(Camel):
    status: TicketStatus
    note: LongText = ""


class TicketAssignIn(Camel):
    assignee_id: UUID | None


class TicketCommentIn(Camel):
    text: NonEmptyText


class TicketReplyIn(Camel):
    channel: ReplyChannel
    text: NonEmptyText


class TicketCallbackIn(Camel):
    extension: Extension | None = None  # default: the signed-in user's own extension


class TicketOut(Camel):
    id: UUID
    type: str
    subject: str
    description: str
    phone: str  # masked for agents and QA when hidden (DIAL-6)
    phone_hidden: bool
    call_key: str | None
    call_record_id: UUID | None
    status: str
    colour: str
    next_statuses: list[str]
    priority: str
    assignee_id: UUID | None
    assignee_name: str | None
    due_at: datetime | None
    overdue: bool
    created_by: UUID | None
    created_by_name: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    replied: bool


class TicketEventOut(Camel):
    id: UUID
    kind: str
    actor_id: UUID | None
    actor_name: str | None
    at: datetime
    old: str
    new: str
    text: str
    channel: str


class TicketDetailOut(Camel):
    ticket: TicketOut
    history: list[TicketEventOut]


class CallTicketsOut(Camel):
    """The screen pop's view of a call: the caller's open tickets and what a new one from
    this call would start with (number as the user may see it)."""

    call_key: str
    phone: str
    phone_hidden: bool
    open: list[TicketOut]


class TicketStatusInfo(Camel):
    status: str
    colour: str
    next: list[str]


class TicketWorkflowOut(Camel):
    statuses: list[TicketStatusInfo]
    types: list[str]
    priorities: list[str]
    channels: list[str]


class TicketCallbackOut(Camel):
    command_id: str
    extension: str
    phone: str  # as the user may see it


class TicketExportIn(Camel):
    """The list's filters (as its query parameters)."""

    status: list[TicketStatus] = []
    type: TicketType | None = None
    priority: TicketPriority | None = None
    assignee_id: UUID | None = None
    mine: bool = False
    unassigned: bool = False
    phone: Phone | None = None
    call_key: CallKey | None = None
    q: Annotated[str, msgspec.Meta(max_length=100)] | None = None
