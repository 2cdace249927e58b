"""/health and /ready (readiness checks Postgres and Redis)."""

from __future__ import annotations


async def test_health_and_ready(client):
    assert (await client.get("/health")).json() == {"status": "ok"}
    r = await client.get("/ready")
    assert r.status_code == 200
    assert r.json()["checks"] == {"postgres": "ok", "redis": "ok"}


async def test_unknown_route_is_problem_json(client):
    r = await client.get("/api/v1/nothing-here")
    assert r.status_code in (401, 404)
    assert r.headers["content-type"].startswith("application/problem+json")
