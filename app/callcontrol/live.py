"""Live call state in Redis and the call events.

Keys (all tenant-prefixed, see app/lib/keys.py):
- `t:<tenant>:call:<call_key>`  hash, `Call.to_hash()`; expires LIVE_TTL after its first write,
  pushed back by a later change once REFRESH_TTL has passed (a crashed node's calls vanish; a
  change does not cost an EXPIRE each time) and ENDED_TTL after the end;
- `t:<tenant>:calls:live`       set of the tenant's live call keys;
- `t:<tenant>:events`           the tenant's event stream (app/lib/events.py): each change is
  appended once (`call.state`, `leg.state`, `call.dtmf`, `call.hold`...) with the tenant and
  `callKey`, in the same MULTI as the hash it describes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from app.callcontrol.call import Call, CallState
from app.lib.events import add_event
from app.lib.keys import tenant_key

log = logging.getLogger(__name__)

LIVE_TTL = 6 * 3600  # longer than any call; refreshed by changes at most every REFRESH_TTL
REFRESH_TTL = 3600  # a live hash's TTL is pushed back on a change once this much has passed
ENDED_TTL = 300  # long enough for a wallboard to show how a call ended
BATCH_SPACING = 0.002  # seconds between two batches' starts (one MULTI per ~2 ms at most)
MAX_TRACKED = 100_000  # live calls whose last written hash is remembered


def call_key_name(tenant_id: UUID, call_key: str) -> str:
    return tenant_key(tenant_id, "call", call_key)


def live_set_name(tenant_id: UUID) -> str:
    return tenant_key(tenant_id, "calls", "live")


class _Batcher:
    """Writes queued by every call on one Redis client, sent together in one MULTI.

    A write waits at most for the batch before it, plus BATCH_SPACING when batches follow each
    other closely, so under load many calls' changes share one round trip (bench/sip_setup.py
    counted six transactions per call at 25 calls/s; at hundreds of calls a second the batches
    are capped at 500 a second). Batches go out one
    after another, so each call's changes keep their order; each change stays atomic with its
    event because a whole batch is one MULTI/EXEC.
    """

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.pending: list[tuple[Call, dict[str, Any], dict[str, Any] | None]] = []
        self.waiters: list[asyncio.Future[None]] = []
        self.flushing: asyncio.Task[None] | None = None
        self.written: dict[str, dict[str, Any]] = {}  # hash name -> the fields last written
        self.expires_set: dict[str, float] = {}  # hash name -> when its TTL was last set
        self.last_batch = 0.0  # monotonic time the last batch started

    def add(self, call: Call, event: dict[str, Any] | None) -> asyncio.Future[None]:
        # The hash is taken now: later changes to `call` go in a later write.
        self.pending.append((call, call.to_hash(), event))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(done)
        if self.flushing is None:
            self.flushing = asyncio.create_task(self._flush())
        return done

    async def _flush(self) -> None:
        try:
            while self.pending:
                # Under load, batches start at most every BATCH_SPACING: the changes arriving
                # meanwhile join the next one (a lone change still goes at once).
                wait = self.last_batch + BATCH_SPACING - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.last_batch = time.monotonic()
                batch, self.pending = self.pending, []
                waiters, self.waiters = self.waiters, []
                try:
                    await self._write(batch)
                except Exception as exc:  # every waiter learns; a posted write is only logged
                    self.written.clear()  # unsure what landed: write whole hashes again
                    self.expires_set.clear()
                    for w in waiters:
                        if not w.done():
                            w.set_exception(exc)
                    continue
                for w in waiters:
                    if not w.done():
                        w.set_result(None)
        finally:
            self.flushing = None

    async def _write(self, batch: list[tuple[Call, dict[str, Any], dict[str, Any] | None]]) -> None:
        pipe = self.redis.pipeline(transaction=True)
        # Each write replaces the whole hash, so a call changed several times in one batch needs
        # only its last view written (once); every event still goes out, in order.
        last: dict[str, tuple[Call, dict[str, Any]]] = {}
        for call, mapping, event in batch:
            last[call.key] = (call, mapping)
            if event is not None:
                fields = {k: v for k, v in event.items() if k not in ("type", "tenantId", "at")}
                await add_event(pipe, call.tenant_id, str(event["type"]), **fields)
        for call, mapping in last.values():
            self._queue_hash(pipe, call, mapping)
        await pipe.execute()

    def _queue_hash(self, pipe: Pipeline, call: Call, mapping: dict[str, Any]) -> None:
        name = call_key_name(call.tenant_id, call.key)
        # Only the fields that changed since this process last wrote the hash: most of the
        # ~20 fields never change after arrival, and encoding them was most of the Redis cost.
        before = self.written.get(name, {})
        changed = {k: v for k, v in mapping.items() if before.get(k) != v}
        if changed:
            pipe.hset(name, mapping=changed)
        if mapping.get("state") == CallState.ENDED:
            self.written.pop(name, None)
            self.expires_set.pop(name, None)
            pipe.expire(name, ENDED_TTL)
            pipe.srem(live_set_name(call.tenant_id), call.key)
        else:
            if len(self.written) >= MAX_TRACKED:
                self.written.clear()  # calls that never ended (a bug): fall back to full writes
                self.expires_set.clear()
            self.written[name] = mapping
            now = time.monotonic()
            if now - self.expires_set.get(name, -REFRESH_TTL) >= REFRESH_TTL:
                self.expires_set[name] = now
                pipe.expire(name, LIVE_TTL)
            if not before:
                pipe.sadd(live_set_name(call.tenant_id), call.key)


_batchers: weakref.WeakKeyDictionary[Redis, _Batcher] = weakref.WeakKeyDictionary()


def _batcher(redis: Redis) -> _Batcher:
    batcher = _batchers.get(redis)
    if batcher is None:
        batcher = _batchers[redis] = _Batcher(redis)
    return batcher


async def save(redis: Redis, call: Call, event: dict[str, Any] | None = None) -> None:
    """Write the call's live view and, atomically with it, append `event` to the stream;
    returns once written."""
    await _batcher(redis).add(call, event)


def post(redis: Redis, call: Call, event: dict[str, Any] | None = None) -> None:
    """`save` without waiting: for changes on the set-up path, where a Redis round trip would
    delay the caller's answer. Still written in order with the call's other changes; a failed
    write is logged."""
    _batcher(redis).add(call, event).add_done_callback(_log_failure)


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("live call state not written: %s", done.exception())


async def live_calls(redis: Redis, tenant_id: UUID) -> list[dict[str, Any]]:
    """The tenant's live calls; keys whose hash expired are dropped from the set."""
    keys = sorted(await redis.smembers(live_set_name(tenant_id)))  # type: ignore[misc]
    calls: list[dict[str, Any]] = []
    stale: list[str] = []
    for key in keys:
        data = await redis.hgetall(call_key_name(tenant_id, key))  # type: ignore[misc]
        if not data or data.get("state") == CallState.ENDED:
            stale.append(key)
            continue
        data["legs"] = json.loads(data.get("legs") or "[]")
        calls.append(data)
    if stale:
        await redis.srem(live_set_name(tenant_id), *stale)  # type: ignore[misc]
    return calls
