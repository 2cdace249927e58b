"""Platform operators: the tenant registry (no tenant's data)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import QueryParameter
from sqlalchemy import func, select

from app.db.session import platform_session
from app.lib.pagination import Offset
from app.tenants import schemas as s
from app.tenants.controllers.convert import tenant_out
from app.tenants.models import Tenant
from app.tenants.permissions import Perm


class PlatformController(Controller):
    path = "/api/v1/platform"
    tags = ["platform"]

    @get("/tenants", opt={"permission": Perm.PLATFORM})
    async def list_tenants(
        self,
        request: Request[Any, Any, Any],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> s.Page[s.TenantOut]:
        async with platform_session() as session:
            total = await session.scalar(select(func.count()).select_from(Tenant)) or 0
            rows = await session.scalars(
                select(Tenant).order_by(Tenant.created_at).limit(limit).offset(offset)
            )
            items = [tenant_out(t) for t in rows]
        return s.Page(items=items, total=total, limit=limit, offset=offset)
