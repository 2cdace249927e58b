"""Callback reminders are scheduled (DIAL-5): `fastline worker` runs the scheduler beside the
Dramatiq workers; every period it sends `remind_callbacks` for each tenant with a running
campaign or a pending callback, at most once per tenant and period (`run_once`), and a due
callback gives exactly one `dialer.callback.reminder` event, for its agent, number masked.

The reminder reaches the agent's CTI WebSocket (a real `fastline serve`). Real Postgres, the
real Redis broker, a real `fastline worker` subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select
from websockets.asyncio.client import ClientConnection, connect

from app.db.session import tenant_session
from app.lib.events import read_events
from app.lib.redis import get_redis
from app.seats.models import Extension
from app.tenants.models import JobRun
from app.worker.scheduler import REMINDER_KEY, Scheduler, period_key
from tests.fixtures.server import running_server
from tests.integration.dialer.conftest import agent_with_extension, import_now, make_campaign

pytestmark = pytest.mark.feature("DIAL-5")

CSV = "Phone,Name\n13800138000,Customer A\n13800138001,Customer B\n"


@contextmanager
def worker(interval: float) -> Iterator[subprocess.Popen[bytes]]:
    """`fastline worker` (scheduler included) with a short period; stopped by its PID."""
    env = os.environ.copy() | {"FASTLINE_SCHEDULER_INTERVAL": str(interval)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--processes", "1", "--threads", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _socket_until(ws: ClientConnection, kind: str, wait: float) -> list[dict]:
    """What the agent's socket says until a message of type `kind` (or `wait` seconds)."""
    got: list[dict] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while loop.time() < deadline:
        try:
            got.append(json.loads(await asyncio.wait_for(ws.recv(), deadline - loop.time())))
        except TimeoutError:
            break
        if got[-1].get("type") == kind:
            break
    return got


async def _reminders(tenant_id: UUID) -> list[dict[str, str]]:
    events = await read_events(get_redis(), tenant_id, "0", count=10_000)
    return [f for _, f in events if f["type"] == "dialer.callback.reminder"]


@pytest.fixture(scope="module")
def server(migrated_db: str) -> Iterator[str]:
    with running_server() as url:
        yield url.replace("http://", "ws://")


async def _agent(client, tenant) -> tuple[dict, dict[str, str]]:
    """An agent with an extension of their own and an agent profile (for the CTI socket)."""
    agent, headers = await agent_with_extension(client, tenant, "811")
    async with tenant_session(tenant.tenant_id) as session:
        ext = await session.scalar(
            select(Extension).where(
                Extension.tenant_id == tenant.tenant_id, Extension.number == "811"
            )
        )
    assert ext is not None
    r = await client.post("/api/v1/businesses/", headers=tenant.headers, json={"name": "Out"})
    r = await client.post(
        "/api/v1/acd/agents/",
        headers=tenant.headers,
        json={"userId": agent["id"], "businessId": r.json()["id"], "extensionId": str(ext.id)},
    )
    assert r.status_code == 201, r.text
    return agent, headers


async def _callback(client, tenant, due: datetime) -> tuple[dict, str, dict[str, str]]:
    agent, headers = await _agent(client, tenant)
    c = await make_campaign(client, tenant, agentIds=[agent["id"]])
    await client.post(f"/api/v1/dialer/campaigns/{c['id']}/start", headers=tenant.headers)
    await import_now(client, tenant, c["id"], CSV)
    plan = (await client.get("/api/v1/dialer/my/plan", headers=headers)).json()
    lead_id = plan["items"][0]["id"]
    r = await client.post(
        f"/api/v1/dialer/leads/{lead_id}/callbacks",
        headers=headers,
        json={"at": due.isoformat(), "note": "wants the new offer"},
    )
    assert r.status_code == 201, r.text
    return agent, lead_id, headers


async def test_a_real_worker_sends_one_reminder_for_a_due_callback(
    server, client, tenant, other_tenant
):
    due = datetime.now(UTC) + timedelta(minutes=3)  # within the 5-minute reminder lead time
    agent, lead_id, headers = await _callback(client, tenant, due)
    later = datetime.now(UTC) + timedelta(hours=2)  # another tenant's, not due: no reminder
    await _callback(client, other_tenant, later)
    assert await _reminders(tenant.tenant_id) == []
    token = headers["Authorization"].removeprefix("Bearer ")

    async with connect(f"{server}/api/v1/cti/ws?token={token}") as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
        with worker(interval=2):  # the first tick runs at start
            seen = await _socket_until(ws, "reminder", wait=30)
            await asyncio.sleep(6)  # three more periods: still one reminder
            seen += await _socket_until(ws, "reminder", wait=1)
    on_socket = [m for m in seen if m["type"] == "reminder"]
    assert len(on_socket) == 1 and on_socket[0]["callbackId"]
    assert (on_socket[0]["leadId"], on_socket[0]["phone"]) == (lead_id, "138****8000")
    [reminder] = await _reminders(tenant.tenant_id)
    assert reminder["agentId"] == agent["id"] and reminder["leadId"] == lead_id
    assert reminder["phone"] == "138****8000" and "13800138000" not in str(reminder)
    assert reminder["note"] == "wants the new offer"
    assert await _reminders(other_tenant.tenant_id) == []
    async with tenant_session(tenant.tenant_id) as session:
        keys = list(
            await session.scalars(
                select(JobRun.key).where(
                    JobRun.tenant_id == tenant.tenant_id,
                    JobRun.key.startswith(f"{REMINDER_KEY}:"),
                )
            )
        )
    assert len(keys) >= 2 and len(keys) == len(set(keys))  # one job per period


async def test_one_message_per_tenant_and_minute_and_only_where_needed(client, tenant):
    quiet = tenant.tenant_id  # no campaign running, no callback: nothing to send
    scheduler = Scheduler(interval=60)
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert quiet not in await scheduler.tick(now)

    c = await make_campaign(client, tenant)
    r = await client.post(f"/api/v1/dialer/campaigns/{c['id']}/start", headers=tenant.headers)
    assert r.status_code in (200, 201), r.text
    assert quiet in await scheduler.tick(now)
    assert quiet not in await scheduler.tick(now + timedelta(seconds=50))  # same minute
    assert quiet not in await Scheduler(interval=60).tick(now)  # another scheduler, same minute
    assert quiet in await scheduler.tick(now + timedelta(seconds=51))  # 07:09
    assert period_key(now, 60) == f"{REMINDER_KEY}:2031-05-06T07:08"
    async with tenant_session(quiet) as session:
        jobs = (
            await session.scalars(
                select(JobRun).where(JobRun.tenant_id == quiet, JobRun.actor == "remind_callbacks")
            )
        ).all()
    assert sorted(j.key for j in jobs) == [
        f"{REMINDER_KEY}:2031-05-06T07:08",
        f"{REMINDER_KEY}:2031-05-06T07:09",
    ]
    assert all(j.status == "done" and j.result["messageId"] for j in jobs)
