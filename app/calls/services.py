"""Call records (CDRs) and call commands.

- `save_call_record`: one row per call, written at its end with INSERT ... ON CONFLICT
  (tenant_id, call_key) DO UPDATE, so a retried write updates the same row.
- `search_call_records`: the CDR search behind `GET /api/v1/calls/`.
- `send_command`: a command for callcontrol (click-to-call), queued per tenant in Redis.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.masking import mask_number
from app.calls.models import CallRecord
from app.db.session import tenant_session
from app.lib.events import add_event
from app.lib.keys import tenant_key

log = logging.getLogger(__name__)
T = TypeVar("T")

# Columns a retried write may change; the id and created_at of the first write stay.
_NOT_UPDATED = frozenset({"tenant_id", "call_key", "id", "created_at"})


async def save_call_record(values: Mapping[str, Any]) -> UUID:
    """Upsert the CDR for `values["call_key"]`; returns the row id (the same on every retry)."""
    tenant_id: UUID = values["tenant_id"]
    base = insert(CallRecord).values(**values)
    stmt = base.on_conflict_do_update(
        constraint="uq_call_record_key",
        set_={k: base.excluded[k] for k in values if k not in _NOT_UPDATED}
        | {"updated_at": func.now()},
    ).returning(CallRecord.id)
    async with tenant_session(tenant_id) as session:
        return (await session.execute(stmt)).scalar_one()


async def with_retries(
    work: Callable[[], Awaitable[T]], attempts: int = 4, delay: float = 0.2
) -> T:
    """Retry a write that failed on the database connection (restart, failover)."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except (OperationalError, DBAPIError, OSError) as exc:
            if attempt == attempts:
                raise
            log.warning("retrying after %s (attempt %d)", exc, attempt)
            await asyncio.sleep(delay * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def cdr_query(
    tenant_id: UUID,
    *,
    direction: str | None = None,
    number: str | None = None,
    extension: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[tuple[CallRecord]]:
    stmt = select(CallRecord).where(CallRecord.tenant_id == tenant_id)
    if direction:
        stmt = stmt.where(CallRecord.direction == direction)
    if number:
        like = f"%{number}%"
        stmt = stmt.where(CallRecord.from_number.like(like) | CallRecord.to_number.like(like))
    if extension:
        stmt = stmt.where(CallRecord.extension == extension)
    if since:
        stmt = stmt.where(CallRecord.arrived_at >= since)
    if until:
        stmt = stmt.where(CallRecord.arrived_at < until)
    return stmt


async def search_call_records(
    session: AsyncSession, tenant_id: UUID, *, limit: int, offset: int, **filters: Any
) -> tuple[list[CallRecord], int]:
    stmt = cdr_query(tenant_id, **filters)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = await session.scalars(
        stmt.order_by(CallRecord.arrived_at.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total)


# --------------------------------------------------------------------------- commands


def commands_list(tenant_id: UUID) -> str:
    """Per-tenant queue of commands for callcontrol (a Redis list, oldest first)."""
    return tenant_key(tenant_id, "callcontrol", "commands")


def commands_wakeup(tenant_id: UUID) -> str:
    """Channel telling callcontrol nodes that the tenant's list has a command (pattern
    `t:*:callcontrol:wakeup`); the list, not the message, carries the command, so a command
    sent while no node listens is still taken at the next start."""
    return tenant_key(tenant_id, "callcontrol", "wakeup")


COMMAND_TTL = 60.0  # a click-to-call older than this is stale: the agent has given up


async def send_command(redis: Redis, tenant_id: UUID, name: str, **args: Any) -> str:
    command_id = secrets.token_hex(8)
    body: dict[str, Any] = {
        "id": command_id,
        "name": name,
        "tenantId": str(tenant_id),
        "args": args,
        "expiresAt": datetime.now().timestamp() + COMMAND_TTL,
    }
    pipe = redis.pipeline(transaction=True)
    pipe.rpush(commands_list(tenant_id), json.dumps(body))
    pipe.expire(commands_list(tenant_id), int(COMMAND_TTL) * 2)
    pipe.publish(commands_wakeup(tenant_id), command_id)
    if name == "click_to_call":
        await add_event(
            pipe, tenant_id, "call.click_to_call", **click_to_call_event(command_id, args)
        )
    await pipe.execute()
    return command_id


def click_to_call_event(command_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """`call.click_to_call` on the tenant stream (the agent's console shows the call it asked
    for): who, from which extension, the lead and campaign if any, and the number MASKED
    (DIAL-6): the stream reaches agents. The real number is only in the command list, which
    callcontrol alone reads."""
    event = {
        "commandId": command_id,
        "agent": str(args.get("userId") or ""),
        "extension": str(args.get("extension") or ""),
        "number": mask_number(str(args.get("number") or "")),
    }
    return event | {k: str(args[k]) for k in ("leadId", "campaignId", "attemptId") if args.get(k)}
