"""RTP header parsing and building (RFC 3550 section 5.1) as the mixer receives and sends it."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.callcontrol.media.mixer import RtpError, RtpPacket, build_rtp, parse_rtp

pytestmark = pytest.mark.feature("SEAT-6")


def _header(first: int, second: int, seq: int = 1, ts: int = 160, ssrc: int = 0xCAFE) -> bytes:
    return struct.pack("!BBHII", first, second, seq, ts, ssrc)


def test_parses_the_fixed_header_fields() -> None:
    packet = parse_rtp(_header(0x80, 0x80 | 8, seq=65535, ts=0xFFFFFFFF, ssrc=7) + b"\xd5" * 160)
    assert (packet.payload_type, packet.sequence, packet.timestamp, packet.ssrc) == (
        8,
        65535,
        0xFFFFFFFF,
        7,
    )
    assert packet.marker and packet.payload == b"\xd5" * 160 and packet.csrcs == ()


def test_skips_the_csrc_list_and_reports_it() -> None:
    data = _header(0x80 | 2, 0) + struct.pack("!II", 11, 22) + b"\xff" * 160
    packet = parse_rtp(data)
    assert packet.csrcs == (11, 22) and packet.payload == b"\xff" * 160


def test_skips_a_header_extension() -> None:
    # RFC 8285 one-byte header extension (profile 0xBEDE), one 32-bit word of audio level.
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x10\x80\x00\x00"
    packet = parse_rtp(_header(0x90, 0) + extension + b"\x01\x02")
    assert packet.extension_profile == 0xBEDE
    assert packet.extension == b"\x10\x80\x00\x00" and packet.payload == b"\x01\x02"


def test_strips_padding_counted_by_the_last_octet() -> None:
    packet = parse_rtp(_header(0xA0, 0) + b"\xff" * 160 + b"\x00\x00\x00\x04")
    assert packet.payload == b"\xff" * 160


def test_csrc_extension_and_padding_together() -> None:
    data = (
        _header(0x80 | 0x20 | 0x10 | 1, 0)
        + struct.pack("!I", 99)
        + struct.pack("!HH", 0x1000, 0)
        + b"abc"
        + b"\x00\x02"
    )
    packet = parse_rtp(data)
    assert packet.csrcs == (99,) and packet.extension_profile == 0x1000 and packet.payload == b"abc"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x00\x00",  # shorter than 12 bytes
        _header(0x40, 0),  # version 1
        _header(0x00, 0),  # version 0 (e.g. a STUN packet starts with 0x00)
        _header(0x80 | 3, 0) + b"\x00" * 8,  # CSRC count says 3, only 2 present
        _header(0x90, 0) + b"\x00\x00",  # extension header cut short
        _header(0x90, 0) + struct.pack("!HH", 1, 5) + b"\x00" * 8,  # extension longer than data
        _header(0xA0, 0) + b"\x01\x00",  # padding count 0
        _header(0xA0, 0) + b"\x01\x09",  # padding longer than the payload
    ],
)
def test_rejects_malformed_packets(data: bytes) -> None:
    with pytest.raises(RtpError):
        parse_rtp(data)


def test_builds_what_a_plain_parser_reads() -> None:
    packet = RtpPacket(0, 0xFFFF, 0x12345678, 0xDEADBEEF, b"\xff" * 160, marker=True, csrcs=(5,))
    data = build_rtp(packet)
    first, second, seq, ts, ssrc, csrc = struct.unpack_from("!BBHIII", data)
    assert (first, second, seq, ts, ssrc, csrc) == (0x81, 0x80, 0xFFFF, 0x12345678, 0xDEADBEEF, 5)
    assert data[16:] == b"\xff" * 160


def test_refuses_more_than_fifteen_csrcs() -> None:
    with pytest.raises(RtpError):
        build_rtp(RtpPacket(0, 1, 1, 1, b"", csrcs=tuple(range(16))))


@given(
    payload_type=st.integers(0, 127),
    sequence=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=200),
    marker=st.booleans(),
    csrcs=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15).map(tuple),
    extension=st.one_of(
        st.none(), st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=12).map(lambda b: b * 4))
    ),
)
def test_build_then_parse_round_trips(
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    marker: bool,
    csrcs: tuple[int, ...],
    extension: tuple[int, bytes] | None,
) -> None:
    packet = RtpPacket(
        payload_type,
        sequence,
        timestamp,
        ssrc,
        payload,
        marker=marker,
        csrcs=csrcs,
        extension_profile=None if extension is None else extension[0],
        extension=b"" if extension is None else extension[1],
    )
    assert parse_rtp(build_rtp(packet)) == packet


@given(st.binary(max_size=64))
def test_arbitrary_bytes_parse_or_raise_rtp_error_only(data: bytes) -> None:
    try:
        parse_rtp(data)
    except RtpError:
        pass
