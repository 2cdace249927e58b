"""IVR-4: uploads and renderings become telephone audio (8 kHz mono 16-bit WAV), with real sox."""

from __future__ import annotations

import io
import itertools
import math
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from app.ivr_builder.audio import AudioError, sniff_format, to_telephone_wav, wav_duration

pytestmark = pytest.mark.feature("IVR-4")


def sine_wav(seconds: float, rate: int = 44100, channels: int = 2, freq: float = 440.0) -> bytes:
    frames = int(seconds * rate)
    one = [int(12000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(frames)]
    samples = [s for s in one for _ in range(channels)]
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def sox_file(tmp_path: Path, name: str, *args: str) -> bytes:
    path = tmp_path / name
    subprocess.run(["sox", "-n", *args[:-1], str(path), *args[-1].split()], check=True)
    return path.read_bytes()


def telephone_format(data: bytes) -> tuple[int, int, int]:
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth()


async def test_a_cd_quality_stereo_wav_becomes_8khz_mono_16bit():
    audio = await to_telephone_wav(sine_wav(1.5), max_seconds=600)
    assert telephone_format(audio.wav) == (8000, 1, 2)
    assert audio.duration_seconds == pytest.approx(1.5, abs=0.01)


async def test_an_mp3_is_decoded(tmp_path):
    mp3 = sox_file(tmp_path, "tone.mp3", "-r", "44100", "-c", "2", "synth 2 sine 440")
    assert sniff_format(mp3) == "mp3"
    audio = await to_telephone_wav(mp3, max_seconds=600)
    assert telephone_format(audio.wav) == (8000, 1, 2)
    # MP3 frames pad the end a little (encoder delay); the length is still the tone's.
    assert audio.duration_seconds == pytest.approx(2.0, abs=0.1)


async def test_the_tone_survives_conversion():
    audio = await to_telephone_wav(sine_wav(1.0, freq=1000.0), max_seconds=600)
    with wave.open(io.BytesIO(audio.wav)) as w:
        raw = w.readframes(w.getnframes())
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    crossings = sum(1 for a, b in itertools.pairwise(samples) if a < 0 <= b)
    assert 990 <= crossings <= 1010  # still 1 kHz, not silence or noise


@pytest.mark.parametrize(
    "data",
    [b"hello, this is text", b"", b"%PDF-1.7\n" + b"\0" * 100, b"RIFF\x10\0\0\0WAVEjunkjunkjunk"],
    ids=["text", "empty", "pdf", "broken-wav"],
)
async def test_what_is_not_audio_is_refused_as_such(data):
    with pytest.raises(AudioError) as err:
        await to_telephone_wav(data, max_seconds=600)
    assert err.value.code == "not_audio"


async def test_audio_longer_than_the_limit_is_too_long_and_an_exact_fit_is_not():
    with pytest.raises(AudioError) as err:
        await to_telephone_wav(sine_wav(3.2, rate=8000, channels=1), max_seconds=3)
    assert err.value.code == "too_long"
    fits = await to_telephone_wav(sine_wav(3.0, rate=8000, channels=1), max_seconds=3)
    assert wav_duration(fits.wav) == pytest.approx(3.0)


async def test_a_wav_without_samples_is_empty():
    with pytest.raises(AudioError) as err:
        await to_telephone_wav(sine_wav(0), max_seconds=600)
    assert err.value.code == "empty"
