"""IVR-4: speech recognition behind a provider interface.

No recognizer ships with Fastline and none is configured by default: a deployment registers
one (`register_provider("acme", factory)`, e.g. from a plugin module imported at start-up) and
names it in FASTLINE_ASR_PROVIDER. Until then `get_recognizer()` raises `AsrNotConfigured`
with a message the administrator can act on. No IVR node type takes speech input yet, so no
flow needs a recognizer; a future node type checks `asr_configured()` in validation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

PROVIDER_ENV = "FASTLINE_ASR_PROVIDER"


@dataclass(frozen=True, slots=True)
class Recognition:
    text: str
    confidence: float  # 0..1 as the provider reports it
    language: str


@runtime_checkable
class SpeechRecognizer(Protocol):
    """Turns a caller's utterance (8 kHz mono 16-bit WAV, as the IVR records it) into text."""

    async def recognize(
        self, wav: bytes, *, language: str, hints: Sequence[str] = ()
    ) -> Recognition: ...


class AsrNotConfigured(RuntimeError):
    """Speech input was asked for and no recognizer is configured."""


ProviderFactory = Callable[[], SpeechRecognizer]
_PROVIDERS: dict[str, ProviderFactory] = {}


def register_provider(name: str, factory: ProviderFactory) -> None:
    _PROVIDERS[name] = factory


def configured_provider() -> str:
    return os.environ.get(PROVIDER_ENV, "").strip()


def asr_configured() -> bool:
    return configured_provider() in _PROVIDERS


def get_recognizer() -> SpeechRecognizer:
    name = configured_provider()
    if not name:
        raise AsrNotConfigured(
            "Speech recognition is not configured: set "
            f"{PROVIDER_ENV} to the name of a registered ASR provider "
            "(none is built in), or use key presses (DTMF) in this flow."
        )
    factory = _PROVIDERS.get(name)
    if factory is None:
        known = ", ".join(sorted(_PROVIDERS)) or "none"
        raise AsrNotConfigured(
            f"{PROVIDER_ENV}={name!r} names no registered ASR provider (registered: {known}); "
            "import the provider's module at start-up or fix the name."
        )
    return factory()


async def recognize(wav: bytes, *, language: str, hints: Sequence[str] = ()) -> Recognition:
    """What callcontrol calls for speech input; AsrNotConfigured when there is no provider."""
    return await get_recognizer().recognize(wav, language=language, hints=hints)
