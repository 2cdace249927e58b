"""IVR-4: espeak-ng renderings in Chinese and English (real espeak-ng and sox), and the ASR
provider interface with no provider configured."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import Sequence

import pytest

from app.ivr_builder import asr, tts

pytestmark = pytest.mark.feature("IVR-4")


def loudness(wav_bytes: bytes) -> tuple[int, int, float]:
    """(rate, channels, RMS of the samples)."""
    with wave.open(io.BytesIO(wav_bytes)) as w:
        raw = w.readframes(w.getnframes())
        rate, channels = w.getframerate(), w.getnchannels()
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)
    return rate, channels, (sum(s * s for s in samples) / max(len(samples), 1)) ** 0.5


@pytest.mark.parametrize(
    ("voice", "text"),
    [("zh", "您好，欢迎致电快线客服中心。"), ("en", "Welcome to Fastline.")],  # noqa: RUF001
)
async def test_text_is_spoken_as_8khz_telephone_audio(voice, text):
    wav, seconds = await tts.synthesize(text, voice)
    rate, channels, rms = loudness(wav)
    assert (rate, channels) == (8000, 1)
    assert 0.8 < seconds < 8
    assert rms > 300  # speech, not silence


async def test_chinese_and_english_voices_sound_different():
    zh, _ = await tts.synthesize("123", "zh")
    en, _ = await tts.synthesize("123", "en")
    assert zh != en
    assert tts.digest_of("zh", "123") != tts.digest_of("en", "123")


async def test_text_that_looks_like_an_option_is_still_just_text():
    wav, seconds = await tts.synthesize("--help -w /etc/passwd", "en")
    assert seconds > 0.5 and loudness(wav)[2] > 300


@pytest.mark.parametrize(
    ("text", "voice"), [("", "zh"), ("   ", "en"), ("x" * 2001, "zh"), ("hi", "fr")]
)
def test_bad_text_or_voice_is_refused(text, voice):
    with pytest.raises(ValueError):
        tts.check_text(text, voice)


async def test_asr_without_a_provider_tells_the_admin_what_to_configure(monkeypatch):
    monkeypatch.delenv(asr.PROVIDER_ENV, raising=False)
    assert not asr.asr_configured()
    with pytest.raises(asr.AsrNotConfigured, match="set FASTLINE_ASR_PROVIDER"):
        await asr.recognize(b"RIFF", language="zh")


async def test_asr_naming_an_unknown_provider_says_so(monkeypatch):
    monkeypatch.setenv(asr.PROVIDER_ENV, "nowhere")
    with pytest.raises(asr.AsrNotConfigured, match="'nowhere' names no registered ASR provider"):
        asr.get_recognizer()


class _EchoHints:
    """A provider written against the protocol: returns its first hint."""

    async def recognize(
        self, wav: bytes, *, language: str, hints: Sequence[str] = ()
    ) -> asr.Recognition:
        return asr.Recognition(text=hints[0] if hints else "", confidence=1.0, language=language)


async def test_a_registered_provider_is_used_once_configured(monkeypatch):
    monkeypatch.setattr(asr, "_PROVIDERS", {})  # leave no provider behind for other tests
    asr.register_provider("echo-hints", _EchoHints)
    monkeypatch.setenv(asr.PROVIDER_ENV, "echo-hints")
    assert asr.asr_configured()
    assert isinstance(asr.get_recognizer(), asr.SpeechRecognizer)
    result = await asr.recognize(b"", language="en", hints=["billing"])
    assert result == asr.Recognition("billing", 1.0, "en")
