"""Extensions: create with a SIP password (stored only as HA1 hashes)."""

from __future__ import annotations

import hashlib
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repository import TenantRepository
from app.seats.models import Extension
from app.tenants.models import Tenant


class ExtensionRepository(TenantRepository[Extension]):
    model_type = Extension


def sip_ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """RFC 2617 3.2.2.2 / RFC 7616 3.4.2: H(username:realm:password)."""
    data = f"{username}:{realm}:{password}".encode()
    if algorithm == "SHA-256":
        return hashlib.sha256(data).hexdigest()
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


async def set_password(session: AsyncSession, ext: Extension, password: str) -> None:
    tenant = await session.get_one(Tenant, ext.tenant_id)
    realm = tenant.sip_domain or ""
    ext.ha1 = sip_ha1(ext.number, realm, password)
    ext.ha1_sha256 = sip_ha1(ext.number, realm, password, "SHA-256")
    await session.flush()


async def create_extension(
    session: AsyncSession,
    tenant_id: UUID,
    number: str,
    password: str,
    *,
    display_name: str = "",
    seat_type: str = "webrtc",
    user_id: UUID | None = None,
    business_id: UUID | None = None,
    bound_ip: str | None = None,
) -> Extension:
    if not (number.isdigit() and 3 <= len(number) <= 6):
        raise ValueError("an extension is 3 to 6 digits")
    tenant = await session.get_one(Tenant, tenant_id)
    realm = tenant.sip_domain or ""
    repo = ExtensionRepository(session=session, tenant_id=tenant_id)
    return await repo.add_owned(
        Extension(
            number=number,
            display_name=display_name,
            ha1=sip_ha1(number, realm, password),
            ha1_sha256=sip_ha1(number, realm, password, "SHA-256"),
            seat_type=seat_type,
            user_id=user_id,
            business_id=business_id,
            bound_ip=bound_ip,
        )
    )
