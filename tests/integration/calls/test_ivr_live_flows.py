"""Published IVR flows run live: a SIPp caller whose RTP peer presses RFC 4733 keys, our B2BUA,
a real rtpengine playing TTS prompts, and SIPp seats (IVR-2, IVR-3, EDGE-2, TEN-6, TEN-7)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.live import call_key_name
from app.db.session import tenant_session
from app.ivr_builder.models import SurveyAnswer
from app.ivr_builder.simulator import ALLOW_PRIVATE_ENV
from app.lib.events import read_events
from app.lib.redis import get_redis
from tests.integration.calls.conftest import Line
from tests.integration.calls.ivr_live_helpers import (
    Customer,
    menu,
    node,
    publish_flow,
    wait_collect,
    wait_for,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, seat_scenario, uas_args
from tests.integration.media.media_rtp_peer import RtpPeer

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("IVR-2"),
    pytest.mark.feature("IVR-3"),
    pytest.mark.feature("EDGE-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


def recording(b2bua: B2bua, key: str) -> bool:
    runner = b2bua.ivr.runners.get(key)
    return runner is not None and runner.recording_since is not None


async def ivr_path(line: Line, key: str) -> list[list[str]]:
    """The path the screen pop shows, as [node, exit] pairs."""
    raw = await get_redis().hget(call_key_name(line.tenant.tenant_id, key), "ivrPath")
    return [[step["node"], step["exit"]] for step in json.loads(raw or "[]")]


async def test_menus_two_levels_with_a_timeout_retry_then_transfer_to_a_seat(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, seat_port: int, workdir: Path,
    ended: list[CallSession],
) -> None:  # fmt: skip
    await publish_flow(client, line, {"start": "m1", "nodes": [
        menu("m1", "Sales, press one.", {"1": "m2", "max_retries": "bye"},
             timeoutSeconds=1, maxRetries=2),
        menu("m2", "Orders, press two.", {"2": "x", "max_retries": "bye"}, timeoutSeconds=3),
        node("x", "transfer", {"failed": "bye"}, kind="extension", target="101"),
        node("bye", "hang_up"),
    ]})  # fmt: skip
    agent = await RtpPeer.open()
    seat = await Sipp(workdir, "seat", seat_scenario(media_port=agent.port, hangs_up_after_ms=800),
                      uas_args(seat_port)).start()  # fmt: skip
    customer = Customer(b2bua, line, workdir, "customer", "+8613800138001")
    try:
        await asyncio.sleep(0.2)
        await customer.call()
        key = customer.key
        await wait_collect(b2bua, key, 1)
        await wait_collect(b2bua, key, 2)  # said nothing: the menu is played again
        await customer.press("1")
        await wait_collect(b2bua, key, 3)
        heard_in_menus = customer.heard()
        await customer.press("2")
        await wait_for(lambda: bool(ended), limit=15)
        await customer.finish()
        assert (await seat.wait()).returncode == 0
    finally:
        await customer.stop()
        await seat.stop()
        agent.close()
    call = ended[0].call
    assert heard_in_menus >= 50, "the menus' TTS prompts reached the caller"
    assert await ivr_path(line, key) == [["m1", "retry:timeout"], ["m1", "1"], ["m2", "2"],
                                         ["x", ""]]  # fmt: skip
    assert (call.extension, call.dtmf) == ("101", "12")
    assert call.bridged_at is not None and call.hangup_side == "agent"
    events = [f for _, f in await read_events(get_redis(), line.tenant.tenant_id, "0")]
    steps = [(e["node"], e["exit"]) for e in events if e["type"] == "ivr.step"]
    assert steps == [("m1", "retry:timeout"), ("m1", "1"), ("m2", "2"), ("x", "")]
    states = [e["state"] for e in events if e["type"] == "call.state"]
    assert states == ["ivr", "ringing", "bridged", "ended"]


async def calendar(client: httpx.AsyncClient, line: Line) -> str:
    weekdays = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)]
    r = await client.post("/api/v1/calendars/", headers=line.tenant.headers, json={
        "name": "office", "timezone": "Asia/Shanghai", "weeklyHours": weekdays})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.feature("TEN-6")
async def test_open_and_closed_branches_follow_the_calendar_at_call_time(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, workdir: Path,
    ended: list[CallSession],
) -> None:  # fmt: skip
    calendar_id = await calendar(client, line)
    await publish_flow(client, line, {"start": "t", "nodes": [
        node("t", "time_branch", {"open": "o", "closed": "c"}, calendarId=calendar_id),
        node("o", "say_text", {"next": "bye"}, text="Open.", voice="en"),
        node("c", "say_text", {"next": "bye"}, text="Closed.", voice="en"),
        node("bye", "hang_up", reason="done"),
    ]})  # fmt: skip
    wednesday_10h = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    sunday_10h = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    paths = []
    try:
        for at in (wednesday_10h, sunday_10h):
            b2bua.ivr.clock = lambda at=at: at  # type: ignore[misc]
            customer = Customer(b2bua, line, workdir, f"customer-{at.day}", "+8613800138002")
            try:
                await customer.call()
                key = customer.key
                await customer.finish()
            finally:
                await customer.stop()
            assert customer.heard() >= 10, "the branch's announcement was played"
            paths.append(await ivr_path(line, key))
    finally:
        b2bua.ivr.clock = lambda: datetime.now(UTC)
    assert paths[0][:2] == [["t", "open"], ["o", "next"]]
    assert paths[1][:2] == [["t", "closed"], ["c", "next"]]
    await wait_for(lambda: len(ended) == 2)  # SIPp exits on our BYE, before the CDR is saved
    assert [s.call.hangup_cause for s in ended] == ["ivr: done", "ivr: done"]


@pytest.mark.feature("TEN-7")
async def test_a_black_listed_caller_is_declined_without_being_answered(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, workdir: Path,
    ended: list[CallSession],
) -> None:  # fmt: skip
    r = await client.post("/api/v1/caller-lists/", headers=line.tenant.headers,
                          json={"listKind": "black", "number": "+8613800138666"})  # fmt: skip
    assert r.status_code == 201, r.text
    await publish_flow(client, line, {"start": "b", "nodes": [
        node("b", "caller_list_branch", {"white": "x", "none": "x"}, blackAction="reject"),
        node("x", "transfer", {"failed": "bye"}, kind="extension", target="101"),
        node("bye", "hang_up"),
    ]})  # fmt: skip
    customer = Customer(b2bua, line, workdir, "blocked", "+8613800138666", ended)
    try:
        await customer.call(expect=603)  # SIPp checks the 603 Decline and ACKs it
        await customer.finish(limit=10)
    finally:
        await customer.stop()
    await wait_for(lambda: bool(ended))
    call = ended[0].call
    assert call.hangup_cause == "ivr: caller is black-listed"
    assert call.answered_at is None, "never answered, so never billed"
    assert [leg.role for leg in call.legs] == ["customer"], "no seat was rung"
    assert call.bridged_at is None


async def crm_server(requests: list[str]) -> asyncio.Server:
    """A tiny HTTP/1.1 service standing for a tenant's CRM: one JSON answer per request."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        requests.append(head.split(b"\r\n", 1)[0].decode())
        body = json.dumps({"customer": {"tier": "gold"}}).encode()
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        writer.write(answer + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_http_lookup_then_survey_answer_stored_then_voicemail_recorded_and_listed(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, workdir: Path,
    ended: list[CallSession], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")  # the test's CRM is on loopback
    requests: list[str] = []
    crm = await crm_server(requests)
    crm_port = crm.sockets[0].getsockname()[1]
    r = await client.post("/api/v1/voicemail/boxes", headers=line.tenant.headers,
                          json={"name": "sales"})  # fmt: skip
    assert r.status_code == 201, r.text
    await publish_flow(client, line, {"start": "h", "nodes": [
        node("h", "http_lookup", {"ok": "s", "error": "s"},
             url=f"http://127.0.0.1:{crm_port}/caller", variables=["caller_number"],
             assign={"tier": "customer.tier"}, timeoutSeconds=2),
        node("s", "survey_question", {"next": "v"}, question="satisfaction",
             text="Rate us.", voice="en", timeoutSeconds=3),
        node("v", "voicemail", mailbox="sales", text="Message.", voice="en"),
    ]})  # fmt: skip
    customer = Customer(b2bua, line, workdir, "survey", "+8613800138003")
    try:
        await customer.call()
        key = customer.key
        await wait_collect(b2bua, key, 1)
        await customer.press("4")
        # After the prompt and the beep, speak for 1.5 s and finish with '#'.
        await wait_for(lambda: recording(b2bua, key), limit=10)  # after the prompt and beep
        assert customer.peer is not None
        await customer.peer.send_tone(700, 1.5)
        await customer.press("#")
        await customer.finish(limit=10)
    finally:
        await customer.stop()
        crm.close()
    await wait_for(lambda: bool(ended), limit=10)
    assert requests == ["GET /caller?caller_number=%2B8613800138003 HTTP/1.1"]
    raw = await get_redis().hget(call_key_name(line.tenant.tenant_id, key), "ivrVars")
    variables = json.loads(raw or "{}")
    assert (variables["tier"], variables["survey.satisfaction"]) == ("gold", "4")
    async with tenant_session(line.tenant.tenant_id) as db:
        answers = list(await db.scalars(select(SurveyAnswer)))
    assert [(a.call_key, a.question, a.answer, a.score) for a in answers] == [
        (key, "satisfaction", "4", 4)]  # fmt: skip

    async def listed() -> list[dict[str, object]]:
        r = await client.get("/api/v1/voicemail/messages", headers=line.tenant.headers)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    messages: list[dict[str, object]] = []
    for _ in range(50):
        messages = await listed()
        if messages:
            break
        await asyncio.sleep(0.1)
    assert len(messages) == 1
    message = messages[0]
    assert message["callerNumber"] == "+8613800138003"
    assert 1.0 <= float(str(message["durationSeconds"])) <= 6.0
    assert ended[0].call.hangup_cause == "voicemail"
