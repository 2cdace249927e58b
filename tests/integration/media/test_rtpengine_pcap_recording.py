"""Recording a bridged call with rtpengine's pcap method and turning it into a stereo WAV."""

from __future__ import annotations

import asyncio
import uuid
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import numpy as np
import pytest
from media_rtp_peer import RtpPeer, plain_sdp, sdp_media_address

from app.callcontrol.media.ng import TOWARD_SIP, NgClient
from app.recordings.pcap_to_wav import (
    convert_pcap_to_stereo_wav,
    customer_side_from_metadata,
    customer_side_from_query,
    metadata_path_for,
    read_rtpengine_metadata,
)
from tests.integration.rtpengine_server import RtpengineServer, run_rtpengine

pytestmark = [pytest.mark.telephony, pytest.mark.feature("REC-1", "EDGE-2")]


@pytest.fixture(scope="module")
def rtpengine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RtpengineServer]:
    with run_rtpengine(tmp_path_factory.mktemp("rtpengine-rec")) as server:
        yield server


@pytest.fixture
async def ng(rtpengine: RtpengineServer) -> AsyncIterator[NgClient]:
    async with NgClient(rtpengine.ng_address) as client:
        yield client


def read_stereo(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
        return frames[:, 0], frames[:, 1], wav.getnframes() / 8000


def dominant_hz(channel: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(channel.astype(float) * np.hanning(channel.size)))
    return float(np.fft.rfftfreq(channel.size, 1 / 8000)[spectrum.argmax()])


def band_ratio_db(channel: np.ndarray, wanted: float, unwanted: float) -> float:
    spectrum = np.abs(np.fft.rfft(channel.astype(float) * np.hanning(channel.size))) ** 2
    freqs = np.fft.rfftfreq(channel.size, 1 / 8000)

    def band(f: float) -> float:
        return float(spectrum[np.abs(freqs - f) <= 20].sum()) + 1e-9

    return 10 * np.log10(band(wanted) / band(unwanted))


async def record_ivr_then_bridged_call(ng: NgClient, rtpengine: RtpengineServer,
                                       from_first_offer: bool) -> tuple[str, Path, dict]:
    """Inbound call: IVR answers first, then an agent is bridged; both talk for 2 s.

    Recording starts either with the first offer (flag ``record call``, as for calls recorded
    automatically) or later, by ``start recording`` once the IVR has answered.
    """
    call_id = f"rec-{uuid.uuid4()}"
    customer, agent = await RtpPeer.open(), await RtpPeer.open()
    tag = f"tenant=t1;call={call_id}"
    try:
        if from_first_offer:
            agent_facing = await ng.offer(call_id, "cust", plain_sdp(customer.port),
                                          flags=TOWARD_SIP.with_flags("record call"),
                                          metadata=tag)
        else:
            agent_facing = await ng.offer(call_id, "cust", plain_sdp(customer.port))
        customer_facing = await ng.answer(call_id, "cust", "ivr", plain_sdp(9))
        if not from_first_offer:
            await ng.start_recording(call_id, metadata=tag)
        customer.remote = sdp_media_address(customer_facing.sdp)
        agent.remote = sdp_media_address(agent_facing.sdp)
        await ng.answer(call_id, "cust", "agent", plain_sdp(agent.port))
        await asyncio.gather(customer.send_tone(440, 2.0), agent.send_tone(1000, 2.0))
        await asyncio.sleep(0.1)
        query = await ng.query(call_id)
        await ng.stop_recording(call_id)
        await ng.delete(call_id)
    finally:
        customer.close()
        agent.close()
    pcaps = list((rtpengine.recording_dir / "pcaps").glob(f"{call_id}-*.pcap"))
    assert len(pcaps) == 1
    return call_id, pcaps[0], query


async def test_recording_becomes_stereo_customer_left_agent_right(
    ng: NgClient, rtpengine: RtpengineServer, tmp_path: Path,
) -> None:
    call_id, pcap, _ = await record_ivr_then_bridged_call(ng, rtpengine, from_first_offer=True)
    metadata = read_rtpengine_metadata(metadata_path_for(pcap))
    assert metadata.user_metadata == f"tenant=t1;call={call_id}"
    customer = customer_side_from_metadata(metadata, customer_offered=True)

    info = convert_pcap_to_stereo_wav(pcap, tmp_path / "call.wav", customer)

    left, right, duration = read_stereo(tmp_path / "call.wav")
    assert abs(duration - 2.0) <= 0.2
    assert abs(info.duration_s - duration) < 1e-9
    assert info.customer_packets == 100 and info.agent_packets == 100
    assert abs(dominant_hz(left) - 440) < 10
    assert abs(dominant_hz(right) - 1000) < 10
    assert band_ratio_db(left, 440, 1000) > 30
    assert band_ratio_db(right, 1000, 440) > 30


async def test_recording_started_mid_call_finds_the_customer_by_ng_query(
    ng: NgClient, rtpengine: RtpengineServer, tmp_path: Path,
) -> None:
    _, pcap, query = await record_ivr_then_bridged_call(ng, rtpengine, from_first_offer=False)
    customer = customer_side_from_query(query, "cust")
    convert_pcap_to_stereo_wav(pcap, tmp_path / "call.wav", customer)
    left, right, _ = read_stereo(tmp_path / "call.wav")
    assert abs(dominant_hz(left) - 440) < 10
    assert abs(dominant_hz(right) - 1000) < 10
