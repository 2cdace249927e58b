"""API-1: access tokens of API clients, their per-client rate limit and "last used".

A token is `fla_<tenant_id>.<secret>`; Redis holds `t:<tenant>:api:token:<sha256(secret)>`
(JSON: client, name, scopes, user) for its lifetime, and `t:<tenant>:api:client-tokens:<client>`
indexes a client's live tokens so that revoking the client ends them at once. The `fla_`
prefix tells a client token from a sign-in session's (`<tenant_id>.<secret>`).

Rate limit: a fixed one-minute window per client, `t:<tenant>:api:rate:<client>:<minute>`
(INCR, expires after the window); over the client's limit the request gets 429 with
Retry-After (seconds to the next window). Each accepted request also stamps
`t:<tenant>:api:last-used` (hash client → ISO time), which the client list shows.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from datetime import UTC, datetime
from uuid import UUID

from litestar.types import ASGIApp, HTTPResponseStartEvent, Receive, Scope, Send
from redis.asyncio import Redis

from app.lib.keys import tenant_key
from app.lib.problems import PROBLEM_JSON
from app.tenants.sessions import Principal

PREFIX = "fla_"
ACCESS_TOKEN_TTL = 3600
CLIENT_ROLE = "api_client"  # no entry in the role table: role checks outside the guard fail
WINDOW_SECONDS = 60


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _token_key(tenant_id: UUID, secret: str) -> str:
    return tenant_key(tenant_id, "api", "token", digest(secret))


def _client_index(tenant_id: UUID, client_row_id: UUID) -> str:
    return tenant_key(tenant_id, "api", "client-tokens", str(client_row_id))


def last_used_key(tenant_id: UUID) -> str:
    return tenant_key(tenant_id, "api", "last-used")


def is_client_token(token: str) -> bool:
    return token.startswith(PREFIX)


def _split(token: str) -> tuple[UUID, str] | None:
    if not is_client_token(token):
        return None
    tenant_part, _, secret = token[len(PREFIX) :].partition(".")
    if not secret:
        return None
    try:
        return UUID(tenant_part), secret
    except ValueError:
        return None


def new_access_token(tenant_id: UUID) -> str:
    return f"{PREFIX}{tenant_id}.{secrets.token_urlsafe(32)}"


async def store_access_token(
    redis: Redis,
    token: str,
    *,
    tenant_id: UUID,
    client_row_id: UUID,
    name: str,
    scopes: list[str],
    user_id: UUID,
    rate_limit: int,
    ttl: int = ACCESS_TOKEN_TTL,
    role: str = CLIENT_ROLE,
    email: str | None = None,
) -> None:
    parts = _split(token)
    if parts is None or parts[0] != tenant_id:
        raise ValueError("not an access token of this tenant")
    data = {
        "tenant_id": str(tenant_id),
        "client": str(client_row_id),
        "name": name,
        "scopes": scopes,
        "user_id": str(user_id),
        "rate_limit": rate_limit,
        "role": role,
        "email": email or f"api:{name}",
    }
    key = _token_key(*parts)
    index = _client_index(tenant_id, client_row_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, json.dumps(data), ex=ttl)
        pipe.sadd(index, key)
        pipe.expire(index, ttl)
        if role != CLIENT_ROLE:
            # A user's token ends with the user's sessions (password change, deactivation).
            user_index = tenant_key(tenant_id, "user-sessions", str(user_id))
            pipe.sadd(user_index, key)
            pipe.expire(user_index, ttl, nx=True)  # Redis 7: set if it had none,
            pipe.expire(user_index, ttl, gt=True)  # or lengthen, never shorten a session's
        await pipe.execute()


async def resolve(redis: Redis, token: str) -> tuple[Principal, int] | None:
    """The client's principal and its rate limit per minute, or None."""
    parts = _split(token)
    if parts is None:
        return None
    raw = await redis.get(_token_key(*parts))
    if raw is None:
        return None
    data = json.loads(raw)
    if UUID(data["tenant_id"]) != parts[0]:
        return None  # the token names its tenant; the stored one must agree, or it is forged
    principal = Principal(
        tenant_id=parts[0],
        user_id=UUID(data["user_id"]),
        role=data.get("role", CLIENT_ROLE),
        email=data.get("email") or f"api:{data['name']}",
        client_id=data["client"],
        scopes=tuple(data["scopes"]),
    )
    return principal, int(data["rate_limit"])


def _revoked_key(tenant_id: UUID, client_row_id: UUID) -> str:
    return tenant_key(tenant_id, "api", "revoked", str(client_row_id))


async def revoke_client_tokens(redis: Redis, tenant_id: UUID, client_row_id: UUID) -> None:
    """End every live token of the client. The marker (kept as long as a token lives) closes
    the race with a token being issued at the same moment: see `issued_after_revoke`."""
    await redis.set(_revoked_key(tenant_id, client_row_id), "1", ex=ACCESS_TOKEN_TTL)
    index = _client_index(tenant_id, client_row_id)
    keys: set[str] = await redis.smembers(index)  # type: ignore[misc]
    if keys:
        await redis.delete(*keys)
    await redis.delete(index)


async def issued_after_revoke(
    redis: Redis, token: str, tenant_id: UUID, client_row_id: UUID
) -> bool:
    """Called after storing a new token: if the client was revoked meanwhile, drop the token.
    Revoking sets its marker before reading the token index, and the issuer stores its token
    (and index entry) before reading the marker, so one of the two always sees the other."""
    if not await redis.exists(_revoked_key(tenant_id, client_row_id)):
        return False
    parts = _split(token)
    if parts is not None:
        await redis.delete(_token_key(*parts))
    return True


async def hit(redis: Redis, principal: Principal, limit: int, now: float | None = None) -> int:
    """Count one request; 0 if allowed, else the seconds to wait (Retry-After)."""
    assert principal.client_id is not None
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = tenant_key(principal.tenant_id, "api", "rate", principal.client_id, str(window))
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 1)
        pipe.hset(
            last_used_key(principal.tenant_id),
            principal.client_id,
            datetime.fromtimestamp(now, UTC).isoformat(),
        )
        count, *_ = await pipe.execute()
    if int(count) <= limit:
        return 0
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))


def too_many_requests(limit: int, retry_after: int) -> ASGIApp:
    """A 429 problem+json response, sent by the authentication middleware itself."""
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Too many requests",
            "status": 429,
            "detail": f"This API client is over its limit of {limit} requests a minute.",
            "retryAfter": retry_after,
        }
    ).encode()

    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # a WebSocket handshake left unanswered is refused by the server
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after).encode()),
        ]
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 429,
            "headers": headers,
        }
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return respond


async def authenticate(
    redis: Redis, token: str, scope: Scope
) -> tuple[Principal | None, ASGIApp | None]:
    """(principal, None) for a live client token within its rate limit; (None, a 429 app) when
    over the limit; (None, None) when the token is unknown, expired or revoked."""
    resolved = await resolve(redis, token)
    if resolved is None:
        return None, None
    principal, limit = resolved
    retry_after = await hit(redis, principal, limit)
    if retry_after:
        return None, too_many_requests(limit, retry_after)
    return principal, None
