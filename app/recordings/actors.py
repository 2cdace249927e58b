"""Dramatiq actors of the recordings domain."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import dramatiq

import app.worker  # noqa: F401  (the broker first)
from app.callcontrol.config import get_config
from app.calls.history import CallFilters, CallScope
from app.lib.keys import tenant_object_key
from app.lib.storage import get_storage
from app.recordings.exports import build_calls_xlsx
from app.recordings.services import store_recording
from app.worker.idempotency import run_once


async def convert_once(
    tenant_id: UUID, call_key: str, customer_ports: list[int], recording_dir: Path | None = None
) -> dict[str, Any]:
    """The actor's work, at most once per call (a duplicate message returns the stored result)."""

    async def work() -> dict[str, Any]:
        return await store_recording(
            tenant_id,
            call_key,
            customer_ports,
            recording_dir=recording_dir or get_config().recording_dir,
            storage=get_storage(),
        )

    return await run_once(tenant_id, f"recording:{call_key}", "convert_recording", work)


@dramatiq.actor(queue_name="recordings", max_retries=8, min_backoff=1000, max_backoff=60_000)  # type: ignore[arg-type]
async def convert_recording(tenant_id: str, call_key: str, customer_ports: list[int]) -> None:
    """REC-1: a finished call's capture to a stereo WAV; idempotent by call key."""
    await convert_once(UUID(tenant_id), call_key, customer_ports)


@dramatiq.actor(queue_name="exports", max_retries=3)  # type: ignore[arg-type]
async def export_calls(
    tenant_id: str, key: str, user_id: str, role: str, filters: dict[str, Any], lang: str = "en"
) -> None:
    """REC-5: the requester's call search as .xlsx in storage; idempotent by job key."""
    tid = UUID(tenant_id)
    scope = CallScope.for_principal(tid, UUID(user_id), role)

    async def work() -> dict[str, Any]:
        data, rows = await build_calls_xlsx(scope, CallFilters.from_json(filters), lang)
        object_key = tenant_object_key(tid, "exports", f"calls-{key}.xlsx")
        get_storage().put(object_key, data)
        return {"objectKey": object_key, "rows": rows, "userId": user_id}

    await run_once(tid, key, "export_calls", work)
