"""Tickets / work orders (CRM-5): a customer's consult, complaint or suggestion, from the call
it was opened on to the reply that closes the loop.

- `Ticket`: type, subject, description, the customer's number (E.164), the call it came from,
  status, priority, assignee, due time. `phone_hidden` marks a number taken from a call agents
  only ever saw masked (a campaign or click-to-call call, DIAL-6): agents and QA get it masked,
  admins and supervisors in full; the callback action dials it without it leaving the server.
- `TicketEvent`: the append-only history (created, comment, status, assigned, priority, due,
  reply, callback, reminder) with who and when. The app role may insert and read these rows,
  never change or delete them (migration 0017).
- Status workflow: `TRANSITIONS` (a refused move is a 409 naming the allowed ones) and
  `STATUS_COLOURS`; frontend/src/pages/tickets/workflow.json mirrors both (a unit test checks).
- Due reminders: `due_reminders` picks tickets due within `REMIND_AHEAD` that are still open,
  assigned and not yet reminded, and marks them (FOR UPDATE SKIP LOCKED: once whoever runs it);
  a new due time re-arms the reminder. `app/crm/ticket_actors.py` sends them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    and_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned, utcnow


class TicketType(enum.StrEnum):
    CONSULT = "consult"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class TicketStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class ReplyChannel(enum.StrEnum):
    PHONE = "phone"  # the agent called the customer back and told them
    NOTE = "note"  # answered another way (e-mail, in person); the note says how


S = TicketStatus
# Closed is final; a resolved ticket may be reopened (the customer was not satisfied).
TRANSITIONS: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    S.OPEN: (S.IN_PROGRESS, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED),
    S.IN_PROGRESS: (S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED),
    S.WAITING_CUSTOMER: (S.IN_PROGRESS, S.RESOLVED, S.CLOSED),
    S.RESOLVED: (S.IN_PROGRESS, S.CLOSED),
    S.CLOSED: (),
}
STATUS_COLOURS: dict[TicketStatus, str] = {
    S.OPEN: "blue",
    S.IN_PROGRESS: "orange",
    S.WAITING_CUSTOMER: "violet",
    S.RESOLVED: "green",
    S.CLOSED: "gray",
}
ACTIVE = (S.OPEN, S.IN_PROGRESS, S.WAITING_CUSTOMER)  # still someone's work
REMIND_AHEAD = timedelta(minutes=15)


def may_move(current: str, wanted: str) -> bool:
    try:
        return TicketStatus(wanted) in TRANSITIONS[TicketStatus(current)]
    except ValueError:
        return False


def allowed_moves(current: str) -> list[str]:
    return [s.value for s in TRANSITIONS.get(TicketStatus(current), ())]


def _ref(column: str, target: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], ondelete="CASCADE"
    )


class Ticket(TenantOwned):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_status", "tenant_id", "status", "created_at"),
        Index("ix_ticket_assignee", "tenant_id", "assignee_id", "status"),
        Index("ix_ticket_phone", "tenant_id", "phone"),
        Index("ix_ticket_call", "tenant_id", "call_key"),
        Index("ix_ticket_due", "tenant_id", "due_at"),
    )

    type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(32), default="")  # E.164 or ""
    phone_hidden: Mapped[bool] = mapped_column(Boolean, default=False)  # DIAL-6
    call_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    call_record_id: Mapped[UUID | None] = mapped_column(nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN)
    priority: Mapped[str] = mapped_column(String(10), default=TicketPriority.NORMAL)
    assignee_id: Mapped[UUID | None] = mapped_column(nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    created_by: Mapped[UUID | None] = mapped_column(nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class TicketEvent(TenantOwned):
    """One line of a ticket's history. `old`/`new` carry the changed value (status, assignee
    id, priority, due time); `text` the comment or reply; `channel` how the reply went."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        _ref("ticket_id", "ticket"),
        Index("ix_ticket_event_ticket", "tenant_id", "ticket_id", "at"),
    )

    ticket_id: Mapped[UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[UUID | None] = mapped_column(nullable=True)  # None: the system
    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    old: Mapped[str] = mapped_column(String(100), default="")
    new: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(10), default="")


def record(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    actor: UUID | None,
    *,
    old: Any = "",
    new: Any = "",
    text: str = "",
    channel: str = "",
    at: datetime | None = None,
) -> TicketEvent:
    event = TicketEvent(
        tenant_id=ticket.tenant_id,
        ticket_id=ticket.id,
        kind=kind,
        actor_id=actor,
        at=at or utcnow(),
        old="" if old is None else str(old),
        new="" if new is None else str(new),
        text=text,
        channel=channel,
    )
    session.add(event)
    return event


def move(ticket: Ticket, wanted: TicketStatus, now: datetime) -> str:
    """Apply a status change (checked by the caller); returns the old status."""
    old = ticket.status
    ticket.status = wanted
    if wanted is S.RESOLVED:
        ticket.resolved_at = now
    if wanted is S.CLOSED:
        ticket.closed_at = now
    if wanted in ACTIVE:
        ticket.resolved_at = ticket.closed_at = None
    return old


def set_due(ticket: Ticket, due_at: datetime | None) -> None:
    """A new due time re-arms the reminder."""
    if due_at != ticket.due_at:
        ticket.due_at = due_at
        ticket.reminded_at = None


# --- the customer's number behind a call (DIAL-6) ------------------------------------------------


@dataclass(frozen=True)
class CallNumber:
    phone: str  # E.164 (or as recorded); "" when unknown
    hidden: bool  # agents only ever saw it masked
    call_record_id: UUID | None = None


def _is_masked(number: str) -> bool:
    return "*" in number


MAX_CALL_KEY = 100  # call_record.call_key's length: a longer key names no call


async def number_of_call(
    session: AsyncSession, tenant_id: UUID, call_key: str
) -> CallNumber | None:
    """The customer's number on the call `call_key` from the dialer's lead, the CDR or the live
    call hash in Redis; None when no such call is known in this tenant.

    Campaign calls (a lead attempt) and outbound calls (click-to-call) are hidden: the agent's
    phone, screen pop and events showed them masked. Inbound calls show the caller's number on
    the screen pop already. Internal calls have no customer."""
    from app.callcontrol.live import call_key_name
    from app.calls.models import CallRecord
    from app.dialer.models import Lead, LeadAttempt
    from app.lib.redis import get_redis

    if len(call_key) > MAX_CALL_KEY:
        return None
    live: dict[str, str] = await get_redis().hgetall(call_key_name(tenant_id, call_key))  # type: ignore[misc]
    cdr = await session.scalar(
        select(CallRecord).where(CallRecord.tenant_id == tenant_id, CallRecord.call_key == call_key)
    )
    lead_id = live.get("leadId") or None
    lead_phone = await session.scalar(
        select(Lead.phone)
        .join(
            LeadAttempt,
            and_(LeadAttempt.tenant_id == Lead.tenant_id, LeadAttempt.lead_id == Lead.id),
        )
        .where(LeadAttempt.tenant_id == tenant_id, LeadAttempt.call_key == call_key)
        .limit(1)
    )
    if lead_phone is None and lead_id:
        try:
            lead_phone = await session.scalar(
                select(Lead.phone).where(Lead.tenant_id == tenant_id, Lead.id == UUID(lead_id))
            )
        except ValueError:
            lead_phone = None
    record_id = cdr.id if cdr else None
    if lead_phone:
        return CallNumber(lead_phone, True, record_id)
    direction = cdr.direction if cdr else live.get("direction", "")
    if not direction:
        return None
    if direction == "outbound":
        to = cdr.to_number if cdr else live.get("to", "")
        return CallNumber("" if _is_masked(to) else to, True, record_id)
    if direction == "inbound":
        caller = cdr.from_number if cdr else live.get("from", "")
        return CallNumber(caller, False, record_id)
    return CallNumber("", False, record_id)


# --- reminders -----------------------------------------------------------------------------------


def due_filter(tenant_id: UUID, now: datetime) -> Any:
    return and_(
        Ticket.tenant_id == tenant_id,
        Ticket.status.in_([s.value for s in ACTIVE]),
        Ticket.assignee_id.is_not(None),
        Ticket.due_at.is_not(None),
        Ticket.reminded_at.is_(None),
        Ticket.due_at <= now + REMIND_AHEAD,
    )


async def due_reminders(session: AsyncSession, tenant_id: UUID, now: datetime) -> list[Ticket]:
    """Tickets coming due and not yet reminded; marks them reminded (and says so in their
    history), so each reminder is sent once whoever runs this."""
    rows = list(
        await session.scalars(
            select(Ticket)
            .where(due_filter(tenant_id, now))
            .order_by(Ticket.due_at)
            .with_for_update(skip_locked=True)
        )
    )
    for ticket in rows:
        ticket.reminded_at = now
        record(session, ticket, "reminder", None, new=ticket.assignee_id, at=now)
    await session.flush()
    return rows
