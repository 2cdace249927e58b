"""Bencode, the encoding of rtpengine's ng control protocol.

Only the four bencode types exist: byte strings, integers, lists and dictionaries. Python ``str``
is accepted on encode (as UTF-8) because ng keys and most values are text; decode always yields
``bytes`` for strings so that binary payloads (``blob`` in ``play media``) survive untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Bencodable = (
    bytes | str | int | Sequence["Bencodable"]
    | Mapping[str, "Bencodable"] | Mapping[bytes, "Bencodable"]
)
Decoded = bytes | int | list["Decoded"] | dict[bytes, "Decoded"]


class BencodeError(ValueError):
    """Raised for input that is not valid bencode, or a value that cannot be encoded."""


def encode(value: Bencodable) -> bytes:
    out: list[bytes] = []
    _encode_into(value, out)
    return b"".join(out)


def _encode_into(value: Bencodable, out: list[bytes]) -> None:
    # bool is an int subclass; an ng flag is never a bencoded 0/1, so refuse the ambiguity.
    if isinstance(value, bool):
        raise BencodeError("bool is not bencodable; use an int or a flag string")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, str | bytes):
        raw = value.encode() if isinstance(value, str) else value
        out.append(b"%d:%s" % (len(raw), raw))
    elif isinstance(value, Mapping):
        _encode_dict(value, out)
    elif isinstance(value, Sequence):
        out.append(b"l")
        for item in value:
            _encode_into(item, out)
        out.append(b"e")
    else:
        raise BencodeError(f"cannot bencode {type(value).__name__}")


def _encode_dict(value: Mapping[str, Bencodable] | Mapping[bytes, Bencodable],
                 out: list[bytes]) -> None:
    keyed: dict[bytes, Bencodable] = {}
    for key, item in value.items():
        if not isinstance(key, str | bytes):
            raise BencodeError(f"dict key must be str or bytes, not {type(key).__name__}")
        raw = key.encode() if isinstance(key, str) else key
        if raw in keyed:
            raise BencodeError(f"duplicate dict key {raw!r}")
        keyed[raw] = item
    out.append(b"d")
    # BEP 3: keys appear in sorted order (raw byte strings compared bytewise).
    for raw in sorted(keyed):
        out.append(b"%d:%s" % (len(raw), raw))
        _encode_into(keyed[raw], out)
    out.append(b"e")


def decode(data: bytes) -> Decoded:
    value, end = _decode_at(data, 0)
    if end != len(data):
        raise BencodeError(f"trailing data at offset {end}")
    return value


def decode_prefix(data: bytes, start: int = 0) -> tuple[Decoded, int]:
    """Decode one value starting at ``start``; return it and the offset just after it."""
    return _decode_at(data, start)


def _decode_at(data: bytes, pos: int) -> tuple[Decoded, int]:
    if pos >= len(data):
        raise BencodeError("unexpected end of data")
    lead = data[pos : pos + 1]
    if lead == b"i":
        return _decode_int(data, pos)
    if lead == b"l":
        return _decode_list(data, pos)
    if lead == b"d":
        return _decode_dict(data, pos)
    if lead.isdigit():
        return _decode_bytes(data, pos)
    raise BencodeError(f"unexpected byte {lead!r} at offset {pos}")


def _decode_int(data: bytes, pos: int) -> tuple[int, int]:
    end = data.find(b"e", pos)
    if end < 0:
        raise BencodeError("unterminated integer")
    digits = data[pos + 1 : end]
    body = digits[1:] if digits.startswith(b"-") else digits
    # BEP 3: no leading zeros, no "-0", no empty integer.
    if not body.isdigit() or (body.startswith(b"0") and len(digits) > 1):
        raise BencodeError(f"invalid integer {digits!r} at offset {pos}")
    return int(digits), end + 1


def _decode_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    colon = data.find(b":", pos)
    if colon < 0:
        raise BencodeError("string length without ':'")
    length_text = data[pos:colon]
    if not length_text.isdigit() or (length_text.startswith(b"0") and len(length_text) > 1):
        raise BencodeError(f"invalid string length {length_text!r} at offset {pos}")
    start = colon + 1
    end = start + int(length_text)
    if end > len(data):
        raise BencodeError("string runs past end of data")
    return data[start:end], end


def _decode_list(data: bytes, pos: int) -> tuple[list[Decoded], int]:
    items: list[Decoded] = []
    pos += 1
    while data[pos : pos + 1] != b"e":
        item, pos = _decode_at(data, pos)
        items.append(item)
    return items, pos + 1


def _decode_dict(data: bytes, pos: int) -> tuple[dict[bytes, Decoded], int]:
    result: dict[bytes, Decoded] = {}
    pos += 1
    while data[pos : pos + 1] != b"e":
        if pos >= len(data):
            raise BencodeError("unterminated dict")
        key, pos = _decode_at(data, pos)
        if not isinstance(key, bytes):
            raise BencodeError(f"dict key must be a string, got {type(key).__name__}")
        if key in result:
            raise BencodeError(f"duplicate dict key {key!r}")
        result[key], pos = _decode_at(data, pos)
    return result, pos + 1
