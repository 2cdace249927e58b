"""Engine and sessions. The tenant is set per transaction, fail closed.

A session carries `info["tenant_id"]`; at the start of every transaction we run
`set_config('app.tenant_id', <id>, true)` (transaction-local), so a pooled connection never
carries one tenant's setting into another tenant's transaction. A session without a tenant sets
nothing, and RLS then shows it no tenant rows at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from app.lib.loopcache import PerLoop
from app.settings import get_settings

TENANT_KEY = "tenant_id"
OPERATOR_KEY = "platform_operator"


def _new_engine(url: str | None) -> AsyncEngine:
    return create_async_engine(
        url or get_settings().database_url, pool_size=10, max_overflow=10, pool_pre_ping=True
    )


engines: PerLoop[AsyncEngine] = PerLoop(_new_engine)


def get_engine(url: str | None = None) -> AsyncEngine:
    return engines.get(url)


def get_sessionmaker(url: str | None = None) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(get_engine(url), expire_on_commit=False)


@event.listens_for(Session, "after_begin")
def _set_tenant_on_begin(
    session: Session, transaction: SessionTransaction, connection: Any
) -> None:
    tenant_id = session.info.get(TENANT_KEY)
    if tenant_id is not None:
        connection.execute(
            text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)}
        )
    if session.info.get(OPERATOR_KEY):
        connection.execute(text("SELECT set_config('app.platform_operator', 'on', true)"))


@asynccontextmanager
async def tenant_session(tenant_id: UUID, *, url: str | None = None) -> AsyncIterator[AsyncSession]:
    """A session whose every transaction is scoped to `tenant_id`; commits on success."""
    async with get_sessionmaker(url)() as session:
        session.info[TENANT_KEY] = tenant_id
        async with session.begin():
            yield session


@asynccontextmanager
async def platform_session(*, url: str | None = None) -> AsyncIterator[AsyncSession]:
    """A session for platform operators: sees the tenant registry, and no tenant's rows."""
    async with get_sessionmaker(url)() as session:
        session.info[OPERATOR_KEY] = True
        async with session.begin():
            yield session
