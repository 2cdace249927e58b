"""Ticket due reminders (CRM-5), sent like the dialer's callback reminders (DIAL-5).

The worker's scheduler (`app/worker/scheduler.py`) calls `schedule(tenant_id, now, interval)`
every period: when the tenant has a ticket coming due, `remind_tickets(tenant_id)` is sent at
most once per tenant and period (`run_once`, key `ticket-reminders:<UTC minute>`). The actor
marks each ticket reminded (`tickets.due_reminders`, once per ticket and due time) and appends
one `crm.ticket.reminder` event per ticket, which the assignee's CTI socket shows as
`{"type": "ticket_reminder", ...}` (app/seats/cti.py). No customer number in it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import dramatiq
from sqlalchemy import delete, exists, select

import app.worker  # noqa: F401  (configures the broker before the actors are declared)
from app.crm.tickets import due_filter, due_reminders
from app.db.base import utcnow
from app.db.session import tenant_session
from app.lib.events import add_event
from app.lib.redis import get_redis
from app.tenants.models import JobRun
from app.worker.idempotency import run_once

REMINDER_KEY = "ticket-reminders"
KEEP_JOB_ROWS = timedelta(days=1)


async def send_ticket_reminders(tenant_id: UUID, now: datetime) -> int:
    async with tenant_session(tenant_id) as session:
        due = await due_reminders(session, tenant_id, now)
        redis = get_redis()
        for ticket in due:
            await add_event(
                redis,
                tenant_id,
                "crm.ticket.reminder",
                ticketId=str(ticket.id),
                agentId=str(ticket.assignee_id),
                subject=ticket.subject,
                status=ticket.status,
                priority=ticket.priority,
                dueAt=ticket.due_at.isoformat() if ticket.due_at else "",
            )
    return len(due)


@dramatiq.actor(queue_name="crm", max_retries=1)  # type: ignore[arg-type]
async def remind_tickets(tenant_id: str) -> None:
    await send_ticket_reminders(UUID(tenant_id), utcnow())


async def needs_reminders(tenant_id: UUID, now: datetime) -> bool:
    async with tenant_session(tenant_id) as session:
        return bool(await session.scalar(select(exists().where(due_filter(tenant_id, now)))))


def period_key(stamp_key: str) -> str:
    """The scheduler's period key (`dialer-reminders:<stamp>`) with our prefix."""
    return f"{REMINDER_KEY}:{stamp_key.split(':', 1)[1]}"


async def schedule(tenant_id: UUID, now: datetime, scheduler_key: str, prune: bool) -> bool:
    """One scheduler period for one tenant: True if `remind_tickets` was sent now."""
    if prune:
        async with tenant_session(tenant_id) as session:
            await session.execute(
                delete(JobRun).where(
                    JobRun.tenant_id == tenant_id,
                    JobRun.key.startswith(f"{REMINDER_KEY}:"),
                    JobRun.finished_at < utcnow() - KEEP_JOB_ROWS,
                )
            )
    if not await needs_reminders(tenant_id, now):
        return False
    sent = False

    async def enqueue() -> dict[str, Any]:
        nonlocal sent
        message: dramatiq.Message[Any] = await asyncio.to_thread(
            remind_tickets.send, str(tenant_id)
        )
        sent = True
        return {"messageId": message.message_id}

    await run_once(tenant_id, period_key(scheduler_key), "remind_tickets", enqueue)
    return sent


@dramatiq.actor(queue_name="exports", max_retries=3)  # type: ignore[arg-type]
async def export_tickets(
    tenant_id: str, key: str, user_id: str, role: str, query: dict[str, Any], lang: str = "en"
) -> None:
    """The ticket search as .xlsx in storage (numbers as the requester may see them)."""
    from app.crm.ticket_queries import TicketSearch, build_tickets_xlsx
    from app.lib.keys import tenant_object_key
    from app.lib.storage import get_storage

    tid = UUID(tenant_id)

    async def work() -> dict[str, Any]:
        f = TicketSearch.from_json(query)
        data, rows = await build_tickets_xlsx(tid, UUID(user_id), role, f, lang)
        object_key = tenant_object_key(tid, "exports", f"tickets-{key}.xlsx")
        get_storage().put(object_key, data)
        return {"objectKey": object_key, "rows": rows, "userId": user_id}

    await run_once(tid, key, "export_tickets", work)
