"""Carrier SIP trunks and site gateways (EDGE-3)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned
from app.lib.sealed import Sealed


class Trunk(TenantOwned):
    """A carrier SIP trunk or an E1/PRI gateway at a customer site.

    Inbound calls are identified by source address (`source_ips`, IP auth) or by the trunk's
    registration; outbound calls go to `host:port` with digest credentials when given.
    """

    __tablename__ = "trunk"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_trunk_name"),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10), default="carrier")  # carrier | gateway
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=5060)
    transport: Mapped[str] = mapped_column(String(5), default="udp")
    source_ips: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    username: Mapped[str] = mapped_column(String(100), default="")
    # Needed in clear to answer the carrier's digest challenge (UAC side): sealed at rest.
    password: Mapped[str] = mapped_column(Sealed(), default="")
    caller_id: Mapped[str] = mapped_column(String(32), default="")
    max_channels: Mapped[int] = mapped_column(Integer, default=30)
    business_id: Mapped[UUID | None] = mapped_column(nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
