"""Helpers for the ACD configuration, CTI and wallboard tests: a business, agents with seats,
queues, all made through the public API as a tenant admin would."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from redis.asyncio import Redis

from app.calls.services import commands_list, commands_wakeup
from app.lib.keys import tenant_key
from app.seats.cti_commands import send_reply
from tests.fixtures.app import TenantCtx, add_user, login

_numbers = itertools.count(2000)


@dataclass
class AgentCtx:
    user_id: str
    profile_id: str
    token: str
    extension: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def business(client: httpx.AsyncClient, tenant: TenantCtx, name: str = "Sales") -> str:
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def queue(
    client: httpx.AsyncClient, tenant: TenantCtx, business_id: str, name: str, **extra: Any
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/acd/queues/",
        headers=tenant.headers,
        json={"name": name, "businessId": business_id} | extra,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def agent(
    client: httpx.AsyncClient,
    tenant: TenantCtx,
    business_id: str,
    queues: list[str] = (),  # type: ignore[assignment]
    *,
    role: str = "agent",
    **extra: Any,
) -> AgentCtx:
    user = await add_user(client, tenant, role)
    number = str(next(_numbers))
    r = await client.post(
        "/api/v1/extensions/",
        headers=tenant.headers,
        json={"number": number, "password": "sip-secret-99", "businessId": business_id},
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/acd/agents/",
        headers=tenant.headers,
        json={"userId": user["id"], "businessId": business_id, "extensionId": r.json()["id"]}
        | extra,
    )
    assert r.status_code == 201, r.text
    profile = r.json()
    if queues:
        r = await client.put(
            f"/api/v1/acd/agents/{profile['id']}/queues",
            headers=tenant.headers,
            json=[{"queueId": q, "priority": i} for i, q in enumerate(queues)],
        )
        assert r.status_code == 200, r.text
    token = (await login(client, tenant.slug, user["email"])).json()["token"]
    return AgentCtx(user["id"], profile["id"], token, number)


async def drop_acd(redis: Redis, tenant_id: uuid.UUID) -> None:
    """Lose the tenant's ACD in Redis (as a Redis restart would), sessions kept."""
    keys = [k async for k in redis.scan_iter(match=tenant_key(tenant_id, "acd*"), count=1000)]
    if keys:
        await redis.delete(*keys)


Respond = Callable[[dict[str, Any]], tuple[bool, dict[str, Any], int, str]]


def accept_all(command: dict[str, Any]) -> tuple[bool, dict[str, Any], int, str]:
    return True, {"done": command["name"]}, 200, ""


@asynccontextmanager
async def fake_callcontrol(
    redis: Redis, tenant_id: uuid.UUID, respond: Respond = accept_all, *, reply: bool = True
) -> AsyncIterator[list[dict[str, Any]]]:
    """A stand-in for callcontrol's command consumer, on the real channel: takes the tenant's
    commands and answers each through `send_reply`. Yields the commands it took."""
    handled: list[dict[str, Any]] = []
    pubsub = redis.pubsub()
    await pubsub.subscribe(commands_wakeup(tenant_id))
    await pubsub.get_message(timeout=1.0)  # the subscription is live before any command

    async def run() -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            while (raw := await redis.lpop(commands_list(tenant_id))) is not None:
                command = json.loads(raw)
                handled.append(command)
                if reply:
                    ok, result, status, error = respond(command)
                    await send_reply(
                        redis, tenant_id, command, ok, result, status=status, error=error
                    )

    task = asyncio.create_task(run())
    try:
        yield handled
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pubsub.aclose()


async def role_headers(client: httpx.AsyncClient, tenant: TenantCtx, role: str) -> dict[str, str]:
    """Bearer headers of a new user of `role` in the tenant."""
    user = await add_user(client, tenant, role)
    token = (await login(client, tenant.slug, user["email"])).json()["token"]
    return {"Authorization": f"Bearer {token}"}
