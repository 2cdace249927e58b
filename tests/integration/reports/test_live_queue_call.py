"""REC-4 / REC-2 / REC-5 from a real call: a caller goes through the IVR into an ACD queue, an
agent's seat (SIPp) answers, and then: the CDR callcontrol wrote carries the queue and the time
it entered it; the recording rtpengine captured becomes a WAV (the recordings actor's work, run
in process); the call search finds it, the WAV plays with byte ranges, and the queue and agent
reports count it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.callcontrol.b2bua import B2bua, CallSession, _audio_ports
from app.calls.models import CallRecord
from app.db.session import tenant_session
from tests.integration.calls.conftest import (  # noqa: F401 (fixtures)
    Line,
    b2bua,
    cc_config,
    dtmf_port,
    ended,
    line,
    rtpengine,
    seat_port,
    workdir,
)
from tests.integration.calls.ivr_live_helpers import (
    Customer,
    node,
    publish_flow,
    seats_scenario,
    wait_for,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, uas_args
from tests.integration.media.media_rtp_peer import RtpPeer
from tests.integration.seats.acd_setup import agent, business, queue

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


@pytest.mark.feature("REC-4")
@pytest.mark.feature("REC-2")
@pytest.mark.feature("REC-5")
async def test_a_queued_call_reaches_the_cdr_the_search_the_recording_and_the_reports(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, seat_port: int, workdir: Path,  # noqa: F811
    ended: list[CallSession],  # noqa: F811
) -> None:  # fmt: skip
    from app.recordings.actors import convert_once

    h = line.tenant.headers
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "hotline", announcePosition=False,
                    announceWait=False)  # fmt: skip
    seat = await agent(client, line.tenant, sales, [q["id"]])
    r = await client.post(
        "/api/v1/cti/sign-in", headers=seat.headers, json={"ready": True, "reason": ""}
    )
    assert r.status_code == 200, r.text
    await publish_flow(client, line, {"start": "q", "nodes": [
        node("q", "queue", {"overflow": "bye"}, queue=q["id"]),
        node("bye", "hang_up", reason="overflow"),
    ]})  # fmt: skip
    media = await RtpPeer.open()
    seats = await Sipp(workdir, "seats", seats_scenario(None, media.port),
                       [*uas_args(seat_port), "-m", "1"]).start()  # fmt: skip
    customer = Customer(b2bua, line, workdir, "customer", "+8613800138777")
    try:
        await asyncio.sleep(0.2)
        await customer.call(talk_ms=3000)
        assert customer.session is not None
        live = customer.session.call
        await wait_for(lambda: live.bridged_at is not None)
        await customer.peer.send_tone(440, 1.0)  # the customer talks: the recording has audio
        await customer.finish()
        assert (await seats.wait()).returncode == 0
    finally:
        await customer.stop()
        await seats.stop()
        media.close()
    await wait_for(lambda: bool(ended))
    session = ended[0]
    tenant = line.tenant.tenant_id
    async with tenant_session(tenant) as db:
        cdr = (await db.scalars(select(CallRecord))).one()
    assert str(cdr.queue_id) == q["id"]
    assert cdr.queued_at is not None and cdr.bridged_at is not None and cdr.ended_at is not None
    assert cdr.arrived_at <= cdr.queued_at <= cdr.bridged_at <= cdr.ended_at
    assert str(cdr.agent_user_id) == seat.user_id
    await convert_once(tenant, cdr.call_key, sorted(_audio_ports(session.customer_sdps)),
                       b2bua.config.recording_dir)  # fmt: skip

    wanted = {"number": "13800138777", "queueId": q["id"], "hasRecording": "true"}
    r = await client.get("/api/v1/calls/search", headers=h, params=wanted)
    [row] = r.json()["items"]
    assert (row["callKey"], row["queueName"], row["agentUserId"]) == (
        cdr.call_key,
        "hotline",
        seat.user_id,
    )
    assert row["talkSeconds"] >= 1.0 and row["recording"]["durationSeconds"] >= 0.9
    audio = row["recording"]["audioUrl"]
    whole = await client.get(audio, headers=h)
    assert whole.status_code == 200 and whole.content[:4] == b"RIFF"
    part = await client.get(audio, headers=h | {"Range": "bytes=44-1043"})
    assert part.status_code == 206 and part.content == whole.content[44:1044]

    wait = (cdr.bridged_at - cdr.queued_at).total_seconds()
    since = {"since": cdr.arrived_at.isoformat(), "until": cdr.ended_at.isoformat()}
    queues = (
        await client.get("/api/v1/reports/queues", headers=h, params=since | {"tz": "UTC"})
    ).json()
    [total] = queues["totals"]
    assert (total["queueId"], total["offered"], total["answered"], total["abandoned"]) == (
        q["id"],
        1,
        1,
        0,
    )
    assert total["longestWaitSeconds"] == pytest.approx(wait, abs=0.002)
    agents = (await client.get("/api/v1/reports/agents", headers=h, params=since)).json()
    [figures] = agents["totals"]
    assert (figures["agentId"], figures["calls"], figures["answered"]) == (seat.user_id, 1, 1)
    talk = (cdr.ended_at - cdr.bridged_at).total_seconds()
    assert figures["talkSeconds"] == pytest.approx(talk, abs=0.002)
