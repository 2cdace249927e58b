"""Extensions (SEAT-1, SEAT-10): the SIP accounts seats register with."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.filters import OrderBy
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter

from app.db.deps import DbSession
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.seats import schemas as s
from app.seats.models import Extension
from app.seats.services import ExtensionRepository, create_extension, set_password
from app.tenants.auth import current_principal
from app.tenants.controllers.settings import BusinessRepository
from app.tenants.models import Tenant
from app.tenants.permissions import Perm
from app.tenants.schemas import Page
from app.tenants.services import UserRepository

READ = {"permission": Perm.SETTINGS_READ}
WRITE = {"permission": Perm.SETTINGS_WRITE, "audit_target": "extension"}


def extension_out(e: Extension, domain: str) -> s.ExtensionOut:
    return s.ExtensionOut(
        id=e.id,
        number=e.number,
        sip_uri=f"sip:{e.number}@{domain}",
        display_name=e.display_name,
        seat_type=e.seat_type,
        user_id=e.user_id,
        business_id=e.business_id,
        bound_ip=e.bound_ip,
        is_active=e.is_active,
        created_at=e.created_at,
    )


async def _check_refs(
    db: DbSession,
    tenant_id: UUID,
    user_id: UUID | None,
    business_id: UUID | None,
    bound_ip: str | None,
) -> None:
    """Ids in a body must belong to the caller's tenant: a forged one is a 404."""
    if user_id and not await UserRepository(session=db, tenant_id=tenant_id).find_by_id(user_id):
        raise Problem(404, "No such user.")
    if business_id and not await BusinessRepository(session=db, tenant_id=tenant_id).find_by_id(
        business_id
    ):
        raise Problem(404, "No such business.")
    if bound_ip:
        try:
            ipaddress.ip_address(bound_ip)
        except ValueError as exc:
            raise Problem(400, f"{bound_ip!r} is not an IP address.") from exc


class ExtensionController(Controller):
    path = "/api/v1/extensions"
    tags = ["extensions"]

    @get("/", opt=READ)
    async def list_extensions(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        seat_type: Annotated[s.SeatType | None, QueryParameter(name="seatType")] = None,
        search: Annotated[str | None, QueryParameter(max_length=6)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> Page[s.ExtensionOut]:
        tenant_id = current_principal(request).tenant_id
        filters: list[Any] = [OrderBy("number", "asc")]
        if seat_type:
            filters.append(Extension.seat_type == seat_type)
        if search:
            filters.append(Extension.number.startswith(search, autoescape=True))
        repo = ExtensionRepository(session=db_session, tenant_id=tenant_id)
        rows, total = await repo.page(*filters, limit=limit, offset=offset)
        domain = await self._domain(db_session, tenant_id)
        items = [extension_out(e, domain) for e in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)

    @post("/", opt=WRITE | {"audit_action": "extension.create"})
    async def create(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.ExtensionIn]
    ) -> s.ExtensionOut:
        tenant_id = current_principal(request).tenant_id
        await _check_refs(db_session, tenant_id, data.user_id, data.business_id, data.bound_ip)
        repo = ExtensionRepository(session=db_session, tenant_id=tenant_id)
        if await repo.get_one_or_none(Extension.number == data.number):
            raise Problem(409, f"Extension {data.number} exists already.")
        ext = await create_extension(
            db_session,
            tenant_id,
            data.number,
            data.password,
            display_name=data.display_name,
            seat_type=data.seat_type,
            user_id=data.user_id,
            business_id=data.business_id,
            bound_ip=data.bound_ip,
        )
        return extension_out(ext, await self._domain(db_session, tenant_id))

    @get("/{extension_id:uuid}", opt=READ)
    async def get_extension(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        extension_id: FromPath[UUID],
    ) -> s.ExtensionOut:
        tenant_id = current_principal(request).tenant_id
        ext = await ExtensionRepository(session=db_session, tenant_id=tenant_id).get_one_by_id(
            extension_id
        )
        return extension_out(ext, await self._domain(db_session, tenant_id))

    @patch("/{extension_id:uuid}", opt=WRITE | {"audit_action": "extension.update"})
    async def update(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        extension_id: FromPath[UUID],
        data: JSONBody[s.ExtensionPatch],
    ) -> s.ExtensionOut:
        tenant_id = current_principal(request).tenant_id
        await _check_refs(db_session, tenant_id, data.user_id, data.business_id, data.bound_ip)
        repo = ExtensionRepository(session=db_session, tenant_id=tenant_id)
        ext = await repo.get_one_by_id(extension_id)
        for name in (
            "display_name",
            "seat_type",
            "user_id",
            "business_id",
            "bound_ip",
            "is_active",
        ):
            value = getattr(data, name)
            if value is not None:
                setattr(ext, name, value)
        await db_session.flush()
        return extension_out(ext, await self._domain(db_session, tenant_id))

    @post(
        "/{extension_id:uuid}/password",
        opt=WRITE | {"audit_action": "extension.password"},
        status_code=204,
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        extension_id: FromPath[UUID],
        data: JSONBody[s.ExtensionPasswordIn],
    ) -> None:
        tenant_id = current_principal(request).tenant_id
        ext = await ExtensionRepository(session=db_session, tenant_id=tenant_id).get_one_by_id(
            extension_id
        )
        await set_password(db_session, ext, data.password)

    @delete(
        "/{extension_id:uuid}", opt=WRITE | {"audit_action": "extension.delete"}, status_code=204
    )
    async def delete_extension(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        extension_id: FromPath[UUID],
    ) -> None:
        tenant_id = current_principal(request).tenant_id
        await ExtensionRepository(session=db_session, tenant_id=tenant_id).delete_by_id(
            extension_id
        )

    @staticmethod
    async def _domain(db: DbSession, tenant_id: UUID) -> str:
        return (await db.get_one(Tenant, tenant_id)).sip_domain or ""
