"""How many 3-party conferences one core mixes in real time.

    .venv/bin/python bench/mixer.py          (about 10 s)

1. The pure mixing step of a 20 ms tick for a 3-party conference (decode G.711, N-1 sums,
   clip, encode), timed three ways in this process:
   - baseline: plain Python, per sample, with list lookup tables (the best plain Python does);
   - NumPy, one room per call (what a clock per room would do);
   - NumPy, many rooms batched in one call (what `MixClock` does).
   All three are checked to give identical bytes first.
2. The full tick through `MixClock.tick()` with real `Mixer` rooms: RTP parse, jitter buffer,
   batch mix, RTP build and a real `sendto` per participant (sockets on 127.0.0.1, sent to a
   sink socket nobody reads), which is what bounds a callcontrol process in practice.

"Conferences per core" = 20 ms / (time per conference per tick): how many rooms one core keeps
up with if it did nothing else.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

# "Per core" must mean one core: keep BLAS from spreading the matrix product over threads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which BLAS reads at load)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.callcontrol.media.g711 import DECODE_TABLES, ENCODE_TABLES, Law  # noqa: E402
from app.callcontrol.media.mixer import (  # noqa: E402
    MixClock,
    Mixer,
    MixKernel,
    Mode,
    PortAllocator,
    Role,
    hear_matrix,
)

TICK = 0.020
PARTIES = 3
SAMPLES = 160
ROLES = [Role.CUSTOMER, Role.AGENT, Role.SUPERVISOR]


def best_time(fn: Callable[[], object], *, budget: float = 1.0, rounds: int = 5) -> float:
    """Seconds per call: the best of `rounds` rounds, each about budget/rounds long."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    per_round = max(1, int(budget / rounds / once))
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            fn()
        best = min(best, (time.perf_counter() - start) / per_round)
    return best


# -- baseline ------------------------------------------------------------------------------

DECODE_LISTS = [DECODE_TABLES[i].tolist() for i in range(2)]
ENCODE_LISTS = [ENCODE_TABLES[i].tolist() for i in range(2)]


def python_mix(payloads: list[bytes], laws: list[int], hear: list[list[bool]]) -> list[bytes]:
    """One conference tick in plain Python: decode, sum what each may hear, clip, encode."""
    pcm = [
        [DECODE_LISTS[law][c] for c in payload] for payload, law in zip(payloads, laws, strict=True)
    ]
    out = []
    for i, row in enumerate(hear):
        speakers = [pcm[j] for j in range(len(pcm)) if row[j]]
        encode = ENCODE_LISTS[laws[i]]
        frame = bytearray(SAMPLES)
        for s in range(SAMPLES):
            total = 0
            for speaker in speakers:
                total += speaker[s]
            if total > 32767:
                total = 32767
            elif total < -32768:
                total = -32768
            frame[s] = encode[total & 0xFFFF]
        out.append(bytes(frame))
    return out


# -- pure mixing step ----------------------------------------------------------------------


def bench_mixing() -> tuple[float, float]:
    rng = np.random.default_rng(2024)
    hear = hear_matrix(Mode.CONFERENCE, ROLES)
    codes = rng.integers(0, 256, size=(1, PARTIES, SAMPLES), dtype=np.uint8)
    laws = np.array([[Law.PCMU.index, Law.PCMA.index, Law.PCMU.index]], dtype=np.intp)
    payloads = [codes[0, i].tobytes() for i in range(PARTIES)]
    law_list, hear_list = laws[0].tolist(), hear.tolist()

    single = MixKernel(1, PARTIES)
    expected = python_mix(payloads, law_list, hear_list)
    got = single.run(codes, laws, hear[None])
    assert [got[0, i].tobytes() for i in range(PARTIES)] == expected, "NumPy != baseline"

    baseline = best_time(lambda: python_mix(payloads, law_list, hear_list))
    per_room = best_time(lambda: single.run(codes, laws, hear[None]))
    print("Pure mixing step, one 3-party conference tick (decode, N-1 sums, clip, encode)")
    print(f"{'method':34} {'per conf':>10} {'ticks/s':>11} {'conf/core':>10} {'vs base':>8}")
    _row("plain Python baseline", baseline, 1, baseline)
    _row("NumPy, one room per call", per_room, 1, baseline)

    best_batched = per_room
    for rooms in (10, 100, 1000, 4000):
        batch_codes = rng.integers(0, 256, size=(rooms, PARTIES, SAMPLES), dtype=np.uint8)
        batch_laws = np.repeat(laws, rooms, axis=0)
        batch_hear = np.repeat(hear[None], rooms, axis=0)
        kernel = MixKernel(rooms, PARTIES)
        out = kernel.run(batch_codes, batch_laws, batch_hear)
        sample_room = [batch_codes[rooms // 2, i].tobytes() for i in range(PARTIES)]
        assert [out[rooms // 2, i].tobytes() for i in range(PARTIES)] == python_mix(
            sample_room, law_list, hear_list
        )
        seconds = best_time(partial(kernel.run, batch_codes, batch_laws, batch_hear))
        _row(f"NumPy, {rooms} rooms per call", seconds / rooms, rooms, baseline)
        best_batched = min(best_batched, seconds / rooms)
    return baseline, best_batched


def _row(label: str, per_conf: float, rooms: int, baseline: float) -> None:
    ticks_per_second = 1.0 / (per_conf * rooms)
    print(
        f"{label:34} {per_conf * 1e6:8.2f}us {ticks_per_second:11.0f} "
        f"{TICK / per_conf:10.0f} {baseline / per_conf:7.1f}x"
    )


# -- full tick through real rooms ----------------------------------------------------------


def _rtp(ssrc: int, seq: int, payload: bytes, pt: int) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, seq * SAMPLES, ssrc) + payload


async def bench_full_tick(rooms: int, seconds: float = 2.0) -> float:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink_address = sink.getsockname()
    clock = MixClock()  # driven by hand below: we time tick() itself, not the sleeping
    ports = PortAllocator(43000, 46999)  # shared by all rooms, as in a callcontrol process
    mixers = []
    feeds = []
    try:
        for r in range(rooms):
            room = Mixer(clock=clock, ports=ports)
            await room.start()
            mixers.append(room)
            for k, role in enumerate(ROLES):
                law = Law.PCMU if k % 2 == 0 else Law.PCMA
                party = await room.add_participant(f"p{k}", remote=sink_address, law=law, role=role)
                payload = bytes([0x10 + k]) * SAMPLES
                feeds.append((party, r * 10 + k, payload, law.value))
        # Feed every jitter buffer past its prefill, as arriving packets would.
        seq = 0
        for _ in range(3):
            for party, ssrc, payload, pt in feeds:
                party.receive(_rtp(ssrc, seq, payload, pt), sink_address)
            seq += 1

        def one_tick() -> None:
            nonlocal seq
            for party, ssrc, payload, pt in feeds:
                party.receive(_rtp(ssrc, seq, payload, pt), sink_address)
            seq += 1
            clock.tick_index += 1
            clock.tick()

        per_tick = best_time(one_tick, budget=seconds)
        sent = sum(p.stats.packets_out for p, *_ in feeds)
        assert sent > 0 and all(p.stats.late_drops == 0 for p, *_ in feeds)
        return per_tick
    finally:
        for room in mixers:
            await room.close()
        sink.close()


async def full_ticks(baseline: float) -> None:
    print()
    print("Full tick via MixClock.tick(): RTP parse + jitter buffer + batch mix + RTP build")
    print("+ sendto for every participant (real UDP sockets on 127.0.0.1)")
    print(f"{'rooms':>6} {'per tick':>10} {'per conf':>10} {'conf/core':>10} {'vs base':>8}")
    for rooms in (1, 50, 300):
        per_tick = await bench_full_tick(rooms)
        per_conf = per_tick / rooms
        print(
            f"{rooms:6d} {per_tick * 1e3:8.3f}ms {per_conf * 1e6:8.2f}us "
            f"{TICK / per_conf:10.0f} {baseline / per_conf:7.1f}x"
        )


def main() -> None:
    started = time.perf_counter()
    baseline, best = bench_mixing()
    print(
        f"\nBest: {TICK / best:.0f} conferences per core in real time for the mixing step, "
        f"{baseline / best:.0f}x the plain Python baseline ({TICK / baseline:.0f} per core)."
    )
    asyncio.run(full_ticks(baseline))
    print(f"\n(ran in {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
