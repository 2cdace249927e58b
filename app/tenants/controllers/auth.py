"""Sign-up, sign-in (cookie and bearer token), sign-out, password and TOTP (TEN-1, TEN-3)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import JSONBody

from app.db.deps import DbSession
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.settings import get_settings
from app.tenants import passwords, services, sessions
from app.tenants import schemas as s
from app.tenants.audit import AUDIT_ACTOR, AUDIT_TENANT
from app.tenants.auth import current_principal
from app.tenants.controllers.convert import user_out
from app.tenants.permissions import Perm

SELF = {"permission": Perm.SELF, "allowed_with_expired_password": True}


def _session_cookie(token: str, max_age: int) -> Cookie:
    return Cookie(
        key=sessions.COOKIE_NAME,
        value=token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=get_settings().cookie_secure,
        path="/",
    )


class AuthController(Controller):
    path = "/api/v1"
    tags = ["auth"]

    @post("/signup", opt={"public": True, "audit_action": "tenant.signup"}, status_code=201)
    async def signup(
        self, request: Request[Any, Any, Any], data: JSONBody[s.SignupIn]
    ) -> Response[s.SignupOut]:
        tenant, user = await services.signup(
            company_name=data.company_name,
            slug=data.slug,
            admin_email=data.admin_email,
            admin_name=data.admin_name,
            password=data.password,
        )
        request.scope.setdefault("state", {})[AUDIT_TENANT] = tenant.id
        request.scope["state"][AUDIT_ACTOR] = (user.id, user.email)
        settings = get_settings()
        principal = sessions.Principal(tenant.id, user.id, user.role, user.email)
        token = await sessions.open_session(get_redis(), principal, settings.session_ttl_seconds)
        body = s.SignupOut(tenant_id=tenant.id, slug=tenant.slug, token=token, user=user_out(user))
        return Response(
            body, status_code=201, cookies=[_session_cookie(token, settings.session_ttl_seconds)]
        )

    @post("/auth/login", opt={"public": True, "audit": False}, status_code=200)
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[s.LoginIn]
    ) -> Response[s.SessionOut]:
        settings = get_settings()
        result = await services.sign_in(
            settings=settings,
            tenant_slug=data.tenant,
            email=data.email,
            password=data.password,
            totp_code=data.totp_code,
            source_ip=request.client.host if request.client else None,
        )
        ttl = settings.session_ttl_seconds
        token = await sessions.open_session(get_redis(), result.principal, ttl)
        body = s.SessionOut(
            token=token,
            expires_in=ttl,
            password_expired=result.principal.password_expired,
            user=user_out(result.user),
        )
        return Response(body, cookies=[_session_cookie(token, ttl)])

    @post("/auth/logout", opt=SELF | {"audit_action": "auth.sign_out"}, status_code=204)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[None]:
        if request.auth:
            await sessions.close_session(get_redis(), request.auth)
        return Response(None, status_code=204, cookies=[_session_cookie("", 0)])

    @get("/auth/me", opt=SELF)
    async def me(self, request: Request[Any, Any, Any], db_session: DbSession) -> s.UserOut:
        principal = current_principal(request)
        repo = services.UserRepository(session=db_session, tenant_id=principal.tenant_id)
        return user_out(await repo.get_one_by_id(principal.user_id))

    @post("/auth/password", opt=SELF | {"audit_action": "auth.password_change"}, status_code=204)
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.PasswordChangeIn],
        db_session: DbSession,
    ) -> None:
        await services.change_password(
            db_session,
            get_redis(),
            current_principal(request),
            data.current_password,
            data.new_password,
        )

    @post("/auth/totp/setup", opt=SELF | {"audit_action": "auth.totp_setup"}, status_code=200)
    async def totp_setup(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> s.TotpSetupOut:
        principal = current_principal(request)
        user = await services.UserRepository(
            session=db_session, tenant_id=principal.tenant_id
        ).get_one_by_id(principal.user_id)
        if user.totp_enabled:
            raise Problem(409, "Two-factor sign-in is already on; turn it off first.")
        user.totp_secret = passwords.new_totp_secret()
        return s.TotpSetupOut(
            secret=user.totp_secret, uri=passwords.totp_uri(user.totp_secret, user.email)
        )

    @post("/auth/totp/enable", opt=SELF | {"audit_action": "auth.totp_enable"}, status_code=204)
    async def totp_enable(
        self, request: Request[Any, Any, Any], data: JSONBody[s.TotpCodeIn], db_session: DbSession
    ) -> None:
        user = await self._user(request, db_session)
        if not user.totp_secret or not passwords.verify_totp(user.totp_secret, data.code):
            raise Problem(
                400, "That code does not match: run setup again or check the phone's clock."
            )
        user.totp_enabled = True

    @post("/auth/totp/disable", opt=SELF | {"audit_action": "auth.totp_disable"}, status_code=204)
    async def totp_disable(
        self, request: Request[Any, Any, Any], data: JSONBody[s.TotpCodeIn], db_session: DbSession
    ) -> None:
        user = await self._user(request, db_session)
        if not user.totp_enabled or not user.totp_secret:
            raise Problem(409, "Two-factor sign-in is not on.")
        if not passwords.verify_totp(user.totp_secret, data.code):
            raise Problem(400, "That authenticator code is not valid.")
        user.totp_enabled = False
        user.totp_secret = None

    @staticmethod
    async def _user(request: Request[Any, Any, Any], db_session: DbSession) -> Any:
        principal = current_principal(request)
        return await services.UserRepository(
            session=db_session, tenant_id=principal.tenant_id
        ).get_one_by_id(principal.user_id)
