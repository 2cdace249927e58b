"""The live call view the wallboard reads (app/callcontrol/live.py) in the real Redis: a call is
in the tenant's live set with a hash that expires if its node dies, changes keep their order and
their events, and an ended call leaves the live set and expires soon after."""

from __future__ import annotations

import uuid

import pytest

from app.callcontrol import live
from app.callcontrol.call import Call, CallState
from app.lib.events import events_stream, read_events
from app.lib.redis import get_redis

pytestmark = pytest.mark.feature("SEAT-7")


async def test_a_call_is_live_until_it_ends_then_expires_soon() -> None:
    redis = get_redis()
    tenant_id = uuid.uuid4()
    call = Call(key=f"live-{uuid.uuid4().hex}", tenant_id=tenant_id, direction="inbound")
    name = live.call_key_name(tenant_id, call.key)

    await live.save(redis, call, call.event("call.arrived"))
    assert [c["key"] for c in await live.live_calls(redis, tenant_id)] == [call.key]
    ttl = await redis.ttl(name)
    assert live.LIVE_TTL - 60 < ttl <= live.LIVE_TTL  # a crashed node's call vanishes

    live.post(redis, call, call.move(CallState.RINGING))  # not awaited: the set-up path
    await live.save(redis, call, call.move(CallState.BRIDGED))
    view = (await live.live_calls(redis, tenant_id))[0]
    assert view["state"] == "bridged" and view["bridgedAt"]
    assert 0 < await redis.ttl(name) <= live.LIVE_TTL

    ended = call.end("bye", "customer")
    await live.save(redis, call, ended)
    assert await live.live_calls(redis, tenant_id) == []
    assert 0 < await redis.ttl(name) <= live.ENDED_TTL
    assert (await redis.hgetall(name))["hangupCause"] == "bye"  # the wallboard sees how it ended

    events = await read_events(redis, tenant_id, "0")
    assert [(f["type"], f.get("state")) for _, f in events] == [
        ("call.arrived", "arriving"),
        ("call.state", "ringing"),
        ("call.state", "bridged"),
        ("call.state", "ended"),
    ]
    await redis.delete(name, live.live_set_name(tenant_id), events_stream(tenant_id))
