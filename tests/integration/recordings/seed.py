"""Seed CDRs, recordings (real WAVs in storage) and queues for the recordings/reports tests."""

from __future__ import annotations

import io
import math
import struct
import uuid
import wave
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from app.calls.models import Recording
from app.calls.services import save_call_record
from app.db.session import tenant_session
from app.lib.storage import get_storage
from app.recordings.services import recording_object_key
from app.seats.queues import AcdQueue
from app.tenants.models import Business


def tone_wav(seconds: float, rate: int = 8000) -> bytes:
    """A stereo 16-bit WAV: 440 Hz left (customer), 660 Hz right (agent)."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        left = int(8000 * math.sin(2 * math.pi * 440 * i / rate))
        right = int(8000 * math.sin(2 * math.pi * 660 * i / rate))
        frames += struct.pack("<hh", left, right)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return out.getvalue()


async def seed_call(
    tenant_id: UUID,
    arrived: datetime,
    *,
    direction: str = "inbound",
    from_number: str = "13800138000",
    to_number: str = "+861012345678",
    agent_user_id: UUID | None = None,
    extension: str | None = None,
    queue_id: UUID | None = None,
    queued_after: float | None = None,
    bridged_after: float | None = None,
    ended_after: float = 60.0,
    hangup_side: str = "customer",
    legs: list[dict[str, Any]] | None = None,
) -> tuple[UUID, str]:
    """One CDR; offsets are seconds after `arrived`. Returns (id, call key)."""
    key = uuid.uuid4().hex

    def at(offset: float | None) -> datetime | None:
        return arrived + timedelta(seconds=offset) if offset is not None else None

    record_id = await save_call_record(
        {
            "tenant_id": tenant_id,
            "call_key": key,
            "direction": direction,
            "from_number": from_number,
            "to_number": to_number,
            "agent_user_id": agent_user_id,
            "extension": extension,
            "arrived_at": arrived,
            "answered_at": at(0.5),
            "bridged_at": at(bridged_after),
            "ended_at": at(ended_after),
            "hangup_cause": "normal",
            "hangup_side": hangup_side,
            "legs": legs or [],
            "dtmf": "",
            "queue_id": queue_id,
            "queued_at": at(queued_after),
        }
    )
    return record_id, key


async def seed_recording(tenant_id: UUID, call_key: str, seconds: float = 2.0) -> UUID:
    data = tone_wav(seconds)
    key = recording_object_key(tenant_id, call_key)
    get_storage().put(key, data)
    async with tenant_session(tenant_id) as session:
        rec = Recording(
            tenant_id=tenant_id,
            call_key=call_key,
            object_key=key,
            status="ready",
            duration_seconds=seconds,
            size_bytes=len(data),
        )
        session.add(rec)
        await session.flush()
        return rec.id


async def seed_queue(tenant_id: UUID, name: str) -> UUID:
    async with tenant_session(tenant_id) as session:
        business = Business(tenant_id=tenant_id, name=f"{name} business")
        session.add(business)
        await session.flush()
        queue = AcdQueue(tenant_id=tenant_id, name=name, business_id=business.id)
        session.add(queue)
        await session.flush()
        return queue.id
