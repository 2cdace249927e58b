"""The caller's own tenant: name and security policy (TEN-3 forced change, TOTP for admins)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch
from litestar.params import JSONBody

from app.db.deps import DbSession
from app.tenants import schemas as s
from app.tenants.auth import current_principal
from app.tenants.controllers.convert import tenant_out
from app.tenants.models import Tenant
from app.tenants.permissions import Perm


class TenantController(Controller):
    path = "/api/v1/tenant"
    tags = ["tenant"]

    @get("/", opt={"permission": Perm.SETTINGS_READ})
    async def get_tenant(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> s.TenantOut:
        return tenant_out(await db_session.get_one(Tenant, current_principal(request).tenant_id))

    @patch("/", opt={"permission": Perm.TENANT_ADMIN, "audit_action": "tenant.update"})
    async def update_tenant(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: JSONBody[s.TenantUpdateIn],
    ) -> s.TenantOut:
        tenant = await db_session.get_one(Tenant, current_principal(request).tenant_id)
        if data.name is not None:
            tenant.name = data.name
        if data.password_max_age_days is not None:
            tenant.password_max_age_days = data.password_max_age_days
        if data.clear_password_max_age:
            tenant.password_max_age_days = None
        if data.require_totp_for_admins is not None:
            tenant.require_totp_for_admins = data.require_totp_for_admins
        await db_session.flush()
        return tenant_out(tenant)
