"""Bencode as rtpengine's ng protocol uses it (BEP 3 encoding)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.callcontrol.media.bencode import BencodeError, decode, decode_prefix, encode

pytestmark = pytest.mark.feature("EDGE-2")

values = st.recursive(
    st.binary(max_size=40) | st.integers(min_value=-(2**70), max_value=2**70),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.binary(max_size=10), inner, max_size=5),
    max_leaves=20,
)


@given(values)
def test_any_value_survives_a_round_trip(value: object) -> None:
    assert decode(encode(value)) == value  # type: ignore[arg-type]


def test_an_ng_offer_encodes_with_sorted_keys_and_dashes() -> None:
    message = {"sdp": "v=0\r\n", "command": "offer", "call-id": "c1", "flags": ["trust-address"]}
    assert encode(message) == (
        b"d7:call-id2:c17:command5:offer5:flagsl13:trust-addresse3:sdp5:v=0\r\ne"
    )


def test_text_is_sent_as_utf8_and_read_back_as_bytes() -> None:
    assert decode(encode({"name": "张三"})) == {b"name": "张三".encode()}


def test_binary_blob_is_kept_byte_for_byte() -> None:
    blob = bytes(range(256))
    assert decode(encode({"blob": blob})) == {b"blob": blob}


@pytest.mark.parametrize(
    "bad",
    [b"", b"i12", b"i-0e", b"i03e", b"ie", b"5:abc", b"02:ab", b"l", b"d3:keye",
     b"di1ei2ee", b"x", b"i1ei2e", b"d1:ai1e1:ai2ee", b"-1:a"],
)
def test_malformed_input_is_refused(bad: bytes) -> None:
    with pytest.raises(BencodeError):
        decode(bad)


@pytest.mark.parametrize("bad", [1.5, True, None, {1: b"x"}, {"a": 1, b"a": 2}])
def test_values_outside_bencode_are_refused(bad: object) -> None:
    with pytest.raises(BencodeError):
        encode(bad)  # type: ignore[arg-type]


def test_decode_prefix_reports_where_the_value_ends() -> None:
    assert decode_prefix(b"xx4:spamrest", 2) == (b"spam", 8)
