"""Background jobs of the edge domain."""

from __future__ import annotations

import dramatiq

import app.worker  # noqa: F401  (configures the broker before the actor is declared)
from app.edge.rpc import reload_all
from app.lib.logging import log
from app.settings import get_settings


# Idempotent by nature (a reload reads the whole table), so a retried or duplicated message
# does no harm and needs no job row; `key` names the change in the logs.
@dramatiq.actor(queue_name="edge", max_retries=5, min_backoff=2000, max_backoff=30000)
def reload_trunk_addresses(tenant_id: str, key: str) -> None:
    """EDGE-3: every edge re-reads `kamailio_address` after a trunk change committed."""
    outcome = reload_all(get_settings().kamailio_rpc_sockets)
    log.info("trunk addresses reloaded", tenant=tenant_id, key=key, edges=outcome)
