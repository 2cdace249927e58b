"""API-1 / API-2 routes in the role matrix (TEN-2 style): API clients and webhooks are the
tenant admin's alone; a client token's leads:write scope opens lead lists, not campaigns."""

from __future__ import annotations

import pytest

from tests.fixtures.app import PASSWORD, add_user, login, signup, unique_slug
from tests.integration.api.helpers import bearer, create_client

Z = "00000000-0000-0000-0000-000000000000"
ROLES = ["admin", "supervisor", "qa", "agent", "operator"]
MATRIX = [
    ("GET", "/api/v1/api-clients/", None),
    ("POST", "/api/v1/api-clients/", {"name": "x", "scopes": ["calls:read"]}),
    ("DELETE", f"/api/v1/api-clients/{Z}", None),
    ("GET", "/api/v1/webhooks/", None),
    ("GET", "/api/v1/webhooks/event-types", None),
    ("POST", "/api/v1/webhooks/", {"url": "https://example.com/h", "eventTypes": ["*"]}),
    ("PATCH", f"/api/v1/webhooks/{Z}", {"enabled": False}),
    ("DELETE", f"/api/v1/webhooks/{Z}", None),
    ("GET", f"/api/v1/webhooks/{Z}/deliveries", None),
    ("POST", f"/api/v1/webhooks/{Z}/test", None),
]


@pytest.mark.feature("API-1", "API-2")
async def test_only_admins_reach_api_and_webhook_routes(client):
    tenant = await signup(client)
    tokens = {"admin": tenant.token}
    for role in ("supervisor", "qa", "agent"):
        user = await add_user(client, tenant, role)
        tokens[role] = (await login(client, tenant.slug, user["email"])).json()["token"]
    from app.cli import create_operator_account

    email = f"op-{unique_slug()}@fastline.example"
    await create_operator_account(email, PASSWORD)
    tokens["operator"] = (await login(client, "platform", email)).json()["token"]
    for role in ROLES:
        for method, path, body in MATRIX:
            r = await client.request(
                method,
                path,
                headers={"Authorization": f"Bearer {tokens[role]}"},
                **({"json": body} if body is not None else {}),
            )
            if role == "admin":
                assert r.status_code != 403, (role, method, path, r.text)
            else:
                assert r.status_code == 403, (role, method, path, r.status_code)
    for method, path, body in MATRIX:
        r = await client.request(method, path, **({"json": body} if body is not None else {}))
        assert r.status_code == 401, (method, path)


@pytest.mark.feature("API-1")
async def test_leads_write_opens_lead_lists_not_campaigns(client, tenant):
    created = await create_client(client, tenant, ["leads:write"])
    headers = await bearer(client, created)
    # Campaigns themselves: neither read nor change.
    assert (await client.get("/api/v1/dialer/campaigns/", headers=headers)).status_code == 403
    r = await client.post("/api/v1/dialer/campaigns/", headers=headers, json={"name": "x"})
    assert r.status_code == 403
    # A campaign's lead lists: the scope's own paths (404: no such campaign, not 403).
    r = await client.get(f"/api/v1/dialer/campaigns/{Z}/leads", headers=headers)
    assert r.status_code != 403, r.text
