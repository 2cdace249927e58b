"""CRM-4 (and SEAT-6, SEAT-8): an agent on a live call plays a knowledge-base article's
recording to the caller. A SIPp caller (its RTP counted and analysed by a Python peer) queued to
a Python agent phone through a real rtpengine and our B2BUA; the agent clicks "play to caller"
through the API, which reaches callcontrol over the CTI command channel."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import numpy as np
import pytest

from app.callcontrol.b2bua import B2bua
from app.callcontrol.media.g711 import Law, decode
from app.callcontrol.media.tones import band_energy
from app.db.session import tenant_session
from app.lib.redis import get_redis
from app.seats.cti_commands import call_command
from app.seats.services import create_extension
from tests.integration.calls import conftest as rig
from tests.integration.calls import test_cti_control_redirect as redirect
from tests.integration.calls.cti_phones import AGENT, CUSTOMER, THIRD, Phones, Talking, listen
from tests.integration.calls.ivr_live_helpers import wait_for
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE
from tests.integration.calls.test_cti_control_redirect import QueueCall, events_of
from tests.integration.crm.test_knowledge_api import tone_wav
from tests.integration.media.media_rtp_peer import RtpPeer

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("CRM-4"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
API = "/api/v1/knowledge"
# The call rig (real rtpengine, our B2BUA, SIPp caller, Python phones) of the call tests.
rtpengine, dtmf_port, seat_port = rig.rtpengine, rig.dtmf_port, rig.seat_port
cc_config, b2bua, ended, line, workdir = rig.cc_config, rig.b2bua, rig.ended, rig.line, rig.workdir
phones, queue_call = redirect.phones, redirect.queue_call
ARTICLE_TONE = 2200.0  # Hz: the recording, told apart from the caller (500) and agent (1100)
ARTICLE_SECONDS = 2.0


def share(peer: RtpPeer, since: float, until: float, freq: float) -> tuple[int, float]:
    """(G.711 packets received in the window, the largest share of one stream's energy near
    `freq`)."""
    streams: dict[int, list[bytes]] = {}
    count = 0
    for packet in peer.received:
        if since <= packet.arrived < until and packet.payload_type == 0:
            count += 1
            streams.setdefault(packet.ssrc, []).append(packet.payload)
    best = 0.0
    for payloads in streams.values():
        if len(payloads) < 10:
            continue
        pcm = decode(b"".join(payloads), Law.PCMU).astype(np.int32)
        total = float(np.sum(np.abs(np.fft.rfft(pcm * np.hanning(pcm.size))) ** 2)) or 1.0
        best = max(best, band_energy(pcm, freq, width=15) / total)
    return count, best


async def article_with_audio(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    r = await client.post(f"{API}/articles", headers=headers,
                          json={"title": "退款说明", "body": "退款三个工作日内到账。"})  # fmt: skip
    assert r.status_code == 201, r.text
    article = str(r.json()["id"])
    wav = tone_wav(ARTICLE_SECONDS, ARTICLE_TONE)
    r = await client.put(f"{API}/articles/{article}/audio", headers=headers,
                         files={"file": ("退款.wav", wav, "audio/wav")})  # fmt: skip
    assert r.status_code == 200, r.text
    return article


async def play(client: httpx.AsyncClient, headers: dict[str, str], article: str) -> Any:
    return await client.post(f"{API}/articles/{article}/play", headers=headers)


async def test_the_caller_hears_the_article_and_not_the_agent_until_it_ends(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    customer, own = queue_call.customer.peer, phones.peers[first.extension]
    assert customer is not None
    article = await article_with_audio(client, line.tenant.headers)
    talking = Talking((customer, CUSTOMER), (own, AGENT))
    loop = asyncio.get_running_loop()
    try:
        assert await listen(customer) == {AGENT}
        r = await play(client, first.headers, article)
        assert r.status_code == 200, r.text
        started = loop.time()
        body = r.json()
        assert body["callId"] == queue_call.key and body["articleId"] == article
        assert abs(body["durationSeconds"] - ARTICLE_SECONDS) < 0.1
        await asyncio.sleep(1.5)
        window = (started + 0.3, started + 1.5)
        packets, tone = share(customer, *window, ARTICLE_TONE)
        _, agent_voice = share(customer, *window, AGENT)
        # 20 ms packets: ~60 in 1.2 s. The recording is the caller's only stream meanwhile.
        assert packets >= 45, f"the caller got {packets} packets while the article played"
        assert tone > 0.5, f"the article's tone is {tone:.0%} of what the caller hears"
        assert agent_voice < 0.02, "the agent's voice was mixed into the recording"
        # The agent still hears the caller.
        assert await listen(own, seconds=0.4, settle=0) == {CUSTOMER}
        # After the recording (2 s) the agent is heard again, the recording no more.
        await asyncio.sleep(max(0.0, started + ARTICLE_SECONDS + 0.5 - loop.time()))
        assert await listen(customer) == {AGENT}
        after = loop.time()
        assert share(customer, after - 0.8, after, ARTICLE_TONE)[1] < 0.02
    finally:
        await talking.stop()
    played = await events_of(line, queue_call.key, "call.audio")
    assert played and played[-1]["articleId"] == article
    done = await events_of(line, queue_call.key, "call.audio_ended")
    assert done and done[-1]["stopped"] == "0"


async def test_the_agent_stops_the_recording_and_is_heard_at_once(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    customer, own = queue_call.customer.peer, phones.peers[first.extension]
    assert customer is not None
    article = await article_with_audio(client, line.tenant.headers)
    talking = Talking((customer, CUSTOMER), (own, AGENT))
    try:
        assert (await play(client, first.headers, article)).status_code == 200
        heard = await listen(customer, seconds=0.5)
        assert AGENT not in heard
        r = await client.post(f"{API}/playback/stop", headers=first.headers)
        assert r.status_code == 200 and r.json() == {"callId": queue_call.key, "stopped": True}
        stopped = asyncio.get_running_loop().time()
        assert await listen(customer, seconds=0.6) == {AGENT}
        assert share(customer, stopped + 0.3, stopped + 0.9, ARTICLE_TONE)[1] < 0.02
        # Nothing playing: stopping again says so.
        r = await client.post(f"{API}/playback/stop", headers=first.headers)
        assert r.json()["stopped"] is False
        # Hold replaces the recording with music; playing on hold is refused.
        assert (await play(client, first.headers, article)).status_code == 200
        r = await client.post("/api/v1/cti/calls/hold", headers=first.headers, json={})
        assert r.status_code == 200, r.text
        r = await play(client, first.headers, article)
        assert r.status_code == 409 and r.json()["code"] == "on_hold"
        r = await client.post("/api/v1/cti/calls/resume", headers=first.headers, json={})
        assert r.status_code == 200, r.text
        assert await listen(customer) == {AGENT}, "resuming brings the agent back"
    finally:
        await talking.stop()
    stops = await events_of(line, queue_call.key, "call.audio_ended")
    assert any(e["stopped"] == "1" for e in stops)


async def test_refusals_are_problem_json(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    headers = line.tenant.headers
    silent = (await client.post(f"{API}/articles", headers=headers, json={"title": "Text"})).json()
    silent = silent["id"]
    r = await play(client, first.headers, silent)
    assert r.status_code == 409 and r.json()["code"] == "no_audio"
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await play(client, first.headers, "00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    # The admin has no call (and no agent profile): nothing to play to.
    article = await article_with_audio(client, line.tenant.headers)
    r = await play(client, line.tenant.headers, article)
    assert r.status_code == 404 and "agent profile" in r.json()["detail"]


@pytest.mark.feature("SEAT-6")
async def test_a_conference_started_while_it_plays_stops_the_recording(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    async with tenant_session(line.tenant.tenant_id) as db:
        await create_extension(db, line.tenant.tenant_id, "103", "Seat-Pass-103")
    third = await phones.add("103")
    customer, own = queue_call.customer.peer, phones.peers[first.extension]
    assert customer is not None
    article = await article_with_audio(client, line.tenant.headers)
    talking = Talking((customer, CUSTOMER), (own, AGENT), (third, THIRD))
    try:
        assert (await play(client, first.headers, article)).status_code == 200
        assert AGENT not in await listen(customer, seconds=0.4)
        reply = await call_command(get_redis(), line.tenant.tenant_id, "conference",
                                   {"callId": queue_call.key, "targetKind": "extension",
                                    "target": "103"})  # fmt: skip
        assert reply.ok, reply.error
        await wait_for(lambda: "103" in phones.answered, limit=10)
        joined = asyncio.get_running_loop().time()
        assert await listen(customer) == {AGENT, THIRD}, "the agent is heard in the conference"
        assert share(customer, joined + 0.3, joined + 1.1, ARTICLE_TONE)[1] < 0.02
    finally:
        await talking.stop()
    stops = await events_of(line, queue_call.key, "call.audio_ended")
    assert [e["stopped"] for e in stops] == ["1"]
