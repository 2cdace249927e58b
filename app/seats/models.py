"""Seats and extensions (SEAT-1, SEAT-10). An extension is what a phone or browser registers as."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned


class Extension(TenantOwned):
    """A SIP account of the tenant: `<number>@<tenant sip domain>`, digest auth by HA1.

    Kamailio reads (number, domain, ha1) through the `kamailio_subscriber` view; the plain
    password is never stored.
    """

    __tablename__ = "extension"
    __table_args__ = (UniqueConstraint("tenant_id", "number", name="uq_extension_number"),)

    number: Mapped[str] = mapped_column(String(6))  # 3-6 digits (SEAT-6 internal calls)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    # HA1 = MD5(username:realm:password), realm = the tenant's SIP domain (RFC 2617 3.2.2.2).
    ha1: Mapped[str] = mapped_column(String(32))
    # SHA-256 HA1 for clients that support RFC 7616.
    ha1_sha256: Mapped[str] = mapped_column(String(64), default="")
    seat_type: Mapped[str] = mapped_column(String(10), default="webrtc")  # webrtc | sip | gateway
    user_id: Mapped[UUID | None] = mapped_column(nullable=True)  # the agent bound to it
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    bound_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)  # SEAT-10
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
