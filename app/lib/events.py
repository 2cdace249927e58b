"""The event bus: one Redis stream per tenant, `t:<tenant>:events` (STYLE.md: every change is an
event). Calls, agents, queues, voicemail... each change is appended once, with its tenant; the
CTI WebSocket, the wallboard, webhooks and reports all read the same stream (XREAD for live
fan-out, consumer groups for durable consumers) instead of polling the database.

An entry is flat string fields: `type` (e.g. "call.bridged", "agent.state"), `tenant`, `at`
(ISO 8601 UTC), then the event's own fields; nested values are JSON-encoded. The ACD's Lua
scripts append entries in the same shape (app/seats/acd/acd.lua).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from app.lib.keys import tenant_key

STREAM_MAXLEN = 100_000  # approximate: Redis trims whole nodes (MAXLEN ~)


def events_stream(tenant_id: UUID) -> str:
    return tenant_key(tenant_id, "events")


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple, bool)) or value is None:
        return json.dumps(value, default=str)
    return str(value)


def event_fields(tenant_id: UUID, type_: str, fields: dict[str, Any]) -> dict[str, str]:
    entry = {"type": type_, "tenant": str(tenant_id), "at": datetime.now(UTC).isoformat()}
    entry.update({name: _encode(value) for name, value in fields.items()})
    return entry


async def add_event(
    redis: Redis | Pipeline, tenant_id: UUID, type_: str, **fields: Any
) -> Any:
    """Append one event. On a pipeline it is queued with the change it describes (atomic with a
    MULTI pipeline); on a client it is sent at once and returns the entry id."""
    result = redis.xadd(
        events_stream(tenant_id),
        event_fields(tenant_id, type_, fields),  # type: ignore[arg-type]
        maxlen=STREAM_MAXLEN,
        approximate=True,
    )
    if isinstance(redis, Pipeline):
        return None
    return await result


async def read_events(
    redis: Redis, tenant_id: UUID, after: str = "$", *, block_ms: int = 0, count: int = 100
) -> list[tuple[str, dict[str, str]]]:
    """Entries after `after` ("$" = only new ones; "0" = from the start), waiting up to
    `block_ms` for the first (0 = do not wait)."""
    reply = await redis.xread(
        {events_stream(tenant_id): after}, count=count, block=block_ms or None
    )
    if not reply:
        return []
    _, entries = reply[0]
    return [(entry_id, dict(fields)) for entry_id, fields in entries]
