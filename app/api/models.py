"""Partner API clients (API-1) and webhook endpoints, deliveries and attempts (API-2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned
from app.lib.sealed import Sealed


class ApiClient(TenantOwned):
    """An OAuth 2 confidential client. Its id on the wire is `<tenant_id>.<id>` (the token
    endpoint finds the tenant from it); only the SHA-256 of its secret is kept."""

    __tablename__ = "api_client"

    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSONB, default=list)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    # Authorization code + PKCE: where the browser may be sent back with a code (exact match).
    redirect_uris: Mapped[list[str]] = mapped_column(JSONB, default=list)
    # The admin who created it: API calls are audited under this user, as "api:<name>".
    created_by: Mapped[UUID] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)

    @property
    def client_id(self) -> str:
        return f"{self.tenant_id}.{self.id}"


class WebhookEndpoint(TenantOwned):
    """Where a tenant wants its events POSTed. The signing secret is sealed at rest (HMAC
    needs it in clear, so it cannot be a hash: app/lib/sealed.py; RLS keeps it in its tenant)
    and is returned only once, at creation."""

    __tablename__ = "webhook_endpoint"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(JSONB, default=list)
    secret: Mapped[str] = mapped_column(Sealed())
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(TenantOwned):
    """One event for one endpoint; retried until delivered or out of attempts."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoint.tenant_id", "webhook_endpoint.id"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("tenant_id", "endpoint_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_endpoint_created", "tenant_id", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[UUID] = mapped_column()
    event_id: Mapped[str] = mapped_column(String(64))  # the stream entry id, or test-<uuid>
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), nullable=True
    )
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)


class WebhookAttempt(TenantOwned):
    """One POST of a delivery: what came back and how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["webhook_delivery.tenant_id", "webhook_delivery.id"],
            ondelete="CASCADE",
        ),
        Index("ix_webhook_attempt_delivery", "tenant_id", "delivery_id", "attempt"),
    )

    delivery_id: Mapped[UUID] = mapped_column()
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # ok | http_error | timeout | error
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
