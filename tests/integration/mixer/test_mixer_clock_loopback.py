"""The 20 ms clock: no drift over time, and an event-loop stall skips ahead honestly."""

from __future__ import annotations

import asyncio
import itertools
import time

import numpy as np
import pytest
from mixer_parties import Party

from app.callcontrol.media.g711 import Law
from app.callcontrol.media.mixer import MixClock, Mixer, PortAllocator, Role

pytestmark = pytest.mark.feature("SEAT-6")


async def test_packets_leave_every_20_ms_without_drift() -> None:
    listener = await Party("agent", Role.AGENT, 1100.0, Law.PCMU).open()
    try:
        async with Mixer(ports=PortAllocator(42000, 42999)) as room:
            await room.add_participant("agent", remote=listener.address, law=Law.PCMU)
            await asyncio.sleep(2.0)
    finally:
        listener.close()
    arrivals = [h.arrived for h in listener.heard]
    # Deadlines are start + n * 20 ms: after 2 s the packet count is exact to a packet or two,
    # and packet n leaves near its deadline however long the run (no accumulated drift).
    assert 98 <= len(arrivals) <= 101
    offsets = np.array([t - 0.020 * n for n, t in enumerate(arrivals)])
    reference = float(np.median(offsets))
    # Scheduling jitter depends on the machine's load; keep the bound loose.
    assert np.percentile(np.abs(offsets - reference), 90) < 0.015
    drift = float(np.median(offsets[-20:]) - np.median(offsets[:20]))
    assert abs(drift) < 0.002


async def test_a_stalled_event_loop_skips_ahead_with_a_timestamp_gap() -> None:
    listener = await Party("agent", Role.AGENT, 1100.0, Law.PCMU).open()
    clock = MixClock(max_lag=0.1)
    try:
        async with Mixer(clock=clock, ports=PortAllocator(42000, 42999)) as room:
            clock.start()
            await room.add_participant("agent", remote=listener.address, law=Law.PCMU)
            await asyncio.sleep(0.2)
            time.sleep(0.3)  # noqa: ASYNC251  (on purpose: a CPU hog blocks the loop 15 ticks)
            await asyncio.sleep(0.2)
    finally:
        await clock.stop()
        listener.close()
    assert clock.stats.resyncs == 1
    heard = listener.heard
    steps = [(b.sequence - a.sequence) % 65536 for a, b in itertools.pairwise(heard)]
    assert set(steps) == {1}  # RFC 3550: the sequence counts packets, no gap
    jumps = [(b.timestamp - a.timestamp) % 2**32 for a, b in itertools.pairwise(heard)]
    # ... while the timestamp counts media time: one jump covers the stall (about 15 ticks),
    # instead of a burst of 15 back-to-back packets.
    big = [j for j in jumps if j != 160]
    assert len(big) == 1 and 12 * 160 <= big[0] <= 16 * 160
