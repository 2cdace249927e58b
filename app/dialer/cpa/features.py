"""Per-frame features of 8 kHz telephone audio for call-progress analysis.

Every 20 ms frame is analysed over the last 60 ms (three frames, 480 samples, Hann window):
60 ms gives 17 Hz resolution, enough to split 440 from 480 Hz (US ring-back) and 913.8 from
985.2 Hz (the two SIT first tones), while cadences (350 ms at the shortest) stay sharp.

- `energy_db`: level of the newest 20 ms, in dBFS.
- `purity[f]`: share of the window's energy in a sine at f (1.0 for a pure tone at f), from a
  DFT evaluated exactly at f (Goertzel-style; one matrix product for all frequencies).
- `peak_hz`, `peak_purity`: the strongest spectral peak and the share of energy within
  ±50 Hz of it; a beep is a frame with one strong peak.
- `similarity`: cosine between this window's magnitude spectrum and the one 60 ms before
  (windows that do not overlap). Music holds notes for hundreds of ms (high), speech glides
  from syllable to syllable (lower).
- `flatness`: spectral flatness (geometric / arithmetic mean of power, 200-3400 Hz): near 1
  for noise, near 0 for tones.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RATE = 8000
FRAME = 160  # 20 ms
WINDOW = 480  # 60 ms
FFT = 512
BIN_HZ = RATE / FFT

# Frequencies of interest, Hz: call-progress tones (ITU-T E.180 Supplement 2; China YD/T
# 1277: 450 Hz), SIT (ITU-T E.180 s.5 / ANSI T1.401: 913.8/985.2, 1370.6/1428.5, 1776.7),
# fax CNG (ITU-T T.30: 1100 Hz) and answer tone CED/ANS (ITU-T V.25: 2100 Hz).
TONES = (350.0, 400.0, 425.0, 440.0, 450.0, 480.0, 620.0,
         913.8, 985.2, 1370.6, 1428.5, 1776.7, 1100.0, 2100.0)  # fmt: skip
SILENCE_FLOOR_DB = -45.0

Pcm = npt.NDArray[np.int16]


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    index: int  # frame number since the start; time = (index + 1) * 0.02 s at its end
    energy_db: float
    purity: dict[float, float]
    peak_hz: float
    peak_purity: float
    similarity: float
    flatness: float

    @property
    def end(self) -> float:
        return (self.index + 1) * FRAME / RATE

    def tone_share(self, *freqs: float) -> float:
        return sum(self.purity[f] for f in freqs)


class FrameAnalyzer:
    """Feed 20 ms int16 frames in order; get `FrameFeatures` for each."""

    def __init__(self) -> None:
        self._window = np.hanning(WINDOW)
        n = np.arange(WINDOW)
        freqs = np.array(TONES)
        self._basis = self._window * np.exp(-2j * math.pi * freqs[:, None] * n / RATE)
        # |X(f)|² / Σ(wx)² for a pure sine at f is (Σw)² / (2 Σw²); dividing by it gives 1.
        self._scale = 2 * float(np.sum(self._window**2)) / float(np.sum(self._window)) ** 2
        f_axis = np.fft.rfftfreq(FFT, 1 / RATE)
        self._band = (f_axis >= 200) & (f_axis <= 3400)
        self._f_axis = f_axis
        self._samples = np.zeros(WINDOW)
        self._spectra: deque[npt.NDArray[np.float64]] = deque(maxlen=4)
        self._index = -1

    def push(self, frame: npt.NDArray[np.integer]) -> FrameFeatures:
        if frame.size != FRAME:
            raise ValueError(f"frames are {FRAME} samples (20 ms at 8 kHz), got {frame.size}")
        x = frame.astype(np.float64)
        self._samples = np.concatenate([self._samples[FRAME:], x])
        self._index += 1
        energy_db = 10 * math.log10(float(np.mean(x * x)) / 32768.0**2 + 1e-12)
        windowed = self._samples * self._window
        total = float(np.sum(windowed * windowed)) + 1e-9
        purity_values = np.abs(self._basis @ self._samples) ** 2 / total * self._scale
        power = np.abs(np.fft.rfft(windowed, FFT)) ** 2
        return FrameFeatures(
            index=self._index,
            energy_db=energy_db,
            purity=dict(zip(TONES, np.minimum(purity_values, 1.0).tolist(), strict=True)),
            **self._peak(power),
            similarity=self._similarity(power),
            flatness=self._flatness(power),
        )

    def _peak(self, power: npt.NDArray[np.float64]) -> dict[str, float]:
        band = np.where(self._band, power, 0.0)
        k = int(np.argmax(band))
        total = float(power[self._band].sum()) + 1e-9
        near = float(power[max(k - 3, 0) : k + 4].sum())
        # Parabolic interpolation of the log peak refines the bin centre to a few Hz.
        hz = k * BIN_HZ
        if 0 < k < power.size - 1:
            a, b, c = np.log(power[k - 1 : k + 2] + 1e-12)
            denom = a - 2 * b + c
            if denom < 0:
                hz += 0.5 * (a - c) / denom * BIN_HZ
        return {"peak_hz": hz, "peak_purity": min(near / total, 1.0)}

    def _similarity(self, power: npt.NDArray[np.float64]) -> float:
        magnitude = np.sqrt(power[self._band])
        self._spectra.append(magnitude)
        if len(self._spectra) < 4:
            return 0.0
        before = self._spectra[0]
        denom = float(np.linalg.norm(magnitude) * np.linalg.norm(before)) + 1e-9
        return float(magnitude @ before) / denom

    def _flatness(self, power: npt.NDArray[np.float64]) -> float:
        p = power[self._band] + 1e-9
        return float(np.exp(np.mean(np.log(p))) / np.mean(p))


def frames(pcm: npt.NDArray[np.integer]) -> list[Pcm]:
    """Cut PCM into whole 20 ms frames (a trailing partial frame is dropped)."""
    whole = pcm.size // FRAME
    return [np.asarray(pcm[i * FRAME : (i + 1) * FRAME], dtype=np.int16) for i in range(whole)]
