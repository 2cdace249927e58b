"""The tone generator and FFT analysis used to judge who hears whom."""

from __future__ import annotations

import numpy as np
import pytest

from app.callcontrol.media.tones import (
    ToneSource,
    band_energy,
    dominant_frequencies,
    level_db,
    sine,
)

pytestmark = pytest.mark.feature("SEAT-7")


def test_sine_has_the_asked_amplitude_and_frequency() -> None:
    tone = sine(500.0, 8000, 8000.0)
    assert tone.dtype == np.int16 and abs(int(tone.max()) - 8000) <= 1
    assert dominant_frequencies(tone) == [500.0]


def test_tone_source_frames_join_without_a_phase_jump() -> None:
    source = ToneSource(1100.0)
    joined = np.concatenate([source.next_frame() for _ in range(50)])
    assert np.array_equal(joined, sine(1100.0, 8000, 8000.0))


def test_dominant_frequencies_finds_each_tone_of_a_mix() -> None:
    mix = sine(500.0, 8000, 8000.0).astype(np.int32) + sine(1700.0, 8000, 4000.0)
    assert dominant_frequencies(mix.astype(np.int16), threshold=20.0) == [500.0, 1700.0]


def test_threshold_leaves_out_weak_tones() -> None:
    mix = sine(500.0, 8000, 8000.0).astype(np.int32) + sine(1700.0, 8000, 80.0)  # -40 dB
    assert dominant_frequencies(mix.astype(np.int16), threshold=30.0) == [500.0]


def test_silence_has_no_dominant_frequency() -> None:
    assert dominant_frequencies(np.zeros(800, dtype=np.int16)) == []


def test_band_energy_separates_a_present_tone_from_an_absent_one() -> None:
    tone = sine(1100.0, 8000, 8000.0)
    present, absent = band_energy(tone, 1100.0), band_energy(tone, 1700.0)
    assert level_db(absent, present) < -60.0


def test_amplitude_outside_int16_is_refused() -> None:
    with pytest.raises(ValueError):
        sine(500.0, 10, 40000.0)
