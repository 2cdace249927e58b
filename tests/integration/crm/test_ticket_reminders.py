"""CRM-5 due reminders, delivered like callback reminders (DIAL-5): the worker's scheduler
sends `remind_tickets` for a tenant with a ticket coming due, once per tenant and period; the
actor reminds each ticket once per due time, as a `crm.ticket.reminder` event that the
assignee's CTI socket shows as `ticket_reminder` (never another agent's, never another
tenant's). Real Postgres, the real Redis broker, a real `fastline worker` subprocess and a real
`fastline serve` for the socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from app.crm.ticket_actors import REMINDER_KEY, schedule, send_ticket_reminders
from app.db.session import tenant_session
from app.lib.events import read_events
from app.lib.redis import get_redis
from app.tenants.models import JobRun
from app.worker.scheduler import period_key
from tests.fixtures.server import running_server
from tests.integration.dialer.test_callback_reminders import _agent, _socket_until, worker

pytestmark = pytest.mark.feature("CRM-5")


@pytest.fixture(scope="module")
def server(migrated_db: str) -> Iterator[str]:
    with running_server() as url:
        yield url.replace("http://", "ws://")


async def _reminders(tenant_id: UUID) -> list[dict[str, str]]:
    events = await read_events(get_redis(), tenant_id, "0", count=10_000)
    return [f for _, f in events if f["type"] == "crm.ticket.reminder"]


async def _ticket(client, headers, assignee: str | None, due: datetime, subject: str) -> str:
    body = {"subject": subject, "dueAt": due.isoformat(), "assigneeId": assignee}
    r = await client.post("/api/v1/tickets/", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_a_real_worker_reminds_the_assignee_once(server, client, tenant, other_tenant):
    agent, headers = await _agent(client, tenant)
    soon = datetime.now(UTC) + timedelta(minutes=5)  # within the 15-minute lead time
    due = await _ticket(client, tenant.headers, agent["id"], soon, "Call the shop back")
    await _ticket(client, tenant.headers, agent["id"], soon + timedelta(hours=3), "Not yet")
    await _ticket(client, tenant.headers, None, soon, "Nobody's")  # no assignee: no reminder
    theirs, _ = await _agent(client, other_tenant)
    other_due = await _ticket(client, other_tenant.headers, theirs["id"], soon, "B's ticket")
    token = headers["Authorization"].removeprefix("Bearer ")

    async with connect(f"{server}/api/v1/cti/ws?token={token}") as ws:
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
        with worker(interval=2):  # the first tick runs at start
            seen = await _socket_until(ws, "ticket_reminder", wait=30)
            await asyncio.sleep(6)  # three more periods: still one reminder
            seen += await _socket_until(ws, "ticket_reminder", wait=1)
    on_socket = [m for m in seen if m["type"] == "ticket_reminder"]
    assert len(on_socket) == 1, seen
    assert on_socket[0]["ticketId"] == due and on_socket[0]["subject"] == "Call the shop back"
    assert datetime.fromisoformat(on_socket[0]["dueAt"]) == soon
    [event] = await _reminders(tenant.tenant_id)
    assert (event["ticketId"], event["agentId"]) == (due, agent["id"])
    [their_event] = await _reminders(other_tenant.tenant_id)  # their own, on their own stream
    assert their_event["ticketId"] == other_due

    detail = (await client.get(f"/api/v1/tickets/{due}", headers=headers)).json()
    assert [e["kind"] for e in detail["history"]][-1] == "reminder"
    async with tenant_session(tenant.tenant_id) as session:
        keys = list(
            await session.scalars(
                select(JobRun.key).where(
                    JobRun.tenant_id == tenant.tenant_id,
                    JobRun.key.startswith(f"{REMINDER_KEY}:"),
                )
            )
        )
    assert len(keys) == 1  # sent only while a ticket was coming due


async def test_once_per_period_and_a_new_due_time_rearms(client, tenant):
    agent, _ = await _agent(client, tenant)
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    key = period_key(now, 60)
    assert not await schedule(tenant.tenant_id, now, key, prune=True)  # nothing due
    due = now.replace(second=0) + timedelta(minutes=10)
    tid = await _ticket(client, tenant.headers, agent["id"], due, "Send the quote")
    assert await schedule(tenant.tenant_id, now, key, prune=False)  # sent for this minute
    assert not await schedule(tenant.tenant_id, now, key, prune=False)  # not twice
    next_minute = now + timedelta(minutes=1)
    assert await schedule(tenant.tenant_id, next_minute, period_key(next_minute, 60), False)

    assert await send_ticket_reminders(tenant.tenant_id, now) == 1
    assert await send_ticket_reminders(tenant.tenant_id, now) == 0  # once
    later_minute = now + timedelta(minutes=2)  # reminded: nothing more to send
    assert not await schedule(tenant.tenant_id, later_minute, period_key(later_minute, 60), False)
    # A later due time re-arms it; resolving the ticket disarms it.
    later = (due + timedelta(days=1)).isoformat()
    r = await client.patch(f"/api/v1/tickets/{tid}", headers=tenant.headers, json={"dueAt": later})
    assert r.status_code == 200, r.text
    assert await send_ticket_reminders(tenant.tenant_id, due + timedelta(days=1)) == 1
    await client.patch(
        f"/api/v1/tickets/{tid}", headers=tenant.headers, json={"dueAt": due.isoformat()}
    )
    r = await client.post(
        f"/api/v1/tickets/{tid}/status", headers=tenant.headers, json={"status": "resolved"}
    )
    assert r.status_code == 200
    assert await send_ticket_reminders(tenant.tenant_id, due + timedelta(days=2)) == 0
    [first, second] = [e for e in await _reminders(tenant.tenant_id) if e["ticketId"] == tid]
    assert first["agentId"] == second["agentId"] == agent["id"]
