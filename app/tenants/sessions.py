"""Sign-in sessions in Redis, shared by the portal cookie and API bearer tokens.

A token is `<tenant_id>.<secret>`; Redis holds `t:<tenant>:session:<sha256(secret)>`, so the key
is tenant-prefixed and a stolen Redis dump holds no usable token.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from uuid import UUID

from redis.asyncio import Redis

from app.lib.keys import tenant_key

COOKIE_NAME = "fastline_session"


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    user_id: UUID
    role: str
    email: str
    password_expired: bool = False
    # API-1: set for an API client's token (app/api/tokens.py); the guard then checks the
    # token's OAuth scopes (app/api/scopes.py) instead of the role table.
    client_id: str | None = None
    scopes: tuple[str, ...] = ()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _session_key(tenant_id: UUID, secret: str) -> str:
    return tenant_key(tenant_id, "session", _digest(secret))


def _user_index(tenant_id: UUID, user_id: UUID) -> str:
    return tenant_key(tenant_id, "user-sessions", str(user_id))


def _split(token: str) -> tuple[UUID, str] | None:
    tenant_part, _, secret = token.partition(".")
    if not secret:
        return None
    try:
        return UUID(tenant_part), secret
    except ValueError:
        return None


async def open_session(redis: Redis, principal: Principal, ttl: int) -> str:
    secret = secrets.token_urlsafe(32)
    data = asdict(principal) | {
        "tenant_id": str(principal.tenant_id),
        "user_id": str(principal.user_id),
    }
    key = _session_key(principal.tenant_id, secret)
    index = _user_index(principal.tenant_id, principal.user_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, json.dumps(data), ex=ttl)
        pipe.sadd(index, key)
        pipe.expire(index, ttl)
        await pipe.execute()
    return f"{principal.tenant_id}.{secret}"


async def resolve(redis: Redis, token: str) -> Principal | None:
    parts = _split(token)
    if parts is None:
        return None
    raw = await redis.get(_session_key(*parts))
    if raw is None:
        return None
    data = json.loads(raw)
    principal = Principal(
        tenant_id=UUID(data["tenant_id"]),
        user_id=UUID(data["user_id"]),
        role=data["role"],
        email=data["email"],
        password_expired=data.get("password_expired", False),
    )
    # The token names its tenant; the stored session must agree, or it is forged.
    return principal if principal.tenant_id == parts[0] else None


async def close_session(redis: Redis, token: str) -> None:
    parts = _split(token)
    if parts is not None:
        await redis.delete(_session_key(*parts))


async def close_user_sessions(redis: Redis, tenant_id: UUID, user_id: UUID) -> None:
    """After a password change, role change or deactivation: every session of the user ends."""
    index = _user_index(tenant_id, user_id)
    keys: set[str] = await redis.smembers(index)  # type: ignore[misc]
    if keys:
        await redis.delete(*keys)
    await redis.delete(index)
