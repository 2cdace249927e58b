"""Tickets API (CRM-5), `/api/v1/tickets`. Permissions: `tickets.read` (everyone in the tenant
but operators), `tickets.work` (admin, supervisor, agent: open, comment, change status, reply,
call back, take a ticket), `tickets.assign` (admin, supervisor: assign to anyone).

Numbers (DIAL-6): a ticket's number taken from a campaign or click-to-call call is masked for
agents and QA in every reply and event, and cannot be found by typing it; the callback action
sends it from the database to callcontrol's command list only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.billing.credit import may_dial
from app.calls import masking
from app.calls.history_controllers import XLSX, export_file, export_job_out
from app.calls.history_schemas import ExportJobOut
from app.calls.services import send_command
from app.crm import ticket_schemas as s
from app.crm import tickets as t
from app.crm.ticket_queries import TicketSearch, search_where, shown_phone, ticket_rows
from app.crm.tickets import Ticket, TicketEvent, TicketStatus
from app.db.base import utcnow
from app.db.deps import DbSession
from app.dialer.numbers import NumberError, normalize
from app.lib.events import add_event
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats.agents import AgentProfile
from app.seats.models import Extension
from app.tenants.auth import current_principal
from app.tenants.models import Role, User
from app.tenants.permissions import Perm, allowed
from app.tenants.schemas import Page
from app.tenants.sessions import Principal
from app.worker.idempotency import register_job

READ = {"permission": Perm.TICKETS_READ}
WORK = {"permission": Perm.TICKETS_WORK, "audit_target": "ticket"}

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Short = Annotated[str | None, QueryParameter(max_length=100)]
StatusQ = Annotated[list[TicketStatus] | None, QueryParameter()]
TypeQ = Annotated[t.TicketType | None, QueryParameter()]
PriorityQ = Annotated[t.TicketPriority | None, QueryParameter()]
AssigneeQ = Annotated[UUID | None, QueryParameter(name="assigneeId")]
CallKeyQ = Annotated[str | None, QueryParameter(name="callKey", max_length=100)]
Flag = Annotated[bool, QueryParameter()]


def ticket_out(row: Any, principal: Principal, now: datetime | None = None) -> s.TicketOut:
    ticket, assignee_name, creator_name, replied = row
    now = now or utcnow()
    return s.TicketOut(
        id=ticket.id,
        type=ticket.type,
        subject=ticket.subject,
        description=ticket.description,
        phone=shown_phone(ticket, principal.role),
        phone_hidden=ticket.phone_hidden,
        call_key=ticket.call_key,
        call_record_id=ticket.call_record_id,
        status=ticket.status,
        colour=t.STATUS_COLOURS[TicketStatus(ticket.status)],
        next_statuses=t.allowed_moves(ticket.status),
        priority=ticket.priority,
        assignee_id=ticket.assignee_id,
        assignee_name=assignee_name,
        due_at=ticket.due_at,
        overdue=bool(ticket.due_at and ticket.due_at < now and ticket.status in t.ACTIVE),
        created_by=ticket.created_by,
        created_by_name=creator_name,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
        replied=bool(replied),
    )


async def _row(session: AsyncSession, tenant_id: UUID, ticket_id: UUID) -> Any:
    row = (
        await session.execute(
            ticket_rows().where(Ticket.tenant_id == tenant_id, Ticket.id == ticket_id)
        )
    ).first()
    if row is None:
        raise Problem(404, "No such ticket.")
    return row


async def _ticket(
    session: AsyncSession, principal: Principal, ticket_id: UUID, *, lock: bool = True
) -> Ticket:
    stmt = select(Ticket).where(Ticket.tenant_id == principal.tenant_id, Ticket.id == ticket_id)
    ticket = await session.scalar(stmt.with_for_update() if lock else stmt)
    if ticket is None:
        raise Problem(404, "No such ticket.")
    return ticket


async def _user(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> User:
    user = await session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.id == user_id, User.is_active)
    )
    if user is None:
        raise Problem(404, "No such user to assign the ticket to.", code="no_such_user")
    return user


def _may_assign(principal: Principal, assignee: UUID | None) -> None:
    """Agents may take a ticket themselves (or give it back); assigning others needs
    tickets.assign."""
    if assignee == principal.user_id and allowed(principal.role, Perm.TICKETS_WORK):
        return
    if not allowed(principal.role, Perm.TICKETS_ASSIGN):
        raise Problem(403, "You may assign tickets to yourself only.", code="assign_forbidden")


def _typed_number(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return normalize(raw).e164
    except NumberError as exc:
        raise Problem(
            400, f"Not a phone number: {raw!r} ({exc.reason}).", code="invalid_number"
        ) from exc


async def _publish(ticket: Ticket, kind: str, **fields: Any) -> None:
    """`crm.ticket.<kind>` on the tenant stream. Never a number: the stream reaches agents."""
    await add_event(
        get_redis(),
        ticket.tenant_id,
        f"crm.ticket.{kind}",
        ticketId=str(ticket.id),
        status=ticket.status,
        agentId=str(ticket.assignee_id or ""),
        subject=ticket.subject,
        **fields,
    )


class TicketController(Controller):
    path = "/api/v1/tickets"
    tags = ["tickets"]

    @get("/workflow", opt=READ)
    async def workflow(self) -> s.TicketWorkflowOut:
        """Statuses with their colours and the moves allowed from each; types, priorities,
        reply channels."""
        return s.TicketWorkflowOut(
            statuses=[
                s.TicketStatusInfo(
                    status=st.value, colour=t.STATUS_COLOURS[st], next=t.allowed_moves(st)
                )
                for st in TicketStatus
            ],
            types=[x.value for x in t.TicketType],
            priorities=[x.value for x in t.TicketPriority],
            channels=[x.value for x in t.ReplyChannel],
        )

    @get("/", opt=READ)
    async def search(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        status: StatusQ = None,
        type: TypeQ = None,
        priority: PriorityQ = None,
        assignee_id: AssigneeQ = None,
        mine: Flag = False,
        unassigned: Flag = False,
        phone: Short = None,
        call_key: CallKeyQ = None,
        q: Short = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.TicketOut]:
        """Tickets, newest first. `phone` matches digits anywhere in the number (numbers an
        agent only saw masked are not searchable by agents and QA); `q` the subject."""
        p = current_principal(request)
        f = TicketSearch(
            statuses=[x.value for x in status or ()],
            type=type.value if type else None,
            priority=priority.value if priority else None,
            assignee_id=str(assignee_id) if assignee_id else None,
            mine=mine,
            unassigned=unassigned,
            phone=phone,
            call_key=call_key,
            q=q,
        )
        where = search_where(p.tenant_id, p.user_id, p.role, f)
        total = await db_session.scalar(select(func.count()).select_from(Ticket).where(*where))
        rows = await db_session.execute(
            ticket_rows()
            .where(*where)
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
            .limit(limit)
            .offset(offset)
        )
        now = utcnow()
        return Page(
            items=[ticket_out(r, p, now) for r in rows],
            total=total or 0,
            limit=limit,
            offset=offset,
        )

    @post("/exports", opt=READ | {"audit_action": "tickets.export"}, status_code=202)
    async def start_export(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.TicketExportIn],
        lang: Annotated[str, QueryParameter(max_length=10)] = "en",
    ) -> ExportJobOut:
        """Export the search to Excel in the background; poll the job, then get `/file`."""
        from app.crm.ticket_actors import export_tickets

        p = current_principal(request)
        f = TicketSearch(
            statuses=[x.value for x in data.status],
            type=data.type.value if data.type else None,
            priority=data.priority.value if data.priority else None,
            assignee_id=str(data.assignee_id) if data.assignee_id else None,
            mine=data.mine,
            unassigned=data.unassigned,
            phone=data.phone,
            call_key=data.call_key,
            q=data.q,
        )
        key = str(uuid4())
        job = await register_job(p.tenant_id, key, "export_tickets")
        export_tickets.send(str(p.tenant_id), key, str(p.user_id), p.role, f.to_json(), lang)
        return ExportJobOut(key=key, status=job.status)

    @get("/exports/{key:str}", opt=READ)
    async def export_status(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> ExportJobOut:
        return await export_job_out(request, key, "export_tickets")

    @get("/exports/{key:str}/file", opt=READ, media_type=XLSX)
    async def export_download(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[bytes]:
        return await export_file(request, key, "export_tickets", "tickets")

    @get("/for-call/{call_key:str}", opt=READ)
    async def for_call(
        self, request: Request[Any, Any, Any], db_session: DbSession, call_key: FromPath[str]
    ) -> s.CallTicketsOut:
        """The screen pop: the caller's open tickets (same number, or opened on this call)."""
        p = current_principal(request)
        known = await t.number_of_call(db_session, p.tenant_id, call_key)
        if known is None:
            raise Problem(404, "No such call.")
        same = [Ticket.call_key == call_key]
        if known.phone:
            same.append(Ticket.phone == known.phone)
        rows = await db_session.execute(
            ticket_rows()
            .where(
                Ticket.tenant_id == p.tenant_id,
                Ticket.status.in_([x.value for x in t.ACTIVE]),
                or_(*same),
            )
            .order_by(Ticket.created_at.desc())
            .limit(20)
        )
        hide = known.hidden and not masking.reveals_numbers(p.role)
        return s.CallTicketsOut(
            call_key=call_key,
            phone=masking.mask_number(known.phone) if hide and known.phone else known.phone,
            phone_hidden=known.hidden,
            open=[ticket_out(r, p) for r in rows],
        )

    @post("/", opt=WORK | {"audit_action": "ticket.create"})
    async def create(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.TicketIn]
    ) -> s.TicketOut:
        """Open a ticket. With `callKey`, the customer's number is taken from that call (an
        agent never types or sees a masked call's number)."""
        p = current_principal(request)
        phone, hidden, record_id = "", False, None
        if data.call_key:
            known = await t.number_of_call(db_session, p.tenant_id, data.call_key)
            if known is None:
                raise Problem(404, "No such call.", code="no_such_call")
            phone, hidden, record_id = known.phone, known.hidden, known.call_record_id
        if not phone and not hidden:
            phone = _typed_number(data.phone)
        if data.assignee_id:
            _may_assign(p, data.assignee_id)
            await _user(db_session, p.tenant_id, data.assignee_id)
        ticket = Ticket(
            tenant_id=p.tenant_id,
            type=data.type.value,
            subject=data.subject.strip() or data.subject,
            description=data.description,
            phone=phone,
            phone_hidden=hidden,
            call_key=data.call_key,
            call_record_id=record_id,
            status=TicketStatus.OPEN.value,
            priority=data.priority.value,
            assignee_id=data.assignee_id,
            due_at=data.due_at,
            created_by=p.user_id,
        )
        db_session.add(ticket)
        await db_session.flush()
        t.record(db_session, ticket, "created", p.user_id, new=ticket.status, text=ticket.subject)
        if ticket.assignee_id:
            t.record(db_session, ticket, "assigned", p.user_id, new=ticket.assignee_id)
        if ticket.due_at:
            t.record(db_session, ticket, "due", p.user_id, new=ticket.due_at.isoformat())
        await db_session.commit()
        await _publish(ticket, "created", callKey=ticket.call_key or "", ticketType=ticket.type)
        return ticket_out(await _row(db_session, p.tenant_id, ticket.id), p)

    @get("/{ticket_id:uuid}", opt=READ)
    async def detail(
        self, request: Request[Any, Any, Any], db_session: DbSession, ticket_id: FromPath[UUID]
    ) -> s.TicketDetailOut:
        """The ticket and its whole history, oldest first."""
        p = current_principal(request)
        row = await _row(db_session, p.tenant_id, ticket_id)
        Actor = aliased(User)
        events = await db_session.execute(
            select(TicketEvent, Actor.display_name)
            .outerjoin(
                Actor,
                and_(Actor.tenant_id == TicketEvent.tenant_id, Actor.id == TicketEvent.actor_id),
            )
            .where(TicketEvent.tenant_id == p.tenant_id, TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
        return s.TicketDetailOut(
            ticket=ticket_out(row, p),
            history=[
                s.TicketEventOut(
                    id=e.id,
                    kind=e.kind,
                    actor_id=e.actor_id,
                    actor_name=name,
                    at=e.at,
                    old=e.old,
                    new=e.new,
                    text=e.text,
                    channel=e.channel,
                )
                for e, name in events
            ],
        )

    @patch("/{ticket_id:uuid}", opt=WORK | {"audit_action": "ticket.update"})
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        ticket_id: FromPath[UUID],
        data: JSONBody[s.TicketPatch],
    ) -> s.TicketOut:
        """Subject, type, description, priority, due time (`clearDue` removes it)."""
        p = current_principal(request)
        ticket = await _ticket(db_session, p, ticket_id)
        if ticket.status == TicketStatus.CLOSED:
            raise Problem(409, "This ticket is closed.", code="ticket_closed")
        for field in ("subject", "type", "description"):
            value = getattr(data, field)
            if value is not None:
                setattr(ticket, field, str(value))
        if data.priority is not None and data.priority.value != ticket.priority:
            t.record(
                db_session,
                ticket,
                "priority",
                p.user_id,
                old=ticket.priority,
                new=data.priority.value,
            )
            ticket.priority = data.priority.value
        due = None if data.clear_due else (data.due_at or ticket.due_at)
        if due != ticket.due_at:
            old = ticket.due_at.isoformat() if ticket.due_at else ""
            t.set_due(ticket, due)
            t.record(
                db_session, ticket, "due", p.user_id, old=old, new=due.isoformat() if due else ""
            )
        await db_session.commit()
        await _publish(ticket, "updated")
        return ticket_out(await _row(db_session, p.tenant_id, ticket.id), p)

    @post("/{ticket_id:uuid}/status", opt=WORK | {"audit_action": "ticket.status"}, status_code=200)
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        ticket_id: FromPath[UUID],
        data: JSONBody[s.TicketStatusIn],
    ) -> s.TicketOut:
        """Move along the workflow; a move it does not allow is a 409 naming the allowed ones."""
        p = current_principal(request)
        ticket = await _ticket(db_session, p, ticket_id)
        if not t.may_move(ticket.status, data.status):
            allowed_now = t.allowed_moves(ticket.status)
            raise Problem(
                409,
                f"A ticket that is {ticket.status} cannot become {data.status.value}"
                + (
                    f"; it can become {', '.join(allowed_now)}."
                    if allowed_now
                    else "; it is final."
                ),
                code="invalid_transition",
                allowed=allowed_now,
            )
        old = t.move(ticket, data.status, utcnow())
        t.record(
            db_session, ticket, "status", p.user_id, old=old, new=ticket.status, text=data.note
        )
        await db_session.commit()
        await _publish(ticket, "status", old=old)
        return ticket_out(await _row(db_session, p.tenant_id, ticket.id), p)

    @post("/{ticket_id:uuid}/assign", opt=WORK | {"audit_action": "ticket.assign"}, status_code=200)
    async def assign(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        ticket_id: FromPath[UUID],
        data: JSONBody[s.TicketAssignIn],
    ) -> s.TicketOut:
        """Give the ticket to a user of the tenant (null: nobody). Agents: themselves only."""
        p = current_principal(request)
        ticket = await _ticket(db_session, p, ticket_id)
        if data.assignee_id is None and ticket.assignee_id != p.user_id:
            _may_assign(p, None)
        elif data.assignee_id is not None:
            _may_assign(p, data.assignee_id)
            await _user(db_session, p.tenant_id, data.assignee_id)
        if ticket.status == TicketStatus.CLOSED:
            raise Problem(409, "This ticket is closed.", code="ticket_closed")
        if data.assignee_id != ticket.assignee_id:
            t.record(
                db_session,
                ticket,
                "assigned",
                p.user_id,
                old=ticket.assignee_id,
                new=data.assignee_id,
            )
            ticket.assignee_id = data.assignee_id
            ticket.reminded_at = None  # the new assignee gets the due reminder
            await db_session.commit()
            await _publish(ticket, "assigned")
        return ticket_out(await _row(db_session, p.tenant_id, ticket.id), p)

    @post("/{ticket_id:uuid}/comments", opt=WORK | {"audit_action": "ticket.comment"})
    async def comment(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        ticket_id: FromPath[UUID],
        data: JSONBody[s.TicketCommentIn],
    ) -> s.TicketOut:
        p = current_principal(request)
        ticket = await _ticket(db_session, p, ticket_id)
        t.record(db_session, ticket, "comment", p.user_id, text=data.text)
        ticket.updated_at = utcnow()
        await db_session.commit()
        return ticket_out(await _row(db_session, p.tenant_id, ticket.id), p)

    @post("/{ticket_id:uuid}/replies", opt=WORK | {"audit_action": "ticket.reply"})
    async def reply(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        ticket_id: FromPath[UUID],
        data: JSONBody[s.TicketReplyIn],
    ) -> s.TicketOut:
        """The closed loop: what the customer was told, and how (a call back, or a note)."""
        p = current_principal(request)
        ticket = await _ticket(db_session, p, ticket_id)
        if ticket.status == TicketStatus.CLOSED:
            raise Problem(409, "This ticket is closed.", code="ticket_closed")
        t.record(db_session, ticket, "reply", p.user_id, text=data.text, channel=data.channel.value)
        ticket.updated_at = utcnow()
        await db_session.commit()
        await _publish(ticket, "replied", channel=data.channel.value)
        return ticket_out(await _row(db_session, p.tenant_id, ticket.id), p)

    @post(
        "/{ticket_id:uuid}/callback",
        opt=WORK | {"audit_action": "ticket.callback"},
        status_code=202,
    )
    async def callback(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        ticket_id: FromPath[UUID],
        data: JSONBody[s.TicketCallbackIn],
    ) -> s.TicketCallbackOut:
        """Ring the user's seat, then the customer (click-to-call). The number goes from the
        ticket to callcontrol's command list; the user's phone shows it masked when hidden."""
        p = current_principal(request)
        ticket = await _ticket(db_session, p, ticket_id)
        if not ticket.phone:
            raise Problem(409, "This ticket has no customer number to call.", code="no_number")
        if ticket.status == TicketStatus.CLOSED:
            raise Problem(409, "This ticket is closed.", code="ticket_closed")
        if not (credit := await may_dial(p.tenant_id)):  # BILL-2 credit limit
            raise Problem(402, credit.reason, code="credit_limit")
        ext = await _extension(db_session, p, data.extension)
        args: dict[str, Any] = {
            "extension": ext.number,
            "number": ticket.phone,
            "userId": str(p.user_id),
            "ticketId": str(ticket.id),
        }
        if ticket.phone_hidden:
            args["shown"] = masking.mask_number(ticket.phone)  # what the seat's phone displays
        command_id = await send_command(get_redis(), p.tenant_id, "click_to_call", **args)
        t.record(db_session, ticket, "callback", p.user_id, new=ext.number, channel="phone")
        await db_session.commit()
        return s.TicketCallbackOut(
            command_id=command_id, extension=ext.number, phone=shown_phone(ticket, p.role)
        )


async def _extension(session: AsyncSession, p: Principal, number: str | None) -> Extension:
    """The seat to ring first: the one asked for (agents: only their own), else the user's
    agent profile's extension, else an extension bound to them."""
    where: list[Any] = [Extension.tenant_id == p.tenant_id, Extension.is_active]
    if number:
        ext = await session.scalar(select(Extension).where(*where, Extension.number == number))
        if ext is None:
            raise Problem(404, "No such extension.", code="no_extension")
        if (
            p.role == Role.AGENT
            and ext.user_id != p.user_id
            and not await _is_profile_seat(session, p, ext.id)
        ):
            raise Problem(403, "Agents may only place calls from their own extension.")
        return ext
    profile_ext = select(AgentProfile.extension_id).where(
        AgentProfile.tenant_id == p.tenant_id, AgentProfile.user_id == p.user_id
    )
    ext = await session.scalar(
        select(Extension)
        .where(*where, or_(Extension.id.in_(profile_ext), Extension.user_id == p.user_id))
        .limit(1)
    )
    if ext is None:
        raise Problem(409, "You have no extension to place the call from.", code="no_extension")
    return ext


async def _is_profile_seat(session: AsyncSession, p: Principal, extension_id: UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    AgentProfile.tenant_id == p.tenant_id,
                    AgentProfile.user_id == p.user_id,
                    AgentProfile.extension_id == extension_id,
                )
            )
        )
    )
