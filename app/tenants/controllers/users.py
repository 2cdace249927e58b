"""Users and roles of a tenant (TEN-2)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from advanced_alchemy.filters import OrderBy
from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import func, or_

from app.db.deps import DbSession
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.tenants import passwords, services, sessions
from app.tenants import schemas as s
from app.tenants.auth import current_principal
from app.tenants.controllers.convert import user_out
from app.tenants.models import Role, User
from app.tenants.permissions import Perm

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
READ = {"permission": Perm.USERS_READ}
WRITE = {"permission": Perm.USERS_WRITE, "audit_target": "user"}


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]

    @get("/", opt=READ)
    async def list_users(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        role: FromQuery[s.RoleName | None] = None,
        search: Annotated[str | None, QueryParameter(max_length=100)] = None,
        is_active: Annotated[bool | None, QueryParameter(name="isActive")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> s.Page[s.UserOut]:
        repo = self._repo(request, db_session)
        filters: list[Any] = [OrderBy("email", "asc")]
        if role:
            filters.append(User.role == role)
        if is_active is not None:
            filters.append(User.is_active == is_active)
        if search:
            pattern = f"%{search.lower()}%"
            filters.append(
                or_(
                    func.lower(User.email).like(pattern),
                    func.lower(User.display_name).like(pattern),
                )
            )
        users, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(items=[user_out(u) for u in users], total=total, limit=limit, offset=offset)

    @post("/", opt=WRITE | {"audit_action": "user.create"})
    async def create_user(
        self, request: Request[Any, Any, Any], data: JSONBody[s.UserCreateIn], db_session: DbSession
    ) -> s.UserOut:
        services.check_password(data.password, data.email)
        repo = self._repo(request, db_session)
        if await repo.by_email(data.email):
            raise Problem(409, f"A user with e-mail {data.email} already exists.")
        user = await repo.add_owned(
            User(
                email=data.email,
                display_name=data.display_name,
                role=data.role,
                password_hash=passwords.hash_password(data.password),
            )
        )
        return user_out(user)

    @get("/{user_id:uuid}", opt=READ)
    async def get_user(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> s.UserOut:
        return user_out(await self._repo(request, db_session).get_one_by_id(user_id))

    @patch("/{user_id:uuid}", opt=WRITE | {"audit_action": "user.update"})
    async def update_user(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        user_id: FromPath[UUID],
        data: JSONBody[s.UserUpdateIn],
    ) -> s.UserOut:
        principal = current_principal(request)
        user = await self._repo(request, db_session).get_one_by_id(user_id)
        demotes_admin = user.role == Role.ADMIN.value and (
            (data.role is not None and data.role != Role.ADMIN.value) or data.is_active is False
        )
        if demotes_admin and await services.count_admins(db_session, principal.tenant_id) <= 1:
            raise Problem(409, "A tenant needs at least one active admin.")
        if data.display_name is not None:
            user.display_name = data.display_name
        if data.role is not None and data.role != user.role:
            user.role = data.role
            await sessions.close_user_sessions(get_redis(), user.tenant_id, user.id)
        if data.is_active is not None:
            user.is_active = data.is_active
            if not data.is_active:
                await sessions.close_user_sessions(get_redis(), user.tenant_id, user.id)
        await db_session.flush()
        return user_out(user)

    @post("/{user_id:uuid}/unlock", opt=WRITE | {"audit_action": "user.unlock"}, status_code=200)
    async def unlock_user(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> s.UserOut:
        user = await self._repo(request, db_session).get_one_by_id(user_id)
        user.locked_until = None
        user.failed_logins = 0
        await db_session.flush()
        return user_out(user)

    @delete("/{user_id:uuid}", opt=WRITE | {"audit_action": "user.delete"}, status_code=204)
    async def delete_user(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> None:
        principal = current_principal(request)
        if user_id == principal.user_id:
            raise Problem(409, "You cannot delete yourself.")
        repo = self._repo(request, db_session)
        user = await repo.get_one_by_id(user_id)
        if (
            user.role == Role.ADMIN.value
            and await services.count_admins(db_session, principal.tenant_id) <= 1
        ):
            raise Problem(409, "A tenant needs at least one active admin.")
        await repo.delete_by_id(user_id)
        await sessions.close_user_sessions(get_redis(), principal.tenant_id, user_id)

    @staticmethod
    def _repo(request: Request[Any, Any, Any], db_session: DbSession) -> services.UserRepository:
        return services.UserRepository(
            session=db_session, tenant_id=current_principal(request).tenant_id
        )
