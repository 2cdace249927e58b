"""Our RTP audio mixer: conferences, supervisor listen, whisper and barge-in.

Why our own mixer
-----------------
rtpengine 10.5 anchors and forks media but cannot add two audio streams together (the mixing
audio player came in 11.3, the `mix` subscribe flag later still), and a `subscribe` to two
parties returns two unmixed streams. A 3-way call, a barge-in or a whisper needs somebody to
decode, sum and re-encode, so callcontrol runs this mixer: rtpengine points each party's leg
at a mixer port (plain RTP, G.711, ptime 20 ms) and keeps doing everything else (WebRTC, SRTP,
recording).

Design
------
- A `Mixer` is one room. Each participant gets its own UDP socket from a port range; we
  receive its RTP there and send its mix back from the same port (symmetric RTP, RFC 4961).
- Incoming packets are parsed per RFC 3550 section 5.1 (CSRC list, header extension, padding).
  Only the negotiated payload type (0 = PCMU, 8 = PCMA) is mixed; telephone-events
  (RFC 4733, usually PT 101), comfort noise and multiplexed RTCP are counted and dropped.
- A small per-participant `JitterBuffer` orders frames by extended sequence number
  (RFC 3550 appendix A.1 wrap and restart rules), drops late and duplicate packets, starts
  over on an SSRC change, and caps its depth so latency cannot grow without bound.
- One `MixClock` ticks every 20 ms on the event loop's monotonic clock. Deadlines are
  `start + n * 20 ms`, never "now + 20 ms", so scheduling error does not accumulate (drift-free);
  after a long stall it skips ahead instead of sending a burst. A single clock serves many
  rooms: each tick it groups rooms by participant count and mixes each group with one batched
  NumPy pass (decode table lookup, hear-matrix product, clip, encode table lookup) in buffers
  kept from tick to tick (`MixKernel`). Batching is what makes NumPy pay off: for one 3-party
  room the per-call overhead dominates; for a hundred rooms per call the mixing step costs
  about 1.5 us per conference per tick (see bench/mixer.py). At that point the per-packet
  Python (parse, jitter buffer, sendto) is the cost that bounds a process, not the mixing.
- Who hears whom is a boolean matrix per room, `hear[listener, speaker]`, built from each
  participant's `Role` and the room's `Mode`; the mix for listener i is
  `sum_j hear[i, j] * pcm[j]` (an exact integer sum: int32 in `mix_pcm`, float32 in BLAS in
  `MixKernel`, exact below 2**24), clipped to int16 and encoded in i's own law. The
  diagonal is always False (nobody hears themselves: the N-1 mix). Muted or silent speakers
  drop out of the columns. Each listener's stream has its own SSRC, sequence and timestamp,
  and lists the SSRCs it mixed as CSRCs (RFC 3550 section 7.1).

The hear matrix (row = listener, column = speaker; C customer, A agent, S supervisor)::

    mode         C hears    A hears    S hears
    conference   A, S       C, S       C, A      everyone hears everyone else
    listen       A          C          C, A      nobody hears the supervisor
    whisper      A          C, S       C, A      only the agent hears the supervisor
    barge        A, S       C, S       C, A      the supervisor joins the call

Changing the mode only rebuilds the matrix: sockets, SSRCs and sequence numbers carry on, so a
supervisor goes listen -> whisper -> barge with no SIP renegotiation and no break in anybody's
RTP stream.
"""

from __future__ import annotations

import asyncio
import errno
import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from app.callcontrol.media.g711 import DECODE_TABLES, ENCODE_TABLES, Law

FRAME_SAMPLES = 160  # 20 ms of 8 kHz G.711, one byte per sample
TICK_SECONDS = 0.020
RTP_VERSION = 2
MAX_CSRC = 15  # RFC 3550 5.1: the CC field has four bits

Address = tuple[str, int]


class RtpError(ValueError):
    """A datagram that is not a valid RTP packet."""


class MixerError(RuntimeError):
    """A mixer operation that cannot be done (unknown participant, no free port...)."""


# --------------------------------------------------------------------------------------------
# RTP packets (RFC 3550 section 5.1)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extension_profile: int | None = None
    extension: bytes = b""


_HEADER = struct.Struct("!BBHII")
_CSRC_LISTS = [struct.Struct(f"!{n}I") for n in range(MAX_CSRC + 1)]


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse one RTP packet; raise `RtpError` on anything malformed."""
    if len(data) < _HEADER.size:
        raise RtpError(f"{len(data)} bytes is shorter than the fixed RTP header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != RTP_VERSION:
        raise RtpError(f"RTP version {first >> 6}, expected 2")
    csrc_count = first & 0x0F
    offset = _HEADER.size + 4 * csrc_count
    if len(data) < offset:
        raise RtpError("CSRC list runs past the end of the packet")
    csrcs = struct.unpack_from(f"!{csrc_count}I", data, _HEADER.size)
    profile, extension, offset = _parse_extension(data, offset, has_extension=bool(first & 0x10))
    end = len(data)
    if first & 0x20:
        # RFC 3550 5.1: the last octet counts the padding octets, itself included.
        padding = data[-1]
        if padding == 0 or offset + padding > end:
            raise RtpError(f"bad padding length {padding}")
        end -= padding
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=bytes(data[offset:end]),
        marker=bool(second & 0x80),
        csrcs=csrcs,
        extension_profile=profile,
        extension=extension,
    )


def _parse_extension(
    data: bytes, offset: int, *, has_extension: bool
) -> tuple[int | None, bytes, int]:
    """RFC 3550 5.3.1: 16-bit profile word, 16-bit length in 32-bit words, then the data."""
    if not has_extension:
        return None, b"", offset
    if len(data) < offset + 4:
        raise RtpError("header extension runs past the end of the packet")
    profile, words = struct.unpack_from("!HH", data, offset)
    start, end = offset + 4, offset + 4 + 4 * words
    if len(data) < end:
        raise RtpError("header extension runs past the end of the packet")
    return profile, bytes(data[start:end]), end


def build_rtp(packet: RtpPacket) -> bytes:
    """Serialize an RTP packet (no padding; the extension is kept if present)."""
    if len(packet.csrcs) > MAX_CSRC:
        raise RtpError("at most 15 CSRCs fit in an RTP header")
    if len(packet.extension) % 4:
        raise RtpError("a header extension is a whole number of 32-bit words")
    has_extension = packet.extension_profile is not None
    first = (RTP_VERSION << 6) | (0x10 if has_extension else 0) | len(packet.csrcs)
    second = (0x80 if packet.marker else 0) | (packet.payload_type & 0x7F)
    parts = [
        _HEADER.pack(
            first,
            second,
            packet.sequence & 0xFFFF,
            packet.timestamp & 0xFFFFFFFF,
            packet.ssrc & 0xFFFFFFFF,
        ),
        struct.pack(f"!{len(packet.csrcs)}I", *packet.csrcs),
    ]
    if has_extension:
        parts.append(struct.pack("!HH", packet.extension_profile, len(packet.extension) // 4))
        parts.append(packet.extension)
    parts.append(packet.payload)
    return b"".join(parts)


# --------------------------------------------------------------------------------------------
# Who hears whom
# --------------------------------------------------------------------------------------------


class Role(Enum):
    CUSTOMER = "customer"  # the outside party; also any extra conferenced party
    AGENT = "agent"
    SUPERVISOR = "supervisor"


class Mode(Enum):
    CONFERENCE = "conference"
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


def can_hear(mode: Mode, listener: Role, speaker: Role) -> bool:
    """Whether a participant with role `listener` hears one with role `speaker` in `mode`.

    Only the supervisor's voice is ever withheld: in listen from everybody, in whisper from
    everybody but the agent. Two different participants of the same role hear each other.
    """
    if speaker is not Role.SUPERVISOR or mode in (Mode.CONFERENCE, Mode.BARGE):
        return True
    if mode is Mode.WHISPER:
        return listener in (Role.AGENT, Role.SUPERVISOR)
    return listener is Role.SUPERVISOR  # listen: supervisors may hear each other


def hear_matrix(mode: Mode, roles: Sequence[Role]) -> npt.NDArray[np.bool_]:
    """hear[i, j] is True when participant i hears participant j; the diagonal is False."""
    n = len(roles)
    hear = np.array(
        [[i != j and can_hear(mode, roles[i], roles[j]) for j in range(n)] for i in range(n)],
        dtype=np.bool_,
    ).reshape(n, n)
    return hear


# --------------------------------------------------------------------------------------------
# Mixing math
# --------------------------------------------------------------------------------------------

# Flat tables so that one `take` serves participants of both laws: row = Law.index. Decoded
# samples are float32 so the hear-matrix product runs in BLAS; sums of int16 samples stay exact
# in float32 up to 2**24, i.e. up to 512 speakers, so this is the int32 sum, only faster.
# The encode table is rotated so that it is indexed by sample + 32768.
_DECODE_FLAT: npt.NDArray[np.float32] = DECODE_TABLES.astype(np.float32).reshape(-1)
_ENCODE_FLAT: npt.NDArray[np.uint8] = np.roll(ENCODE_TABLES, 32768, axis=1).reshape(-1)
MAX_EXACT_SPEAKERS = 512


def mix_pcm(pcm: npt.NDArray[np.integer], hear: npt.NDArray[np.bool_]) -> npt.NDArray[np.int16]:
    """Mix linear frames: (..., N, S) samples and (..., N, N) hear -> (..., N, S) int16.

    Sums in int32 (no overflow below 65536 speakers), then clips to the int16 range: a loud
    conference saturates like a real line instead of wrapping around into noise.
    """
    mixed = np.matmul(hear.astype(np.int32), pcm.astype(np.int32, copy=False))
    return np.clip(mixed, -32768, 32767).astype(np.int16)


class MixKernel:
    """Mixes a batch of R rooms of N participants each: G.711 in, G.711 out.

    The buffers are allocated once per batch shape and reused every tick: for a thousand
    rooms, allocating fresh megabyte arrays (and faulting their pages in) costs more than the
    arithmetic.
    """

    def __init__(self, rooms: int, size: int, samples: int = FRAME_SAMPLES) -> None:
        if size > MAX_EXACT_SPEAKERS:
            raise ValueError(f"at most {MAX_EXACT_SPEAKERS} participants per room")
        shape = (rooms, size, samples)
        self.shape = shape
        self._index = np.empty(shape, dtype=np.int32)
        self._pcm = np.empty(shape, dtype=np.float32)
        self._mixed = np.empty(shape, dtype=np.float32)
        self._samples = np.empty(shape, dtype=np.int32)
        self._hear = np.empty((rooms, size, size), dtype=np.float32)
        self._out = np.empty(shape, dtype=np.uint8)

    def run(
        self,
        codes: npt.NDArray[np.uint8],
        laws: npt.NDArray[np.integer],
        hear: npt.NDArray[np.bool_],
    ) -> npt.NDArray[np.uint8]:
        """codes: (R, N, S) received code words; laws: (R, N) `Law.index` of each participant
        (for decoding what it sent and encoding what it hears); hear: (R, N, N).
        The result is overwritten by the next call: copy or send it before that."""
        law_rows = laws.astype(np.int32)[..., None]
        np.add(law_rows * 256, codes, out=self._index)
        np.take(_DECODE_FLAT, self._index, out=self._pcm)
        self._hear[...] = hear
        np.matmul(self._hear, self._pcm, out=self._mixed)
        # Clip, don't wrap: a loud conference saturates like a real line.
        np.clip(self._mixed, -32768, 32767, out=self._mixed)
        self._samples[...] = self._mixed
        self._samples += law_rows * 65536 + 32768
        return np.take(_ENCODE_FLAT, self._samples, out=self._out)


def mix_encoded(
    codes: npt.NDArray[np.uint8], laws: npt.NDArray[np.integer], hear: npt.NDArray[np.bool_]
) -> npt.NDArray[np.uint8]:
    """One-off `MixKernel.run` for a batch of shape (R, N, S); returns a fresh array."""
    rooms, size, samples = codes.shape
    return MixKernel(rooms, size, samples).run(codes, laws, hear).copy()


# --------------------------------------------------------------------------------------------
# Jitter buffer
# --------------------------------------------------------------------------------------------


@dataclass
class MediaStats:
    packets_in: int = 0  # RTP packets of the negotiated codec accepted
    packets_out: int = 0
    late_drops: int = 0  # arrived after their playout time
    duplicates: int = 0
    overflow_drops: int = 0  # buffer full: oldest frame dropped to bound latency
    lost: int = 0  # frame missing at its playout time (played as silence)
    ignored: int = 0  # other payload types: RFC 4733 events, comfort noise, RTCP
    malformed: int = 0
    foreign: int = 0  # from an address other than the participant's
    ssrc_changes: int = 0
    send_errors: int = 0


MAX_DROPOUT = 3000  # RFC 3550 appendix A.1
MAX_MISORDER = 100
SEQ_MOD = 1 << 16


class JitterBuffer:
    """Orders 20 ms frames of one stream by extended sequence number.

    Playout starts once `prefill` frames are queued (absorbs that much arrival jitter) and then
    takes one frame per tick. A gap is played as silence; a packet whose turn has passed is
    late and dropped. When the queue runs dry, playout pauses and waits for `prefill` again.
    """

    def __init__(
        self, stats: MediaStats, *, prefill: int = 2, capacity: int = 8, silence: int = 0xFF
    ) -> None:
        if not 1 <= prefill <= capacity:
            raise ValueError("need 1 <= prefill <= capacity")
        self.stats = stats
        self.silence = bytes([silence])
        self.prefill = prefill
        self.capacity = capacity
        self.ssrc: int | None = None
        self._frames: dict[int, bytes] = {}
        self._highest = 0  # highest extended sequence number seen
        self._bad_seq: int | None = None
        self._next: int | None = None  # next extended sequence to play; None while buffering
        self._floor: int | None = None  # below this, frames have had their turn

    def __len__(self) -> int:
        return len(self._frames)

    def push(self, packet: RtpPacket) -> None:
        if packet.ssrc != self.ssrc:
            self._restart(packet)
        extended = self._extend(packet.sequence)
        if extended is None:
            return
        if self._floor is not None and extended < self._floor:
            self.stats.late_drops += 1
        elif extended in self._frames:
            self.stats.duplicates += 1
        else:
            self._frames[extended] = self._fit(packet.payload)
            self._highest = max(self._highest, extended)
            self._enforce_capacity()

    def pop(self) -> bytes | None:
        """The frame due at this tick, or None (nothing to play, or lost)."""
        if self._next is None:
            if len(self._frames) < self.prefill:
                return None
            self._next = min(self._frames)
        frame = self._frames.pop(self._next, None)
        self._next += 1
        self._floor = self._next
        if frame is None:
            self.stats.lost += 1
        if not self._frames:
            self._next = None  # underrun: buffer up again before playing on
        return frame

    def _restart(self, packet: RtpPacket) -> None:
        # A new SSRC is a new stream with its own sequence space (RFC 3550 8.2), e.g. after
        # rtpengine switched the source: forget the old one and buffer afresh.
        if self.ssrc is not None:
            self.stats.ssrc_changes += 1
        self.ssrc = packet.ssrc
        self._reset(packet.sequence)

    def _reset(self, sequence: int) -> None:
        self._frames.clear()
        self._highest = sequence
        self._floor = None  # reordered packets from before the first one may still play
        self._next = None
        self._bad_seq = None

    def _extend(self, sequence: int) -> int | None:
        """Extended sequence number (RFC 3550 A.1), or None for a discarded jump."""
        delta = (sequence - self._highest) % SEQ_MOD
        if delta < MAX_DROPOUT:
            return self._highest + delta  # in order, maybe with a gap; handles the wrap
        if delta <= SEQ_MOD - MAX_MISORDER:
            # A very large jump: believe it only when the next packet follows it (A.1).
            if sequence == self._bad_seq:
                self._reset(sequence)
                return sequence
            self._bad_seq = (sequence + 1) % SEQ_MOD
            self.stats.late_drops += 1
            return None
        return self._highest - (SEQ_MOD - delta)  # reordered or duplicate, slightly behind

    def _enforce_capacity(self) -> None:
        while len(self._frames) > self.capacity:
            oldest = min(self._frames)
            del self._frames[oldest]
            self.stats.overflow_drops += 1
            self._floor = oldest + 1 if self._floor is None else max(self._floor, oldest + 1)
            if self._next is not None and self._next <= oldest:
                self._next = oldest + 1

    def _fit(self, payload: bytes) -> bytes:
        """G.711 at ptime 20 is 160 bytes; other sizes are cut or padded with silence."""
        if len(payload) == FRAME_SAMPLES:
            return payload
        return payload[:FRAME_SAMPLES].ljust(FRAME_SAMPLES, self.silence)


# --------------------------------------------------------------------------------------------
# Participants and sockets
# --------------------------------------------------------------------------------------------


class PortAllocator:
    """Hands out even UDP ports from [first, last] (RFC 3550 11: RTP on even ports), starting
    each search after the last port given so that a just-freed port is not reused at once."""

    def __init__(self, first: int, last: int) -> None:
        if not 0 < first <= last < 65536:
            raise ValueError(f"bad port range {first}-{last}")
        self._ports = list(range(first + first % 2, last + 1, 2))
        if not self._ports:
            raise ValueError(f"no even port in {first}-{last}")
        self._cursor = 0

    def candidates(self) -> Iterator[int]:
        start = self._cursor
        for i in range(len(self._ports)):
            index = (start + i) % len(self._ports)
            self._cursor = (index + 1) % len(self._ports)
            yield self._ports[index]


# One allocator per process by default, so that rooms do not all probe the same busy ports.
DEFAULT_PORTS = PortAllocator(40000, 49999)


class _Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.participant: Participant | None = None

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.participant is not None:
            self.participant.receive(data, (addr[0], addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable for what we sent: the peer is not listening (yet).
        if self.participant is not None:
            self.participant.stats.send_errors += 1


@dataclass(eq=False)
class Participant:
    """One leg in a room: where its RTP comes from and goes to, and what it hears."""

    name: str
    role: Role
    law: Law
    remote: Address
    local: Address
    transport: asyncio.DatagramTransport
    stats: MediaStats
    jitter: JitterBuffer
    muted: bool = False
    ssrc: int = field(default_factory=lambda: secrets.randbits(32))
    _sequence: int = field(default_factory=lambda: secrets.randbits(16))
    _timestamp0: int = field(default_factory=lambda: secrets.randbits(32))
    _first_tick: int | None = None

    def receive(self, data: bytes, source: Address) -> None:
        # Only the party's own address may feed its voice into the room; anything else is
        # someone spraying RTP at our ports ("RTP bleed"), not this caller.
        if source != self.remote:
            self.stats.foreign += 1
            return
        try:
            packet = parse_rtp(data)
        except RtpError:
            self.stats.malformed += 1
            return
        if packet.payload_type != self.law.value:
            self.stats.ignored += 1  # RFC 4733 telephone-event, CN, multiplexed RTCP (RFC 5761)
            return
        self.stats.packets_in += 1
        self.jitter.push(packet)

    def send(self, payload: bytes, tick: int, csrcs: tuple[int, ...]) -> None:
        if self.transport.is_closing():
            return
        first = self._first_tick is None
        if self._first_tick is None:
            self._first_tick = tick
        # The timestamp follows the clock's tick count, so skipped ticks show as a gap in
        # media time (RFC 3550 5.1) rather than squeezing time together.
        timestamp = self._timestamp0 + FRAME_SAMPLES * (tick - self._first_tick)
        # Packed here rather than through RtpPacket/build_rtp: this runs 50 times a second
        # per leg. RFC 3551 4.1: marker on the first packet of a talkspurt.
        csrcs = csrcs[:MAX_CSRC]
        header = _HEADER.pack(
            (RTP_VERSION << 6) | len(csrcs),
            (0x80 if first else 0) | self.law.value,
            self._sequence,
            timestamp & 0xFFFFFFFF,
            self.ssrc,
        )
        if csrcs:
            header += _CSRC_LISTS[len(csrcs)].pack(*csrcs)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self.transport.sendto(header + payload, self.remote)
        self.stats.packets_out += 1


# --------------------------------------------------------------------------------------------
# The clock
# --------------------------------------------------------------------------------------------


@dataclass
class ClockStats:
    ticks: int = 0
    late_ticks: int = 0  # ran more than a tick after their deadline
    resyncs: int = 0  # stalls longer than max_lag, skipped instead of replayed
    max_lag: float = 0.0


@dataclass
class _RoomTick:
    room: Mixer
    participants: list[Participant]
    codes: npt.NDArray[np.uint8]
    laws: npt.NDArray[np.intp]
    hear: npt.NDArray[np.bool_]


class MixClock:
    """One 20 ms clock for any number of rooms, mixing rooms of equal size in one batch."""

    def __init__(self, period: float = TICK_SECONDS, max_lag: float = 0.2) -> None:
        self.period = period
        self.max_lag = max_lag
        self.stats = ClockStats()
        self.tick_index = 0
        self._rooms: list[Mixer] = []
        self._task: asyncio.Task[None] | None = None
        self._kernels: dict[tuple[int, int], MixKernel] = {}

    def attach(self, room: Mixer) -> None:
        if room not in self._rooms:
            self._rooms.append(room)

    def detach(self, room: Mixer) -> None:
        if room in self._rooms:
            self._rooms.remove(room)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="mix-clock")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start, base, n = loop.time(), self.tick_index, 0
        while True:
            n += 1
            delay = start + n * self.period - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                n = self._note_lag(-delay, n)
                await asyncio.sleep(0)  # let the receive callbacks run between catch-up ticks
            self.tick_index = base + n  # counts deadlines, skipped ones included
            self.tick()

    def _note_lag(self, lag: float, n: int) -> int:
        self.stats.max_lag = max(self.stats.max_lag, lag)
        if lag > self.period:
            self.stats.late_ticks += 1
        if lag <= self.max_lag:
            return n  # catch up one tick at a time, no deadline moves
        self.stats.resyncs += 1
        return n + int(lag // self.period)  # jump ahead: a burst would only flood the peers

    def _kernel(self, rooms: int, size: int) -> MixKernel:
        kernel = self._kernels.get((rooms, size))
        if kernel is None:
            if len(self._kernels) >= 16:
                self._kernels.clear()  # room counts drifted: forget old shapes
            kernel = self._kernels[(rooms, size)] = MixKernel(rooms, size)
        return kernel

    def tick(self) -> None:
        """Mix one frame for every attached room (public so benchmarks can drive it)."""
        self.stats.ticks += 1
        groups: dict[int, list[_RoomTick]] = {}
        for room in self._rooms:
            collected = room.collect()
            if collected is not None:
                groups.setdefault(len(collected.participants), []).append(collected)
        for size, batch in groups.items():
            out = self._kernel(len(batch), size).run(
                np.stack([r.codes for r in batch]),
                np.stack([r.laws for r in batch]),
                np.stack([r.hear for r in batch]),
            )
            for room_tick, room_out in zip(batch, out, strict=True):
                room_tick.room.deliver(room_tick, room_out, self.tick_index)


# --------------------------------------------------------------------------------------------
# The room
# --------------------------------------------------------------------------------------------


class Mixer:
    """One room: its participants, its mode, and their sockets.

    Usage::

        async with Mixer(ports=PortAllocator(40000, 40999)) as room:
            agent = await room.add_participant("agent", remote=("127.0.0.1", 30002),
                                               law=Law.PCMA, role=Role.AGENT)
            # tell rtpengine to send the agent's leg to agent.local
            room.set_mode(Mode.WHISPER)
    """

    def __init__(
        self,
        *,
        clock: MixClock | None = None,
        host: str = "127.0.0.1",
        ports: PortAllocator | None = None,
        mode: Mode = Mode.CONFERENCE,
        jitter_prefill: int = 2,
        jitter_capacity: int = 8,
    ) -> None:
        self._own_clock = clock is None
        self.clock = clock if clock is not None else MixClock()
        self.host = host
        self.ports = ports if ports is not None else DEFAULT_PORTS
        self._mode = mode
        self._jitter = (jitter_prefill, jitter_capacity)
        self._participants: dict[str, Participant] = {}
        self._hear: npt.NDArray[np.bool_] | None = None  # cache, rebuilt on any change

    async def __aenter__(self) -> Mixer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        self.clock.attach(self)
        if self._own_clock:
            self.clock.start()

    async def close(self) -> None:
        self.clock.detach(self)
        if self._own_clock:
            await self.clock.stop()
        for name in list(self._participants):
            self.remove_participant(name)

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def participants(self) -> dict[str, Participant]:
        return dict(self._participants)

    async def add_participant(
        self, name: str, *, remote: Address, law: Law, role: Role = Role.CUSTOMER
    ) -> Participant:
        if name in self._participants:
            raise MixerError(f"participant {name!r} is already in the room")
        receiver = _Receiver()
        transport, local = await self._bind(receiver)
        stats = MediaStats()
        prefill, capacity = self._jitter
        participant = Participant(
            name=name,
            role=role,
            law=law,
            remote=remote,
            local=local,
            transport=transport,
            stats=stats,
            jitter=JitterBuffer(stats, prefill=prefill, capacity=capacity, silence=law.silence),
        )
        receiver.participant = participant
        self._participants[name] = participant
        self._hear = None
        return participant

    def remove_participant(self, name: str) -> None:
        participant = self._get(name)
        participant.transport.close()
        del self._participants[name]
        self._hear = None

    def set_mode(self, mode: Mode) -> None:
        """Switch who hears whom from the next tick on; streams continue unchanged."""
        self._mode = mode
        self._hear = None

    def set_role(self, name: str, role: Role) -> None:
        self._get(name).role = role
        self._hear = None

    def set_muted(self, name: str, muted: bool = True) -> None:
        """A muted participant still hears the room; nobody hears it."""
        self._get(name).muted = muted

    def set_remote(self, name: str, remote: Address) -> None:
        """The party's RTP address changed (re-INVITE, transfer): send and accept there."""
        self._get(name).remote = remote

    def hears(self, name: str) -> list[str]:
        """Names of the participants `name` currently hears (mute aside)."""
        names = list(self._participants)
        row = self._hear_matrix()[names.index(self._get(name).name)]
        return [other for other, heard in zip(names, row, strict=True) if heard]

    def stats(self) -> dict[str, MediaStats]:
        return {name: p.stats for name, p in self._participants.items()}

    # -- called by the clock ---------------------------------------------------------------

    def collect(self) -> _RoomTick | None:
        """Take this tick's frame from every participant's jitter buffer."""
        participants = list(self._participants.values())
        if not participants:
            return None
        frames = []
        speaking = np.zeros(len(participants), dtype=np.bool_)
        for i, participant in enumerate(participants):
            frame = participant.jitter.pop()
            if frame is None:
                frame = participant.jitter.silence * FRAME_SAMPLES
            else:
                speaking[i] = not participant.muted
            frames.append(frame)
        codes = np.frombuffer(b"".join(frames), dtype=np.uint8).reshape(len(frames), -1)
        laws = np.array([p.law.index for p in participants], dtype=np.intp)
        hear = self._hear_matrix() & speaking[None, :]
        return _RoomTick(self, participants, codes, laws, hear)

    def deliver(self, tick: _RoomTick, out: npt.NDArray[np.uint8], tick_index: int) -> None:
        sources = [p.jitter.ssrc for p in tick.participants]
        frames = out.tobytes()
        for i, (participant, row) in enumerate(
            zip(tick.participants, tick.hear.tolist(), strict=True)
        ):
            csrcs = tuple(
                ssrc for ssrc, heard in zip(sources, row, strict=True) if heard and ssrc is not None
            )
            payload = frames[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]
            participant.send(payload, tick_index, csrcs)

    # -- internals -------------------------------------------------------------------------

    def _get(self, name: str) -> Participant:
        try:
            return self._participants[name]
        except KeyError:
            raise MixerError(f"no participant {name!r} in the room") from None

    def _hear_matrix(self) -> npt.NDArray[np.bool_]:
        if self._hear is None:
            roles = [p.role for p in self._participants.values()]
            self._hear = hear_matrix(self._mode, roles)
        return self._hear

    async def _bind(self, receiver: _Receiver) -> tuple[asyncio.DatagramTransport, Address]:
        loop = asyncio.get_running_loop()
        for port in self.ports.candidates():
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: receiver, local_addr=(self.host, port)
                )
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            sockname = transport.get_extra_info("sockname")
            return transport, (sockname[0], sockname[1])
        raise MixerError(f"no free UDP port for RTP on {self.host}")


__all__ = [
    "ClockStats",
    "JitterBuffer",
    "MediaStats",
    "MixClock",
    "MixKernel",
    "Mixer",
    "MixerError",
    "Mode",
    "Participant",
    "PortAllocator",
    "Role",
    "RtpError",
    "RtpPacket",
    "build_rtp",
    "can_hear",
    "hear_matrix",
    "mix_encoded",
    "mix_pcm",
    "parse_rtp",
]
