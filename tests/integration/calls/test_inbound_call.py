"""An inbound trunk call end to end: SIPp customer -> our B2BUA (rtpengine) -> SIPp seat."""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from app.callcontrol.b2bua import B2bua, CallSession, _audio_ports
from app.callcontrol.live import live_calls
from app.callcontrol.media.tones import band_energy
from app.calls.models import CallRecord, Recording
from app.db.session import tenant_session
from app.lib.events import read_events
from app.lib.redis import get_redis
from app.lib.storage import get_storage
from tests.integration.calls.conftest import Line, free_udp_port
from tests.integration.calls.sipp_calls import (
    SIPP_AVAILABLE,
    Sipp,
    customer_scenario,
    seat_scenario,
    uac_args,
    uas_args,
)
from tests.integration.media.media_rtp_peer import RtpPeer, sdp_media_address

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("EDGE-2"),
    pytest.mark.feature("TEN-9"),
    pytest.mark.feature("REC-1"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]


async def wait_for(predicate, limit: float = 5.0, step: float = 0.02) -> None:
    deadline = asyncio.get_running_loop().time() + limit
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(step)


def live_session(b2bua: B2bua) -> CallSession | None:
    return next(iter(b2bua.sessions.values()), None)


async def talk(peer: RtpPeer, freq: float, seconds: float, remote_of) -> int:
    """Send a tone once the peer knows where rtpengine wants it (SDP it was given)."""
    await wait_for(lambda: remote_of() is not None, limit=8)
    peer.remote = remote_of()
    return await peer.send_tone(freq, seconds)


async def test_trunk_call_hears_prompt_presses_digit_and_talks_to_the_seat(
    b2bua: B2bua, line: Line, seat_port: int, workdir: Path, ended: list[CallSession]
) -> None:
    customer, agent = await RtpPeer.open(), await RtpPeer.open()
    seat = await Sipp(
        workdir, "seat", seat_scenario(media_port=agent.port), uas_args(seat_port)
    ).start()
    await asyncio.sleep(0.2)
    caller = await Sipp(
        workdir,
        "customer",
        customer_scenario(caller="13800138000", media_port=customer.port, talk_ms=3500),
        uac_args(free_udp_port(), ("127.0.0.1", b2bua.endpoint.port), line.did),
    ).start()
    try:
        await wait_for(lambda: live_session(b2bua) is not None)
        session = live_session(b2bua)
        assert session is not None

        def customer_remote():
            rt = session.legs.get("c")
            return sdp_media_address(rt.local_sdp) if rt and rt.local_sdp else None

        def agent_remote():
            rt = session.legs.get("a")
            return sdp_media_address(rt.local_sdp) if rt and rt.local_sdp else None

        # The caller speaks from the start (so rtpengine latches onto its address); the agent
        # once rung.
        await asyncio.gather(
            talk(customer, 440, 3.0, customer_remote), talk(agent, 1000, 2.0, agent_remote)
        )
        uac, uas = await asyncio.gather(caller.wait(), seat.wait())
    finally:
        await caller.stop()
        await seat.stop()
    assert uac.returncode == 0, uac.output
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(ended), limit=10)
    call = ended[0].call
    customer.close()
    agent.close()
    events = [fields for _, fields in await read_events(get_redis(), line.tenant.tenant_id, "0")]

    # The prompt reached the caller before the agent was bridged, then the agent's tone did.
    assert len(customer.audio_packets()) >= 60
    assert call.dtmf == "1"
    assert len(agent.audio_packets()) >= 50, "the customer's audio reached the seat"
    assert call.hangup_side == "customer"
    # State changes were published once each, in order, with the tenant.
    states = [e["state"] for e in events if e["type"] == "call.state"]
    assert states == ["ivr", "ringing", "bridged", "ended"]
    assert all(e["tenant"] == str(line.tenant.tenant_id) for e in events)
    assert {e["callKey"] for e in events} == {call.key}
    assert await live_calls(get_redis(), line.tenant.tenant_id) == []
    async with tenant_session(line.tenant.tenant_id) as db:
        rows = list(await db.scalars(select(CallRecord)))
    assert len(rows) == 1
    cdr = rows[0]
    assert (cdr.direction, cdr.to_number, cdr.extension, cdr.dtmf) == (
        "inbound",
        line.did,
        "101",
        "1",
    )
    assert cdr.answered_at and cdr.bridged_at and cdr.ended_at
    assert cdr.arrived_at <= cdr.answered_at <= cdr.bridged_at <= cdr.ended_at
    assert [leg["role"] for leg in cdr.legs] == ["customer", "agent"]
    assert all(leg["state"] == "ended" for leg in cdr.legs)
    await check_recording(line, ended[0], cdr, b2bua.config.recording_dir)


async def check_recording(
    line: Line, session: CallSession, cdr: CallRecord, recording_dir: Path
) -> None:
    """REC-1: the bridged part was captured; the actor makes a stereo WAV, customer left."""
    from app.recordings.actors import convert_once

    ports = sorted(_audio_ports(session.customer_sdps))
    tenant = line.tenant.tenant_id
    first = await convert_once(tenant, session.call.key, ports, recording_dir)
    assert (
        await convert_once(tenant, session.call.key, ports, recording_dir) == first
    )  # a duplicate: no-op
    async with tenant_session(tenant) as db:
        recordings = list(await db.scalars(select(Recording)))
    assert len(recordings) == 1
    rec = recordings[0]
    assert (rec.status, rec.call_record_id) == ("ready", cdr.id)
    assert rec.object_key == f"tenant/{tenant}/recordings/{session.call.key}.wav"
    with wave.open(io.BytesIO(get_storage().get(rec.object_key))) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 8000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    # The agent talked 2 s after the bridge, the customer until its BYE: 1.5 s or more of call.
    assert 1.5 <= rec.duration_seconds <= 6.0
    left, right = frames[:, 0], frames[:, 1]
    assert band_energy(left, 440) > 100 * band_energy(left, 1000), "customer on the left"
    assert band_energy(right, 1000) > 100 * band_energy(right, 440), "agent on the right"
