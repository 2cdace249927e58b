"""The ng client driving a real rtpengine 10.5 between plain-RTP endpoints on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from media_rtp_peer import DTMF_PT, RtpPeer, plain_sdp, sdp_media_address

from app.callcontrol.media.dtmf import DtmfListener
from app.callcontrol.media.ng import (
    TOWARD_SIP,
    NgClient,
    RtpengineError,
    RtpengineTimeout,
)
from tests.integration.rtpengine_server import RtpengineServer, free_udp_port, run_rtpengine

pytestmark = [pytest.mark.telephony, pytest.mark.feature("EDGE-2")]

BLACK_HOLE_SDP = plain_sdp(9)  # the IVR answers for the caller before any agent exists


@pytest.fixture(scope="module")
async def dtmf_listener() -> AsyncIterator[DtmfListener]:
    listener = await DtmfListener.listen("127.0.0.1", 0)
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def rtpengine(tmp_path_factory: pytest.TempPathFactory,
              dtmf_listener: DtmfListener) -> Iterator[RtpengineServer]:
    with run_rtpengine(tmp_path_factory.mktemp("rtpengine"),
                       dtmf_port=dtmf_listener.address[1]) as server:
        yield server


@pytest.fixture
async def ng(rtpengine: RtpengineServer) -> AsyncIterator[NgClient]:
    async with NgClient(rtpengine.ng_address, timeout=0.5, retries=2) as client:
        yield client


@pytest.fixture
async def peers() -> AsyncIterator[list[RtpPeer]]:
    opened: list[RtpPeer] = []
    yield opened
    for peer in opened:
        peer.close()


async def open_peer(peers: list[RtpPeer]) -> RtpPeer:
    peer = await RtpPeer.open()
    peers.append(peer)
    return peer


def new_call_id() -> str:
    return f"test-{uuid.uuid4()}"


async def bridge(ng: NgClient, peers: list[RtpPeer], flags=TOWARD_SIP
                 ) -> tuple[str, RtpPeer, RtpPeer]:
    """A caller (from-tag a) and a callee (to-tag b) anchored through rtpengine."""
    call_id = new_call_id()
    caller, callee = await open_peer(peers), await open_peer(peers)
    offer = await ng.offer(call_id, "a", plain_sdp(caller.port), flags=flags)
    answer = await ng.answer(call_id, "a", "b", plain_sdp(callee.port), flags=flags)
    callee.remote = sdp_media_address(offer.sdp)
    caller.remote = sdp_media_address(answer.sdp)
    return call_id, caller, callee


def write_prompt(path: Path, seconds: float = 1.0, freq: float = 600.0) -> None:
    """An 8 kHz mono 16-bit PCM WAV tone, as a tenant's uploaded prompt would be converted."""
    t = np.arange(int(8000 * seconds)) / 8000
    pcm = (6000 * np.sin(2 * np.pi * freq * t)).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(pcm.tobytes())


async def test_ping_answers_pong(ng: NgClient) -> None:
    await ng.ping()


async def test_two_plain_rtp_endpoints_hear_each_other(ng: NgClient,
                                                       peers: list[RtpPeer]) -> None:
    call_id, caller, callee = await bridge(ng, peers)
    sent = await asyncio.gather(caller.send_tone(440, 1.0), callee.send_tone(1000, 1.0))
    await asyncio.sleep(0.1)
    assert sent == [50, 50]
    # Loopback loses nothing: every 20 ms packet arrives at the far end, and only there.
    assert len(callee.audio_packets(pt=0)) == 50
    assert len(caller.audio_packets(pt=0)) == 50
    assert {p.source for p in callee.received} == {callee.remote}
    stats = await ng.query(call_id)
    assert set(stats["tags"]) == {"a", "b"}
    assert stats["totals"]["RTP"]["packets"] == 100
    await ng.delete(call_id)


async def test_ivr_prompt_then_bridge_to_an_agent(ng: NgClient, peers: list[RtpPeer],
                                                  tmp_path: Path) -> None:
    call_id = new_call_id()
    caller = await open_peer(peers)
    # 1. offer with the caller's SDP: rtpengine returns the SDP for whoever answers later.
    agent_facing = await ng.offer(call_id, "a", plain_sdp(caller.port))
    # 2. nobody answers yet: answer toward a black hole, and send the result to the caller.
    caller_facing = await ng.answer(call_id, "a", "ivr", BLACK_HOLE_SDP)
    caller.remote = sdp_media_address(caller_facing.sdp)
    # 3. the welcome prompt, played TO the caller.
    prompt = tmp_path / "welcome.wav"
    write_prompt(prompt, seconds=1.0)
    duration_ms = await ng.play_media(call_id, "a", file=str(prompt))
    assert 950 <= duration_ms <= 1050
    await asyncio.sleep(duration_ms / 1000 + 0.3)
    heard = caller.audio_packets()
    assert 45 <= len(heard) <= 52, "one 20 ms packet per prompt frame"
    # 4. an agent is free: give the agent the SDP of step 1, answer with theirs.
    agent = await open_peer(peers)
    agent.remote = sdp_media_address(agent_facing.sdp)
    await ng.answer(call_id, "a", "agent", plain_sdp(agent.port))
    before = len(caller.received)
    await asyncio.gather(caller.send_tone(440, 0.6), agent.send_tone(1000, 0.6))
    await asyncio.sleep(0.1)
    assert len(agent.audio_packets()) >= 28
    assert len(caller.received) - before >= 28
    await ng.delete(call_id)


async def test_blocked_media_does_not_reach_the_other_side(ng: NgClient,
                                                           peers: list[RtpPeer]) -> None:
    call_id, caller, callee = await bridge(ng, peers)
    await ng.block_media(call_id, "a")
    await caller.send_tone(440, 0.4)
    await asyncio.sleep(0.1)
    assert callee.audio_packets() == []
    await ng.unblock_media(call_id, "a")
    await caller.send_tone(440, 0.4)
    await asyncio.sleep(0.1)
    assert len(callee.audio_packets()) == 20
    await ng.delete(call_id)


async def test_play_dtmf_is_heard_by_the_other_party_and_not_taken_for_a_keypress(
    ng: NgClient, peers: list[RtpPeer], dtmf_listener: DtmfListener,
) -> None:
    flags = TOWARD_SIP.with_flags("inject DTMF")
    call_id, caller, callee = await bridge(ng, peers, flags=flags)
    sub = dtmf_listener.subscribe(call_id)
    # Transcoding needs audio flowing from the pressing side to carry the event.
    sending = asyncio.create_task(caller.send_tone(440, 1.0))
    await asyncio.sleep(0.2)
    dtmf_listener.expect_injected(call_id, "a", "5")
    await ng.play_dtmf(call_id, "a", "5", duration_ms=200)
    await sending
    await asyncio.sleep(0.2)
    events = [p for p in callee.received if p.payload_type == DTMF_PT]
    assert events, "telephone-event packets reach the callee"
    assert {p.payload[0] for p in events} == {5}
    # rtpengine reports the injected digit as if "a" pressed it; the listener swallowed it,
    # while a real press of the same key right after still gets through.
    await caller.send_dtmf(5, duration_ms=100)
    got = await sub.next_digit(1.0)
    assert got.digit == "5" and got.volume == 10  # our RTP peer's volume, not play DTMF's 8
    assert sub.queue.empty()
    sub.close()
    await ng.delete(call_id)


async def test_dtmf_from_the_caller_reaches_its_subscriber_quickly(
    ng: NgClient, peers: list[RtpPeer], dtmf_listener: DtmfListener,
) -> None:
    call_id, caller, _ = await bridge(ng, peers)
    sub = dtmf_listener.subscribe(call_id, source_tag="a")
    try:
        await caller.send_tone(440, 0.1)
        digits: list[str] = []
        for event in (1, 11, 1, 10):
            await caller.send_dtmf(event, duration_ms=100)
            sent_end = time.monotonic()
            got = await sub.next_digit(1.0)
            # Performance promise: DTMF recognition < 1 s; the report itself is far faster.
            assert got.received_at - sent_end < 0.1
            digits.append(got.digit)
            await asyncio.sleep(0.06)
        assert digits == ["1", "#", "1", "*"]
        assert got.source_tag == "a" and got.call_id == call_id
    finally:
        sub.close()
        await ng.delete(call_id)


async def test_query_list_statistics_and_delete(ng: NgClient, peers: list[RtpPeer]) -> None:
    call_id, caller, _ = await bridge(ng, peers)
    await caller.send_tone(440, 0.2)
    assert call_id in await ng.list_calls(limit=1000)
    reply = await ng.query(call_id)
    assert reply["tags"]["a"]["medias"][0]["codec"] == "PCMU/8000"
    stats = await ng.statistics()
    assert stats["currentstatistics"]["sessionsown"] >= 1
    await ng.delete(call_id)
    assert call_id not in await ng.list_calls(limit=1000)
    with pytest.raises(RtpengineError) as err:
        await ng.query(call_id)
    assert "Unknown call-id" in err.value.reason


async def test_silence_block_dtmf_and_forwarding_commands_are_accepted(
    ng: NgClient, peers: list[RtpPeer],
) -> None:
    call_id, _, _ = await bridge(ng, peers)
    for command in (ng.silence_media, ng.unsilence_media, ng.block_dtmf, ng.unblock_dtmf,
                    ng.start_forwarding, ng.stop_forwarding):
        await command(call_id, "a")
    await ng.delete(call_id)


async def test_a_supervisor_subscription_hears_the_caller(ng: NgClient,
                                                          peers: list[RtpPeer]) -> None:
    call_id, caller, _ = await bridge(ng, peers)
    supervisor = await open_peer(peers)
    fork = await ng.subscribe_request(call_id, ["a"])
    await ng.subscribe_answer(call_id, fork.to_tag, plain_sdp(supervisor.port))
    await caller.send_tone(440, 0.4)
    await asyncio.sleep(0.1)
    assert len(supervisor.audio_packets()) >= 18
    await ng.unsubscribe(call_id, fork.to_tag)
    before = len(supervisor.received)
    await caller.send_tone(440, 0.2)
    await asyncio.sleep(0.1)
    assert len(supervisor.received) == before
    await ng.delete(call_id)


async def test_unknown_call_is_an_error_with_rtpengines_reason(ng: NgClient) -> None:
    with pytest.raises(RtpengineError) as err:
        await ng.block_media("no-such-call", "x")
    assert err.value.reason.lower() == "unknown call-id"
    assert err.value.command == "block media"
    # A late delete is normal (BYE racing a timeout): only a warning, unless asked to fail.
    assert "warning" in await ng.delete("no-such-call", from_tag="x")
    with pytest.raises(RtpengineError, match="Call-ID not found"):
        await ng.delete("no-such-call", from_tag="x", fatal=True)


async def test_nothing_listening_is_a_timeout() -> None:
    port = free_udp_port()
    async with NgClient(("127.0.0.1", port), timeout=0.1, retries=1) as client:
        with pytest.raises(RtpengineTimeout):
            await client.ping()


async def test_a_retry_after_a_stall_is_answered_once_from_rtpengines_cache(
    ng: NgClient, rtpengine: RtpengineServer, peers: list[RtpPeer],
) -> None:
    caller = await open_peer(peers)
    call_id = new_call_id()
    os.kill(rtpengine.pid, signal.SIGSTOP)  # rtpengine stalls: our first datagrams go unanswered
    try:
        task = asyncio.create_task(ng.offer(call_id, "a", plain_sdp(caller.port)))
        await asyncio.sleep(0.7)  # longer than one timeout: the client has resent
    finally:
        os.kill(rtpengine.pid, signal.SIGCONT)
    offer = await task
    assert "m=audio" in offer.sdp
    await ng.delete(call_id)
    # Both copies reached rtpengine, yet the offer ran once: the retry had the same cookie, so
    # rtpengine answered it from its cookie cache instead of offering again.
    log = rtpengine.log_text()
    offers = [line for line in log.splitlines()
              if call_id in line and "Received command 'offer'" in line]
    assert len(offers) == 1
