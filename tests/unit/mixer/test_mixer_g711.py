"""G.711 encode/decode against the rules of ITU-T G.711 as its G.191 reference code applies them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.callcontrol.media import g711
from app.callcontrol.media.g711 import Law
from app.callcontrol.media.tones import sine

pytestmark = pytest.mark.feature("SEAT-6")

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int32)
ALL_CODES = np.arange(256, dtype=np.uint8)


@pytest.mark.parametrize(
    ("law", "code", "linear"),
    [
        (Law.PCMU, 0xFF, 0),  # µ-law positive zero
        (Law.PCMU, 0x7F, 0),  # µ-law negative zero
        (Law.PCMU, 0x80, 32124),  # largest positive
        (Law.PCMU, 0x00, -32124),
        (Law.PCMU, 0xFE, 8),  # first step above zero: half of the 16-unit interval
        (Law.PCMU, 0xEF, 132),  # first code of segment 1: 132 + 16·m
        (Law.PCMA, 0xD5, 8),  # A-law has no zero: the smallest positive level
        (Law.PCMA, 0x55, -8),
        (Law.PCMA, 0xAA, 32256),  # largest positive
        (Law.PCMA, 0x2A, -32256),
        (Law.PCMA, 0xC5, 264),  # first code of segment 1 (0x90 ^ 0x55)
    ],
)
def test_known_code_points_decode_to_their_g711_levels(law: Law, code: int, linear: int) -> None:
    assert int(g711.decode(bytes([code]), law)[0]) == linear


@pytest.mark.parametrize(
    ("law", "linear", "code"),
    [
        (Law.PCMU, 0, 0xFF),
        (Law.PCMU, -1, 0x7F),  # one's complement (G.191): -1 is negative zero
        (Law.PCMU, 32767, 0x80),
        (Law.PCMU, -32768, 0x00),
        (Law.PCMA, 0, 0xD5),
        (Law.PCMA, -1, 0x55),
        (Law.PCMA, 32767, 0xAA),
        (Law.PCMA, -32768, 0x2A),
    ],
)
def test_known_samples_encode_to_their_code_words(law: Law, linear: int, code: int) -> None:
    assert g711.encode(np.array([linear], dtype=np.int16), law).tolist() == [code]


@pytest.mark.parametrize("law", list(Law))
def test_decode_is_symmetric_around_zero(law: Law) -> None:
    levels = g711.DECODE_TABLES[law.index].astype(np.int32)
    # Flipping the sign bit (0x80 in both laws) negates the level.
    assert np.array_equal(levels[ALL_CODES ^ 0x80], -levels)


@pytest.mark.parametrize("law", list(Law))
def test_every_code_word_survives_decode_then_encode(law: Law) -> None:
    again = g711.encode(g711.decode(ALL_CODES, law), law)
    mismatched = ALL_CODES[again != ALL_CODES].tolist()
    # µ-law 0x7F is "negative zero": it decodes to 0, which encodes as positive zero 0xFF.
    assert mismatched == ([0x7F] if law is Law.PCMU else [])


def _segment_step(law: Law, codes: np.ndarray) -> np.ndarray:
    """Quantization step of each code's segment, in 16-bit units (G.711 Tables 1 and 2)."""
    if law is Law.PCMU:
        return 8 << ((~codes.astype(np.int32) >> 4) & 7)
    exponent = ((codes.astype(np.int32) ^ 0x55) >> 4) & 7
    return 16 << np.maximum(exponent - 1, 0)


def _saturating_codes(law: Law) -> set[int]:
    return {0x80, 0x00} if law is Law.PCMU else {0xAA, 0x2A}


@pytest.mark.parametrize("law", list(Law))
def test_each_code_covers_one_segment_step_and_decodes_to_its_middle(law: Law) -> None:
    codes = g711.encode(ALL_SAMPLES.astype(np.int16), law)
    decoded = g711.DECODE_TABLES[law.index][codes].astype(np.int32)
    assert np.all(np.diff(decoded) >= 0)  # the quantizer is monotonic
    steps = _segment_step(law, ALL_CODES)
    zero_codes = {0xFF, 0x7F} if law is Law.PCMU else set()  # µ-law splits its zero interval
    for code in np.unique(codes).tolist():
        inputs = ALL_SAMPLES[codes == code]
        low, high = int(inputs.min()), int(inputs.max())
        assert inputs.size == high - low + 1  # one contiguous interval
        if code in _saturating_codes(law) | zero_codes:
            continue
        assert high - low + 1 == steps[code], hex(code)
        level = int(g711.DECODE_TABLES[law.index][code])
        assert abs(level - (low + high) / 2) <= 1, hex(code)


@pytest.mark.parametrize("law", list(Law))
def test_round_trip_error_is_at_most_half_a_step_and_saturates_at_full_scale(law: Law) -> None:
    codes = g711.encode(ALL_SAMPLES.astype(np.int16), law)
    decoded = g711.DECODE_TABLES[law.index][codes].astype(np.int32)
    error = np.abs(decoded - ALL_SAMPLES)
    saturated = np.isin(codes, list(_saturating_codes(law)))
    limit = _segment_step(law, codes)[~saturated] // 2 + 1  # +1: one's complement negatives
    assert np.all(error[~saturated] <= limit)
    full_scale = int(g711.DECODE_TABLES[law.index][0x80 if law is Law.PCMU else 0xAA])
    assert np.all(np.abs(decoded[saturated]) == full_scale)
    assert error.max() <= 32768 - full_scale


@pytest.mark.parametrize("law", list(Law))
def test_a_speech_level_tone_keeps_over_35_db_signal_to_quantization_noise(law: Law) -> None:
    # G.711's companding keeps SNR near 38 dB over a wide range of levels.
    for amplitude in (1000.0, 8000.0, 30000.0):
        tone = sine(1020.0, 8000, amplitude)
        noise = g711.decode(g711.encode(tone, law), law).astype(np.float64) - tone
        snr = 10 * np.log10(np.sum(tone.astype(np.float64) ** 2) / np.sum(noise**2))
        assert snr > 35.0, (amplitude, snr)


@given(st.lists(st.integers(-32768, 32767), min_size=1, max_size=400))
def test_bytes_api_agrees_with_array_api(samples: list[int]) -> None:
    pcm = np.array(samples, dtype=np.int16)
    assert g711.ulaw_encode(pcm) == g711.encode(pcm, Law.PCMU).tobytes()
    assert g711.alaw_encode(pcm) == g711.encode(pcm, Law.PCMA).tobytes()
    assert np.array_equal(
        g711.ulaw_decode(g711.ulaw_encode(pcm)),
        g711.ULAW_TO_PCM[np.frombuffer(g711.ulaw_encode(pcm), dtype=np.uint8)],
    )


def test_silence_codes_decode_to_near_zero() -> None:
    assert int(g711.decode(bytes([Law.PCMU.silence]), Law.PCMU)[0]) == 0
    assert abs(int(g711.decode(bytes([Law.PCMA.silence]), Law.PCMA)[0])) == 8
    assert Law.PCMU.value == 0 and Law.PCMA.value == 8  # RFC 3551 static payload types
