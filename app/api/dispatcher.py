"""API-2: the webhook dispatcher, from each tenant's event stream to delivery jobs.

One consumer group, `webhooks`, on every `t:<tenant>:events` stream of a tenant with an enabled
endpoint (created when the first endpoint is, so nothing published after that is missed). The
dispatcher reads new entries (XREADGROUP, blocking up to a second), writes one
`webhook_delivery` row per matching endpoint (unique per endpoint and entry id, so a re-read
entry makes no second delivery), sends `deliver_webhook` for each, then acknowledges the
entry. Entries left unacknowledged by a dispatcher that died are claimed after a minute
(XAUTOCLAIM). Endpoint lists are re-read every 10 seconds.

Why a consumer group rather than an enqueue where events are published: events come from many
places (callcontrol, the ACD's Lua scripts, the dialer), and the stream is already the one
place they all meet (STYLE.md, "every change is an event").

`fastline worker` runs it as a fork function beside the Dramatiq workers (`run`); several
workers share the group, each entry goes to one of them.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from uuid import UUID

import structlog
from redis.asyncio import Redis

from app.api import services
from app.api.models import WebhookEndpoint
from app.db.session import tenant_session
from app.lib.events import events_stream
from app.lib.redis import get_redis

log = structlog.get_logger(__name__)

REFRESH_SECONDS = 10.0
CLAIM_IDLE_MS = 60_000

Sender = Callable[[UUID, UUID], Awaitable[None]]


async def send_to_worker(tenant_id: UUID, delivery_id: UUID) -> None:
    from app.api.actors import deliver_webhook

    await asyncio.to_thread(deliver_webhook.send, str(tenant_id), str(delivery_id))


@dataclass
class Dispatcher:
    redis: Redis
    send: Sender = send_to_worker
    consumer: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    endpoints: dict[UUID, list[WebhookEndpoint]] = field(default_factory=dict)
    streams: dict[str, UUID] = field(default_factory=dict)

    async def refresh(self, tenants: list[UUID] | None = None) -> None:
        """Which tenants have enabled endpoints, and which."""
        if tenants is None:
            from app.worker.scheduler import active_tenants

            tenants = await active_tenants()
        endpoints: dict[UUID, list[WebhookEndpoint]] = {}
        for tenant_id in tenants:
            found = await services.enabled_endpoints(tenant_id)
            if found:
                await services.ensure_group(self.redis, tenant_id)
                endpoints[tenant_id] = found
        self.endpoints = endpoints
        self.streams = {events_stream(t): t for t in endpoints}

    async def step(self, block_ms: int = 1000) -> int:
        """Read and dispatch one batch; the number of deliveries sent."""
        if not self.streams:
            await asyncio.sleep(block_ms / 1000)
            return 0
        reply = await self.redis.xreadgroup(
            services.GROUP,
            self.consumer,
            {stream: ">" for stream in self.streams},
            count=100,
            block=block_ms,
        )
        sent = 0
        for stream, entries in reply or []:
            sent += await self._dispatch(stream, entries)
        return sent

    async def claim_stale(self) -> int:
        sent = 0
        for stream in self.streams:
            _, entries, *_ = await self.redis.xautoclaim(
                stream, services.GROUP, self.consumer, CLAIM_IDLE_MS, "0-0", count=100
            )
            sent += await self._dispatch(stream, entries)
        return sent

    async def _dispatch(self, stream: str, entries: list[tuple[str, dict[str, str]]]) -> int:
        tenant_id = self.streams[stream]
        sent = 0
        for entry_id, fields in entries:
            if fields.get("tenant") not in (None, str(tenant_id)):
                continue  # never another tenant's event, whatever wrote it here
            event_type = fields.get("type", "")
            payload = services.event_payload(tenant_id, entry_id, fields)
            endpoints = self.endpoints.get(tenant_id, [])
            targets = [e for e in endpoints if services.matches(e, event_type)]
            created: list[UUID] = []
            if targets:
                async with tenant_session(tenant_id) as session:
                    for endpoint in targets:
                        delivery_id = await services.record_delivery(
                            session, tenant_id, endpoint.id, entry_id, payload
                        )
                        if delivery_id is not None:
                            created.append(delivery_id)
            for delivery_id in created:
                await self.send(tenant_id, delivery_id)
            await self.redis.xack(stream, services.GROUP, entry_id)
            sent += len(created)
        return sent

    async def run_forever(self) -> None:
        loop = asyncio.get_running_loop()
        refreshed = claimed = 0.0
        while True:
            try:
                now = loop.time()
                if now - refreshed >= REFRESH_SECONDS:
                    await self.refresh()
                    refreshed = now
                if now - claimed >= CLAIM_IDLE_MS / 1000:
                    await self.claim_stale()
                    claimed = now
                await self.step()
            except Exception:  # Postgres or Redis down: try again in a moment
                log.exception("webhook dispatch failed")
                await asyncio.sleep(1)


def enabled() -> bool:
    return os.environ.get("FASTLINE_WEBHOOK_DISPATCHER", "1") != "0"


def run() -> int:
    """Dramatiq fork function (`fastline worker`): dispatch until the workers stop."""
    if not enabled():
        return 0
    from app.lib.logging import configure_logging
    from app.settings import get_settings

    configure_logging(json=get_settings().log_json)

    async def main() -> None:
        await Dispatcher(get_redis()).run_forever()

    asyncio.run(main())
    return 0
