"""REC-5: call search on any combination of fields, call detail, Excel export in a worker;
DIAL-6 masking for QA and agents; tenant isolation."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.db.session import tenant_session
from app.dialer.leads import start_attempt
from app.dialer.models import Lead
from tests.fixtures.app import TenantCtx, add_user, login
from tests.integration.dialer.conftest import import_now, make_campaign
from tests.integration.recordings.seed import seed_call, seed_queue, seed_recording

DAY1 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DAY2 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


async def as_role(client: httpx.AsyncClient, t: TenantCtx, role: str) -> tuple[dict[str, str], str]:
    user = await add_user(client, t, role)
    token = (await login(client, t.slug, user["email"])).json()["token"]
    return {"Authorization": f"Bearer {token}"}, user["id"]


async def seed_calls(client: httpx.AsyncClient, t: TenantCtx) -> dict[str, Any]:
    """c1 inbound, agent A, queue Q, talk 60 s, recorded; c2 outbound, agent B, talk 10 s,
    disposition `sale`; c3 inbound to Q, abandoned."""
    _, agent_a = await as_role(client, t, "agent")
    _, agent_b = await as_role(client, t, "agent")
    queue = await seed_queue(t.tenant_id, "Sales line")
    c1, key1 = await seed_call(
        t.tenant_id, DAY1, from_number="13800138001", agent_user_id=UUID(agent_a),
        extension="201", queue_id=queue, queued_after=1, bridged_after=5, ended_after=65,
        legs=[{"role": "customer", "from": "sip:13800138001@carrier", "to": "sip:1000@t"},
              {"role": "agent", "from": "sip:1000@t", "to": "sip:201@t"}],
    )  # fmt: skip
    c2, key2 = await seed_call(
        t.tenant_id, DAY2, direction="outbound", from_number="+861000",
        to_number="13900139002", agent_user_id=UUID(agent_b), extension="202",
        bridged_after=2, ended_after=12, hangup_side="agent",
    )  # fmt: skip
    c3, _ = await seed_call(
        t.tenant_id, DAY2, from_number="13800138003", queue_id=queue, queued_after=1,
        ended_after=31,
    )  # fmt: skip
    recording = await seed_recording(t.tenant_id, key1, seconds=2.0)
    campaign = await make_campaign(client, t)
    await import_now(client, t, campaign["id"], "Phone,Name\n13900139002,Zhang\n")
    async with tenant_session(t.tenant_id) as session:
        lead = (await session.scalars(select(Lead).where(Lead.tenant_id == t.tenant_id))).one()
        attempt = await start_attempt(session, lead, DAY2, call_key=key2)
        attempt.disposition = "sale"
    return {"c1": str(c1), "c2": str(c2), "c3": str(c3), "queue": str(queue),
            "agentA": agent_a, "agentB": agent_b, "recording": str(recording)}  # fmt: skip


async def ids(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    r = await client.get("/api/v1/calls/search", headers=headers, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return {item["id"] for item in body["items"]}


@pytest.mark.feature("REC-5")
async def test_call_search_on_any_combination_of_fields(
    client: httpx.AsyncClient, tenant: TenantCtx, other_tenant: TenantCtx
) -> None:
    s = await seed_calls(client, tenant)
    await seed_call(other_tenant.tenant_id, DAY1, from_number="13800138001")
    h = tenant.headers
    c1, c2, c3 = s["c1"], s["c2"], s["c3"]
    assert await ids(client, h) == {c1, c2, c3}
    assert await ids(client, h, number="138 0013 8001") == {c1}
    assert await ids(client, h, number="+8613900139002") == {c2}
    assert await ids(client, h, direction="outbound") == {c2}
    assert await ids(client, h, minDuration=30) == {c1}
    assert await ids(client, h, minDuration=5) == {c1, c2}
    assert await ids(client, h, queueId=s["queue"]) == {c1, c3}
    assert await ids(client, h, hasRecording="true") == {c1}
    assert await ids(client, h, hasRecording="false") == {c2, c3}
    assert await ids(client, h, agentId=s["agentB"]) == {c2}
    assert await ids(client, h, extension="201") == {c1}
    assert await ids(client, h, disposition="sale") == {c2}
    assert await ids(client, h, disposition="no_sale") == set()
    day2 = {"since": DAY2.isoformat(), "until": "2026-03-04T00:00:00Z"}
    assert await ids(client, h, **day2) == {c2, c3}
    both = {"direction": "inbound", "queueId": s["queue"], "minDuration": 30}
    assert await ids(client, h, **both) == {c1}
    assert await ids(client, h, **both, **day2) == set()
    r = await client.get("/api/v1/calls/search", headers=h, params={"number": "13800138001"})
    [row] = r.json()["items"]
    assert row["fromNumber"] == "+8613800138001", "admins see E.164"
    assert (row["talkSeconds"], row["queueName"], row["extension"]) == (60.0, "Sales line", "201")
    assert row["recording"]["id"] == s["recording"] and row["recording"]["listened"] is False
    r = await client.get("/api/v1/calls/search", headers=h, params={"disposition": "sale"})
    assert r.json()["items"][0]["disposition"] == "sale"
    # The other tenant sees only its own call, and none of ours by id.
    assert len(await ids(client, other_tenant.headers)) == 1
    assert await ids(client, other_tenant.headers, queueId=s["queue"]) == set()
    r = await client.get(f"/api/v1/calls/{c1}", headers=other_tenant.headers)
    assert r.status_code == 404
    backwards = {"until": "2026-01-01T00:00:00Z", "since": "2026-02-01T00:00:00Z"}
    r = await client.get("/api/v1/calls/search", headers=h, params=backwards)
    assert r.status_code == 400


@pytest.mark.feature("REC-5")
@pytest.mark.feature("DIAL-6")
async def test_call_detail_legs_recording_and_masking(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    s = await seed_calls(client, tenant)
    r = await client.get(f"/api/v1/calls/{s['c1']}", headers=tenant.headers)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert [leg["role"] for leg in detail["legs"]] == ["customer", "agent"]
    assert detail["legs"][0]["from"] == "sip:13800138001@carrier"
    assert detail["waitSeconds"] == 4.0 and detail["durationSeconds"] == 65.0
    assert detail["recording"]["audioUrl"] == f"/api/v1/recordings/{s['recording']}/audio"
    qa, _ = await as_role(client, tenant, "qa")
    masked = (await client.get(f"/api/v1/calls/{s['c1']}", headers=qa)).json()
    assert masked["fromNumber"] == "138****8001"
    assert "13800138001" not in str(masked), "no leg leaks the number to QA"
    r = await client.get("/api/v1/calls/search", headers=qa, params={"direction": "outbound"})
    assert r.json()["items"][0]["toNumber"] == "139****9002"
    agent, _ = await as_role(client, tenant, "agent")
    assert (await client.get("/api/v1/calls/search", headers=agent)).status_code == 403
    assert (await client.get(f"/api/v1/calls/{s['c1']}", headers=agent)).status_code == 403
    r = await client.get(f"/api/v1/calls/{uuid.uuid4()}", headers=tenant.headers)
    assert r.status_code == 404


@pytest.mark.feature("DIAL-6")
async def test_who_sees_numbers_masked_searches_only_their_visible_end(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    """QA sees `138****8001`: it finds calls by those last digits, but a full number (or
    hidden middle digits) would confirm a guess of the real number, so it is refused."""
    s = await seed_calls(client, tenant)
    qa, _ = await as_role(client, tenant, "qa")
    assert await ids(client, qa, number="8001") == {s["c1"]}
    assert await ids(client, qa, number="0013") == set(), "hidden middle digits match nothing"
    for guess in ("13800138001", "+8613800138001", "38001"):
        r = await client.get("/api/v1/calls/search", headers=qa, params={"number": guess})
        assert r.status_code == 403, guess
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "last 4 digits" in r.json()["detail"]
    r = await client.post("/api/v1/calls/exports", headers=qa, json={"number": "13800138001"})
    assert r.status_code == 403
    # Admins still search any part of a number.
    assert await ids(client, tenant.headers, number="0138001") == {s["c1"]}


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


async def wait_export(client: httpx.AsyncClient, headers: dict[str, str], path: str) -> Any:
    status: Any = None
    for _ in range(600):
        status = (await client.get(path, headers=headers)).json()
        if status.get("status") == "done":
            return status
        await asyncio.sleep(0.1)
    raise AssertionError(f"export not done: {status}")


def sheet_rows(data: bytes) -> list[tuple[Any, ...]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [tuple(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


@pytest.mark.feature("REC-5")
async def test_call_search_exports_to_excel_in_a_worker(
    client: httpx.AsyncClient, tenant: TenantCtx, worker_process: subprocess.Popen[bytes]
) -> None:
    await seed_calls(client, tenant)
    r = await client.post(
        "/api/v1/calls/exports", headers=tenant.headers, json={"direction": "inbound"}
    )
    assert r.status_code == 202, r.text
    key = r.json()["key"]
    status = await wait_export(client, tenant.headers, f"/api/v1/calls/exports/{key}")
    assert status["rows"] == 2 and status["fileUrl"] == f"/api/v1/calls/exports/{key}/file"
    f = await client.get(status["fileUrl"], headers=tenant.headers)
    assert f.status_code == 200
    assert f.headers["content-type"].startswith("application/vnd.openxmlformats")
    header, *rows = sheet_rows(f.content)
    assert header[:4] == ("Arrived (UTC)", "Direction", "From", "To")
    assert sorted(row[2] for row in rows) == ["+8613800138001", "+8613800138003"]
    assert {row[6] for row in rows} == {"Sales line"}
    # QA's export is masked, in Chinese; the admin's job is not QA's to fetch.
    qa, _ = await as_role(client, tenant, "qa")
    assert (await client.get(f"/api/v1/calls/exports/{key}", headers=qa)).status_code == 404
    assert (await client.get(status["fileUrl"], headers=qa)).status_code == 404
    r = await client.post(
        "/api/v1/calls/exports", headers=qa, params={"lang": "zh-CN"}, json={"direction": "inbound"}
    )
    qa_status = await wait_export(client, qa, f"/api/v1/calls/exports/{r.json()['key']}")
    header, *rows = sheet_rows((await client.get(qa_status["fileUrl"], headers=qa)).content)
    assert header[2] == "主叫"
    assert sorted(row[2] for row in rows) == ["138****8001", "138****8003"]
