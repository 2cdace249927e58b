"""Callers sent to a queue by the IVR reach agents through the ACD, live: ring timeout then the
next agent, hold music while waiting, a VIP served first (SEAT-3, SEAT-4, SEAT-5, EDGE-2)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.call import CallState
from app.lib.redis import get_redis
from app.seats.acd import Acd, AgentState
from tests.integration.calls.conftest import Line, free_udp_port, make_line
from tests.integration.calls.ivr_live_helpers import (
    Customer,
    node,
    publish_flow,
    seats_scenario,
    wait_for,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, uas_args
from tests.integration.media.media_rtp_peer import RtpPeer
from tests.integration.seats.acd_setup import AgentCtx, agent, business, queue

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("SEAT-3"),
    pytest.mark.feature("EDGE-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


async def sign_in(client: httpx.AsyncClient, who: AgentCtx, ready: bool = True) -> None:
    r = await client.post("/api/v1/cti/sign-in", headers=who.headers,
                          json={"ready": ready, "reason": "" if ready else "break"})  # fmt: skip
    assert r.status_code == 200, r.text


def recording(b2bua: B2bua, key: str) -> bool:
    runner = b2bua.ivr.runners.get(key)
    return runner is not None and runner.recording_since is not None


async def queue_flow(client: httpx.AsyncClient, line: Line, queue_id: str) -> None:
    await publish_flow(client, line, {"start": "b", "nodes": [
        node("b", "caller_list_branch", {"white": "q", "none": "q"}),
        node("q", "queue", {"overflow": "bye"}, queue=queue_id),
        node("bye", "hang_up", reason="overflow"),
    ]})  # fmt: skip


@pytest.mark.feature("SEAT-4")
async def test_first_agent_does_not_answer_so_the_second_agent_gets_the_call(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, seat_port: int, workdir: Path,
    ended: list[CallSession],
) -> None:  # fmt: skip
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "support", strategy="priority", ringTimeout=1.0,
                    announcePosition=False, announceWait=False)  # fmt: skip
    first = await agent(client, line.tenant, sales, [q["id"]])
    second = await agent(client, line.tenant, sales)
    r = await client.put(f"/api/v1/acd/agents/{second.profile_id}/queues",
                         headers=line.tenant.headers,
                         json=[{"queueId": q["id"], "priority": 5}])  # fmt: skip
    assert r.status_code == 200, r.text
    for who in (first, second):
        await sign_in(client, who)
    await queue_flow(client, line, q["id"])
    media = await RtpPeer.open()
    seats = await Sipp(workdir, "seats", seats_scenario(first.extension, media.port),
                       [*uas_args(seat_port), "-m", "2"]).start()  # fmt: skip
    customer = Customer(b2bua, line, workdir, "customer", "+8613800138100")
    try:
        await asyncio.sleep(0.2)
        await customer.call(talk_ms=3500)
        await customer.finish()
        assert (await seats.wait()).returncode == 0
    finally:
        await customer.stop()
        await seats.stop()
        media.close()
    await wait_for(lambda: bool(ended))
    call = ended[0].call
    agents = [leg for leg in call.legs if leg.role == "agent"]
    assert [leg.sip_status for leg in agents] == [487, 200], "CANCELled after 1 s, then answered"
    assert call.extension == second.extension
    assert call.agent_user_id == UUID(second.user_id)
    assert call.bridged_at is not None
    acd = Acd(get_redis(), line.tenant.tenant_id)
    assert (await acd.agent_status(second.user_id)).state is AgentState.AFTER_CALL_WORK
    assert (await acd.agent_status(first.user_id)).state is AgentState.NOT_READY


@pytest.mark.feature("SEAT-5")
@pytest.mark.feature("TEN-7")
async def test_hold_music_while_queued_and_a_vip_is_served_before_an_earlier_caller(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, seat_port: int, workdir: Path,
    ended: list[CallSession],
) -> None:  # fmt: skip
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "vip line", announcePosition=True,
                    announceWait=False)  # fmt: skip
    only = await agent(client, line.tenant, sales, [q["id"]])
    await sign_in(client, only, ready=False)
    r = await client.post("/api/v1/caller-lists/", headers=line.tenant.headers,
                          json={"listKind": "white", "number": "+8613800138888"})  # fmt: skip
    assert r.status_code == 201, r.text
    await queue_flow(client, line, q["id"])
    media = await RtpPeer.open()
    seats = await Sipp(workdir, "seat", seats_scenario(None, media.port),
                       uas_args(seat_port)).start()  # fmt: skip
    early = Customer(b2bua, line, workdir, "early", "+8613800138101")
    vip = Customer(b2bua, line, workdir, "vip", "+8613800138888")
    try:
        await early.call(talk_ms=6000)
        await wait_for(lambda: early.session is not None
                       and early.session.call.state is CallState.QUEUED)  # fmt: skip
        await vip.call(talk_ms=3000)
        assert vip.session is not None
        await wait_for(lambda: vip.session is not None
                       and vip.session.call.state is CallState.QUEUED)  # fmt: skip
        before = early.heard()
        await asyncio.sleep(1.0)
        on_hold = early.heard() - before
        r = await client.post("/api/v1/cti/ready", headers=only.headers)
        assert r.status_code == 200, r.text
        await wait_for(lambda: vip.session is not None
                       and vip.session.call.state is CallState.BRIDGED)  # fmt: skip
        assert early.session is not None and early.session.call.state is CallState.QUEUED
        acd = Acd(get_redis(), line.tenant.tenant_id)
        assert (await acd.position(early.key)).position == 1
        await asyncio.gather(early.finish(), vip.finish())
        assert (await seats.wait()).returncode == 0
    finally:
        await early.stop()
        await vip.stop()
        await seats.stop()
        media.close()
    assert on_hold >= 40, f"music on hold reached the waiting caller ({on_hold} packets in 1 s)"
    await wait_for(lambda: len(ended) == 2)
    by_caller = {s.call.from_number: s.call for s in ended}
    assert by_caller["+8613800138888"].extension == only.extension
    assert by_caller["+8613800138101"].bridged_at is None, "the earlier caller gave up waiting"
    assert (await acd.position(early.key)).state != "waiting"


@pytest.mark.feature("SEAT-4")
@pytest.mark.feature("SEAT-5")
async def test_max_wait_overflows_to_an_external_number_through_the_trunk(
    b2bua: B2bua, client: httpx.AsyncClient, workdir: Path, ended: list[CallSession],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    line = await make_line(client, host="127.0.0.1", port=trunk_port, caller_id="+861088880000")
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "after hours", maxWait=1.0,
                    overflowKind="external", overflowTarget="+8613911112222",
                    announcePosition=False, announceWait=False)  # fmt: skip
    nobody = await agent(client, line.tenant, sales, [q["id"]])
    await sign_in(client, nobody, ready=False)  # staffed, but on a break
    await queue_flow(client, line, q["id"])
    mobile = await RtpPeer.open()
    carrier = await Sipp(workdir, "carrier", seats_scenario(None, mobile.port),
                         uas_args(trunk_port)).start()  # fmt: skip
    customer = Customer(b2bua, line, workdir, "late", "+8613800138200")
    try:
        await asyncio.sleep(0.2)
        await customer.call(talk_ms=3500)
        await customer.finish()
        carried = await carrier.wait()
        assert carried.returncode == 0, carried.output
    finally:
        await customer.stop()
        await carrier.stop()
        mobile.close()
    await wait_for(lambda: bool(ended))
    call = ended[0].call
    assert [leg.role for leg in call.legs] == ["customer", "other"]
    assert call.legs[1].to_uri.startswith("sip:+8613911112222@127.0.0.1")
    assert call.bridged_at is not None and call.trunk_id is not None
    assert call.bridged_at - call.arrived_at >= timedelta(seconds=1), "after the max wait"


@pytest.mark.feature("SEAT-5")
async def test_max_wait_overflows_to_voicemail_and_the_message_is_listed(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, workdir: Path,
    ended: list[CallSession],
) -> None:  # fmt: skip
    r = await client.post("/api/v1/voicemail/boxes", headers=line.tenant.headers,
                          json={"name": "support"})  # fmt: skip
    assert r.status_code == 201, r.text
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "busy", maxWait=1.0, overflowKind="voicemail",
                    overflowTarget=r.json()["id"], announcePosition=False,
                    announceWait=False)  # fmt: skip
    nobody = await agent(client, line.tenant, sales, [q["id"]])
    await sign_in(client, nobody, ready=False)
    await queue_flow(client, line, q["id"])
    customer = Customer(b2bua, line, workdir, "message", "+8613800138300")
    try:
        await customer.call()  # waits, hears the beep, speaks, presses '#'
        assert customer.peer is not None
        await wait_for(lambda: customer.session is not None
                       and customer.session.call.state is CallState.QUEUED)  # fmt: skip
        # Max wait (1 s, then the timer's sweep), the beep, then the recording starts.
        await wait_for(lambda: recording(b2bua, customer.key), limit=10)
        await customer.peer.send_tone(700, 1.5)
        await customer.press("#")
        await customer.finish()
    finally:
        await customer.stop()

    async def listed() -> list[dict[str, object]]:
        r = await client.get("/api/v1/voicemail/messages", headers=line.tenant.headers)
        assert r.status_code == 200, r.text
        return list(r.json()["items"])

    await wait_for(lambda: bool(ended))
    for _ in range(50):
        if messages := await listed():
            break
        await asyncio.sleep(0.1)
    assert [m["callerNumber"] for m in messages] == ["+8613800138300"]
    assert ended[0].call.bridged_at is None
