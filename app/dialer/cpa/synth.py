"""A labelled, deterministic corpus of call-progress audio, synthesized with NumPy (DIAL-3).

Each class is built from its definition, then levelled, given background noise and put
through a G.711 round trip (µ-law or A-law) like audio forked from a real call:
- tones per the standards: China ring-back 450 Hz 1 s on / 4 s off and busy 450 Hz
  0.35/0.35 s, congestion 0.7/0.7 s; US ring-back 440+480 Hz 2/4 s, busy 480+620 Hz 0.5/0.5 s;
  SIT 913.8/985.2, 1370.6/1428.5, 1776.7 Hz segments of 274 or 380 ms (ANSI T1.401); fax CNG
  1100 Hz 0.5 s every 3.5 s (T.30); answer tone 2100 Hz 2.6-4 s with optional phase
  reversals every 450 ms (V.25 / V.8 ANSam);
- "speech": syllables of glottal harmonics shaped by vowel formants, tone contours like
  Mandarin's, consonant noise bursts, short gaps between words and longer ones between
  phrases; a speaker has its own pitch;
- "music" (coloured ring-back, 彩铃): chords with several timbres, a bass line, a melody with
  vibrato, hi-hat and kick on the beat, continuous;
- human answers: 0.2-0.9 s of silence, a 0.3-0.8 s "喂?"/"hello?", silence, sometimes a
  second short phrase after a second or so; answering machines: a 3-10 s greeting, then a
  beep (1-2 kHz, 0.2-1 s).

This is easier than real calls: no real voices, no singing in the ring-back music, no
codec artefacts beyond G.711, no echo, no DTMF, no talk-over. Numbers measured on it are an
upper bound for what real traffic will give.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt

from app.callcontrol.media.g711 import Law, decode, encode

RATE = 8000
Floats = npt.NDArray[np.float64]
Pcm = npt.NDArray[np.int16]


class Label(StrEnum):
    # early media (before answer)
    RINGBACK = "ringback"
    MUSIC = "music"  # coloured ring-back tone
    BUSY = "busy"
    SIT = "sit"
    ANNOUNCEMENT = "announcement"
    # after answer
    HUMAN = "human"
    MACHINE = "machine"
    FAX = "fax"
    MODEM = "modem"


EARLY = (Label.RINGBACK, Label.MUSIC, Label.BUSY, Label.SIT, Label.ANNOUNCEMENT)
ANSWERED = (Label.HUMAN, Label.MACHINE, Label.FAX, Label.MODEM)


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    label: Label
    pcm: Pcm
    meta: dict[str, float] = field(default_factory=dict)  # e.g. beep_end (s)

    @property
    def early(self) -> bool:
        return self.label in EARLY


def silence(seconds: float) -> Floats:
    return np.zeros(round(seconds * RATE))


def tone(freqs: tuple[float, ...], seconds: float, phase: float = 0.0) -> Floats:
    t = np.arange(round(seconds * RATE)) / RATE
    out = sum(np.sin(2 * math.pi * f * t + phase) for f in freqs)
    return np.asarray(out, dtype=np.float64) / len(freqs)


def cadence(freqs: tuple[float, ...], pattern: tuple[float, ...], seconds: float,
            offset: float) -> Floats:  # fmt: skip
    """Tone on/off `pattern` (on, off, on, off...) repeated, starting `offset` s into it."""
    cycle = np.concatenate([
        tone(freqs, d) if i % 2 == 0 else silence(d) for i, d in enumerate(pattern)
    ])  # fmt: skip
    start = round(offset * RATE) % cycle.size
    reps = math.ceil((seconds * RATE + start) / cycle.size) + 1
    return np.tile(cycle, reps)[start : start + round(seconds * RATE)]


# -- speech -----------------------------------------------------------------------------
_VOWELS = ((800, 1200, 2500), (300, 2300, 3000), (350, 800, 2400), (500, 1800, 2500),
           (500, 900, 2500), (650, 1700, 2600), (400, 1500, 2300))  # fmt: skip
_CONTOURS = ((1.0, 1.0), (0.9, 1.2), (1.0, 0.85), (1.15, 0.8), (0.95, 1.05))


def _syllable(rng: np.random.Generator, f0: float) -> Floats:
    vowel_s = rng.uniform(0.1, 0.25)
    n = round(vowel_s * RATE)
    start, end = _CONTOURS[rng.integers(len(_CONTOURS))]
    pitch = f0 * np.linspace(start, end, n) * (1 + 0.02 * rng.standard_normal())
    phase = 2 * math.pi * np.cumsum(pitch) / RATE
    formants = np.array(_VOWELS[rng.integers(len(_VOWELS))], dtype=np.float64)
    formants *= rng.uniform(0.9, 1.1, 3)
    bandwidths = np.array([90.0, 120.0, 170.0])
    voice = np.zeros(n)
    for k in range(1, int(3600 / f0)):
        h = k * float(np.mean(pitch))
        gain = sum(
            1 / (1 + ((h - fm) / bw) ** 2) for fm, bw in zip(formants, bandwidths, strict=True)
        )
        voice += gain / math.sqrt(k) * np.sin(k * phase)
    envelope = np.minimum(
        1.0, np.minimum(np.arange(n) / (0.02 * RATE), (n - np.arange(n)) / (0.04 * RATE))
    )
    voice *= envelope
    if rng.random() < 0.6:  # a consonant: a short burst of high-passed noise
        burst = np.diff(rng.standard_normal(round(rng.uniform(0.02, 0.07) * RATE) + 1))
        voice = np.concatenate([0.25 * burst * float(np.max(np.abs(voice))) / 3, voice])
    return voice / (float(np.max(np.abs(voice))) + 1e-9)


def speech(rng: np.random.Generator, seconds: float, f0: float | None = None,
           *, phrase_gap: tuple[float, float] = (0.25, 0.55)) -> Floats:  # fmt: skip
    """Phrases of words of syllables until about `seconds` long (ends at a word end)."""
    f0 = f0 or float(rng.choice([rng.uniform(95, 140), rng.uniform(175, 250)]))
    parts: list[Floats] = []
    length = 0.0
    while length < seconds:
        for _ in range(int(rng.integers(2, 6))):  # words in a phrase
            for _ in range(int(rng.integers(1, 4))):  # syllables in a word
                parts.append(_syllable(rng, f0) * rng.uniform(0.6, 1.0))
                parts.append(silence(rng.uniform(0.0, 0.04)))
            parts.append(silence(rng.uniform(0.03, 0.15)))
            length = sum(p.size for p in parts) / RATE
            if length >= seconds:
                break
        parts.append(silence(rng.uniform(*phrase_gap)))
        f0 *= rng.uniform(0.95, 1.05)
    return np.concatenate(parts[:-1])


def utterance(rng: np.random.Generator, f0: float, seconds: float) -> Floats:
    """One short word or two ("喂?", "hello?", "喂, 你好"), about `seconds` long."""
    parts: list[Floats] = []
    while sum(p.size for p in parts) / RATE < seconds - 0.1:
        parts.append(_syllable(rng, f0))
        parts.append(silence(rng.uniform(0.0, 0.06)))
    return np.concatenate(parts[:-1])


# -- music ------------------------------------------------------------------------------
def music(rng: np.random.Generator, seconds: float) -> Floats:
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    beat = 60.0 / rng.uniform(70, 130)
    root = 220.0 * 2 ** (rng.integers(0, 12) / 12)
    progression = [[0, 4, 7], [9, 12, 16], [5, 9, 12], [7, 11, 14]]
    rng.shuffle(progression)
    harmonics = rng.uniform(0.1, 1.0, 6) / np.arange(1, 7)
    out = np.zeros(n)
    chord_len = beat * int(rng.integers(2, 5))
    for c in range(math.ceil(seconds / chord_len)):
        a, b = round(c * chord_len * RATE), min(round((c + 1) * chord_len * RATE), n)
        seg = t[a:b]
        for semitone in progression[c % 4]:
            f = root * 2 ** (semitone / 12)
            out[a:b] += sum(h * np.sin(2 * math.pi * f * (k + 1) * seg)
                            for k, h in enumerate(harmonics)) * 0.5  # fmt: skip
        bass = root / 2 * 2 ** (progression[c % 4][0] / 12)
        out[a:b] += (
            0.8 * np.sin(2 * math.pi * bass * seg) * (1 + 0.3 * np.sin(2 * math.pi * seg / beat))
        )
    scale = [0, 2, 4, 7, 9, 12]
    for i in range(math.ceil(seconds / (beat / 2))):  # melody on half beats
        a, b = round(i * beat / 2 * RATE), min(round((i + 1) * beat / 2 * RATE), n)
        f = 2 * root * 2 ** (scale[rng.integers(len(scale))] / 12)
        seg = t[a:b] - t[a]
        vibrato = 1 + 0.006 * np.sin(2 * math.pi * 5.5 * seg)
        env = np.exp(-seg * 1.5)
        out[a:b] += (
            0.6
            * env
            * (np.sin(2 * math.pi * f * vibrato * seg) + 0.4 * np.sin(4 * math.pi * f * seg))
        )
        hat = min(b - a, round(0.03 * RATE))
        out[a : a + hat] += 0.3 * rng.standard_normal(hat) * np.exp(-np.arange(hat) / 60)
    return out / (float(np.max(np.abs(out))) + 1e-9)


# -- finishing: level, noise, G.711 -------------------------------------------------------
def finish(rng: np.random.Generator, signal: Floats) -> Pcm:
    """Level the signal to -12..-26 dBFS peaks-ish RMS, add noise, G.711 round trip."""
    active = signal[np.abs(signal) > 1e-6]
    rms = float(np.sqrt(np.mean(active**2))) if active.size else 1.0
    level = 32768 * 10 ** (rng.uniform(-26, -12) / 20)
    noise_level = 32768 * 10 ** (rng.uniform(-62, -48) / 20)
    noisy = signal / rms * level + noise_level * rng.standard_normal(signal.size)
    pcm = np.clip(np.round(noisy), -32768, 32767).astype(np.int16)
    law = Law.PCMU if rng.random() < 0.5 else Law.PCMA
    return decode(encode(pcm, law), law)


# -- the classes --------------------------------------------------------------------------
def ringback(rng: np.random.Generator) -> Floats:
    if rng.random() < 0.6:  # China
        return cadence((450.0,), (1.0, 4.0), 9.0, rng.uniform(0, 5))
    return cadence((440.0, 480.0), (2.0, 4.0), 9.0, rng.uniform(0, 6))


def busy(rng: np.random.Generator) -> Floats:
    kind = rng.integers(3)
    if kind == 0:
        return cadence((450.0,), (0.35, 0.35), 6.0, rng.uniform(0, 0.7))
    if kind == 1:
        return cadence((450.0,), (0.7, 0.7), 6.0, rng.uniform(0, 1.4))  # congestion
    return cadence((480.0, 620.0), (0.5, 0.5), 6.0, rng.uniform(0, 1.0))


def sit(rng: np.random.Generator) -> Floats:
    first, second = ((913.8, 1370.6), (985.2, 1428.5))[rng.integers(2)]
    lengths = [0.274 if rng.random() < 0.5 else 0.380 for _ in range(3)]
    triplet = np.concatenate(
        [tone((f,), d) for f, d in zip((first, second, 1776.7), lengths, strict=True)]
    )
    return np.concatenate([silence(rng.uniform(0, 0.5)), triplet, silence(0.3), speech(rng, 4.0)])


def announcement(rng: np.random.Generator) -> Floats:
    return np.concatenate([silence(rng.uniform(0, 0.5)), speech(rng, rng.uniform(5, 8))])


def coloured_ringback(rng: np.random.Generator) -> Floats:
    return np.concatenate([silence(rng.uniform(0, 0.3)), music(rng, 9.0)])


def human(rng: np.random.Generator) -> Floats:
    f0 = float(rng.choice([rng.uniform(95, 140), rng.uniform(175, 250)]))
    parts = [silence(rng.uniform(0.2, 0.9)), utterance(rng, f0, rng.uniform(0.3, 0.8))]
    if rng.random() < 0.4:  # "喂? ... 喂, 你好?"
        parts += [silence(rng.uniform(1.0, 2.0)), utterance(rng, f0, rng.uniform(0.3, 1.0))]
    parts.append(silence(6.0 - sum(p.size for p in parts) / RATE))
    return np.concatenate(parts)


def machine(rng: np.random.Generator) -> tuple[Floats, float]:
    """A greeting then a beep; returns the audio and when the beep ends (s)."""
    greeting = speech(rng, rng.uniform(3, 10))
    head = np.concatenate(
        [silence(rng.uniform(0.1, 0.8)), greeting, silence(rng.uniform(0.2, 0.6))]
    )
    beep = 1.6 * tone((rng.uniform(1000, 2000),), rng.uniform(0.2, 1.0))
    return np.concatenate([head, beep, silence(1.5)]), (head.size + beep.size) / RATE


def fax(rng: np.random.Generator) -> Floats:
    return np.concatenate(
        [silence(rng.uniform(0.1, 1.0)), cadence((1100.0,), (0.5, 3.0), 6.0, 0.0)]
    )


def modem(rng: np.random.Generator) -> Floats:
    seconds = rng.uniform(2.6, 4.0)
    if rng.random() < 0.5:
        ced = tone((2100.0,), seconds)
    else:  # phase reversals every 450 ms (V.25 echo-canceller disabling)
        ced = np.concatenate([tone((2100.0,), 0.45, phase=math.pi * (i % 2))
                              for i in range(math.ceil(seconds / 0.45))])  # fmt: skip
    return np.concatenate([silence(rng.uniform(0.2, 0.5)), ced, silence(1.0)])


_MAKERS = {
    Label.RINGBACK: ringback, Label.MUSIC: coloured_ringback, Label.BUSY: busy,
    Label.SIT: sit, Label.ANNOUNCEMENT: announcement, Label.HUMAN: human,
    Label.FAX: fax, Label.MODEM: modem,
}  # fmt: skip


def make(label: Label, seed: int) -> Sample:
    """Sample number `seed` of a class; the same (label, seed) always gives the same audio."""
    rng = np.random.default_rng([seed, list(Label).index(label)])
    meta: dict[str, float] = {}
    if label is Label.MACHINE:
        signal, meta["beep_end"] = machine(rng)
    else:
        signal = _MAKERS[label](rng)
    return Sample(f"{label.value}-{seed:04d}", label, finish(rng, signal), meta)


def corpus(
    per_class: int, seed: int = 0, labels: tuple[Label, ...] = tuple(Label)
) -> Iterator[Sample]:
    for label in labels:
        for i in range(per_class):
            yield make(label, seed * 100_000 + i)


def espeak_samples(texts: dict[Label, list[str]]) -> Iterator[Sample]:
    """Real synthesized speech from espeak-ng when it is installed (optional): each text is
    spoken, resampled to 8 kHz and finished like the rest. Nothing when espeak-ng is absent."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        return
    rng = np.random.default_rng(42)
    for label, lines in texts.items():
        for i, text in enumerate(lines):
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "say.wav"
                voice = "cmn" if any(ord(c) > 0x2E80 for c in text) else "en"
                # Our own fixed texts, no shell: nothing untrusted reaches the command line.
                subprocess.run([binary, "-v", voice, "-w", str(path), text], check=True,  # noqa: S603
                               capture_output=True, timeout=30)  # fmt: skip
                with wave.open(str(path)) as w:
                    rate = w.getframerate()
                    raw = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            voice_8k = _resample(raw.astype(np.float64), rate)
            yield Sample(
                f"espeak-{label.value}-{i}", label, finish(rng, _place(label, voice_8k, rng))
            )


def _place(label: Label, voice: Floats, rng: np.random.Generator) -> Floats:
    if label is Label.HUMAN:
        return np.concatenate([silence(rng.uniform(0.2, 0.9)), voice, silence(4.0)])
    return np.concatenate([silence(0.3), voice, silence(1.0)])


def _resample(signal: Floats, rate: int) -> Floats:
    """FFT resampling to 8 kHz (drops everything above 4 kHz, which G.711 cannot carry)."""
    n_out = round(signal.size * RATE / rate)
    spectrum = np.fft.rfft(signal)[: n_out // 2 + 1]
    return np.fft.irfft(spectrum, n_out) * n_out / signal.size
