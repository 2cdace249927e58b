"""Helpers for the dialer's integration tests: campaigns, agents with extensions, imports and a
real Dramatiq worker subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from tests.fixtures.app import TenantCtx, add_user, login

WINDOWS_ALL_DAY = [{"start": "00:00", "end": "23:59"}]


@pytest.fixture
def worker_process() -> Iterator[subprocess.Popen[bytes]]:
    """`fastline worker` as a real subprocess on the test Redis; stopped by its PID."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--processes", "1", "--threads", "1"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def make_campaign(client: httpx.AsyncClient, t: TenantCtx, **fields: Any) -> dict[str, Any]:
    body = {"name": f"Campaign {os.urandom(3).hex()}", "windows": WINDOWS_ALL_DAY, **fields}
    r = await client.post("/api/v1/dialer/campaigns/", headers=t.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def make_list(
    client: httpx.AsyncClient,
    t: TenantCtx,
    campaign_id: str,
    mapping: dict[str, Any],
    fmt: str = "csv",
) -> str:
    r = await client.post(
        f"/api/v1/dialer/campaigns/{campaign_id}/lists",
        headers=t.headers,
        json={"name": "list", "mapping": mapping, "format": fmt},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def upload(client: httpx.AsyncClient, t: TenantCtx, list_id: str, body: bytes) -> None:
    r = await client.put(f"/api/v1/dialer/lists/{list_id}/file", headers=t.headers, content=body)
    assert r.status_code == 202, r.text


async def wait_import(
    client: httpx.AsyncClient, t: TenantCtx, list_id: str, seconds: float = 60
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    for _ in range(int(seconds * 10)):
        status = (await client.get(f"/api/v1/dialer/imports/{list_id}", headers=t.headers)).json()
        if status["status"] in {"done", "failed"}:
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"import {list_id} not finished: {status}")


async def import_now(
    client: httpx.AsyncClient,
    t: TenantCtx,
    campaign_id: str,
    csv_text: str,
    mapping: dict[str, Any] | None = None,
) -> str:
    """Upload, then run the import in this process (tests that are not about the worker)."""
    from app.dialer.actors import run_import

    list_id = await make_list(client, t, campaign_id, mapping or {"phone": "Phone", "name": "Name"})
    await upload(client, t, list_id, csv_text.encode())
    await run_import(t.tenant_id, UUID(list_id))
    return list_id


async def agent_with_extension(
    client: httpx.AsyncClient, t: TenantCtx, number: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """An agent user, its SIP extension, and its sign-in headers."""
    from app.db.session import tenant_session
    from app.seats.services import create_extension

    user = await add_user(client, t, "agent")
    async with tenant_session(t.tenant_id) as session:
        await create_extension(
            session, t.tenant_id, number, "sip-secret-123", user_id=UUID(user["id"])
        )
    token = (await login(client, t.slug, user["email"])).json()["token"]
    return user, {"Authorization": f"Bearer {token}"}
