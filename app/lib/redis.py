"""One async Redis client per process (per event loop)."""

from __future__ import annotations

from redis.asyncio import Redis

from app.lib.loopcache import PerLoop
from app.settings import get_settings


def _new_client(url: str | None) -> Redis:
    return Redis.from_url(url or get_settings().redis_url, decode_responses=True)


clients: PerLoop[Redis] = PerLoop(_new_client)


def get_redis(url: str | None = None) -> Redis:
    return clients.get(url)
