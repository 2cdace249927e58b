"""The per-participant jitter buffer: order, lateness, loss, wrap, SSRC changes, depth."""

from __future__ import annotations

import pytest

from app.callcontrol.media.mixer import JitterBuffer, MediaStats, RtpPacket

pytestmark = pytest.mark.feature("SEAT-6")


def _packet(seq: int, ssrc: int = 1) -> RtpPacket:
    seq &= 0xFFFF
    return RtpPacket(0, seq, seq * 160, ssrc, bytes([seq & 0xFF]) * 160)


def _label(frame: bytes | None) -> int | None:
    return None if frame is None else frame[0]


def _buffer(prefill: int = 2, capacity: int = 8) -> JitterBuffer:
    return JitterBuffer(MediaStats(), prefill=prefill, capacity=capacity)


def test_waits_for_prefill_then_plays_in_sequence_order() -> None:
    jb = _buffer(prefill=3)
    jb.push(_packet(11))
    jb.push(_packet(10))
    assert jb.pop() is None  # two frames: still buffering
    jb.push(_packet(12))
    assert [_label(jb.pop()) for _ in range(3)] == [10, 11, 12]


def test_a_gap_plays_as_silence_and_counts_as_lost() -> None:
    jb = _buffer()
    for seq in (1, 2, 4, 5):
        jb.push(_packet(seq))
    assert [_label(jb.pop()) for _ in range(4)] == [1, 2, None, 4]
    assert jb.stats.lost == 1


def test_a_packet_after_its_turn_is_dropped_as_late() -> None:
    jb = _buffer()
    for seq in (1, 2, 3):
        jb.push(_packet(seq))
    assert _label(jb.pop()) == 1
    assert _label(jb.pop()) == 2
    jb.push(_packet(2))  # retransmitted or delayed beyond its playout time
    jb.push(_packet(0))
    assert jb.stats.late_drops == 2
    assert _label(jb.pop()) == 3


def test_duplicates_are_dropped() -> None:
    jb = _buffer()
    jb.push(_packet(1))
    jb.push(_packet(1))
    assert jb.stats.duplicates == 1 and len(jb) == 1


def test_late_packets_are_still_dropped_after_an_underrun() -> None:
    jb = _buffer()
    jb.push(_packet(1))
    jb.push(_packet(2))
    jb.pop()
    jb.pop()
    assert jb.pop() is None  # ran dry: buffering again
    jb.push(_packet(2))
    assert jb.stats.late_drops == 1 and len(jb) == 0


def test_sequence_numbers_wrap_around_65535() -> None:
    jb = _buffer()
    for seq in (65534, 65535, 0, 1):
        jb.push(_packet(seq))
    assert [_label(jb.pop()) for _ in range(4)] == [65534 & 0xFF, 0xFF, 0, 1]
    assert jb.stats.lost == 0 and jb.stats.late_drops == 0


def test_reordering_across_the_wrap_keeps_order() -> None:
    jb = _buffer(prefill=4)
    for seq in (0, 65535, 1, 65534):
        jb.push(_packet(seq))
    assert [_label(jb.pop()) for _ in range(4)] == [0xFE, 0xFF, 0, 1]


def test_a_new_ssrc_starts_a_fresh_stream() -> None:
    jb = _buffer()
    for seq in (100, 101, 102):
        jb.push(_packet(seq, ssrc=1))
    jb.pop()
    # rtpengine switched the source: a new SSRC with an unrelated, lower sequence number.
    jb.push(_packet(7, ssrc=2))
    jb.push(_packet(8, ssrc=2))
    assert jb.ssrc == 2 and jb.stats.ssrc_changes == 1
    assert [_label(jb.pop()) for _ in range(2)] == [7, 8]
    assert jb.stats.late_drops == 0


def test_a_huge_jump_needs_two_sequential_packets_to_be_believed() -> None:
    # RFC 3550 A.1: one stray packet far away is discarded; two in a row mean a restart.
    jb = _buffer(prefill=1)
    jb.push(_packet(10))
    jb.push(_packet(30000))
    assert len(jb) == 1
    jb.push(_packet(30001))
    jb.push(_packet(30002))
    assert [_label(jb.pop()) for _ in range(2)] == [30001 & 0xFF, 30002 & 0xFF]


def test_depth_is_capped_by_dropping_the_oldest() -> None:
    jb = _buffer(prefill=2, capacity=4)
    for seq in range(1, 8):
        jb.push(_packet(seq))
    assert len(jb) == 4 and jb.stats.overflow_drops == 3
    assert _label(jb.pop()) == 4
    jb.push(_packet(3))  # a frame dropped for depth does not come back
    assert jb.stats.late_drops == 1


def test_payloads_of_another_size_are_fitted_with_silence() -> None:
    jb = JitterBuffer(MediaStats(), prefill=1, silence=0xD5)
    jb.push(RtpPacket(8, 1, 0, 1, b"\x01" * 80))
    frame = jb.pop()
    assert frame == b"\x01" * 80 + b"\xd5" * 80


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        JitterBuffer(MediaStats(), prefill=5, capacity=4)
