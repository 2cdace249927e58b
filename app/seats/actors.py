"""Background jobs of the seats domain: rebuild the Redis ACD from Postgres.

`sync_acd` is safe to run any number of times (the sync is idempotent and keeps live state), so
unlike jobs with side effects it does not go through `run_once`: a later Redis loss with the
same key must sync again. Callcontrol enqueues it (or calls `sync_tenant` directly) when it
finds a tenant's ACD empty; `sync_all_tenants` is for a whole-Redis loss.
"""

from __future__ import annotations

from uuid import UUID

import dramatiq
import structlog
from sqlalchemy import select

import app.worker  # noqa: F401  (configures the broker before the actor is declared)
from app.db.session import platform_session
from app.lib.redis import get_redis
from app.seats.queues import sync_tenant
from app.tenants.models import Tenant

log = structlog.get_logger(__name__)


@dramatiq.actor(queue_name="default", max_retries=5)  # type: ignore[arg-type]
async def sync_acd(tenant_id: str, key: str = "") -> None:
    counts = await sync_tenant(get_redis(), UUID(tenant_id))
    log.info("acd synced", tenant=tenant_id, key=key, **counts)


async def sync_all_tenants() -> int:
    """Sync every active tenant's ACD; returns how many were synced."""
    async with platform_session() as session:
        ids = list(await session.scalars(select(Tenant.id).where(Tenant.status == "active")))
    for tenant_id in ids:
        await sync_tenant(get_redis(), tenant_id)
    return len(ids)
