"""G.711 µ-law (PCMU) and A-law (PCMA) with NumPy lookup tables.

Both laws are defined on 8-bit code words, so decoding is one 256-entry table and encoding
is one 65536-entry table indexed by the int16 sample reinterpreted as uint16. The tables are
computed once at import from the rules of ITU-T G.711 (Tables 1a/1b and 2a/2b), in the form of
the ITU-T G.191 reference software: negative samples use the one's complement (~x), so that
-1 codes like 0 and -32768 like 32767, and decoding returns the middle of each quantization
interval. Encode and decode of a whole 20 ms frame is then a single NumPy fancy index.

Two styles of API, both kept stable for their users:
- `ulaw_decode` / `alaw_decode` (int16 array) and `ulaw_encode` / `alaw_encode` (bytes, ready
  for an RTP payload), with the tables `ULAW_TO_PCM` / `ALAW_TO_PCM`;
- `decode(codes, law)` / `encode(pcm, law)` on arrays, and the stacked tables `DECODE_TABLES` /
  `ENCODE_TABLES` (row = `Law.index`) that let the mixer decode and encode many participants
  with different laws in one indexing operation.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]
Codes = npt.NDArray[np.uint8]
Samples = Pcm  # older names, kept for existing callers
Encoded = Codes


class Law(IntEnum):
    """A G.711 law, valued by its static RTP payload type (RFC 3551 section 6, Table 4)."""

    PCMU = 0
    PCMA = 8

    @property
    def index(self) -> int:
        """Row of this law in `DECODE_TABLES` / `ENCODE_TABLES`."""
        return 0 if self is Law.PCMU else 1

    @property
    def silence(self) -> int:
        """The code word that decodes to (near) zero: µ-law 0xFF -> 0, A-law 0xD5 -> +8."""
        return 0xFF if self is Law.PCMU else 0xD5


def _all_int16() -> npt.NDArray[np.int32]:
    """Every int16 value, ordered by its uint16 bit pattern (the encode table's index)."""
    return np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.int16).astype(np.int32)


def _floor_log2(v: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
    """floor(log2(v)) for v >= 1, exact for integers (frexp gives v = m * 2**e, m in [0.5, 1))."""
    return (np.frexp(v.astype(np.float64))[1] - 1).astype(np.int32)


def _build_ulaw_encode() -> Codes:
    x = _all_int16()
    magnitude = np.where(x < 0, ~x, x)  # G.191: one's complement for negatives
    # 14-bit magnitude plus the µ-law bias of 33 (G.711 Table 2a decision values are offset
    # by 33 from A-law's); clip at the last decision value.
    biased = np.minimum((magnitude >> 2) + 33, 0x1FFF)
    segment = _floor_log2(biased) - 5  # 0..7: biased lies in [32 << s, 64 << s)
    mantissa = (biased >> (segment + 1)) & 0x0F
    code = (~((segment << 4) | mantissa)) & 0x7F  # µ-law code words are transmitted inverted
    code = np.where(x >= 0, code | 0x80, code)
    return code.astype(np.uint8)


def _build_ulaw_decode() -> Pcm:
    codes = np.arange(256, dtype=np.int32)
    inverted = ~codes & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    step = 4 << (exponent + 1)
    # The middle of the quantization interval, 14-bit scale shifted to 16 bits, minus the bias.
    magnitude = (0x80 << exponent) + step * mantissa + step // 2 - 4 * 33
    return np.where(codes >= 0x80, magnitude, -magnitude).astype(np.int16)


def _build_alaw_encode() -> Codes:
    x = _all_int16()
    magnitude = np.where(x < 0, ~x, x) >> 4  # 12 bits: 0..2047
    exponent = np.where(magnitude > 15, _floor_log2(np.maximum(magnitude, 1)) - 3, 0)
    shift = np.maximum(exponent - 1, 0)
    mantissa = np.where(exponent > 0, (magnitude >> shift) & 0x0F, magnitude)
    code = (exponent << 4) | mantissa
    code = np.where(x >= 0, code | 0x80, code)  # in A-law a set sign bit means positive
    return (code ^ 0x55).astype(np.uint8)  # G.711: even bits are inverted on the line


def _build_alaw_decode() -> Pcm:
    codes = np.arange(256, dtype=np.int32)
    toggled = codes ^ 0x55
    exponent = (toggled & 0x7F) >> 4
    mantissa = toggled & 0x0F
    mantissa = np.where(exponent > 0, mantissa + 16, mantissa)
    magnitude = ((mantissa << 4) + 8) << np.maximum(exponent - 1, 0)
    return np.where(codes >= 0x80, magnitude, -magnitude).astype(np.int16)


DECODE_TABLES: Pcm = np.stack([_build_ulaw_decode(), _build_alaw_decode()])
ENCODE_TABLES: Codes = np.stack([_build_ulaw_encode(), _build_alaw_encode()])
DECODE_TABLES.setflags(write=False)
ENCODE_TABLES.setflags(write=False)
ULAW_TO_PCM: Pcm = DECODE_TABLES[0]
ALAW_TO_PCM: Pcm = DECODE_TABLES[1]


def as_codes(payload: bytes | bytearray | memoryview | Codes) -> Codes:
    """View RTP payload bytes as uint8 code words without copying."""
    if isinstance(payload, np.ndarray):
        return payload.astype(np.uint8, copy=False)
    return np.frombuffer(payload, dtype=np.uint8)


def decode(payload: bytes | bytearray | memoryview | Codes, law: Law) -> Pcm:
    """G.711 code words -> int16 linear PCM."""
    return DECODE_TABLES[law.index][as_codes(payload)]


def encode(pcm: npt.NDArray[np.integer], law: Law) -> Codes:
    """int16 linear PCM -> G.711 code words. Wider integers must be clipped by the caller."""
    samples = np.asarray(pcm, dtype=np.int16)
    return ENCODE_TABLES[law.index][samples.view(np.uint16)]


def ulaw_decode(payload: bytes | bytearray | memoryview | Codes) -> Pcm:
    return decode(payload, Law.PCMU)


def alaw_decode(payload: bytes | bytearray | memoryview | Codes) -> Pcm:
    return decode(payload, Law.PCMA)


def ulaw_encode(samples: npt.NDArray[np.integer]) -> bytes:
    """int16 PCM -> µ-law payload bytes."""
    return encode(samples, Law.PCMU).tobytes()


def alaw_encode(samples: npt.NDArray[np.integer]) -> bytes:
    """int16 PCM -> A-law payload bytes."""
    return encode(samples, Law.PCMA).tobytes()
