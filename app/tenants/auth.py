"""Who is calling (bearer token or session cookie) and may they call this route.

The permission guard runs on every route and fails closed: a route that declares neither
`opt={"permission": ...}` nor `opt={"public": True}` is refused to everyone.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.api import tokens as api_tokens
from app.api.scopes import client_may
from app.api.tokens import CLIENT_ROLE
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.tenants import sessions
from app.tenants.permissions import Perm, allowed


def token_from_scope(scope: Scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    cookie = headers.get(b"cookie", b"").decode("latin-1")
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name == sessions.COOKIE_NAME and value:
            return value
    return None


class AuthenticationMiddleware(ASGIMiddleware):
    """Sets scope["user"] to a Principal or None; the guard decides what None may do."""

    scopes = (ScopeType.HTTP, ScopeType.WEBSOCKET)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        token = token_from_scope(scope)
        principal = await sessions.resolve(get_redis(), token) if token else None
        if principal is None and token and api_tokens.is_client_token(token):
            # API-1: an API client's access token, rate limited per client (429 when over).
            principal, refusal = await api_tokens.authenticate(get_redis(), token, scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        scope["user"] = principal
        scope["auth"] = token if principal else None
        await next_app(scope, receive, send)


def permission_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    if handler.opt.get("public") or _is_openapi(connection):
        return
    perm: Perm | None = handler.opt.get("permission")
    principal: sessions.Principal | None = connection.scope.get("user")
    if principal is None:
        raise Problem(401, "Sign in first: send a bearer token or the session cookie.")
    if perm is None:
        raise Problem(403, "This operation is not open to any role.")
    if principal.client_id is not None:
        # API-1: a client token reaches only what its scopes open (app/api/scopes.py).
        method = connection.scope.get("method") or "GET"  # a WebSocket has none
        user_bound = principal.role != CLIENT_ROLE  # authorization code: the user's role too
        if not client_may(principal.scopes, perm, str(method), connection.scope["path"]) or (
            user_bound and not allowed(principal.role, perm)
        ):
            raise Problem(
                403, f"This API client's scopes do not allow this ({perm.value}).",
                code="insufficient_scope",
            )
        return
    if principal.password_expired and not handler.opt.get("allowed_with_expired_password"):
        raise Problem(
            403,
            "Your password has expired: change it before doing anything else.",
            code="password_expired",
        )
    if not allowed(principal.role, perm):
        raise Problem(403, f"Your role ({principal.role}) may not do this ({perm.value}).")


def _is_openapi(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The API description is public, like the documentation it renders."""
    config = connection.app.openapi_config
    return config is not None and connection.scope["path"].startswith(config.path or "/schema")


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> sessions.Principal:
    principal = connection.scope.get("user")
    if principal is None:
        raise Problem(401, "Sign in first.")
    return principal
