"""Call records (CDRs): one per call, written once at its end, idempotently (ARCHITECTURE.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned


class CallRecord(TenantOwned):
    """`call_key` is callcontrol's id for the call; the unique constraint makes a retried write
    an update of the same row, never a second record."""

    __tablename__ = "call_record"
    __table_args__ = (
        UniqueConstraint("tenant_id", "call_key", name="uq_call_record_key"),
        Index("ix_call_record_arrived", "tenant_id", "arrived_at"),
    )

    call_key: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))  # inbound | outbound | internal
    from_number: Mapped[str] = mapped_column(String(64), default="")
    to_number: Mapped[str] = mapped_column(String(64), default="")
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    trunk_id: Mapped[UUID | None] = mapped_column(nullable=True)
    agent_user_id: Mapped[UUID | None] = mapped_column(nullable=True)
    extension: Mapped[str | None] = mapped_column(String(6), nullable=True)
    arrived_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    bridged_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    hangup_cause: Mapped[str] = mapped_column(String(50), default="")
    hangup_side: Mapped[str] = mapped_column(String(20), default="")  # customer | agent | system
    # Every leg: [{"role": "customer", "callId": ..., "from": ..., "to": ..., "startedAt": ...,
    #   "answeredAt": ..., "endedAt": ..., "sipStatus": 200, "cause": "..."}]
    legs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    dtmf: Mapped[str] = mapped_column(String(200), default="")
    # REC-4 queue report: the ACD queue the call waited in (the last one) and since when.
    queue_id: Mapped[UUID | None] = mapped_column(nullable=True)
    queued_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class Recording(TenantOwned):
    """REC-1: the stereo audio of a call (customer left, agent right) in object storage."""

    __tablename__ = "recording"
    __table_args__ = (UniqueConstraint("tenant_id", "call_key", name="uq_recording_call"),)

    call_key: Mapped[str] = mapped_column(String(100))
    call_record_id: Mapped[UUID | None] = mapped_column(nullable=True)
    object_key: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | ready | failed
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
