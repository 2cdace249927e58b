"""Model -> wire conversions shared by the tenants controllers."""

from __future__ import annotations

from app.tenants import models as m
from app.tenants import schemas as s


def user_out(user: m.User) -> s.UserOut:
    return s.UserOut(
        id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        is_active=user.is_active,
        totp_enabled=user.totp_enabled,
        locked_until=user.locked_until,
        created_at=user.created_at,
    )


def tenant_out(tenant: m.Tenant) -> s.TenantOut:
    return s.TenantOut(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        status=tenant.status,
        password_max_age_days=tenant.password_max_age_days,
        require_totp_for_admins=tenant.require_totp_for_admins,
        created_at=tenant.created_at,
    )
