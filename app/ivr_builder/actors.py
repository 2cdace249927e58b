"""Dramatiq actors of the IVR builder: TTS rendering (IVR-4)."""

from __future__ import annotations

from uuid import UUID

import dramatiq

import app.worker  # noqa: F401  (the broker first)
from app.ivr_builder.tts import ensure_rendered


@dramatiq.actor(queue_name="tts", max_retries=3, min_backoff=500, max_backoff=10_000)  # type: ignore[arg-type]
async def render_tts(tenant_id: str, text: str, voice: str) -> None:
    """Render (voice, text) with espeak-ng once per tenant; a duplicate finds it cached."""
    await ensure_rendered(UUID(tenant_id), text, voice)
