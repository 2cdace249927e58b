"""pcap -> stereo WAV on hand-built pcaps: link types, SSRC changes, gaps, wraps, DTMF, A-law."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from app.callcontrol.media import g711
from app.recordings.pcap_to_wav import (
    CustomerSide,
    PcapFormatError,
    convert_pcap_to_stereo_wav,
    customer_side_from_metadata,
    customer_side_from_query,
    customer_side_from_sdp,
    read_rtpengine_metadata,
)

pytestmark = pytest.mark.feature("REC-1")

CUSTOMER = ("10.0.0.5", 40000)
AGENT = ("10.0.0.9", 41000)
RTPENGINE_FOR_CUSTOMER = ("127.0.0.1", 30002)
RTPENGINE_FOR_AGENT = ("127.0.0.1", 30000)


def ip_udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(map(int, src[0].split("."))), bytes(map(int, dst[0].split("."))))
    return ip + udp


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def write_pcap(path: Path, records: list[tuple[float, bytes]], linktype: int = 101) -> None:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)]
    for when, ip in records:
        frame = ip if linktype == 101 else b"\x00" * 12 + b"\x08\x00" + ip
        sec, usec = int(when), round((when % 1) * 1e6)
        out.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))


def tone(freq: float, samples: int, start: int = 0) -> np.ndarray:
    n = np.arange(start, start + samples)
    return (8000 * np.sin(2 * np.pi * freq * n / 8000)).astype(np.int16)


def stream(src, dst, ssrc, freq, t0, seconds, *, pt=0, seq0=0, ts0=0, skip=()) -> list:
    """20 ms packets of a tone; ``skip`` packet indexes are lost on the way."""
    encode = g711.ulaw_encode if pt == 0 else g711.alaw_encode
    records = []
    for i in range(int(seconds * 50)):
        if i in skip:
            continue
        audio = encode(tone(freq, 160, i * 160))
        records.append((t0 + i * 0.02, ip_udp(src, dst, rtp(pt, seq0 + i, ts0 + i * 160, ssrc,
                                                              audio))))
    return records


def read_wav(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 2 and wav.getframerate() == 8000
        frames = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)
    return frames[:, 0], frames[:, 1]


def peak_hz(channel: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(channel.astype(float) * np.hanning(channel.size)))
    return float(np.fft.rfftfreq(channel.size, 1 / 8000)[spectrum.argmax()])


BY_PORT = CustomerSide(rtpengine_ports=frozenset({RTPENGINE_FOR_CUSTOMER[1]}))


@pytest.mark.parametrize("linktype", [101, 1])
def test_customer_goes_left_and_agent_right(tmp_path: Path, linktype: int) -> None:
    records = (stream(CUSTOMER, RTPENGINE_FOR_CUSTOMER, 1, 440, 100.0, 1.0)
               + stream(AGENT, RTPENGINE_FOR_AGENT, 2, 1000, 100.0, 1.0, pt=8))
    write_pcap(tmp_path / "c.pcap", sorted(records), linktype)
    info = convert_pcap_to_stereo_wav(tmp_path / "c.pcap", tmp_path / "c.wav", BY_PORT)
    left, right = read_wav(tmp_path / "c.wav")
    assert info.duration_s == pytest.approx(1.0)
    assert (info.customer_packets, info.agent_packets) == (50, 50)
    assert peak_hz(left) == pytest.approx(440, abs=10)
    assert peak_hz(right) == pytest.approx(1000, abs=10)


def test_the_customer_can_be_named_by_address_or_ssrc(tmp_path: Path) -> None:
    records = (stream(CUSTOMER, RTPENGINE_FOR_CUSTOMER, 1, 440, 0.0, 0.5)
               + stream(AGENT, RTPENGINE_FOR_AGENT, 2, 1000, 0.0, 0.5))
    write_pcap(tmp_path / "c.pcap", sorted(records))
    for side in (CustomerSide(addresses=frozenset({CUSTOMER})), CustomerSide(ssrcs=frozenset({1}))):
        convert_pcap_to_stereo_wav(tmp_path / "c.pcap", tmp_path / "c.wav", side)
        left, right = read_wav(tmp_path / "c.wav")
        assert peak_hz(left) == pytest.approx(440, abs=10)
        assert peak_hz(right) == pytest.approx(1000, abs=10)


def test_lost_packets_and_late_starts_are_silence_in_the_right_place(tmp_path: Path) -> None:
    records = (stream(CUSTOMER, RTPENGINE_FOR_CUSTOMER, 1, 440, 10.0, 1.0, skip={10, 11})
               + stream(AGENT, RTPENGINE_FOR_AGENT, 2, 1000, 10.5, 0.5))
    write_pcap(tmp_path / "c.pcap", sorted(records))
    convert_pcap_to_stereo_wav(tmp_path / "c.pcap", tmp_path / "c.wav", BY_PORT)
    left, right = read_wav(tmp_path / "c.wav")
    assert left.size == 8000
    assert not left[1600:1920].any(), "40 ms lost: silence there"
    assert left[1400:1600].any() and left[1920:2100].any()
    assert not right[:4000].any(), "the agent joined 0.5 s in"
    assert right[4000:].any()


def test_a_new_ssrc_on_one_side_and_a_timestamp_wrap_keep_the_timeline(tmp_path: Path) -> None:
    first = stream(CUSTOMER, RTPENGINE_FOR_CUSTOMER, 1, 440, 0.0, 0.5,
                   seq0=65530, ts0=2**32 - 800)  # sequence and timestamp both wrap
    second = stream(CUSTOMER, RTPENGINE_FOR_CUSTOMER, 7, 440, 0.5, 0.5, ts0=123456)
    agent = stream(AGENT, RTPENGINE_FOR_AGENT, 2, 1000, 0.0, 1.0)
    write_pcap(tmp_path / "c.pcap", sorted(first + second + agent))
    info = convert_pcap_to_stereo_wav(tmp_path / "c.pcap", tmp_path / "c.wav", BY_PORT)
    left, _ = read_wav(tmp_path / "c.wav")
    assert info.customer_ssrcs == {1, 7}
    assert info.duration_s == pytest.approx(1.0)
    # No hole where the stream wrapped or switched SSRC: every 20 ms block carries the tone.
    blocks = left.reshape(-1, 160)
    assert all(np.abs(block).max() > 2000 for block in blocks)


def test_duplicates_telephone_events_and_rtcp_are_not_audio(tmp_path: Path) -> None:
    audio = stream(CUSTOMER, RTPENGINE_FOR_CUSTOMER, 1, 440, 0.0, 0.4)
    dtmf = [(0.41 + i * 0.02, ip_udp(CUSTOMER, RTPENGINE_FOR_CUSTOMER,
                                     rtp(101, 20 + i, 3200, 1, bytes([5, 0x0A, 0, 160]))))
            for i in range(3)]
    rtcp = [(0.2, ip_udp(CUSTOMER, RTPENGINE_FOR_CUSTOMER,
                         bytes([0x80, 200, 0, 6]) + b"\x00" * 24))]
    write_pcap(tmp_path / "c.pcap", sorted(audio + audio[:5] + dtmf + rtcp))
    info = convert_pcap_to_stereo_wav(tmp_path / "c.pcap", tmp_path / "c.wav", BY_PORT)
    assert info.duration_s == pytest.approx(0.4)
    assert info.customer_packets == 25  # 20 + 5 duplicates read, duplicates not placed twice
    left, _ = read_wav(tmp_path / "c.wav")
    assert np.abs(left).max() < 9000, "duplicates were summed onto the original"


def test_not_a_pcap_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.pcap").write_bytes(b"\x0a\x0d\x0d\x0a" + b"\x00" * 40)  # pcapng
    with pytest.raises(PcapFormatError):
        convert_pcap_to_stereo_wav(tmp_path / "x.pcap", tmp_path / "x.wav", BY_PORT)


def test_customer_from_metadata_query_and_sdp(tmp_path: Path) -> None:
    meta = tmp_path / "m.txt"
    meta.write_text(
        "/rec/pcaps/c1-ab.pcap\n\n\nTimestamp started ms: 1.0\nSDP mode: offer\n"
        "SDP before RTP packet: 1\n\nv=0\r\nm=audio 30000 RTP/AVP 0\r\n\n"
        "Timestamp started ms: 2.0\nSDP mode: answer\nSDP before RTP packet: 1\n\n"
        "v=0\r\nm=audio 30002 RTP/AVP 0\r\n\nTimestamp terminated ms(first monologue): 0.000"
        "\n\ncall start time: 2026-01-01T00:00:00\ncall end time: 2026-01-01T00:00:02\n\n\n"
        "tenant=t1\n")
    metadata = read_rtpengine_metadata(meta)
    assert metadata.pcap_path == "/rec/pcaps/c1-ab.pcap"
    assert metadata.user_metadata == "tenant=t1"
    assert customer_side_from_metadata(metadata).rtpengine_ports == {30002}
    assert customer_side_from_metadata(metadata, customer_offered=False).rtpengine_ports == {
        30000}
    assert customer_side_from_sdp("v=0\r\nm=audio 30002 RTP/AVP 0\r\n").rtpengine_ports == {30002}
    query = {"tags": {"a": {"medias": [{"streams": [
        {"local port": 30002, "endpoint": {"address": "10.0.0.5", "port": 40000},
         "flags": ["RTP", "filled"], "SSRC": 1},
        {"local port": 30003, "endpoint": {"address": "10.0.0.5", "port": 40001},
         "flags": ["RTCP", "filled"]}]}]}}}
    assert customer_side_from_query(query, "a") == CustomerSide(
        frozenset({30002}), frozenset({CUSTOMER}), frozenset({1}))
