"""IVR-4: text to speech with espeak-ng, in Chinese (voice `cmn`) and English (`en`).

A rendering is cached per tenant by the hash of (voice, text) at
`tenant/<id>/tts/<sha256>.wav`, so the same text is rendered once; the Dramatiq actor
(`app.ivr_builder.actors.render_tts`) does it in the background under `run_once`.

callcontrol, for a say_text node (and menu/collect texts):

    path = await tts_path(tenant_id, text, voice, max_seconds=5.0)

returns the 8 kHz WAV to play, rendering it in-process first if it is not cached yet; it raises
`TtsError` if espeak-ng fails and `TimeoutError` if rendering takes longer than `max_seconds`.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from app.ivr_builder.audio import AudioError, run_tool, to_telephone_wav, tool
from app.ivr_builder.prompts import MAX_PROMPT_SECONDS, local_path
from app.lib.keys import tenant_object_key
from app.lib.storage import Storage, get_storage
from app.worker.idempotency import job_status, run_once

TtsVoice = Literal["zh", "en"]
# Our voice names (the flow nodes' `voice`) -> espeak-ng voices.
ESPEAK_VOICES: dict[str, str] = {"zh": "cmn", "en": "en"}
MAX_TEXT = 2000
ESPEAK_TIMEOUT_SECONDS = 30.0
ACTOR_NAME = "render_tts"


class TtsError(RuntimeError):
    """espeak-ng could not render the text."""


@dataclass(frozen=True, slots=True)
class Rendering:
    digest: str
    object_key: str
    state: Literal["ready", "queued", "missing"]


def digest_of(voice: str, text: str) -> str:
    # NUL cannot occur in either part, so ("a", "b c") and ("a b", "c") never collide.
    return hashlib.sha256(f"{voice}\0{text}".encode()).hexdigest()


def tts_object_key(tenant_id: UUID, digest: str) -> str:
    return tenant_object_key(tenant_id, "tts", f"{digest}.wav")


def job_key(digest: str) -> str:
    return f"tts:{digest}"


def check_text(text: str, voice: str) -> None:
    if voice not in ESPEAK_VOICES:
        raise ValueError(f"unknown voice {voice!r}: use one of {sorted(ESPEAK_VOICES)}")
    if not text.strip() or len(text) > MAX_TEXT or "\0" in text:
        raise ValueError(f"text must be 1-{MAX_TEXT} characters")


def _read_if_any(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


async def synthesize(text: str, voice: str) -> tuple[bytes, float]:
    """espeak-ng's WAV (22.05 kHz) resampled to 8 kHz; (wav bytes, seconds)."""
    check_text(text, voice)
    with tempfile.TemporaryDirectory(prefix="fastline-tts-") as tmp:
        out = Path(tmp) / "tts.wav"
        # Text on stdin, never argv: text starting with '-' is not an option, and its length is
        # not bounded by the command line. `-b 1`: the input is UTF-8.
        args = [tool("espeak-ng"), "-v", ESPEAK_VOICES[voice], "-b", "1", "-w", str(out),
                "--stdin"]  # fmt: skip
        status, err = await run_tool(args, stdin=text.encode(), max_seconds=ESPEAK_TIMEOUT_SECONDS)
        raw = await asyncio.to_thread(_read_if_any, out)
        if status != 0 or not raw:
            raise TtsError(f"espeak-ng failed: {err.decode('utf-8', 'replace').strip()[:200]}")
    try:
        audio = await to_telephone_wav(raw, max_seconds=MAX_PROMPT_SECONDS)
    except AudioError as exc:
        raise TtsError(f"the rendering could not be converted: {exc}") from exc
    return audio.wav, audio.duration_seconds


async def render(tenant_id: UUID, text: str, voice: str,
                 storage: Storage | None = None) -> dict[str, Any]:  # fmt: skip
    """Render and store (always); the job result kept by run_once."""
    storage = storage or get_storage()
    digest = digest_of(voice, text)
    wav, seconds = await synthesize(text, voice)
    key = tts_object_key(tenant_id, digest)
    storage.put(key, wav)
    return {"digest": digest, "objectKey": key, "durationSeconds": seconds, "voice": voice}


async def render_once(tenant_id: UUID, text: str, voice: str,
                      storage: Storage | None = None) -> dict[str, Any]:  # fmt: skip
    """At most one rendering per (tenant, voice, text): a duplicate finds the job done."""
    check_text(text, voice)
    digest = digest_of(voice, text)
    return await run_once(tenant_id, job_key(digest), ACTOR_NAME,
                          lambda: render(tenant_id, text, voice, storage))  # fmt: skip


async def rendering_state(tenant_id: UUID, digest: str,
                          storage: Storage | None = None) -> Rendering:  # fmt: skip
    storage = storage or get_storage()
    key = tts_object_key(tenant_id, digest)
    if storage.exists(key):
        return Rendering(digest, key, "ready")
    job = await job_status(tenant_id, job_key(digest))
    # A job row without the file: queued, or done and the file purged since (render again).
    state: Literal["queued", "missing"] = (
        "queued" if job is not None and job.status != "done" else "missing"
    )
    return Rendering(digest, key, state)


async def ensure_rendered(tenant_id: UUID, text: str, voice: str,
                          storage: Storage | None = None) -> Path:  # fmt: skip
    """The rendering's file; rendered once if not cached (the actor and tts_path share it)."""
    storage = storage or get_storage()
    key = tts_object_key(tenant_id, digest_of(voice, text))
    if not storage.exists(key):
        await render_once(tenant_id, text, voice, storage)
        if not storage.exists(key):  # the job was done once and its file purged since
            await render(tenant_id, text, voice, storage)
    return local_path(storage, key)


async def tts_path(tenant_id: UUID, text: str, voice: str, *, max_seconds: float = 5.0,
                   storage: Storage | None = None) -> Path:  # fmt: skip
    """The cached rendering's file, rendered now (within `max_seconds`) if not cached."""
    check_text(text, voice)
    async with asyncio.timeout(max_seconds):
        return await ensure_rendered(tenant_id, text, voice, storage)
