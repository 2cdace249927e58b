"""IVR flows, their versions (IVR-3), the information tables flows read (IVR-6), prompts
(IVR-4), voicemail (IVR-5) and survey answers (REC-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned


class IvrFlow(TenantOwned):
    """A named flow. Calls run its published version; the canvas edits its draft."""

    __tablename__ = "ivr_flow"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_ivr_flow_name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    published_version_id: Mapped[UUID | None] = mapped_column(nullable=True)


class IvrFlowVersion(TenantOwned):
    """One numbered version of a flow: draft (at most one per flow), published or archived."""

    __tablename__ = "ivr_flow_version"
    __table_args__ = (
        UniqueConstraint("tenant_id", "flow_id", "number", name="uq_ivr_flow_version_number"),
        # tenant_id in the key: a version can only ever belong to a flow of its own tenant.
        ForeignKeyConstraint(
            ["tenant_id", "flow_id"],
            ["ivr_flow.tenant_id", "ivr_flow.id"],
            ondelete="CASCADE",
            name="fk_ivr_flow_version_flow",
        ),
    )

    flow_id: Mapped[UUID] = mapped_column()
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft|published|archived
    created_by: Mapped[UUID | None] = mapped_column(nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class IvrInfoEntry(TenantOwned):
    """IVR-6: an announcement or information entry (table, key) -> text, read at call time."""

    __tablename__ = "ivr_info_entry"
    __table_args__ = (
        UniqueConstraint("tenant_id", "table_name", "key", name="uq_ivr_info_entry_key"),
    )

    table_name: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


# --- voice: prompts (IVR-4), voicemail (IVR-5), survey answers (REC-6) ---------------------------


class IvrPrompt(TenantOwned):
    """IVR-4: a recorded prompt, stored as 8 kHz mono WAV; flows play it by `name`."""

    __tablename__ = "ivr_prompt"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_ivr_prompt_name"),)

    name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="")  # "", zh, en
    duration_seconds: Mapped[float] = mapped_column(Float)
    size_bytes: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(500))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    original_format: Mapped[str] = mapped_column(String(8))  # wav | mp3
    created_by: Mapped[UUID | None] = mapped_column(nullable=True)


class VoicemailBox(TenantOwned):
    """IVR-5: where messages are left (flows name it in a voicemail node's `mailbox`).

    Agents see the boxes of their own extensions and of the businesses their extensions belong
    to; a queue's box is given the queue's business so that its agents see it.
    """

    __tablename__ = "voicemail_box"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_voicemail_box_name"),)

    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    queue: Mapped[str | None] = mapped_column(String(100), nullable=True)
    extension: Mapped[str | None] = mapped_column(String(6), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class VoicemailMessage(TenantOwned):
    """IVR-5: one message: new -> heard -> accepted (one agent) -> called_back; or deleted
    (soft: the row and its audit stay)."""

    __tablename__ = "voicemail_message"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "box_id"],
            ["voicemail_box.tenant_id", "voicemail_box.id"],
            ondelete="RESTRICT",
            name="fk_voicemail_message_box",
        ),
        Index("ix_voicemail_message_box", "tenant_id", "box_id", "status", "created_at"),
        # A retried store from callcontrol finds the call's message instead of adding another.
        Index(
            "uq_voicemail_message_call",
            "tenant_id",
            "call_key",
            unique=True,
            postgresql_where=text("call_key IS NOT NULL"),
        ),
    )

    box_id: Mapped[UUID] = mapped_column()
    call_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    caller_number: Mapped[str] = mapped_column(String(64), default="")
    callback_number: Mapped[str] = mapped_column(String(64), default="")
    object_key: Mapped[str] = mapped_column(String(500))
    duration_seconds: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default="new")
    heard_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    heard_by: Mapped[UUID | None] = mapped_column(nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    accepted_by: Mapped[UUID | None] = mapped_column(nullable=True)
    called_back_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), nullable=True
    )
    called_back_by: Mapped[UUID | None] = mapped_column(nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    deleted_by: Mapped[UUID | None] = mapped_column(nullable=True)


class SurveyAnswer(TenantOwned):
    """REC-6: one caller's answer to one survey question in one call (the last key pressed)."""

    __tablename__ = "survey_answer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "call_key", "question", name="uq_survey_answer_call"),
        Index("ix_survey_answer_question", "tenant_id", "question", "answered_at"),
    )

    call_key: Mapped[str] = mapped_column(String(100))
    flow_id: Mapped[UUID | None] = mapped_column(nullable=True)
    node_id: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the answer, if a number
    answered_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
