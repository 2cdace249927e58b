"""Declarative bases. Every tenant-owned table derives from `TenantOwned`.

`TenantOwned` puts `tenant_id` first in the primary key (so the schema can be distributed by
tenant on Citus) and is how the RLS catalogue test and the migrations find tenant tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.mixins.uuid import uuid7
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DefaultBase):
    __abstract__ = True


class TenantOwned(Base):
    """A row that belongs to one tenant; RLS policies key on `tenant_id`."""

    __abstract__ = True

    @declared_attr
    def tenant_id(cls) -> Mapped[UUID]:
        return mapped_column(
            ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True, sort_order=-200
        )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7, sort_order=-100)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTimeUTC(timezone=True), default=utcnow, onupdate=utcnow
    )


def tenant_tables() -> list[str]:
    """Names of every table mapped by a TenantOwned subclass (import the models first)."""
    return sorted(
        str(mapper.class_.__tablename__)
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantOwned)
    )
