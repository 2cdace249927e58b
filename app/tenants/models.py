"""Tenants, users, audit trail and the tenant settings other domains read (TEN-1..7, TEN-9)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.mixins.uuid import uuid7
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, TenantOwned, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    QA = "qa"
    AGENT = "agent"
    # Platform staff live in the platform tenant; they manage the tenant registry only.
    OPERATOR = "operator"


class Tenant(Base):
    """The tenant registry. Not tenant-owned: RLS shows a tenant only its own row."""

    __tablename__ = "tenant"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    # Seats register as <extension>@<sip_domain>; Kamailio identifies the tenant by it.
    sip_domain: Mapped[str | None] = mapped_column(String(255), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    # TEN-3: force a password change after this many days (None: never).
    password_max_age_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    require_totp_for_admins: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


class User(TenantOwned):
    __tablename__ = "user_account"
    __table_args__ = (
        Index("uq_user_account_email", "tenant_id", text("lower(email)"), unique=True),
    )

    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    password_changed_at: Mapped[datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow
    )
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditEntry(TenantOwned):
    """TEN-4. The app role may insert and read these rows, never change or delete them."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "tenant_id", "at"),)

    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    actor_id: Mapped[UUID | None] = mapped_column(nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    method: Mapped[str | None] = mapped_column(String(10), nullable=True)
    path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    target_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    source_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class Business(TenantOwned):
    """TEN-5: a line of business; queues, seats and trunks are assigned to one."""

    __tablename__ = "business"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_business_name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    calendar_id: Mapped[UUID | None] = mapped_column(nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Calendar(TenantOwned):
    """TEN-6: weekly hours, holidays and special work days in one time zone."""

    __tablename__ = "business_calendar"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_calendar_name"),)

    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # [{"weekday": 0..6 (Monday=0), "start": "09:00", "end": "18:00"}, ...]
    weekly_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # [{"date": "2026-10-01", "name": "National Day"}]
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    # [{"date": "2026-09-27", "name": "...", "start": "09:00", "end": "18:00"}]
    special_days: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)


class CallerListEntry(TenantOwned):
    """TEN-7: black list (blocked), white list (VIP), outbound white list."""

    __tablename__ = "caller_list_entry"
    __table_args__ = (
        UniqueConstraint("tenant_id", "list_kind", "number", name="uq_caller_list_number"),
    )

    list_kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class PhoneNumber(TenantOwned):
    """TEN-9: a DID or 400/800 number. A number belongs to one tenant platform-wide."""

    __tablename__ = "phone_number"
    __table_args__ = (UniqueConstraint("number", name="uq_phone_number_number"),)

    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(10), default="did")
    label: Mapped[str] = mapped_column(String(100), default="")
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    flow_id: Mapped[UUID | None] = mapped_column(nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class JobRun(TenantOwned):
    """Idempotency of Dramatiq actors: one row per unique job key per tenant."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("tenant_id", "key", name="uq_job_run_key"),)

    key: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="running")
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
