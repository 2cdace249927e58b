"""CRM-5 tickets through the API: open, search, the status workflow (refused moves as
problem+json), assignment, the append-only history, the closed-loop reply and the callback
(the number only reaches callcontrol's command list), masking for agents and QA (DIAL-6), and
tenant isolation. Real Postgres (RLS) and Redis."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.callcontrol.live import call_key_name
from app.calls.services import commands_list, save_call_record
from app.db.session import tenant_session
from app.lib.events import read_events
from app.lib.redis import get_redis
from tests.fixtures.app import TenantCtx, add_user, login
from tests.integration.dialer.conftest import (  # noqa: F401  (worker_process: a fixture)
    agent_with_extension,
    import_now,
    make_campaign,
    worker_process,
)
from tests.integration.recordings.test_calls_search import sheet_rows, wait_export

pytestmark = pytest.mark.feature("CRM-5")

PROBLEM = "application/problem+json"


async def _headers(client: httpx.AsyncClient, t: TenantCtx, role: str) -> tuple[str, dict]:
    user = await add_user(client, t, role)
    token = (await login(client, t.slug, user["email"])).json()["token"]
    return user["id"], {"Authorization": f"Bearer {token}"}


async def _open(client: httpx.AsyncClient, headers: dict, **body: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/tickets/", headers=headers, json={"subject": "S"} | body)
    assert r.status_code == 201, r.text
    return r.json()


async def _status(client, headers, ticket_id, status, note="") -> httpx.Response:
    return await client.post(
        f"/api/v1/tickets/{ticket_id}/status",
        headers=headers,
        json={"status": status, "note": note},
    )


async def test_open_search_and_work_a_ticket_through_its_workflow(client, tenant):
    agent_id, agent = await _headers(client, tenant, "agent")
    due = datetime.now(UTC) + timedelta(days=1)
    created = await _open(
        client,
        agent,
        type="complaint",
        subject="Router still broken",
        description="Second call about it",
        phone="138 0013 8000",
        priority="high",
        dueAt=due.isoformat(),
    )
    assert created["status"] == "open" and created["colour"] == "blue"
    assert created["phone"] == "+8613800138000" and not created["phoneHidden"]
    assert created["nextStatuses"] == ["in_progress", "waiting_customer", "resolved", "closed"]
    assert created["type"] == "complaint" and created["priority"] == "high"
    assert created["createdByName"] == "Agent" and not created["replied"]
    await _open(client, agent, type="suggestion", subject="Longer opening hours")
    tid = created["id"]

    # Search: by status, type, phone digits, subject, mine/assignee.
    def subjects(r: httpx.Response) -> list[str]:
        assert r.status_code == 200, r.text
        return [x["subject"] for x in r.json()["items"]]

    get = lambda **q: client.get("/api/v1/tickets/", headers=tenant.headers, params=q)  # noqa: E731
    assert subjects(await get(type="complaint")) == ["Router still broken"]
    assert subjects(await get(phone="0013800")) == ["Router still broken"]
    assert subjects(await get(q="opening")) == ["Longer opening hours"]
    assert len(subjects(await get(status=["open"]))) == 2
    assert subjects(await get(status=["closed"])) == []

    # The admin assigns it to the agent; the agent takes it on and waits for the customer.
    r = await client.post(
        f"/api/v1/tickets/{tid}/assign", headers=tenant.headers, json={"assigneeId": agent_id}
    )
    assert r.status_code == 200 and r.json()["assigneeName"] == "Agent"
    assert subjects(await client.get("/api/v1/tickets/?mine=true", headers=agent)) == [
        "Router still broken"
    ]
    assert subjects(await get(assigneeId=agent_id)) == ["Router still broken"]
    r = await _status(client, agent, tid, "in_progress")
    assert r.json()["colour"] == "orange" and r.json()["status"] == "in_progress"
    r = await _status(client, agent, tid, "waiting_customer", "Asked for the serial number")
    assert r.json()["colour"] == "violet"
    r = await client.post(
        f"/api/v1/tickets/{tid}/comments", headers=agent, json={"text": "Serial is AB-12"}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/v1/tickets/{tid}/replies",
        headers=agent,
        json={"channel": "phone", "text": "Technician booked for Friday"},
    )
    assert r.status_code == 201 and r.json()["replied"] is True
    r = await _status(client, agent, tid, "resolved")
    assert r.json()["colour"] == "green" and r.json()["resolvedAt"]
    r = await _status(client, tenant.headers, tid, "closed")
    assert r.json()["colour"] == "gray" and r.json()["nextStatuses"] == []

    # The history, oldest first: who did what, when.
    detail = (await client.get(f"/api/v1/tickets/{tid}", headers=tenant.headers)).json()
    kinds = [(e["kind"], e["old"], e["new"], e["text"], e["channel"]) for e in detail["history"]]
    assert kinds == [
        ("created", "", "open", "Router still broken", ""),
        ("due", "", due.isoformat(), "", ""),
        ("assigned", "", agent_id, "", ""),
        ("status", "open", "in_progress", "", ""),
        ("status", "in_progress", "waiting_customer", "Asked for the serial number", ""),
        ("comment", "", "", "Serial is AB-12", ""),
        ("reply", "", "", "Technician booked for Friday", "phone"),
        ("status", "waiting_customer", "resolved", "", ""),
        ("status", "resolved", "closed", "", ""),
    ]
    assert {e["actorName"] for e in detail["history"][3:8]} == {"Agent"}
    assert detail["history"][-1]["actorName"] == "Admin"
    assert all(e["at"] for e in detail["history"])

    # Closed is final: refused with the reason and the allowed moves, as problem+json.
    r = await _status(client, tenant.headers, tid, "open")
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == "invalid_transition" and body["allowed"] == []
    assert "closed cannot become open" in body["detail"]
    r = await client.post(
        f"/api/v1/tickets/{tid}/replies", headers=agent, json={"channel": "note", "text": "x"}
    )
    assert r.status_code == 409 and r.json()["code"] == "ticket_closed"


async def test_refused_moves_and_bad_input_are_problems_not_500s(client, tenant):
    t = await _open(client, tenant.headers, subject="Billing question")
    await _status(client, tenant.headers, t["id"], "waiting_customer")
    r = await _status(client, tenant.headers, t["id"], "open")  # waiting -> open: not allowed
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["allowed"] == ["in_progress", "resolved", "closed"]
    r = await _status(client, tenant.headers, t["id"], "deleted")
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)
    for bad in (
        {"subject": ""},
        {"subject": "x", "type": "praise"},
        {"subject": "x", "priority": "asap"},
        {"subject": "x", "dueAt": "2030-01-01T10:00:00"},  # no time zone
    ):
        r = await client.post("/api/v1/tickets/", headers=tenant.headers, json=bad)
        assert r.status_code == 400, (bad, r.text)
    r = await client.post(
        "/api/v1/tickets/", headers=tenant.headers, json={"subject": "x", "phone": "12ab"}
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_number"
    r = await client.post(
        "/api/v1/tickets/", headers=tenant.headers, json={"subject": "x", "callKey": "nope"}
    )
    assert r.status_code == 404 and r.json()["code"] == "no_such_call"
    r = await client.get(f"/api/v1/tickets/{uuid.uuid4()}", headers=tenant.headers)
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM)
    r = await client.post(
        f"/api/v1/tickets/{t['id']}/assign",
        headers=tenant.headers,
        json={"assigneeId": str(uuid.uuid4())},
    )
    assert r.status_code == 404 and r.json()["code"] == "no_such_user"


async def test_agents_take_tickets_but_only_supervisors_assign_others(client, tenant):
    agent_id, agent = await _headers(client, tenant, "agent")
    other_id, _ = await _headers(client, tenant, "agent")
    _, supervisor = await _headers(client, tenant, "supervisor")
    _, qa = await _headers(client, tenant, "qa")
    t = await _open(client, agent, subject="Refund")
    url = f"/api/v1/tickets/{t['id']}/assign"
    r = await client.post(url, headers=agent, json={"assigneeId": other_id})
    assert r.status_code == 403 and r.json()["code"] == "assign_forbidden"
    r = await client.post(url, headers=agent, json={"assigneeId": agent_id})
    assert r.status_code == 200 and r.json()["assigneeId"] == agent_id
    r = await client.post(url, headers=supervisor, json={"assigneeId": other_id})
    assert r.status_code == 200 and r.json()["assigneeId"] == other_id
    # QA reads tickets but does not work them.
    assert (await client.get(f"/api/v1/tickets/{t['id']}", headers=qa)).status_code == 200
    assert (await _status(client, qa, t["id"], "in_progress")).status_code == 403
    r = await client.post("/api/v1/tickets/", headers=qa, json={"subject": "x"})
    assert r.status_code == 403


async def test_history_is_append_only_for_the_app(client, tenant):
    t = await _open(client, tenant.headers, subject="Keep me")
    async with tenant_session(tenant.tenant_id) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE ticket_event SET text = 'rewritten'"))
    async with tenant_session(tenant.tenant_id) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("DELETE FROM ticket_event"))
    detail = (await client.get(f"/api/v1/tickets/{t['id']}", headers=tenant.headers)).json()
    assert [e["text"] for e in detail["history"]] == ["Keep me"]


async def test_tenant_b_cannot_see_or_touch_tenant_a_tickets(client, tenant, other_tenant):
    t = await _open(client, tenant.headers, subject="A's customer", phone="+8613900139000")
    tid = t["id"]
    theirs = other_tenant.headers
    assert (await client.get(f"/api/v1/tickets/{tid}", headers=theirs)).status_code == 404
    listed = (await client.get("/api/v1/tickets/", headers=theirs)).json()
    assert listed["total"] == 0 and listed["items"] == []
    r = await client.get("/api/v1/tickets/", headers=theirs, params={"phone": "13900139000"})
    assert r.json()["items"] == []
    for path, body in (
        ("status", {"status": "closed"}),
        ("comments", {"text": "hi"}),
        ("replies", {"channel": "note", "text": "hi"}),
        ("assign", {"assigneeId": None}),
        ("callback", {}),
    ):
        r = await client.post(f"/api/v1/tickets/{tid}/{path}", headers=theirs, json=body)
        assert r.status_code == 404, (path, r.text)
    r = await client.patch(f"/api/v1/tickets/{tid}", headers=theirs, json={"subject": "mine"})
    assert r.status_code == 404
    # Nor assign their ticket to A's users.
    mine = await _open(client, theirs, subject="B's own")
    a_user = await add_user(client, tenant, "agent")
    r = await client.post(
        f"/api/v1/tickets/{mine['id']}/assign", headers=theirs, json={"assigneeId": a_user["id"]}
    )
    assert r.status_code == 404
    # Row-level security, not only the API: B's session sees no row of A's.
    async with tenant_session(other_tenant.tenant_id) as session:
        rows = (await session.execute(text("SELECT subject FROM ticket"))).scalars().all()
        events = (await session.execute(text("SELECT count(*) FROM ticket_event"))).scalar()
    assert rows == ["B's own"] and events == 1
    after = (await client.get(f"/api/v1/tickets/{tid}", headers=tenant.headers)).json()
    assert after["ticket"]["subject"] == "A's customer" and len(after["history"]) == 1


async def _campaign_call(client, tenant: TenantCtx, agent_id: str) -> str:
    """A campaign call the dialer connected to the agent: the live call hash as the dialer
    runtime writes it (masked `to`, the lead's id)."""
    c = await make_campaign(client, tenant, agentIds=[agent_id])
    await import_now(client, tenant, c["id"], "Phone,Name\n13800138000,Customer A\n")
    r = await client.get(f"/api/v1/dialer/campaigns/{c['id']}/leads", headers=tenant.headers)
    lead_id = r.json()["items"][0]["id"]
    key = uuid.uuid4().hex
    await get_redis().hset(  # type: ignore[misc]
        call_key_name(tenant.tenant_id, key),
        mapping={
            "key": key,
            "direction": "outbound",
            "from": "+861080000000",
            "to": "138****8000",
            "leadId": lead_id,
            "campaignId": c["id"],
        },
    )
    return key


async def test_masked_call_numbers_stay_masked_for_agents_and_qa(client, tenant):
    agent, agent_headers = await agent_with_extension(client, tenant, "821")
    _, qa = await _headers(client, tenant, "qa")
    key = await _campaign_call(client, tenant, agent["id"])

    # The screen pop: the caller's open tickets and the masked number, before any ticket.
    r = await client.get(f"/api/v1/tickets/for-call/{key}", headers=agent_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"callKey": key, "phone": "138****8000", "phoneHidden": True, "open": []}

    # The agent opens a ticket from the call: the server takes the number from the lead, and
    # a number typed alongside cannot replace it.
    t = await _open(
        client, agent_headers, subject="Wants a callback", callKey=key, phone="+8613100000000"
    )
    assert (t["phone"], t["phoneHidden"], t["callKey"]) == ("138****8000", True, key)
    admin_view = (await client.get(f"/api/v1/tickets/{t['id']}", headers=tenant.headers)).json()
    assert admin_view["ticket"]["phone"] == "+8613800138000"
    qa_view = (await client.get(f"/api/v1/tickets/{t['id']}", headers=qa)).json()
    assert qa_view["ticket"]["phone"] == "138****8000"

    # Everything an agent can read about it is masked.
    for url in (
        f"/api/v1/tickets/{t['id']}",
        "/api/v1/tickets/",
        f"/api/v1/tickets/for-call/{key}",
        f"/api/v1/tickets/?callKey={key}",
    ):
        r = await client.get(url, headers=agent_headers)
        assert r.status_code == 200 and "13800138000" not in r.text, url
        assert "138****8000" in r.text, url
    r = await client.get(f"/api/v1/tickets/for-call/{key}", headers=agent_headers)
    assert [x["id"] for x in r.json()["open"]] == [t["id"]]
    # Typing the real number finds nothing for an agent (no confirming a hidden number); the
    # admin finds it.
    r = await client.get("/api/v1/tickets/", headers=agent_headers, params={"phone": "13800138000"})
    assert r.json()["items"] == []
    r = await client.get(
        "/api/v1/tickets/", headers=tenant.headers, params={"phone": "13800138000"}
    )
    assert [x["id"] for x in r.json()["items"]] == [t["id"]]

    # Events on the shared stream carry no number.
    events = await read_events(get_redis(), tenant.tenant_id, "0", count=10_000)
    mine = [f for _, f in events if f["type"].startswith("crm.ticket.")]
    assert mine and all("13800138000" not in json.dumps(f) for f in mine)

    # Call back: 202, the agent's extension rings first; the real number only in
    # callcontrol's command list, the seat's phone shows it masked.
    await get_redis().delete(commands_list(tenant.tenant_id))
    r = await client.post(f"/api/v1/tickets/{t['id']}/callback", headers=agent_headers, json={})
    assert r.status_code == 202, r.text
    assert (r.json()["extension"], r.json()["phone"]) == ("821", "138****8000")
    assert "13800138000" not in r.text
    [raw] = await get_redis().lrange(commands_list(tenant.tenant_id), 0, -1)  # type: ignore[misc]
    command = json.loads(raw)
    assert command["name"] == "click_to_call" and command["id"] == r.json()["commandId"]
    assert command["args"]["number"] == "+8613800138000"
    assert command["args"]["shown"] == "138****8000" and command["args"]["extension"] == "821"
    events = await read_events(get_redis(), tenant.tenant_id, "0", count=10_000)
    [c2c] = [f for _, f in events if f["type"] == "call.click_to_call"]
    assert c2c["number"] == "138****8000" and c2c["agent"] == agent["id"]
    detail = (await client.get(f"/api/v1/tickets/{t['id']}", headers=agent_headers)).json()
    assert detail["history"][-1]["kind"] == "callback" and detail["history"][-1]["new"] == "821"
    # Another agent's extension is not theirs to ring.
    await agent_with_extension(client, tenant, "822")
    r = await client.post(
        f"/api/v1/tickets/{t['id']}/callback", headers=agent_headers, json={"extension": "822"}
    )
    assert r.status_code == 403
    await get_redis().delete(call_key_name(tenant.tenant_id, key), commands_list(tenant.tenant_id))


async def test_click_to_call_and_inbound_calls_from_their_records(client, tenant):
    agent, agent_headers = await agent_with_extension(client, tenant, "831")
    now = datetime.now(UTC)
    base = {"tenant_id": tenant.tenant_id, "arrived_at": now, "ended_at": now, "legs": []}
    outbound, inbound, internal = (uuid.uuid4().hex for _ in range(3))
    out_id = await save_call_record(
        base | {"call_key": outbound, "direction": "outbound", "from_number": "831",
                "to_number": "+8613700137000", "agent_user_id": UUID(agent["id"])}
    )  # fmt: skip
    await save_call_record(
        base | {"call_key": inbound, "direction": "inbound",
                "from_number": "+8613600136000", "to_number": "+861080000000"}
    )  # fmt: skip
    await save_call_record(
        base | {"call_key": internal, "direction": "internal", "from_number": "831",
                "to_number": "832"}
    )  # fmt: skip
    # A click-to-call: the agent's phone showed it masked, so the ticket hides it too.
    t = await _open(client, agent_headers, subject="After the call", callKey=outbound)
    assert (t["phone"], t["phoneHidden"], t["callRecordId"]) == ("137****7000", True, str(out_id))
    # An inbound caller's number was on the agent's screen pop already.
    t = await _open(client, agent_headers, subject="Caller asked", callKey=inbound)
    assert (t["phone"], t["phoneHidden"]) == ("+8613600136000", False)
    r = await client.get(f"/api/v1/tickets/for-call/{inbound}", headers=agent_headers)
    assert r.json()["phone"] == "+8613600136000" and len(r.json()["open"]) == 1
    # An internal call has no customer: the typed number is used.
    t = await _open(
        client, agent_headers, subject="Colleague", callKey=internal, phone="+8613500135000"
    )
    assert (t["phone"], t["phoneHidden"]) == ("+8613500135000", False)
    r = await client.get(f"/api/v1/tickets/for-call/{uuid.uuid4().hex}", headers=agent_headers)
    assert r.status_code == 404


async def test_workflow_lists_statuses_with_colours(client, tenant):
    r = await client.get("/api/v1/tickets/workflow", headers=tenant.headers)
    assert r.status_code == 200
    body = r.json()
    colours = {s["status"]: s["colour"] for s in body["statuses"]}
    assert colours == {
        "open": "blue",
        "in_progress": "orange",
        "waiting_customer": "violet",
        "resolved": "green",
        "closed": "gray",
    }
    assert body["types"] == ["consult", "complaint", "suggestion"]
    assert body["channels"] == ["phone", "note"]


async def test_patch_due_time_rearms_and_closed_tickets_are_frozen(client, tenant):
    t = await _open(client, tenant.headers, subject="Due soon")
    due = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    r = await client.patch(
        f"/api/v1/tickets/{t['id']}",
        headers=tenant.headers,
        json={"dueAt": due.isoformat(), "priority": "urgent", "subject": "Due very soon"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["subject"] == "Due very soon" and r.json()["priority"] == "urgent"
    assert datetime.fromisoformat(r.json()["dueAt"]) == due and not r.json()["overdue"]
    r = await client.patch(
        f"/api/v1/tickets/{t['id']}", headers=tenant.headers, json={"clearDue": True}
    )
    assert r.json()["dueAt"] is None
    await _status(client, tenant.headers, t["id"], "closed")
    r = await client.patch(
        f"/api/v1/tickets/{t['id']}", headers=tenant.headers, json={"subject": "x"}
    )
    assert r.status_code == 409 and r.json()["code"] == "ticket_closed"


async def test_export_the_search_to_excel_in_a_worker(
    client,
    tenant,
    other_tenant,
    worker_process: subprocess.Popen[bytes],  # noqa: F811
):
    agent, agent_headers = await agent_with_extension(client, tenant, "841")
    key = await _campaign_call(client, tenant, agent["id"])
    await _open(client, agent_headers, subject="From the campaign", callKey=key, type="complaint")
    await _open(client, tenant.headers, subject="Typed", phone="+8613600136000")
    body = {"type": "complaint"}
    r = await client.post("/api/v1/tickets/exports", headers=agent_headers, json=body)
    assert r.status_code == 202, r.text
    job = r.json()["key"]
    status = await wait_export(client, agent_headers, f"/api/v1/tickets/exports/{job}")
    assert status["rows"] == 1
    f = await client.get(status["fileUrl"], headers=agent_headers)
    header, *rows = sheet_rows(f.content)
    assert header[:7] == (
        "Ticket id", "Opened (UTC)", "Type", "Subject", "Status", "Priority", "Customer number",
    )  # fmt: skip
    assert [(r[2], r[3], r[4], r[6]) for r in rows] == [
        ("complaint", "From the campaign", "open", "138****8000")
    ]  # the agent's export keeps the number masked (DIAL-6)
    r = await client.post(
        "/api/v1/tickets/exports", headers=tenant.headers, params={"lang": "zh-CN"}, json={}
    )
    status = await wait_export(client, tenant.headers, f"/api/v1/tickets/exports/{r.json()['key']}")
    header, *rows = sheet_rows(
        (await client.get(status["fileUrl"], headers=tenant.headers)).content
    )
    assert header[3] == "主题" and sorted(r[6] for r in rows) == [
        "+8613600136000",
        "+8613800138000",
    ]
    # Another tenant cannot see the job.
    r = await client.get(f"/api/v1/tickets/exports/{job}", headers=other_tenant.headers)
    assert r.status_code == 404
    await get_redis().delete(call_key_name(tenant.tenant_id, key))
