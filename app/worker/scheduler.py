"""Periodic jobs of the worker (DIAL-5): a small loop beside the Dramatiq workers.

`fastline worker` starts it as Dramatiq's fork function (`--fork-function`): the Dramatiq
command line runs it in ONE extra process per `fastline worker`, whatever `--processes` says,
and stops it with the workers. Several `fastline worker` machines each run one; the jobs they
send are idempotent per period (`run_once`, key `dialer-reminders:<UTC minute>`), so a tenant
gets one `remind_callbacks` message per minute however many schedulers are up. The reminder
itself is once-only anyway (`due_reminders` marks each callback reminded under
`FOR UPDATE SKIP LOCKED`).

Every minute (on the minute, and once at start): for each active tenant with a running
campaign or a pending callback, send `app.dialer.actors.remind_callbacks(tenant_id)`; for each
with a ticket coming due, `app.crm.ticket_actors.remind_tickets` (CRM-5, key
`ticket-reminders:<UTC minute>`). Once an hour the scheduler deletes its own job rows older than
a day (one per tenant and minute).

Environment: `FASTLINE_SCHEDULER=0` turns it off; `FASTLINE_SCHEDULER_INTERVAL` (seconds,
default 60) is the period (tests use a short one).
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import dramatiq
import structlog
from sqlalchemy import delete, exists, or_, select

from app.billing import sweep as billing_sweep
from app.db.session import platform_session, tenant_session
from app.worker.idempotency import run_once

log = structlog.get_logger(__name__)

REMINDER_KEY = "dialer-reminders"
KEEP_JOB_ROWS = timedelta(days=1)
PRUNE_EVERY = timedelta(hours=1)


def interval_seconds() -> float:
    return max(float(os.environ.get("FASTLINE_SCHEDULER_INTERVAL", "60")), 1.0)


def enabled() -> bool:
    return os.environ.get("FASTLINE_SCHEDULER", "1") != "0"


def period_key(now: datetime, interval: float) -> str:
    """`dialer-reminders:2026-11-25T21:44` (one per minute; per period if shorter)."""
    start = datetime.fromtimestamp(now.timestamp() // interval * interval, UTC)
    stamp = start.strftime("%Y-%m-%dT%H:%M" if interval % 60 == 0 else "%Y-%m-%dT%H:%M:%S")
    return f"{REMINDER_KEY}:{stamp}"


async def active_tenants() -> list[UUID]:
    from app.tenants.models import Tenant

    async with platform_session() as session:
        return list(await session.scalars(select(Tenant.id).where(Tenant.status == "active")))


async def needs_reminders(tenant_id: UUID) -> bool:
    """A running campaign or a pending callback (RLS: the tenant's own rows only)."""
    from app.dialer.models import Callback, Campaign, CampaignStatus

    running = exists().where(
        Campaign.tenant_id == tenant_id, Campaign.status == CampaignStatus.RUNNING
    )
    pending = exists().where(Callback.tenant_id == tenant_id, Callback.status == "pending")
    async with tenant_session(tenant_id) as session:
        return bool(await session.scalar(select(or_(running, pending))))


async def send_reminders(tenant_id: UUID, key: str) -> bool:
    """Send this period's `remind_callbacks` for the tenant unless already sent; True if sent
    now."""
    from app.dialer.actors import remind_callbacks

    sent = False

    async def enqueue() -> dict[str, Any]:
        nonlocal sent
        message: dramatiq.Message[Any] = await asyncio.to_thread(
            remind_callbacks.send, str(tenant_id)
        )
        sent = True
        return {"messageId": message.message_id}

    await run_once(tenant_id, key, "remind_callbacks", enqueue)
    return sent


async def prune_job_rows(tenant_id: UUID) -> None:
    """Delete this scheduler's job rows finished over a day ago (by the clock, not the tick)."""
    from app.tenants.models import JobRun

    now = datetime.now(UTC)

    async with tenant_session(tenant_id) as session:
        await session.execute(
            delete(JobRun).where(
                JobRun.tenant_id == tenant_id,
                JobRun.key.startswith(f"{REMINDER_KEY}:"),
                JobRun.finished_at < now - KEEP_JOB_ROWS,
            )
        )


@dataclass
class Scheduler:
    interval: float = field(default_factory=interval_seconds)
    _pruned_at: datetime | None = None

    async def tick(self, now: datetime | None = None) -> list[UUID]:
        """One period: the tenants whose reminders were sent by this call."""
        now = now or datetime.now(UTC)
        key = period_key(now, self.interval)
        prune = self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY
        from app.crm.ticket_actors import schedule as schedule_tickets

        sent: list[UUID] = []
        for tenant_id in await active_tenants():
            try:
                if prune:
                    await prune_job_rows(tenant_id)
                if await needs_reminders(tenant_id) and await send_reminders(tenant_id, key):
                    sent.append(tenant_id)
                await billing_sweep.sweep(tenant_id)  # BILL-1/2: rate new calls, sync seats
                await schedule_tickets(tenant_id, now, key, prune)  # CRM-5: due tickets
            except Exception:  # one tenant's failure must not stop the others' reminders
                log.exception("scheduler tick failed", tenant=str(tenant_id))
        if prune:
            self._pruned_at = now
        return sent

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.tick()
                if sent:
                    log.info("callback reminders sent", tenants=len(sent))
            except Exception:  # the database or Redis is down: try again next period
                log.exception("scheduler tick failed")
            now = datetime.now(UTC).timestamp()
            await asyncio.sleep(self.interval - now % self.interval)


def run() -> int:
    """Dramatiq fork function (`dramatiq ... --fork-function app.worker.scheduler:run`)."""
    if not enabled():
        return 0
    from app.lib.logging import configure_logging
    from app.settings import get_settings

    configure_logging(json=get_settings().log_json)
    asyncio.run(Scheduler().run_forever())
    return 0
