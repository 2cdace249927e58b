"""Per-request database session, scoped to the caller's tenant; commits when the handler
succeeds, rolls back when it raises."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import TENANT_KEY, get_sessionmaker


async def provide_db_session(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    principal = request.scope.get("user")
    async with get_sessionmaker()() as session:
        if principal is not None:
            session.info[TENANT_KEY] = principal.tenant_id
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        else:
            await session.commit()


# Handlers declare `db_session: DbSession` to receive the request's session.
DbSession = NamedDependency[AsyncSession]
