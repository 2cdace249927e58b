"""Supervisor wallboard (SEAT-8): every agent's state and every queue's figures, live.

Live figures (states, waiting calls, longest wait) come from the Redis ACD. "Today" counters
(calls taken per agent; answered, abandoned and service level per queue) come from the tenant's
event stream: stream ids are millisecond timestamps, so today's events are `XRANGE <midnight> +`.
The snapshot reads them once; the WebSocket then applies each new event to the same counters,
so nothing polls the database (STYLE "every change is an event").

Service level = calls answered within the queue's `service_level_seconds` / (answered +
abandoned), today; overflowed calls are left out. The stream keeps about 100,000 entries per
tenant: a tenant busier than that in one day needs the durable counters the reports worker will
write (not built yet).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.lib.events import events_stream
from app.lib.keys import tenant_key
from app.seats.acd import AcdError, AgentState
from app.seats.agents import AgentProfile
from app.seats.models import Extension
from app.seats.queues import AcdQueue, acd_for, ensure_synced
from app.tenants.models import User

SCAN_CHUNK = 1000
LONGEST_WAIT_SCAN = 200  # waiting calls looked at for the longest wait


@dataclass
class TodayStats:
    """Counters of the day, fed with events in stream order."""

    sl_seconds: dict[str, int]
    answered: Counter[str] = field(default_factory=Counter)
    answered_in_sl: Counter[str] = field(default_factory=Counter)
    abandoned: Counter[str] = field(default_factory=Counter)
    taken: Counter[str] = field(default_factory=Counter)  # per agent

    def apply(self, fields: dict[str, str]) -> None:
        kind = fields.get("type")
        queue = fields.get("queue", "")
        if kind == "call_answered":
            self.answered[queue] += 1
            self.taken[fields.get("agent", "")] += 1
            limit_ms = self.sl_seconds.get(queue, 20) * 1000
            if int(fields.get("waited_ms") or 0) <= limit_ms:
                self.answered_in_sl[queue] += 1
        elif kind == "call_abandoned":
            self.abandoned[queue] += 1

    def queue_figures(self, queue: str) -> dict[str, Any]:
        offered = self.answered[queue] + self.abandoned[queue]
        level = round(self.answered_in_sl[queue] / offered, 4) if offered else None
        return {
            "answeredToday": self.answered[queue],
            "abandonedToday": self.abandoned[queue],
            "serviceLevel": level,
        }


def day_start_id(tz: ZoneInfo, now: datetime | None = None) -> str:
    """The stream id of today's first possible entry, in the given time zone."""
    today = (now or datetime.now(tz)).astimezone(tz).date()
    midnight = datetime.combine(today, time.min, tzinfo=tz)
    return f"{int(midnight.timestamp() * 1000)}-0"


async def read_today(redis: Redis, tenant_id: UUID, stats: TodayStats, tz: ZoneInfo) -> str:
    """Feed today's events into `stats`; returns the id of the last entry read ("0-0": none)."""
    stream = events_stream(tenant_id)
    start, last = day_start_id(tz), "0-0"
    while True:
        entries = await redis.xrange(stream, min=start, max="+", count=SCAN_CHUNK)
        for entry_id, fields in entries:
            stats.apply(fields)
            last = entry_id
        if len(entries) < SCAN_CHUNK:
            return last
        start = "(" + last


async def longest_wait(redis: Redis, tenant_id: UUID, queue: str, now_ms: int) -> float:
    """Seconds the longest-waiting call of the queue has waited (0 when none waits)."""
    base = tenant_key(tenant_id, "acd")
    calls = await redis.zrange(f"{base}:queue:{queue}:waiting", 0, LONGEST_WAIT_SCAN - 1)
    oldest = None
    for call in calls:
        arrived = await redis.hget(f"{base}:call:{call}", "arrived")  # type: ignore[misc]
        if arrived and (oldest is None or int(arrived) < oldest):
            oldest = int(arrived)
    return 0.0 if oldest is None else max(0.0, (now_ms - oldest) / 1000)


async def redis_now_ms(redis: Redis) -> int:
    seconds, micros = await redis.time()
    return int(seconds) * 1000 + int(micros) // 1000


@dataclass
class Directory:
    """Names from Postgres, read once per snapshot/socket."""

    agents: dict[str, dict[str, Any]]  # agent id -> name, extension
    queues: dict[str, AcdQueue]


async def load_directory(session: AsyncSession, tenant_id: UUID) -> Directory:
    rows = await session.execute(
        select(AgentProfile, User.display_name, Extension.number)
        .join(User, (User.tenant_id == AgentProfile.tenant_id) & (User.id == AgentProfile.user_id))
        .outerjoin(
            Extension,
            (Extension.tenant_id == AgentProfile.tenant_id)
            & (Extension.id == AgentProfile.extension_id),
        )
        .where(AgentProfile.tenant_id == tenant_id)
    )
    agents = {
        p.acd_id: {"name": name, "extension": number, "businessId": str(p.business_id)}
        for p, name, number in rows
    }
    queues = {
        q.acd_id: q
        for q in await session.scalars(select(AcdQueue).where(AcdQueue.tenant_id == tenant_id))
    }
    return Directory(agents, queues)


class Wallboard:
    """The state behind one snapshot or one wallboard socket."""

    def __init__(self, redis: Redis, tenant_id: UUID, directory: Directory, tz: ZoneInfo) -> None:
        self.redis = redis
        self.tenant_id = tenant_id
        self.directory = directory
        self.tz = tz
        self.acd = acd_for(redis, tenant_id)
        self.stats = TodayStats({q: d.service_level_seconds for q, d in directory.queues.items()})
        self.last_id = "0-0"

    async def load(self) -> None:
        await ensure_synced(self.redis, self.tenant_id)
        self.last_id = await read_today(self.redis, self.tenant_id, self.stats, self.tz)
        if self.last_id == "0-0":
            # Nothing today yet: follow from the stream's current end.
            tail = await self.redis.xrevrange(events_stream(self.tenant_id), count=1)
            self.last_id = tail[0][0] if tail else "0-0"

    async def agent_row(self, agent: str) -> dict[str, Any]:
        info = self.directory.agents.get(agent, {})
        row: dict[str, Any] = {
            "agent": agent,
            "name": info.get("name", ""),
            "extension": info.get("extension"),
        }
        try:
            st = await self.acd.agent_status(agent)
        except AcdError:
            return row | {
                "state": AgentState.SIGNED_OUT.value,
                "reason": "",
                "inStateSeconds": 0.0,
                "callId": "",
                "callsToday": 0,
            }
        return row | {
            "state": st.state.value,
            "reason": st.reason,
            "inStateSeconds": round(st.in_state, 1),
            "callId": st.call_id,
            "callsToday": self.stats.taken[agent],
        }

    async def queue_row(self, queue: str, now_ms: int) -> dict[str, Any]:
        q = self.directory.queues.get(queue)
        row: dict[str, Any] = {"queue": queue, "name": q.name if q else ""}
        try:
            st = await self.acd.queue_status(queue)
        except AcdError:
            return row | {"waiting": 0, "longestWaitSeconds": 0.0} | self.stats.queue_figures(queue)
        return (
            row
            | {
                "waiting": st.waiting,
                "longestWaitSeconds": round(
                    await longest_wait(self.redis, self.tenant_id, queue, now_ms), 1
                ),
                "readyAgents": st.ready,
                "staffedAgents": st.staffed,
                "allBusy": st.all_busy,
                "serviceLevelSeconds": q.service_level_seconds if q else 20,
            }
            | self.stats.queue_figures(queue)
        )

    async def snapshot(self) -> dict[str, Any]:
        now_ms = await redis_now_ms(self.redis)
        return {
            "type": "snapshot",
            "agents": [await self.agent_row(a) for a in sorted(self.directory.agents)],
            "queues": [await self.queue_row(q, now_ms) for q in sorted(self.directory.queues)],
            "serverTimeMs": now_ms,
        }

    async def on_event(self, fields: dict[str, str]) -> list[dict[str, Any]]:
        """Apply one event; return the rows it changed, as wallboard updates."""
        self.stats.apply(fields)
        kind = fields.get("type", "")
        updates: list[dict[str, Any]] = []
        agent = fields.get("agent", "")
        if agent and (kind == "agent_state" or kind == "call_answered"):
            updates.append({"type": "agent"} | await self.agent_row(agent))
        queue = fields.get("queue", "")
        if queue and kind.startswith(("call_", "queue_")):
            now_ms = await redis_now_ms(self.redis)
            updates.append({"type": "queue"} | await self.queue_row(queue, now_ms))
        return updates
