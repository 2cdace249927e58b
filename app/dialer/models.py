"""Campaigns, lead lists, leads, attempts, callbacks, dispositions (DIAL-1, 5, 6, 7, 9, 10).

Every table is tenant-owned (forced RLS, migration 0006_dialer); references between them are
composite `(tenant_id, id)` keys, so a row can only point at a row of its own tenant.
Numbers are stored in E.164 (`app/dialer/numbers.py`); only admins and supervisors ever get
them back (DIAL-6, see `app/dialer/leads.py`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned


class CampaignMode(enum.StrEnum):
    PREVIEW = "preview"
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    NOTIFICATION = "notification"


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


class LeadStatus(enum.StrEnum):
    NEW = "new"  # never dialled
    DIALING = "dialing"  # handed to the dialer by next_leads (until reserved_until)
    RETRY = "retry"  # waits for next_attempt_at
    CALLBACK = "callback"  # an agent asked to call again at callback_at
    DONE = "done"  # reached, disposition final
    EXHAUSTED = "exhausted"  # max attempts used
    DNC = "dnc"  # put on a do-not-call list after import


class Outcome(enum.StrEnum):
    """How an attempt ended, as the dialer runtime reports it (SIP status + CPA)."""

    ANSWERED = "answered"  # a person, connected to an agent
    ABANDONED = "abandoned"  # a person answered and no agent was free in time (DIAL-2 rate)
    BUSY = "busy"  # 486/600 or busy tone
    NO_ANSWER = "no_answer"  # 480/408/487 after ringing, or ring-back until timeout
    MACHINE = "machine"  # answering machine (CPA)
    FAILED = "failed"  # 5xx, congestion, SIT tone
    INVALID = "invalid"  # 404/484/SIT vacant: never redial
    DELIVERED = "delivered"  # DIAL-8: the notification played to its end (a person or a machine)


RETRYABLE = (Outcome.BUSY, Outcome.NO_ANSWER, Outcome.MACHINE, Outcome.FAILED)


def _ref(column: str, target: str, ondelete: str = "CASCADE") -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], ondelete=ondelete
    )


class AgentGroup(TenantOwned):
    """A team of agents that campaigns are given to (DIAL-1); an agent is in one group."""

    __tablename__ = "dialer_agent_group"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_dialer_agent_group_name"),)

    name: Mapped[str] = mapped_column(String(100))
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)


class AgentGroupMember(TenantOwned):
    __tablename__ = "dialer_agent_group_member"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", name="uq_dialer_agent_group_member_user"),
        _ref("group_id", "dialer_agent_group"),
    )

    group_id: Mapped[UUID] = mapped_column(Uuid)
    user_id: Mapped[UUID] = mapped_column(Uuid)


class Campaign(TenantOwned):
    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_campaign_name"),)

    name: Mapped[str] = mapped_column(String(100))
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    mode: Mapped[str] = mapped_column(String(20), default=CampaignMode.PREVIEW)
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT)
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # [{"start": "09:00", "end": "12:00"}, ...] in the CALLEE's local time (DIAL-5)
    windows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    trunk_id: Mapped[UUID | None] = mapped_column(nullable=True)
    caller_id: Mapped[str] = mapped_column(String(32), default="")
    max_channels: Mapped[int] = mapped_column(Integer, default=10)
    agent_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    group_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    # {"busy": {"delayMinutes": 10, "maxAttempts": 3}, "no_answer": ..., "machine": ..., ...}
    retry_rules: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    # Defaults as benched (bench/dialer.py): aim at 2% under the 3% cap, up to 6 lines per agent.
    target_abandon_rate: Mapped[float] = mapped_column(Float, default=0.02)
    manual_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_ratio: Mapped[float] = mapped_column(Float, default=6.0)
    abandon_prompt_id: Mapped[UUID | None] = mapped_column(nullable=True)
    min_ring_seconds: Mapped[float] = mapped_column(Float, default=15.0)
    script: Mapped[str] = mapped_column(Text, default="")  # DIAL-7: shown on the screen pop
    # DIAL-8 notification message: an uploaded prompt, else TTS text (rendered once, cached)
    message_prompt_id: Mapped[UUID | None] = mapped_column(nullable=True)
    message_text: Mapped[str] = mapped_column(Text, default="")
    message_voice: Mapped[str] = mapped_column(String(8), default="zh")
    # {"promptId"|"text", "keys": [{"key": "1", "label": ...}], "repeat", "timeoutSeconds"}
    survey: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Left after the beep on answering machines (progressive/predictive campaigns)
    machine_prompt_id: Mapped[UUID | None] = mapped_column(nullable=True)
    machine_text: Mapped[str] = mapped_column(Text, default="")


class CampaignDnc(TenantOwned):
    """The campaign's own do-not-call list (beside the tenant black list, TEN-7)."""

    __tablename__ = "campaign_dnc"
    __table_args__ = (
        UniqueConstraint("tenant_id", "campaign_id", "number", name="uq_campaign_dnc_number"),
        _ref("campaign_id", "campaign"),
    )

    campaign_id: Mapped[UUID] = mapped_column(Uuid)
    number: Mapped[str] = mapped_column(String(32))  # E.164


class Disposition(TenantOwned):
    """What an agent records after a call (DIAL-7); `is_success` counts as a sale/conversion,
    `is_final` stops dialling the lead."""

    __tablename__ = "campaign_disposition"
    __table_args__ = (
        UniqueConstraint("tenant_id", "campaign_id", "code", name="uq_campaign_disposition_code"),
        _ref("campaign_id", "campaign"),
    )

    campaign_id: Mapped[UUID] = mapped_column(Uuid)
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    is_success: Mapped[bool] = mapped_column(Boolean, default=False)
    is_final: Mapped[bool] = mapped_column(Boolean, default=True)


class LeadList(TenantOwned):
    """One imported file: its mapping, progress counters and the error report."""

    __tablename__ = "lead_list"
    __table_args__ = (_ref("campaign_id", "campaign"),)

    campaign_id: Mapped[UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    file_format: Mapped[str] = mapped_column(String(10), default="csv")
    # {"phone": "Mobile", "name": "Customer", "timezone": null, "fields": {"company": "Firm"}}
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="awaiting_file")
    object_key: Mapped[str] = mapped_column(String(500), default="")
    errors_key: Mapped[str] = mapped_column(String(500), default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)  # rejects by reason
    error: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[UUID | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class Lead(TenantOwned):
    __tablename__ = "lead"
    __table_args__ = (
        UniqueConstraint("tenant_id", "campaign_id", "phone", name="uq_lead_campaign_phone"),
        _ref("campaign_id", "campaign"),
        _ref("list_id", "lead_list"),
        Index("ix_lead_dialable", "tenant_id", "campaign_id", "status", "next_attempt_at"),
        Index("ix_lead_agent", "tenant_id", "assigned_agent_id", "status"),
        Index("ix_lead_list_line", "tenant_id", "list_id", "line"),
    )

    campaign_id: Mapped[UUID] = mapped_column(Uuid)
    list_id: Mapped[UUID] = mapped_column(Uuid)
    line: Mapped[int] = mapped_column(Integer, default=0)  # line in the imported file
    phone: Mapped[str] = mapped_column(String(32))  # E.164; never sent to agents (DIAL-6)
    name: Mapped[str] = mapped_column(String(200), default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.NEW)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome_counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    last_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(40), nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), nullable=True
    )
    reserved_until: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), nullable=True
    )
    assigned_agent_id: Mapped[UUID | None] = mapped_column(nullable=True)
    assigned_group_id: Mapped[UUID | None] = mapped_column(nullable=True)


class LeadAttempt(TenantOwned):
    __tablename__ = "lead_attempt"
    __table_args__ = (
        _ref("lead_id", "lead"),
        Index("ix_lead_attempt_campaign_started", "tenant_id", "campaign_id", "started_at"),
    )

    lead_id: Mapped[UUID] = mapped_column(Uuid)
    campaign_id: Mapped[UUID] = mapped_column(Uuid)
    list_id: Mapped[UUID] = mapped_column(Uuid)
    call_key: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    sip_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cpa_verdict: Mapped[str | None] = mapped_column(String(20), nullable=True)
    cpa_decision_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    agent_id: Mapped[UUID | None] = mapped_column(nullable=True)
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    disposition: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    survey_key: Mapped[str | None] = mapped_column(String(1), nullable=True)  # DIAL-8
    survey_label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    message_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Callback(TenantOwned):
    """An agent's "call again in N days / at 15:00" (DIAL-5) with a reminder."""

    __tablename__ = "lead_callback"
    __table_args__ = (
        _ref("lead_id", "lead"),
        Index("ix_lead_callback_due", "tenant_id", "status", "due_at"),
    )

    lead_id: Mapped[UUID] = mapped_column(Uuid)
    campaign_id: Mapped[UUID] = mapped_column(Uuid)
    agent_id: Mapped[UUID | None] = mapped_column(nullable=True)
    due_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|done|cancelled
    reminded_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
