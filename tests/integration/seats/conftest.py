"""Real Redis (db 15 in tests), a fresh tenant per test, its keys deleted afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from redis.asyncio import Redis

from app.lib.keys import tenant_key
from app.seats.acd import Acd, QueueConfig
from app.settings import get_settings

BUSINESS = "sales-line"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(get_settings().redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def drop_tenant(redis: Redis, tenant_id: uuid.UUID) -> None:
    keys = [k async for k in redis.scan_iter(match=tenant_key(tenant_id, "*"), count=1000)]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
async def acd(redis: Redis) -> AsyncIterator[Acd]:
    engine = Acd(redis, uuid.uuid4())
    yield engine
    await drop_tenant(redis, engine.tenant_id)


@pytest.fixture
async def other_acd(redis: Redis) -> AsyncIterator[Acd]:
    engine = Acd(redis, uuid.uuid4())
    yield engine
    await drop_tenant(redis, engine.tenant_id)


async def setup_queue(
    acd: Acd,
    agents: Iterable[str],
    *,
    queue_id: str = "sales",
    business: str = BUSINESS,
    agent_skills: dict[str, dict[str, int]] | None = None,
    **config: Any,
) -> QueueConfig:
    """A queue with these agents as members (signed out), in the order given."""
    cfg = QueueConfig(queue_id, business, **config)
    await acd.put_queue(cfg)
    for i, agent in enumerate(agents):
        await acd.put_agent(agent, business, (agent_skills or {}).get(agent, {}))
        await acd.add_member(queue_id, agent, priority=i)
    return cfg


async def events(acd: Acd, kind: str | None = None) -> list[dict[str, str]]:
    """The tenant's event stream, oldest first, optionally one type only."""
    entries = await acd.redis.xrange(acd.events)
    return [fields for _, fields in entries if kind is None or fields["type"] == kind]
