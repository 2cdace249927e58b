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

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin
from authlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.util import extract_basic_authorization, list_to_scope, scope_to_list
from authlib.oauth2.rfc7636 import CodeChallenge
from litestar import Request, Response, get, post
from litestar.openapi.spec import OAuthFlow, OAuthFlows, SecurityScheme
from litestar.params import JSONBody
from litestar.response import Redirect
from sqlalchemy import select

from app.api import schemas as s
from app.api import tokens
from app.api.models import ApiClient
from app.api.scopes import SCOPE_NAMES
from app.db.session import tenant_session
from app.lib.keys import tenant_key
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.tenants.audit import AuditRecord, write_audit
from app.tenants.auth import current_principal
from app.tenants.models import Tenant
from app.tenants.permissions import Perm

TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthClient(ClientMixin):
    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.row.redirect_uris[0] if self.row.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """No scope asked: every scope of the client; else the asked ones it holds."""
        if not scope:
            return str(list_to_scope(self.row.scopes))
        held = [name for name in scope_to_list(scope) if name in self.row.scopes]
        if not held:
            raise InvalidScopeError(description="This client holds none of the scopes asked.")
        return str(list_to_scope(held))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in (self.row.redirect_uris or [])  # exact match (RFC 9700 4.1.3)

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(tokens.digest(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and bool(self.row.redirect_uris)

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == AuthorizationCodeGrant.GRANT_TYPE:
            return bool(self.row.redirect_uris)
        return bool(grant_type == ClientCredentialsGrant.GRANT_TYPE)


class ClientCredentials(ClientCredentialsGrant):
    # RFC 6749 2.3.1: HTTP Basic, or the credentials in the body for clients without it.
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass
class AuthCode:
    """An authorization code's grant, as kept in Redis until it is exchanged (once)."""

    client_id: str
    redirect_uri: str
    scope: str
    user: dict[str, str]  # user_id, role, email of the user who approved
    code_challenge: str
    code_challenge_method: str

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class AuthorizationCode(AuthorizationCodeGrant):
    """RFC 6749 4.1 with RFC 7636 PKCE (S256, required: see `authorize`). Confidential
    clients only: the token request authenticates the client as well."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: TokenServer

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        self.server.codes.append((code, request))

    def query_authorization_code(self, code: str, client: OAuthClient) -> AuthCode | None:
        found = self.server.code
        if found is None or found.client_id != client.get_client_id():
            return None
        return found

    def delete_authorization_code(self, authorization_code: AuthCode) -> None:
        return None  # taken out of Redis (GETDEL) before the exchange even started

    def authenticate_user(self, authorization_code: AuthCode) -> dict[str, str]:
        return authorization_code.user


class TokenRequest(OAuth2Request):
    def __init__(self, uri: str, headers: Any, form: dict[str, str], method: str = "POST") -> None:
        super().__init__(method, uri, headers=headers)
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

    def __init__(self, client: OAuthClient | None, code: AuthCode | None = None) -> None:
        super().__init__(scopes_supported=list(SCOPE_NAMES))
        self.client = client
        self.code = code
        self.issued: list[dict[str, Any]] = []
        self.codes: list[tuple[str, OAuth2Request]] = []
        self.user: dict[str, str] | None = None
        self.register_grant(ClientCredentials)
        self.register_grant(AuthorizationCode, [CodeChallenge(required=True)])
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
        token = {
            "token_type": "Bearer",
            "access_token": tokens.new_access_token(client.row.tenant_id),
            "expires_in": tokens.ACCESS_TOKEN_TTL,
            "scope": scope if user is not None else client.get_allowed_scope(scope),
        }
        if user is not None:
            self.user = user  # the approving user: the token acts as them, within the scope
        return token

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


async def _issued(
    row: ApiClient, token: dict[str, Any], user: dict[str, str] | None, source_ip: str | None
) -> bool:
    """Store the token; False if the client was revoked while it was being issued. A token
    from a client's own credentials acts as the client (role `api_client`, audited under the
    admin who created it); one from an authorization code acts as the approving user."""
    await tokens.store_access_token(
        get_redis(),
        token["access_token"],
        tenant_id=row.tenant_id,
        client_row_id=row.id,
        name=row.name,
        scopes=scope_to_list(token["scope"]) or [],
        user_id=UUID(user["user_id"]) if user else row.created_by,
        rate_limit=row.rate_limit_per_minute,
        role=user["role"] if user else tokens.CLIENT_ROLE,
        email=user["email"] if user else f"api:{row.name}",
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
            actor_id=UUID(user["user_id"]) if user else row.created_by,
            actor_email=user["email"] if user else f"api:{row.name}",
            method="POST",
            path="/oauth/token",
            target_type="api_client",
            target_id=str(row.id),
            status_code=200,
            source_ip=source_ip,
            detail={
                "scope": token["scope"],
                "grant": "authorization_code" if user else "client_credentials",
            },
        )
    )
    return True


CODE_TTL = 600  # RFC 6749 4.1.2: a code lives ten minutes at most


def _code_key(tenant_id: UUID, code: str) -> str:
    return tenant_key(tenant_id, "api", "code", hashlib.sha256(code.encode()).hexdigest())


async def take_code(row: ApiClient, code: str | None) -> AuthCode | None:
    """The code's grant, removed as it is read (GETDEL): a code is exchanged once at most."""
    if not code:
        return None
    raw = await get_redis().getdel(_code_key(row.tenant_id, code))
    return AuthCode(**json.loads(raw)) if raw else None


def _public_uri(request: Request[Any, Any, Any]) -> str:
    # TLS ends in front of the app (ingress, load balancer): the URL Authlib checks for
    # https is the public one.
    return f"https://{request.url.netloc}{request.url.path}"


@post(
    "/oauth/token",
    opt={"public": True, "audit": False},
    tags=["oauth"],
    summary="OAuth 2 token endpoint (client credentials; authorization code + PKCE)",
    description=(
        "RFC 6749. `grant_type=client_credentials` (optional `scope`, space-separated), or "
        "`grant_type=authorization_code` with `code`, `redirect_uri` and the PKCE "
        "`code_verifier` (RFC 7636, S256), as application/x-www-form-urlencoded, "
        "authenticating with HTTP Basic (client id and secret) or `client_id` + "
        "`client_secret` in the body. The bearer token is valid for an hour for the scopes "
        "granted; one from an authorization code also acts as the user who approved it."
    ),
    status_code=200,
)
async def token_endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
    form = {key: str(value) for key, value in (await request.form()).items()}
    row = await load_client(_named_client_id(request.headers, form))
    code = None
    if row is not None and form.get("grant_type") == AuthorizationCodeGrant.GRANT_TYPE:
        code = await take_code(row, form.get("code"))
    server = TokenServer(OAuthClient(row) if row is not None else None, code)
    status, body, headers = server.create_token_response(
        TokenRequest(_public_uri(request), request.headers, form)
    )
    if status == 200 and row is not None and server.issued:
        client = request.scope.get("client")
        source = client[0] if client else None
        if not await _issued(row, server.issued[0], server.user, source):
            status, body = 401, {"error": "invalid_client", "error_description": "Revoked."}
    return Response(body, status_code=status, headers=dict(headers) | TOKEN_HEADERS)


@get(
    "/oauth/authorize",
    opt={"public": True},
    tags=["oauth"],
    summary="OAuth 2 authorization endpoint (authorization code + PKCE)",
    description=(
        "RFC 6749 4.1.1 with RFC 7636: `response_type=code`, `client_id`, `redirect_uri` (one "
        "registered on the client), `scope`, `state`, `code_challenge` and "
        "`code_challenge_method=S256`. Sends the browser to the portal's consent screen; the "
        "user signs in there, approves or denies, and is sent back to `redirect_uri` with "
        "`code` and `state` (or `error=access_denied`)."
    ),
    status_code=302,
)
async def authorize_redirect(request: Request[Any, Any, Any]) -> Redirect:
    return Redirect(f"/oauth/consent?{urlencode(list(request.query_params.items()))}")


@post(
    "/api/v1/oauth/authorize",
    opt={"permission": Perm.SELF, "audit_action": "api.authorize"},
    tags=["oauth"],
    status_code=200,
)
async def authorize(
    request: Request[Any, Any, Any], data: JSONBody[s.AuthorizeIn]
) -> s.AuthorizeOut:
    """The consent screen's call: without `approve` it only checks the request and names the
    client and scopes; with `approve` true or false it answers where to send the browser."""
    principal = current_principal(request)
    if principal.client_id is not None:
        raise Problem(403, "Only a signed-in user can approve an API client.")
    row = await load_client(data.client_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise Problem(404, "No such API client in your company.")
    form = {
        "response_type": data.response_type,
        "client_id": data.client_id,
        "redirect_uri": data.redirect_uri,
        "scope": data.scope,
        "state": data.state,
        "code_challenge": data.code_challenge,
        "code_challenge_method": data.code_challenge_method,
    }
    form = {k: v for k, v in form.items() if v}
    for name, value in form.items():
        # RFC 6749 A.x: every one of these is printable ASCII (Authlib, quoting them in its
        # errors, refuses anything else with a ValueError).
        if not (isinstance(value, str) and value.isascii() and value.isprintable()):
            raise Problem(400, f"{name} must be printable ASCII.", code="invalid_request")
    server = TokenServer(OAuthClient(row))
    oauth_request = TokenRequest(_public_uri(request), {}, form, method="GET")
    user = {"user_id": str(principal.user_id), "role": principal.role, "email": principal.email}
    try:
        grant = server.get_consent_grant(request=oauth_request, end_user=user)
    except OAuth2Error as exc:
        # Never redirect on a bad request: the redirect URI itself may be what is wrong.
        raise Problem(
            400, exc.description or exc.error or "Invalid authorization request."
        ) from exc
    scopes = scope_to_list(oauth_request.scope) or []
    if data.approve is None:
        return s.AuthorizeOut(client_name=row.name, scopes=scopes)
    _, _, headers = server.create_authorization_response(
        request=oauth_request, grant_user=user if data.approve else None, grant=grant
    )
    location = dict(headers).get("Location")
    if data.approve and server.codes:
        code, _ = server.codes[0]
        grant_record = AuthCode(
            client_id=row.client_id,
            redirect_uri=data.redirect_uri,
            scope=oauth_request.scope,
            user=user,
            code_challenge=data.code_challenge,
            code_challenge_method=data.code_challenge_method,
        )
        await get_redis().set(
            _code_key(row.tenant_id, code), json.dumps(asdict(grant_record)), ex=CODE_TTL
        )
    return s.AuthorizeOut(client_name=row.name, scopes=scopes, redirect_to=location)


# The OpenAPI security scheme partners read (app/main.py): client credentials at /oauth/token.
SCOPE_DESCRIPTIONS = {
    "calls:read": "Read call records and live calls",
    "calls:write": "Place click-to-call calls",
    "recordings:read": "Play and download recordings",
    "agents:read": "Read queues, agents and wallboard figures",
    "webhooks:manage": "Manage webhook endpoints and see their deliveries",
    "leads:write": "Add lead lists and leads to campaigns",
}
OAUTH2_SCHEME = SecurityScheme(
    type="oauth2",
    description=(
        "Partner API clients (created by a tenant admin under API clients). Client credentials: "
        "the client acts for itself. Authorization code + PKCE (S256): a user of the tenant "
        "approves, and the token acts as that user within the scopes. Send the access token "
        "as `Authorization: Bearer <token>`."
    ),
    flows=OAuthFlows(
        client_credentials=OAuthFlow(
            token_url="/oauth/token",  # noqa: S106 - a path, not a password
            scopes=SCOPE_DESCRIPTIONS,
        ),
        authorization_code=OAuthFlow(
            authorization_url="/oauth/authorize",
            token_url="/oauth/token",  # noqa: S106 - a path, not a password
            scopes=SCOPE_DESCRIPTIONS,
        ),
    ),
)
