"""Test parties for the mixer: one UDP socket each, speaking a tone as paced G.711 RTP.

The packets are built and read here with `struct` only, independently of the mixer's own RTP
code, so that a bug there cannot hide itself in the test.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.callcontrol.media import g711
from app.callcontrol.media.g711 import Law
from app.callcontrol.media.mixer import Role
from app.callcontrol.media.tones import ToneSource, band_energy, dominant_frequencies, level_db

PTIME = 0.020
FRAME = 160
FORBIDDEN_BELOW_DB = -30.0


@dataclass(frozen=True)
class Heard:
    arrived: float
    source: tuple[str, int]
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    csrcs: tuple[int, ...]
    payload: bytes


def read_rtp(data: bytes, arrived: float, source: tuple[str, int]) -> Heard:
    first, second, seq, ts, ssrc = struct.unpack_from("!BBHII", data)
    assert first >> 6 == 2 and not first & 0x30, "the mixer sends plain RTP v2"
    count = first & 0x0F
    csrcs = struct.unpack_from(f"!{count}I", data, 12)
    return Heard(
        arrived,
        source,
        second & 0x7F,
        bool(second & 0x80),
        seq,
        ts,
        ssrc,
        csrcs,
        data[12 + 4 * count :],
    )


@dataclass(eq=False)
class Party(asyncio.DatagramProtocol):
    name: str
    role: Role
    frequency: float
    law: Law
    amplitude: float = 8000.0
    ssrc: int = field(default_factory=lambda: random.getrandbits(32))
    heard: list[Heard] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None

    async def open(self) -> Party:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: self, local_addr=("127.0.0.1", 0)
        )
        return self

    @property
    def address(self) -> tuple[str, int]:
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return host, port

    def datagram_received(self, data: bytes, addr: Any) -> None:
        loop = asyncio.get_running_loop()
        self.heard.append(read_rtp(data, loop.time(), (addr[0], addr[1])))

    def send(self, to: tuple[str, int], data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data, to)

    async def speak(self, to: tuple[str, int], seconds: float, *, dtmf_every: int = 0) -> None:
        """Send the tone for `seconds` at 20 ms pacing on absolute deadlines; optionally an
        RFC 4733 telephone-event (PT 101) after every `dtmf_every` audio packets."""
        loop = asyncio.get_running_loop()
        source = ToneSource(self.frequency, self.amplitude)
        seq, ts = random.getrandbits(16), random.getrandbits(32)
        start = loop.time()
        for k in range(round(seconds / PTIME)):
            await asyncio.sleep(max(0.0, start + k * PTIME - loop.time()))
            payload = g711.encode(source.next_frame(), self.law).tobytes()
            self.send(to, rtp(self.law.value, seq + k, ts + k * FRAME, self.ssrc, payload, k == 0))
            if dtmf_every and k % dtmf_every == 0:
                event = struct.pack("!BBH", 5, 10, 800)  # digit 5, volume -10 dBm0
                self.send(to, rtp(101, seq + k, ts + k * FRAME, self.ssrc, event, False))

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool) -> bytes:
    return (
        struct.pack(
            "!BBHII", 0x80, (0x80 if marker else 0) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc
        )
        + payload
    )


def audio(
    party: Party, *, since: float | None = None, until: float | None = None, skip: int = 0
) -> np.ndarray:
    """What the party heard (decoded with its law), within an arrival-time window."""
    packets = [
        h
        for h in party.heard
        if (since is None or h.arrived >= since) and (until is None or h.arrived < until)
    ][skip:]
    assert packets, f"{party.name} heard nothing in the window"
    return np.concatenate([g711.decode(h.payload, party.law) for h in packets])


def assert_hears_only(
    listener: str, pcm: np.ndarray, allowed: Iterable[float], everyone: Iterable[float]
) -> None:
    """The allowed tones are the dominant ones, and each other tone is at least 30 dB below the
    weakest allowed tone."""
    allowed = sorted(allowed)
    energy = {f: band_energy(pcm, f) for f in everyone}
    weakest_allowed = min(energy[f] for f in allowed)
    for f in everyone:
        if f not in allowed:
            level = level_db(energy[f], weakest_allowed)
            assert level < FORBIDDEN_BELOW_DB, f"{listener} hears {f} Hz at {level:.1f} dB"
    assert dominant_frequencies(pcm, threshold=20.0) == allowed, listener


def assert_one_clean_stream(party: Party) -> None:
    """One SSRC, consecutive sequence numbers, 160 ticks per packet, the party's payload type,
    marker only on the first packet: what a phone expects from one RTP source.

    When the event loop stalls past the clock's skip threshold (a loaded CI box), the mixer
    skips ahead instead of bursting: the timestamp then jumps by whole frames while the
    sequence stays consecutive (RFC 3550 5.1), which a phone's jitter buffer treats as loss.
    That is allowed here, rarely."""
    heard = party.heard
    assert len({h.ssrc for h in heard}) == 1, party.name
    assert {h.payload_type for h in heard} == {party.law.value}
    assert all(len(h.payload) == FRAME for h in heard)
    assert [h.marker for h in heard] == [True] + [False] * (len(heard) - 1)
    skips = 0
    for before, after in itertools.pairwise(heard):
        assert (after.sequence - before.sequence) % 65536 == 1, party.name
        step = (after.timestamp - before.timestamp) % 2**32
        assert step > 0 and step % FRAME == 0, (party.name, step)
        skips += step != FRAME
    assert skips <= 2, f"{party.name}: the clock skipped {skips} times"
