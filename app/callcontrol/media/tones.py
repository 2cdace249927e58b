"""Tone generation and spectrum analysis for 8 kHz telephone audio.

Used by the mixer's tests (each party speaks its own tone; an FFT tells who is heard) and
reusable by detector tests. Analysis uses a Hann window so that a strong tone does not leak
into far-away bins and hide a weak one (or fake one).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms at 8 kHz

Pcm = npt.NDArray[np.int16]


def sine(
    frequency: float,
    samples: int,
    amplitude: float = 8000.0,
    *,
    start: int = 0,
    rate: int = SAMPLE_RATE,
) -> Pcm:
    """`samples` of a sine as int16 PCM; `start` is the index of the first sample, so
    consecutive calls with advancing `start` give one phase-continuous tone."""
    if not 0 <= amplitude <= 32767:
        raise ValueError(f"amplitude {amplitude} does not fit int16")
    n = np.arange(start, start + samples, dtype=np.float64)
    return np.round(amplitude * np.sin(2 * math.pi * frequency * n / rate)).astype(np.int16)


class ToneSource:
    """A phase-continuous tone cut into frames, like a microphone playing a test tone."""

    def __init__(self, frequency: float, amplitude: float = 8000.0) -> None:
        self.frequency = frequency
        self.amplitude = amplitude
        self._position = 0

    def next_frame(self, samples: int = FRAME_SAMPLES) -> Pcm:
        frame = sine(self.frequency, samples, self.amplitude, start=self._position)
        self._position += samples
        return frame


def power_spectrum(
    pcm: npt.NDArray[np.integer], rate: int = SAMPLE_RATE
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frequencies in Hz, power per bin) of the Hann-windowed signal."""
    signal = np.asarray(pcm, dtype=np.float64)
    if signal.size < 2:
        raise ValueError("need at least two samples")
    spectrum = np.fft.rfft(signal * np.hanning(signal.size))
    freqs = np.asarray(np.fft.rfftfreq(signal.size, d=1.0 / rate), dtype=np.float64)
    return freqs, np.asarray(np.abs(spectrum) ** 2, dtype=np.float64)


def band_energy(
    pcm: npt.NDArray[np.integer], frequency: float, width: float = 25.0, rate: int = SAMPLE_RATE
) -> float:
    """Spectral energy within ±`width` Hz of `frequency` (arbitrary but consistent units)."""
    freqs, power = power_spectrum(pcm, rate)
    band = np.abs(freqs - frequency) <= width
    return float(power[band].sum())


def level_db(energy: float, reference: float) -> float:
    """10·log10(energy / reference), with a floor so that silence compares as very low."""
    tiny = 1e-12
    return 10.0 * math.log10(max(energy, tiny) / max(reference, tiny))


def dominant_frequencies(
    pcm: npt.NDArray[np.integer],
    threshold: float = 30.0,
    *,
    rate: int = SAMPLE_RATE,
    min_spacing: float = 50.0,
) -> list[float]:
    """Frequencies (Hz, ascending) of spectral peaks within `threshold` dB of the strongest.

    A peak is a local maximum of the power spectrum; peaks closer than `min_spacing` Hz to a
    stronger one are the same tone's window side lobes and are dropped. Silence gives [].
    """
    freqs, power = power_spectrum(pcm, rate)
    if power.max() <= 0 or not np.any(np.asarray(pcm) != 0):
        return []
    interior = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    peaks = np.flatnonzero(interior) + 1
    floor = power.max() / (10.0 ** (threshold / 10.0))
    strong = sorted((i for i in peaks if power[i] >= floor), key=lambda i: -power[i])
    kept: list[float] = []
    for i in strong:
        if all(abs(freqs[i] - f) >= min_spacing for f in kept):
            kept.append(round(float(freqs[i]), 1))  # bin centres carry float noise
    return sorted(kept)
