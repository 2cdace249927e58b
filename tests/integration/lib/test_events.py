"""The per-tenant event stream every component writes and reads."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from app.lib.events import add_event, events_stream, read_events
from app.lib.redis import get_redis


@pytest.mark.feature("TEN-4")
async def test_events_are_appended_per_tenant_and_read_live():
    redis = get_redis()
    tenant, other = uuid.uuid4(), uuid.uuid4()
    try:
        waiter = asyncio.create_task(read_events(redis, tenant, "$", block_ms=2000))
        await asyncio.sleep(0.05)
        await add_event(redis, tenant, "call.bridged", call="c1", legs=["customer", "agent"])
        await add_event(redis, other, "call.bridged", call="secret")
        entries = await waiter
        assert len(entries) == 1
        fields = entries[0][1]
        assert fields["type"] == "call.bridged" and fields["tenant"] == str(tenant)
        assert fields["call"] == "c1" and json.loads(fields["legs"]) == ["customer", "agent"]
        # Atomic with the change it describes, through a MULTI pipeline.
        async with redis.pipeline(transaction=True) as pipe:
            pipe.set(f"t:{tenant}:x", "1")
            await add_event(pipe, tenant, "thing.changed", value=1)
            await pipe.execute()
        history = await read_events(redis, tenant, "0")
        assert [f["type"] for _, f in history] == ["call.bridged", "thing.changed"]
        assert all(f["call"] != "secret" for _, f in history if "call" in f)
    finally:
        await redis.delete(events_stream(tenant), events_stream(other), f"t:{tenant}:x")
