"""REC-1: turn a call's rtpengine capture into a stereo WAV in storage and link it to the CDR.

The capture is `<recording_dir>/pcaps/<call_key>-<random>.pcap` (callcontrol uses the call key as
rtpengine's call-id). The customer is told apart by the rtpengine ports it sent to, i.e. the
ports of every SDP rtpengine gave the customer (see pcap_to_wav.customer_side_from_sdp).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from advanced_alchemy.mixins.uuid import uuid7
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.models import CallRecord, Recording
from app.db.session import tenant_session
from app.lib.keys import tenant_object_key
from app.lib.storage import Storage
from app.recordings.models import RecordingListen
from app.recordings.pcap_to_wav import CustomerSide, convert_pcap_to_stereo_wav


class CaptureNotFoundError(RuntimeError):
    """No pcap for the call yet (rtpengine still writing, or shared folder lagging): retry."""


def recording_object_key(tenant_id: UUID, call_key: str) -> str:
    return tenant_object_key(tenant_id, "recordings", f"{call_key}.wav")


def find_capture(recording_dir: Path, call_key: str) -> Path | None:
    matches = sorted((recording_dir / "pcaps").glob(f"{call_key}-*.pcap"))
    return matches[-1] if matches else None


async def store_recording(
    tenant_id: UUID,
    call_key: str,
    customer_ports: list[int],
    *,
    recording_dir: Path,
    storage: Storage,
) -> dict[str, Any]:
    """Convert, store, upsert the `Recording` row; safe to run again for the same call."""
    key = recording_object_key(tenant_id, call_key)
    capture = find_capture(recording_dir, call_key)
    if capture is None:
        if storage.exists(key):
            return await _existing(tenant_id, call_key)
        raise CaptureNotFoundError(f"no capture for call {call_key} in {recording_dir}")
    customer = CustomerSide(rtpengine_ports=frozenset(customer_ports))
    with tempfile.TemporaryDirectory() as tmp:
        info = convert_pcap_to_stereo_wav(capture, Path(tmp) / "call.wav", customer)
        data = info.path.read_bytes()
    storage.put(key, data)
    await _upsert(tenant_id, call_key, key, info.duration_s, len(data))
    capture.unlink(missing_ok=True)  # the WAV is the recording now; pcaps hold raw packets
    return {"objectKey": key, "durationSeconds": info.duration_s, "sizeBytes": len(data)}


async def _upsert(tenant_id: UUID, call_key: str, key: str, duration: float, size: int) -> None:
    async with tenant_session(tenant_id) as session:
        record_id = await session.scalar(
            select(CallRecord.id).where(
                CallRecord.tenant_id == tenant_id, CallRecord.call_key == call_key
            )
        )
        values = {
            "call_record_id": record_id,
            "object_key": key,
            "status": "ready",
            "duration_seconds": duration,
            "size_bytes": size,
            "error": "",
        }
        stmt = insert(Recording).values(tenant_id=tenant_id, call_key=call_key, **values)
        await session.execute(
            stmt.on_conflict_do_update(
                constraint="uq_recording_call", set_=values | {"updated_at": func.now()}
            )
        )


async def _existing(tenant_id: UUID, call_key: str) -> dict[str, Any]:
    async with tenant_session(tenant_id) as session:
        row = await session.scalar(
            select(Recording).where(
                Recording.tenant_id == tenant_id, Recording.call_key == call_key
            )
        )
    if row is None:
        raise CaptureNotFoundError(f"stored audio but no row for call {call_key}")
    return {
        "objectKey": row.object_key,
        "durationSeconds": row.duration_seconds,
        "sizeBytes": row.size_bytes,
    }


# ---------------------------------------------------------------------------- listening (REC-2)


async def mark_listened(
    session: AsyncSession, tenant_id: UUID, recording_id: UUID, user_id: UUID
) -> None:
    """The user played the recording: first time creates the mark, later plays count."""
    at = datetime.now(UTC)
    stmt = insert(RecordingListen).values(
        tenant_id=tenant_id,
        id=uuid7(),
        recording_id=recording_id,
        user_id=user_id,
        first_listened_at=at,
        last_listened_at=at,
        times=1,
        created_at=at,
        updated_at=at,
    )
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_recording_listen_user",
            set_={
                "last_listened_at": at,
                "times": RecordingListen.times + 1,
                "updated_at": at,
            },
        )
    )


async def mark_unlistened(
    session: AsyncSession, tenant_id: UUID, recording_id: UUID, user_id: UUID
) -> None:
    await session.execute(
        delete(RecordingListen).where(
            RecordingListen.tenant_id == tenant_id,
            RecordingListen.recording_id == recording_id,
            RecordingListen.user_id == user_id,
        )
    )


# ---------------------------------------------------------------------------- byte ranges


class RangeNotSatisfiableError(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """RFC 9110 14.1.2 `bytes=a-b`, `bytes=a-`, `bytes=-n` -> inclusive (start, end); None for
    no (or a multi-range / non-bytes) header: the whole file. Unsatisfiable raises."""
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # RFC 9110 14.2: a server may ignore a Range it does not support
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if not first:  # suffix: the last n bytes
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiableError(header)
        return max(0, size - n), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last.isdigit() else size - 1
    if start >= size or end < start:
        raise RangeNotSatisfiableError(header)
    return start, end
