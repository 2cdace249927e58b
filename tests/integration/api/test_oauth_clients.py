"""API-1: API clients, the OAuth 2 token endpoint (client credentials), scopes reaching routes,
tenant isolation, revocation, per-client rate limit, OpenAPI security scheme."""

from __future__ import annotations

import asyncio
import time

import pytest

from app.api.tokens import WINDOW_SECONDS
from tests.fixtures.app import add_user, login
from tests.integration.api.helpers import bearer, create_client, request_token

pytestmark = pytest.mark.feature("API-1")


async def test_secret_is_shown_once_and_stored_hashed(client, tenant):
    created = await create_client(client, tenant, ["calls:read"])
    assert created["clientSecret"].startswith("fls_")
    assert created["clientId"] == f"{tenant.tenant_id}.{created['id']}"
    listed = (await client.get("/api/v1/api-clients/", headers=tenant.headers)).json()
    assert [c["id"] for c in listed] == [created["id"]]
    assert "clientSecret" not in listed[0] and created["clientSecret"] not in str(listed)
    from sqlalchemy import text

    from app.db.session import tenant_session

    async with tenant_session(tenant.tenant_id) as session:
        stored = (await session.execute(text("SELECT secret_hash FROM api_client"))).scalar_one()
    assert created["clientSecret"] not in stored and len(stored) == 64


async def test_client_credentials_token_and_errors(client, tenant):
    created = await create_client(client, tenant, ["calls:read", "agents:read"])
    r = await request_token(client, created["clientId"], created["clientSecret"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"calls:read", "agents:read"}
    assert r.headers["cache-control"] == "no-store"
    assert body["access_token"].startswith(f"fla_{tenant.tenant_id}.")
    # Secret in the body (client_secret_post) works too; a narrower scope is honoured.
    r = await client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["clientId"],
            "client_secret": created["clientSecret"],
            "scope": "calls:read webhooks:manage",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "calls:read"
    r = await request_token(client, created["clientId"], "fls_wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = await request_token(
        client, created["clientId"], created["clientSecret"], scope="leads:write"
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    r = await request_token(client, created["clientId"], created["clientSecret"], scope="root")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    r = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "x", "password": "y"},
    )
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"


async def test_scopes_open_only_their_routes(client, tenant):
    created = await create_client(client, tenant, ["calls:read"])
    headers = await bearer(client, created)
    assert (await client.get("/api/v1/calls/", headers=headers)).status_code == 200
    for method, path in (
        ("GET", "/api/v1/users/"),
        ("GET", "/api/v1/api-clients/"),
        ("GET", "/api/v1/webhooks/"),
        ("GET", "/api/v1/acd/queues/"),
        ("POST", "/api/v1/calls/click-to-call"),
    ):
        r = await client.request(method, path, headers=headers, json={})
        assert r.status_code == 403, (method, path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    # A read scope opens no write on the same permission.
    r = await client.post("/api/v1/calls/exports", headers=headers, json={})
    assert r.status_code == 403
    # An API client can never create API clients, whatever its scopes.
    full = await create_client(
        client,
        tenant,
        ["calls:read", "calls:write", "recordings:read", "agents:read", "webhooks:manage",
         "leads:write"],
    )  # fmt: skip
    full_headers = await bearer(client, full)
    r = await client.post(
        "/api/v1/api-clients/", headers=full_headers, json={"name": "x", "scopes": ["calls:read"]}
    )
    assert r.status_code == 403
    assert (await client.get("/api/v1/webhooks/", headers=full_headers)).status_code == 200
    assert (await client.get("/api/v1/acd/queues/", headers=full_headers)).status_code == 200


async def test_client_token_never_reaches_another_tenant(client, tenant, other_tenant):
    created = await create_client(client, tenant, ["webhooks:manage"])
    headers = await bearer(client, created)
    r = await client.post(
        "/api/v1/webhooks/",
        headers=other_tenant.headers,
        json={"url": "http://127.0.0.1:9/hook", "eventTypes": ["*"]},
    )
    theirs = r.json()["id"]
    assert (await client.get("/api/v1/webhooks/", headers=headers)).json() == []
    for method in ("PATCH", "DELETE"):
        r = await client.request(
            method, f"/api/v1/webhooks/{theirs}", headers=headers, json={"enabled": False}
        )
        assert r.status_code == 404
    r = await client.get(f"/api/v1/webhooks/{theirs}/deliveries", headers=headers)
    assert r.status_code == 404
    # A token whose tenant part is swapped for another tenant's is no token at all.
    token = headers["Authorization"].removeprefix("Bearer ")
    forged = token.replace(str(tenant.tenant_id), str(other_tenant.tenant_id))
    r = await client.get("/api/v1/webhooks/", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    # Another tenant's admin cannot see or revoke this tenant's client.
    assert (await client.get("/api/v1/api-clients/", headers=other_tenant.headers)).json() == []
    r = await client.delete(f"/api/v1/api-clients/{created['id']}", headers=other_tenant.headers)
    assert r.status_code == 404


async def test_revoking_ends_tokens_at_once(client, tenant):
    created = await create_client(client, tenant, ["calls:read"])
    headers = await bearer(client, created)
    assert (await client.get("/api/v1/calls/", headers=headers)).status_code == 200
    r = await client.delete(f"/api/v1/api-clients/{created['id']}", headers=tenant.headers)
    assert r.status_code == 204
    assert (await client.get("/api/v1/calls/", headers=headers)).status_code == 401
    r = await request_token(client, created["clientId"], created["clientSecret"])
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    listed = (await client.get("/api/v1/api-clients/", headers=tenant.headers)).json()
    assert listed[0]["revokedAt"] is not None


async def test_rate_limit_per_client_answers_429_with_retry_after(client, tenant):
    limited = await create_client(client, tenant, ["calls:read"], rateLimitPerMinute=3)
    other = await create_client(client, tenant, ["calls:read"])
    headers, other_headers = await bearer(client, limited), await bearer(client, other)
    if WINDOW_SECONDS - time.time() % WINDOW_SECONDS < 2:
        await asyncio.sleep(2.5)  # not across a window boundary
    codes = [(await client.get("/api/v1/calls/", headers=headers)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = await client.get("/api/v1/calls/", headers=headers)
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["retry-after"]) <= WINDOW_SECONDS
    assert r.json()["status"] == 429
    # Another client of the same tenant has its own budget.
    assert (await client.get("/api/v1/calls/", headers=other_headers)).status_code == 200
    listed = (await client.get("/api/v1/api-clients/", headers=tenant.headers)).json()
    assert all(c["lastUsedAt"] is not None for c in listed)


async def test_only_admins_manage_api_clients(client, tenant):
    supervisor = await add_user(client, tenant, "supervisor")
    r = await login(client, tenant.slug, supervisor["email"])
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    r = await client.post(
        "/api/v1/api-clients/", headers=headers, json={"name": "x", "scopes": ["calls:read"]}
    )
    assert r.status_code == 403
    assert (await client.get("/api/v1/webhooks/", headers=headers)).status_code == 403


async def test_openapi_shows_the_oauth_scheme(client):
    spec = (await client.get("/schema/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth/token"
    assert "calls:read" in flow["scopes"]
    assert {"oauth2": []} in spec["security"]
    assert "/oauth/token" in spec["paths"]


async def test_a_token_issued_while_revoking_is_dropped(client, tenant):
    from uuid import UUID

    from app.api import tokens
    from app.lib.redis import get_redis

    created = await create_client(client, tenant, ["calls:read"])
    row_id = UUID(created["id"])
    redis = get_redis()
    # The issuer stored its token just after the revoke read the index...
    token = tokens.new_access_token(tenant.tenant_id)
    await tokens.revoke_client_tokens(redis, tenant.tenant_id, row_id)
    await tokens.store_access_token(
        redis, token, tenant_id=tenant.tenant_id, client_row_id=row_id, name="x",
        scopes=["calls:read"], user_id=row_id, rate_limit=10,
    )  # fmt: skip
    # ...and sees the revoke marker: the token goes.
    assert await tokens.issued_after_revoke(redis, token, tenant.tenant_id, row_id)
    r = await client.get("/api/v1/calls/", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_client_calls_are_audited_under_the_client(client, tenant):
    created = await create_client(client, tenant, ["webhooks:manage"])
    headers = await bearer(client, created)
    r = await client.post(
        "/api/v1/webhooks/",
        headers=headers,
        json={"url": "https://crm.example.com/h", "eventTypes": ["*"]},
    )
    assert r.status_code == 201, r.text
    entries = (await client.get("/api/v1/audit/", headers=tenant.headers)).json()["items"]
    by_action = {e["action"]: e for e in entries}
    assert by_action["webhook.create"]["actorEmail"] == f"api:{created['name']}"
    assert by_action["api.token"]["targetId"] == created["id"]
    assert by_action["api_client.create"]["actorEmail"] == tenant.admin_email
