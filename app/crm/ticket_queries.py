"""Finding tickets (CRM-5): the search filters shared by the list endpoint and the Excel export,
the row query (ticket + assignee and creator names + "replied"), and the number as the
requester may see it (DIAL-6)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.calls import masking
from app.calls.history import number_digits
from app.crm.tickets import Ticket, TicketEvent
from app.db.session import tenant_session
from app.recordings.exports import workbook_bytes
from app.tenants.models import User

EXPORT_LIMIT = 100_000  # a sheet, not a database dump

Assignee = aliased(User)
Creator = aliased(User)


@dataclass(frozen=True)
class TicketSearch:
    statuses: list[str] = field(default_factory=list)
    type: str | None = None
    priority: str | None = None
    assignee_id: str | None = None
    mine: bool = False
    unassigned: bool = False
    phone: str | None = None
    call_key: str | None = None
    q: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketSearch:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def search_where(tenant_id: UUID, user_id: UUID, role: str, f: TicketSearch) -> list[Any]:
    where: list[Any] = [Ticket.tenant_id == tenant_id]
    if f.statuses:
        where.append(Ticket.status.in_(f.statuses))
    if f.type:
        where.append(Ticket.type == f.type)
    if f.priority:
        where.append(Ticket.priority == f.priority)
    if f.mine:
        where.append(Ticket.assignee_id == user_id)
    elif f.assignee_id:
        where.append(Ticket.assignee_id == UUID(f.assignee_id))
    if f.unassigned:
        where.append(Ticket.assignee_id.is_(None))
    if f.phone and (digits := number_digits(f.phone)):
        where.append(Ticket.phone.contains(digits, autoescape=True))
        if not masking.reveals_numbers(role):
            # A number only ever shown masked cannot be confirmed by typing it (DIAL-6).
            where.append(Ticket.phone_hidden.is_(False))
    if f.call_key:
        where.append(Ticket.call_key == f.call_key)
    if f.q and f.q.strip():
        where.append(Ticket.subject.icontains(f.q.strip(), autoescape=True))
    return where


def _replied() -> Any:
    return exists().where(
        TicketEvent.tenant_id == Ticket.tenant_id,
        TicketEvent.ticket_id == Ticket.id,
        TicketEvent.kind == "reply",
    )


def ticket_rows() -> Any:
    """SELECT ticket, assignee name, creator name, replied."""
    return (
        select(Ticket, Assignee.display_name, Creator.display_name, _replied().label("replied"))
        .outerjoin(
            Assignee,
            and_(Assignee.tenant_id == Ticket.tenant_id, Assignee.id == Ticket.assignee_id),
        )
        .outerjoin(
            Creator, and_(Creator.tenant_id == Ticket.tenant_id, Creator.id == Ticket.created_by)
        )
    )


def shown_phone(ticket: Ticket, role: str) -> str:
    if not ticket.phone or not ticket.phone_hidden or masking.reveals_numbers(role):
        return ticket.phone
    return masking.mask_number(ticket.phone)


COLUMNS: list[tuple[str, str]] = [
    ("Ticket id", "工单编号"),
    ("Opened (UTC)", "创建时间 (UTC)"),
    ("Type", "类型"),
    ("Subject", "主题"),
    ("Status", "状态"),
    ("Priority", "优先级"),
    ("Customer number", "客户号码"),
    ("Assignee", "处理人"),
    ("Due (UTC)", "截止时间 (UTC)"),
    ("Opened by", "创建人"),
    ("Replied", "已回复"),
    ("Resolved (UTC)", "解决时间 (UTC)"),
    ("Call id", "通话编号"),
    ("Description", "描述"),
]


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if value is not None else None  # Excel: UTC, said above


async def build_tickets_xlsx(
    tenant_id: UUID, user_id: UUID, role: str, f: TicketSearch, lang: str
) -> tuple[bytes, int]:
    async with tenant_session(tenant_id) as session:
        rows = await _export_rows(session, tenant_id, user_id, role, f)
    zh = lang.lower().startswith("zh")
    header = [zh_name if zh else en for en, zh_name in COLUMNS]
    data = [
        [
            str(t.id),
            _naive(t.created_at),
            t.type,
            t.subject,
            t.status,
            t.priority,
            shown_phone(t, role),
            assignee or "",
            _naive(t.due_at),
            creator or "",
            "yes" if replied else "",
            _naive(t.resolved_at),
            t.call_key or "",
            t.description,
        ]
        for t, assignee, creator, replied in rows
    ]
    return workbook_bytes("工单" if zh else "Tickets", header, data), len(data)


async def _export_rows(
    session: AsyncSession, tenant_id: UUID, user_id: UUID, role: str, f: TicketSearch
) -> list[Any]:
    result = await session.execute(
        ticket_rows()
        .where(*search_where(tenant_id, user_id, role, f))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(EXPORT_LIMIT)
    )
    return list(result.all())
