"""Dramatiq on Redis. Importing this package configures the broker, so import it before any
module that declares actors. Every actor takes `tenant_id` and an idempotency key."""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Prometheus, default_middleware
from dramatiq.middleware.asyncio import AsyncIO

from app.settings import get_settings


def make_broker(url: str | None = None) -> RedisBroker:
    # Dramatiq's defaults minus Prometheus (we export no metrics from workers yet).
    middleware = [m() for m in default_middleware if m is not Prometheus]
    broker = RedisBroker(
        url=url or get_settings().redis_url,
        namespace=get_settings().queue_namespace,
        middleware=middleware,
    )
    broker.add_middleware(AsyncIO())
    return broker


broker = make_broker()
dramatiq.set_broker(broker)
