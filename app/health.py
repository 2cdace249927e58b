"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from sqlalchemy import text

from app.db.session import get_sessionmaker
from app.lib.redis import get_redis


@get("/health", opt={"public": True}, tags=["ops"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", opt={"public": True}, tags=["ops"])
async def ready() -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        async with get_sessionmaker()() as session:
            await session.execute(text("SELECT 1"))
        checks["postgres"] = "ok"
    except Exception as exc:
        checks["postgres"] = f"down: {type(exc).__name__}"
    try:
        await get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return Response(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )
