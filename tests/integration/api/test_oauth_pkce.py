"""API-1: authorization code + PKCE (RFC 6749 4.1, RFC 7636 S256). A user of the client's
tenant approves on the consent screen; the token acts as that user within the scopes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fixtures.app import add_user, login
from tests.integration.api.helpers import create_client

pytestmark = pytest.mark.feature("API-1")

CALLBACK = "https://partner.example/cb"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def approve(client, headers, created, challenge, **extra):
    body = {
        "clientId": created["clientId"],
        "redirectUri": CALLBACK,
        "codeChallenge": challenge,
        "scope": "calls:read",
        "state": "xyz",
        "approve": True,
    } | extra
    return await client.post("/api/v1/oauth/authorize", headers=headers, json=body)


async def exchange(client, created, code, verifier, redirect_uri=CALLBACK):
    return await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "client_id": created["clientId"],
            "client_secret": created["clientSecret"],
        },
    )


def code_of(redirect_to: str) -> str:
    query = parse_qs(urlsplit(redirect_to).query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


async def test_code_flow_with_pkce(client, tenant):
    created = await create_client(
        client, tenant, ["calls:read", "webhooks:manage"], redirectUris=[CALLBACK]
    )
    verifier, challenge = pkce()
    r = await client.get(
        "/oauth/authorize",
        params={"response_type": "code", "client_id": created["clientId"], "state": "xyz"},
        follow_redirects=False,
    )
    assert r.status_code == 302 and r.headers["location"].startswith("/oauth/consent?")
    # The consent screen first asks what is being approved.
    r = await approve(client, tenant.headers, created, challenge, approve=None)
    assert r.status_code == 200, r.text
    assert r.json()["scopes"] == ["calls:read"] and r.json()["redirectTo"] is None
    r = await approve(client, tenant.headers, created, challenge)
    assert r.status_code == 200, r.text
    redirect_to = r.json()["redirectTo"]
    assert redirect_to.startswith(f"{CALLBACK}?")
    code = code_of(redirect_to)
    r = await exchange(client, created, code, verifier)
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "calls:read"
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await client.get("/api/v1/calls/", headers=headers)).status_code == 200
    assert (await client.get("/api/v1/webhooks/", headers=headers)).status_code == 403
    assert (await client.get("/api/v1/users/", headers=headers)).status_code == 403
    # A code is good once.
    r = await exchange(client, created, code, verifier)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_wrong_verifier_or_redirect_gets_nothing(client, tenant):
    created = await create_client(client, tenant, ["calls:read"], redirectUris=[CALLBACK])
    verifier, challenge = pkce()
    code = code_of((await approve(client, tenant.headers, created, challenge)).json()["redirectTo"])
    r = await exchange(client, created, code, pkce()[0])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # The failed attempt used the code up.
    assert (await exchange(client, created, code, verifier)).status_code == 400
    code = code_of((await approve(client, tenant.headers, created, challenge)).json()["redirectTo"])
    r = await exchange(client, created, code, verifier, redirect_uri="https://evil.example/cb")
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    # An unregistered redirect URI is refused before any redirect.
    r = await approve(
        client, tenant.headers, created, challenge, redirectUri="https://evil.example/cb"
    )
    assert r.status_code == 400 and "redirectTo" not in r.json()
    # No PKCE challenge, no code.
    r = await approve(client, tenant.headers, created, "")
    assert r.status_code == 400
    # Denied: back to the client with access_denied.
    r = await approve(client, tenant.headers, created, challenge, approve=False)
    query = parse_qs(urlsplit(r.json()["redirectTo"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]
    # A client with no redirect URI cannot use the code flow at all.
    bare = await create_client(client, tenant, ["calls:read"])
    assert (await approve(client, tenant.headers, bare, challenge)).status_code == 400


async def test_token_acts_as_the_user_and_ends_with_them(client, tenant, other_tenant):
    created = await create_client(
        client, tenant, ["calls:read", "calls:write"], redirectUris=[CALLBACK]
    )
    agent = await add_user(client, tenant, "agent")
    agent_token = (await login(client, tenant.slug, agent["email"])).json()["token"]
    agent_headers = {"Authorization": f"Bearer {agent_token}"}
    verifier, challenge = pkce()
    r = await approve(client, agent_headers, created, challenge, scope="calls:read calls:write")
    code = code_of(r.json()["redirectTo"])
    r = await exchange(client, created, code, verifier)
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    # The scope allows reading calls, but an agent may not: refused.
    assert (await client.get("/api/v1/calls/", headers=headers)).status_code == 403
    # Another tenant's users cannot approve this tenant's client.
    r = await approve(client, other_tenant.headers, created, challenge)
    assert r.status_code == 404
    # A client token cannot approve anything.
    r = await approve(client, headers, created, challenge)
    assert r.status_code == 403
    # Deactivating the user ends the token.
    r = await client.patch(
        f"/api/v1/users/{agent['id']}", headers=tenant.headers, json={"isActive": False}
    )
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/calls/click-to-call", headers=headers, json={})
    assert r.status_code == 401
