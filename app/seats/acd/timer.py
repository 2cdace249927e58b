"""Fires the ACD's deadlines (wrap-up end, ring timeout, max wait) on time, without polling.

Deadlines live in sorted sets (`t:<tenant>:acd:timers:{acw,ring,wait}`). The timer sleeps until
the earliest one, but blocks on the tenant's event stream while it sleeps: any change on any
node (a new wrap-up, a new offer) is an event there, so it wakes, sweeps and re-computes the
next deadline. Callcontrol runs one per process (or a worker does); two timers on the same
tenant are harmless, since each sweep is atomic and a fired deadline is gone for the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

import structlog

from app.seats.acd.engine import Acd
from app.seats.acd.types import Decision

log = structlog.get_logger(__name__)

OnDecision = Callable[[Acd, Decision], Awaitable[None]]

# With no deadline at all, still re-check now and then, in case an event was trimmed away.
IDLE_WAKE = 30.0


class AcdTimer:
    def __init__(self, acds: Iterable[Acd], on_decision: OnDecision | None = None) -> None:
        self.acds = list(acds)
        if not self.acds:
            raise ValueError("an AcdTimer needs at least one tenant's Acd")
        self.redis = self.acds[0].redis
        self.on_decision = on_decision
        self.sweeps = 0
        self._task: asyncio.Task[None] | None = None

    async def sweep_once(self) -> float:
        """Sweep every tenant; return seconds until the earliest next deadline."""
        soonest = IDLE_WAKE
        for acd in self.acds:
            decisions, next_in = await acd.sweep()
            self.sweeps += 1
            for decision in decisions:
                if self.on_decision is not None:
                    await self.on_decision(acd, decision)
            if next_in is not None:
                soonest = min(soonest, next_in)
        return soonest

    async def run(self) -> None:
        # Start from the stream's current end: the first sweep covers everything before it.
        # The end is read BEFORE that sweep, not "$" at the first XREAD: an event written
        # between the sweep and the XREAD (a hang-up starting a wrap-up) would be missed, and
        # its deadline slept through until IDLE_WAKE.
        streams = {acd.events: await self._tail(acd.events) for acd in self.acds}
        while True:
            wait = await self.sweep_once()
            if wait <= 0:
                continue
            # XREAD BLOCK needs at least 1 ms; 0 would mean "forever".
            block_ms = max(1, int(wait * 1000) + 1)
            replies = await self.redis.xread(streams, block=block_ms)  # type: ignore[arg-type]
            for stream, entries in replies or []:
                streams[stream] = entries[-1][0]

    async def _tail(self, stream: str) -> str:
        last = await self.redis.xrevrange(stream, count=1)
        return str(last[0][0]) if last else "0-0"

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name="acd-timer")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
