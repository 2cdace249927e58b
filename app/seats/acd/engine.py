"""The ACD API that callcontrol (and the CTI/supervisor APIs) call, one object per tenant.

Every method is one call of the Lua script in `acd.lua`, which Redis runs atomically: the
decision ("ring agent 1001", "queue it, position 3", "overflow to +86138...") and the state
changes behind it are made together, whichever callcontrol node asks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from app.lib.keys import tenant_key
from app.seats.acd.errors import from_redis_error
from app.seats.acd.states import AgentState, lua_transition_table
from app.seats.acd.types import (
    AgentStatus,
    Call,
    Decision,
    Position,
    QueueConfig,
    QueueStatus,
    decision_from_redis,
)

STREAM_MAXLEN = 100_000  # approximate cap of the per-tenant event stream (XADD MAXLEN ~)


@cache
def script_source() -> str:
    src = resources.files("app.seats.acd").joinpath("acd.lua").read_text(encoding="utf-8")
    return src.replace("__TRANSITIONS__", lua_transition_table()).replace(
        "__STREAM_MAXLEN__", str(STREAM_MAXLEN)
    )


def events_key(tenant_id: UUID) -> str:
    """The tenant's event stream: agent states, offers, queue changes (see README)."""
    return tenant_key(tenant_id, "events")


class Acd:
    """The automatic call distributor of one tenant."""

    def __init__(self, redis: Redis, tenant_id: UUID) -> None:
        self.redis = redis
        self.tenant_id = tenant_id
        self.prefix = tenant_key(tenant_id, "acd")
        self.events = events_key(tenant_id)
        self._script = redis.register_script(script_source())

    async def _run(self, op: str, **args: Any) -> Any:
        try:
            raw = await self._script(
                keys=[self.events], args=[self.prefix, str(self.tenant_id), op, json.dumps(args)]
            )
        except ResponseError as exc:
            err = from_redis_error(str(exc))
            if err is None:
                raise
            raise err from None
        return json.loads(raw)

    async def _decide(self, op: str, **args: Any) -> list[Decision]:
        out = await self._run(op, **args)
        raw = out.get("decisions") if isinstance(out, dict) else None
        # cjson encodes an empty Lua table as {}, not [].
        return [decision_from_redis(d) for d in raw] if isinstance(raw, list) else []

    # --- configuration -------------------------------------------------------------------
    async def put_queue(self, config: QueueConfig) -> None:
        await self._run("put_queue", **config.to_redis())

    async def put_agent(
        self,
        agent_id: str,
        business_id: str,
        skills: Mapping[str, int] | None = None,
        *,
        max_acw: float | None = None,
    ) -> None:
        """Create or update an agent (signed out when new). Skills: name -> level. `max_acw`
        (seconds) caps after-call work: it ends after min(queue's ACW timeout, max_acw);
        None = no cap, 0 = no after-call work."""
        if not agent_id or ":" in agent_id:
            raise ValueError("an agent id is non-empty and has no ':'")
        if max_acw is not None and max_acw < 0:
            raise ValueError("max_acw cannot be negative")
        await self._run(
            "put_agent",
            agent=agent_id,
            business=business_id,
            skills=dict(skills or {}),
            max_acw_ms=-1 if max_acw is None else round(max_acw * 1000),
        )

    async def add_member(self, queue_id: str, agent_id: str, priority: int = 0) -> None:
        """Put an agent in a queue; `priority` orders agents for the priority strategy."""
        await self._run("add_member", queue=queue_id, agent=agent_id, priority=priority)

    async def remove_member(self, queue_id: str, agent_id: str) -> None:
        await self._run("remove_member", queue=queue_id, agent=agent_id)

    # --- agent states (SEAT-2) -----------------------------------------------------------
    async def sign_in(
        self, agent_id: str, *, ready: bool = True, reason: str = ""
    ) -> list[Decision]:
        """Sign in as ready (may be offered a waiting call at once) or not ready (reason)."""
        return await self._decide("sign_in", agent=agent_id, ready=ready, reason=reason)

    async def sign_out(self, agent_id: str, reason: str = "") -> None:
        await self._run("sign_out", agent=agent_id, reason=reason)

    async def not_ready(self, agent_id: str, reason: str) -> None:
        if not reason:
            raise ValueError("not ready needs a reason code")
        await self._run("not_ready", agent=agent_id, reason=reason)

    async def agent_ready(self, agent_id: str, reason: str = "") -> list[Decision]:
        """Ready again (from not ready or wrap-up): atomically takes the best waiting call."""
        return await self._decide("ready", agent=agent_id, reason=reason)

    async def hold(self, agent_id: str) -> None:
        await self._run("hold", agent=agent_id)

    async def resume(self, agent_id: str) -> None:
        await self._run("resume", agent=agent_id)

    # --- calls (SEAT-3..5) ---------------------------------------------------------------
    async def offer(self, call: Call) -> Decision:
        """Reserve a ready agent for the call (Offered), or queue it, or overflow it."""
        decisions = await self._decide("offer", **call.to_redis())
        return decisions[0]

    async def answer(self, call_id: str, agent_id: str) -> None:
        """The agent answered: talking. Raises NotOffered if the offer already lapsed."""
        await self._run("answer", call=call_id, agent=agent_id)

    async def reject(self, call_id: str, agent_id: str, why: str = "rejected") -> list[Decision]:
        """The agent declined or was busy: the call goes to the next agent (never this one)."""
        return await self._decide("ring_failed", call=call_id, agent=agent_id, why=why)

    async def ring_timeout(self, call_id: str, agent_id: str) -> list[Decision]:
        return await self.reject(call_id, agent_id, why="ring_timeout")

    async def hangup(self, call_id: str) -> list[Decision]:
        """The customer's call ended (abandoned while waiting or ringing, or after talking).

        Idempotent. Returns the offers made to the agent it freed, if any.
        """
        return await self._decide("hangup", call=call_id)

    async def release(self, call_id: str) -> list[Decision]:
        """A call that reserved its agent before anyone answered (a progressive dialer line,
        DIAL-2) ended without a person: the agent is ready again and may take a waiting call.
        Not an abandoned call. Idempotent; a call already talking must be hung up instead."""
        return await self._decide("release", call=call_id)

    async def sweep(self) -> tuple[list[Decision], float | None]:
        """Fire due deadlines (wrap-up end, ring timeout, max wait).

        Returns the decisions and the seconds until the next deadline (None: no deadline).
        """
        out = await self._run("sweep")
        raw = out.get("decisions")
        decisions = [decision_from_redis(d) for d in raw] if isinstance(raw, list) else []
        next_ms = out["next_in_ms"]
        return decisions, (None if next_ms < 0 else next_ms / 1000)

    # --- status --------------------------------------------------------------------------
    async def agent_status(self, agent_id: str) -> AgentStatus:
        h = await self._run("agent_status", agent=agent_id)
        queues = h["queues"] if isinstance(h["queues"], list) else []
        return AgentStatus(
            agent_id=agent_id,
            business_id=h["business"],
            state=AgentState(h["state"]),
            reason=h["reason"],
            call_id=h["call"],
            in_state=h["in_state_ms"] / 1000,
            calls_taken=int(h["calls"]),
            talk_time=int(h["talk_ms"]) / 1000,
            queues=tuple(sorted(queues)),
        )

    async def queue_status(self, queue_id: str) -> QueueStatus:
        h = await self._run("queue_status", queue=queue_id)
        return QueueStatus(
            queue_id, h["waiting"], h["ready"], h["staffed"], h["all_busy"], h["aht_ms"] / 1000
        )

    async def position(self, call_id: str) -> Position:
        """Position in queue and expected wait, for announcements (SEAT-5)."""
        h = await self._run("position", call=call_id)
        return Position(call_id, h["queue"], h["state"], h["position"], h["wait_ms"] / 1000)
