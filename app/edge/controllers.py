"""EDGE-3 / TEN-9: a tenant's carrier trunks and site gateways over REST.

A change that moves source addresses (create, delete, new addresses, enabled flag) is committed
first and then the edges are told to reload their address tables (`reload_trunk_addresses`), so
Kamailio never reloads before the change is visible to it.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from advanced_alchemy.filters import OrderBy
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.deps import DbSession
from app.edge import schemas as s
from app.edge import services as svc
from app.edge.models import Trunk
from app.lib.logging import log
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Search = Annotated[str | None, QueryParameter(max_length=100)]


def _tenant(request: Request[Any, Any, Any]) -> UUID:
    return current_principal(request).tenant_id


def _problem(exc: svc.TrunkError) -> Problem:
    extra: dict[str, Any] = {"code": exc.code}
    if exc.field:
        extra["field"] = exc.field
    return Problem(exc.status, exc.detail, **extra)


async def _commit_and_reload(session: AsyncSession, tenant_id: UUID) -> None:
    from app.edge.actors import reload_trunk_addresses

    await session.commit()
    try:
        reload_trunk_addresses.send(str(tenant_id), str(uuid4()))
    except Exception:
        # The change is stored; the edges pick it up at the next reload or start. Say so in the
        # logs rather than answer 500 for a change that was made.
        log.exception("could not enqueue the trunk address reload", tenant=str(tenant_id))


class TrunkController(Controller):
    path = "/api/v1/trunks"
    tags = ["trunks"]
    READ = {"permission": Perm.SETTINGS_READ}
    WRITE = {"permission": Perm.SETTINGS_WRITE, "audit_target": "trunk"}

    @get("/", opt=READ)
    async def list_trunks(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        business_id: Annotated[UUID | None, QueryParameter(name="businessId")] = None,
        search: Search = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> s.Page[s.TrunkOut]:
        filters: list[Any] = [OrderBy("name", "asc")]
        if business_id:
            filters.append(Trunk.business_id == business_id)
        if search:
            filters.append(Trunk.name.contains(search.strip(), autoescape=True))
        repo = svc.TrunkRepository(session=db_session, tenant_id=_tenant(request))
        rows, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(
            items=[svc.trunk_out(t) for t in rows], total=total, limit=limit, offset=offset
        )

    @post("/", opt=WRITE | {"audit_action": "trunk.create"})
    async def add_trunk(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.TrunkIn]
    ) -> s.TrunkOut:
        tenant_id = _tenant(request)
        try:
            trunk = await svc.create_trunk(db_session, tenant_id, data)
        except svc.TrunkError as exc:
            raise _problem(exc) from exc
        out = svc.trunk_out(trunk)
        if trunk.source_ips and trunk.is_active:
            await _commit_and_reload(db_session, tenant_id)
        return out

    @get("/{trunk_id:uuid}", opt=READ)
    async def get_trunk(
        self, request: Request[Any, Any, Any], db_session: DbSession, trunk_id: FromPath[UUID]
    ) -> s.TrunkOut:
        repo = svc.TrunkRepository(session=db_session, tenant_id=_tenant(request))
        return svc.trunk_out(await repo.get_one_by_id(trunk_id))

    @patch("/{trunk_id:uuid}", opt=WRITE | {"audit_action": "trunk.update"})
    async def update_trunk(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        trunk_id: FromPath[UUID],
        data: JSONBody[s.TrunkPatch],
    ) -> s.TrunkOut:
        tenant_id = _tenant(request)
        try:
            trunk, reload = await svc.update_trunk(db_session, tenant_id, trunk_id, data)
        except svc.TrunkError as exc:
            raise _problem(exc) from exc
        out = svc.trunk_out(trunk)
        if reload:
            await _commit_and_reload(db_session, tenant_id)
        return out

    @delete("/{trunk_id:uuid}", opt=WRITE | {"audit_action": "trunk.delete"}, status_code=204)
    async def remove_trunk(
        self, request: Request[Any, Any, Any], db_session: DbSession, trunk_id: FromPath[UUID]
    ) -> None:
        tenant_id = _tenant(request)
        try:
            trunk = await svc.delete_trunk(db_session, tenant_id, trunk_id)
        except svc.TrunkError as exc:
            raise _problem(exc) from exc
        if trunk.source_ips and trunk.is_active:
            await _commit_and_reload(db_session, tenant_id)
