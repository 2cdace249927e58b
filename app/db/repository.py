"""Tenant-scoped repositories: no query reaches a tenant table without the tenant.

RLS in Postgres is the backstop; this layer filters by tenant as well, so a bug in one is caught
by the other. Constructing a repository without a tenant is an error, never "all tenants".
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar
from uuid import UUID

from advanced_alchemy.exceptions import NotFoundError
from advanced_alchemy.filters import LimitOffset, StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import TenantOwned

M = TypeVar("M", bound=TenantOwned)


class MissingTenantError(RuntimeError):
    """Raised when tenant-owned data is touched without a tenant: fail closed."""


class TenantRepository(SQLAlchemyAsyncRepository[M], Generic[M]):
    def __init__(self, *, session: AsyncSession, tenant_id: UUID | None, **kwargs: Any) -> None:
        if tenant_id is None:
            raise MissingTenantError(f"{self.model_type.__name__}: no tenant given")
        model = self.model_type
        super().__init__(
            session=session, statement=select(model).where(model.tenant_id == tenant_id), **kwargs
        )
        self.tenant_id = tenant_id

    async def get_one_by_id(self, item_id: UUID) -> M:
        return await self.get((self.tenant_id, item_id))

    async def find_by_id(self, item_id: UUID) -> M | None:
        try:
            return await self.get_one_by_id(item_id)
        except NotFoundError:
            return None

    async def add_owned(self, item: M) -> M:
        # Whatever tenant a request body claimed, the row belongs to the caller's tenant.
        item.tenant_id = self.tenant_id
        return await self.add(item)

    async def delete_by_id(self, item_id: UUID) -> M:
        return await self.delete((self.tenant_id, item_id))

    async def page(
        self, *filters: StatementFilter | Any, limit: int, offset: int
    ) -> tuple[list[M], int]:
        return await self.get_many_and_count(*filters, LimitOffset(limit=limit, offset=offset))
