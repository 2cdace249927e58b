"""A plain-RTP endpoint made of one UDP socket, standing in for a SIP phone or trunk in tests.

It sends G.711 µ-law tones at 20 ms (RFC 3551 4.5.14: 8000 Hz, 160 samples per packet) and
RFC 4733 telephone-events, and keeps every RTP packet it receives.
"""

from __future__ import annotations

import asyncio
import random
import re
import struct
import time
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from app.callcontrol.media import g711

SAMPLE_RATE = 8000
PTIME_MS = 20
SAMPLES_PER_PACKET = SAMPLE_RATE * PTIME_MS // 1000
DTMF_PT = 101


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    source: tuple[str, int]
    arrived: float


def parse_rtp(data: bytes, source: tuple[str, int]) -> RtpPacket | None:
    if len(data) < 12 or data[0] >> 6 != 2:
        return None
    csrc_count = data[0] & 0x0F
    _, pt_byte, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    body = data[12 + 4 * csrc_count:]
    return RtpPacket(pt_byte & 0x7F, bool(pt_byte & 0x80), seq, ts, ssrc, body, source,
                     time.monotonic())


def build_rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


def tone_ulaw(freq: float, seconds: float, amplitude: float = 8000.0) -> bytes:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    return g711.ulaw_encode((amplitude * np.sin(2 * np.pi * freq * t)).astype(np.int16))


def plain_sdp(port: int, session_id: int | None = None, dtmf: bool = True) -> str:
    """A G.711 offer/answer as a SIP phone would send it (RFC 4566, RFC 3264)."""
    sid = session_id or random.randrange(1, 2**31)
    pts = "0 8 101" if dtmf else "0 8"
    lines = [
        "v=0", f"o=- {sid} {sid} IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
        f"m=audio {port} RTP/AVP {pts}", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
    ]
    if dtmf:
        lines += [f"a=rtpmap:{DTMF_PT} telephone-event/8000", f"a=fmtp:{DTMF_PT} 0-15"]
    lines += ["a=ptime:20", "a=sendrecv"]
    return "\r\n".join(lines) + "\r\n"


def sdp_media_address(sdp: str) -> tuple[str, int]:
    conn = re.search(r"^c=IN IP4 (\S+)", sdp, re.M)
    media = re.search(r"^m=audio (\d+) ", sdp, re.M)
    assert conn and media, sdp
    return conn.group(1), int(media.group(1))


@dataclass
class RtpPeer(asyncio.DatagramProtocol):
    received: list[RtpPacket] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    remote: tuple[str, int] | None = None
    ssrc: int = field(default_factory=lambda: random.randrange(1, 2**32))
    seq: int = field(default_factory=lambda: random.randrange(0, 2**16))
    ts: int = field(default_factory=lambda: random.randrange(0, 2**32))

    @classmethod
    async def open(cls) -> RtpPeer:
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        return peer

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport (CPython
        # 3.11), so narrow by cast rather than isinstance.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        packet = parse_rtp(data, addr)
        if packet is not None:
            self.received.append(packet)

    def error_received(self, exc: Exception) -> None:
        return  # ICMP unreachable while the far end is not yet listening

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def audio_packets(self, pt: int | None = None) -> list[RtpPacket]:
        return [p for p in self.received if p.payload_type != DTMF_PT
                and (pt is None or p.payload_type == pt)]

    def _send(self, pt: int, payload: bytes, marker: bool = False) -> None:
        assert self.transport is not None and self.remote is not None
        self.transport.sendto(build_rtp(pt, self.seq, self.ts, self.ssrc, payload, marker),
                              self.remote)
        self.seq = (self.seq + 1) & 0xFFFF

    async def send_audio(self, audio: bytes, pt: int = 0) -> int:
        """Send µ-law/A-law bytes paced at 20 ms per packet; return the packet count."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        count = 0
        for offset in range(0, len(audio) - SAMPLES_PER_PACKET + 1, SAMPLES_PER_PACKET):
            self._send(pt, audio[offset:offset + SAMPLES_PER_PACKET], marker=count == 0)
            self.ts += SAMPLES_PER_PACKET
            count += 1
            # Pace on the absolute clock so that sleep jitter does not accumulate.
            await asyncio.sleep(max(0.0, start + count * PTIME_MS / 1000 - loop.time()))
        return count

    async def send_tone(self, freq: float, seconds: float, pt: int = 0) -> int:
        return await self.send_audio(tone_ulaw(freq, seconds), pt)

    async def send_dtmf(self, event: int, duration_ms: int = 100, volume: int = 10) -> None:
        """One RFC 4733 event: marker on the first packet (2.5.1.3), same timestamp throughout,
        growing duration (2.5.1.2), and the end packet sent three times (2.5.1.4)."""
        step = 50
        for elapsed in range(step, duration_ms + step, step):
            body = struct.pack("!BBH", event, volume & 0x3F, min(elapsed, duration_ms) * 8)
            self._send(DTMF_PT, body, marker=elapsed == step)
            await asyncio.sleep(step / 1000)
        end = struct.pack("!BBH", event, 0x80 | (volume & 0x3F), duration_ms * 8)
        for _ in range(3):
            self._send(DTMF_PT, end)
        self.ts += duration_ms * 8
