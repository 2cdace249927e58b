"""API-1: the OAuth 2 token endpoint (RFC 6749 section 4.4, client credentials), on Authlib.

Authlib's AuthorizationServer is synchronous; our client store is async Postgres. So the
request is read first (form, headers), the one client it names is loaded (its id carries the
tenant: `<tenant_id>.<client uuid>`, so the lookup runs under that tenant's RLS), and Authlib
then runs against that preloaded client: client authentication (HTTP Basic or POST body, secret
compared by its SHA-256), grant type and scope validation, RFC 6749 error bodies. The token it
generates is stored in Redis afterwards (app/api/tokens.py).

The token endpoint answers in RFC 6749's format (`{"error": "invalid_client"}`), not
problem+json: OAuth client libraries parse that format.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.util import extract_basic_authorization, list_to_scope, scope_to_list
from litestar import Request, Response, post
from litestar.openapi.spec import OAuthFlow, OAuthFlows, SecurityScheme
from sqlalchemy import select

from app.api import tokens
from app.api.models import ApiClient
from app.api.scopes import SCOPE_NAMES
from app.db.session import tenant_session
from app.lib.redis import get_redis
from app.tenants.audit import AuditRecord, write_audit
from app.tenants.models import Tenant

TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthClient(ClientMixin):
    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """No scope asked: every scope of the client; else the asked ones it holds."""
        if not scope:
            return str(list_to_scope(self.row.scopes))
        held = [s for s in scope_to_list(scope) if s in self.row.scopes]
        if not held:
            raise InvalidScopeError(description="This client holds none of the scopes asked.")
        return str(list_to_scope(held))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(tokens.digest(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return bool(grant_type == ClientCredentialsGrant.GRANT_TYPE)


class ClientCredentials(ClientCredentialsGrant):
    # RFC 6749 2.3.1: HTTP Basic, or the credentials in the body for clients without it.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class TokenRequest(OAuth2Request):
    def __init__(self, uri: str, headers: Any, form: dict[str, str]) -> None:
        super().__init__("POST", uri, headers=headers)
        self._form = form
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class TokenServer(AuthorizationServer):
    """One per request, around the one client the request names (or none)."""

    def __init__(self, client: OAuthClient | None) -> None:
        super().__init__(scopes_supported=list(SCOPE_NAMES))
        self.client = client
        self.issued: list[dict[str, Any]] = []
        self.register_grant(ClientCredentials)
        self.register_token_generator("default", self._generate)

    def query_client(self, client_id: str) -> OAuthClient | None:
        if self.client is not None and client_id == self.client.get_client_id():
            return self.client
        return None

    def _generate(
        self,
        grant_type: str,
        client: OAuthClient,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "access_token": tokens.new_access_token(client.row.tenant_id),
            "expires_in": tokens.ACCESS_TOKEN_TTL,
            "scope": client.get_allowed_scope(scope),
        }

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.issued.append(token)

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


def _named_client_id(headers: Any, form: dict[str, str]) -> str | None:
    basic_id, _ = extract_basic_authorization(headers)
    return basic_id or form.get("client_id")


def _tenant_of(client_id: str) -> tuple[UUID, UUID] | None:
    tenant_part, _, row_part = client_id.partition(".")
    try:
        return UUID(tenant_part), UUID(row_part)
    except ValueError:
        return None


async def load_client(client_id: str | None) -> ApiClient | None:
    ids = _tenant_of(client_id) if client_id else None
    if ids is None:
        return None
    tenant_id, row_id = ids
    async with tenant_session(tenant_id) as session:
        tenant = await session.get(Tenant, tenant_id)
        if tenant is None or tenant.status != "active":
            return None
        row = await session.scalar(
            select(ApiClient).where(ApiClient.tenant_id == tenant_id, ApiClient.id == row_id)
        )
    return row if row is not None and row.revoked_at is None else None


async def _issued(row: ApiClient, token: dict[str, Any], source_ip: str | None) -> bool:
    """Store the token; False if the client was revoked while it was being issued."""
    await tokens.store_access_token(
        get_redis(),
        token["access_token"],
        tenant_id=row.tenant_id,
        client_row_id=row.id,
        name=row.name,
        scopes=scope_to_list(token["scope"]) or [],
        user_id=row.created_by,
        rate_limit=row.rate_limit_per_minute,
    )
    if await tokens.issued_after_revoke(get_redis(), token["access_token"], row.tenant_id, row.id):
        return False
    async with tenant_session(row.tenant_id) as session:
        stored = await session.get(ApiClient, (row.tenant_id, row.id))
        if stored is not None:
            stored.last_used_at = datetime.now(UTC)
    await write_audit(
        AuditRecord(
            tenant_id=row.tenant_id,
            action="api.token",
            actor_id=row.created_by,
            actor_email=f"api:{row.name}",
            method="POST",
            path="/oauth/token",
            target_type="api_client",
            target_id=str(row.id),
            status_code=200,
            source_ip=source_ip,
            detail={"scope": token["scope"]},
        )
    )
    return True


@post(
    "/oauth/token",
    opt={"public": True, "audit": False},
    tags=["oauth"],
    summary="OAuth 2 token endpoint (client credentials)",
    description=(
        "RFC 6749 section 4.4. Send `grant_type=client_credentials` (and optionally `scope`, "
        "space-separated) as application/x-www-form-urlencoded, authenticating with HTTP Basic "
        "(client id and secret) or `client_id` + `client_secret` in the body. The bearer token "
        "returned is valid for an hour for the scopes granted."
    ),
    status_code=200,
)
async def token_endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
    form = {key: str(value) for key, value in (await request.form()).items()}
    row = await load_client(_named_client_id(request.headers, form))
    server = TokenServer(OAuthClient(row) if row is not None else None)
    # TLS ends in front of the app (ingress, load balancer): the URL Authlib checks for
    # https is the public one.
    uri = f"https://{request.url.netloc}{request.url.path}"
    status, body, headers = server.create_token_response(TokenRequest(uri, request.headers, form))
    if status == 200 and row is not None and server.issued:
        client = request.scope.get("client")
        if not await _issued(row, server.issued[0], client[0] if client else None):
            status, body = 401, {"error": "invalid_client", "error_description": "Revoked."}
    return Response(body, status_code=status, headers=dict(headers) | TOKEN_HEADERS)


# The OpenAPI security scheme partners read (app/main.py): client credentials at /oauth/token.
OAUTH2_SCHEME = SecurityScheme(
    type="oauth2",
    description=(
        "Partner API clients (created by a tenant admin under API clients): client credentials "
        "grant; send the access token as `Authorization: Bearer <token>`."
    ),
    flows=OAuthFlows(
        client_credentials=OAuthFlow(
            token_url="/oauth/token",  # noqa: S106 - a path, not a password
            scopes={
                "calls:read": "Read call records and live calls",
                "calls:write": "Place click-to-call calls",
                "recordings:read": "Play and download recordings",
                "agents:read": "Read queues, agents and wallboard figures",
                "webhooks:manage": "Manage webhook endpoints and see their deliveries",
                "leads:write": "Add lead lists and leads to campaigns",
            },
        )
    ),
)
