"""Dramatiq actors of the partner API domain: webhook delivery (API-2)."""

from __future__ import annotations

from uuid import UUID

import dramatiq

import app.worker  # noqa: F401  (the broker first)
from app.api.delivery import attempt_delivery


@dramatiq.actor(queue_name="webhooks", max_retries=3)  # type: ignore[arg-type]
async def deliver_webhook(tenant_id: str, delivery_id: str) -> None:
    """One attempt of one delivery; schedules the next one itself (exponential backoff), so
    that every attempt is recorded. Dramatiq's own retries only cover our failures (the
    database down), and an attempt on a settled delivery does nothing."""
    delay = await attempt_delivery(UUID(tenant_id), UUID(delivery_id))
    if delay is not None:
        deliver_webhook.send_with_options(args=(tenant_id, delivery_id), delay=int(delay * 1000))
