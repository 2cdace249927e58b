"""API-1: an authorization request with characters OAuth does not allow (found by the API
fuzzer: a redirect URI outside ASCII made the consent call fail with 500) is a clear 400."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.feature("API-1")


@pytest.mark.parametrize("field", ["redirectUri", "codeChallenge", "state", "scope"])
async def test_non_ascii_authorization_parameters_are_a_400(client, tenant, field):
    r = await client.post(
        "/api/v1/api-clients/",
        headers=tenant.headers,
        json={"name": "Partner", "scopes": ["calls:read"], "redirectUris": ["https://p.example/cb"]},
    )
    assert r.status_code == 201, r.text
    body = {
        "clientId": r.json()["clientId"],
        "responseType": "code",
        "redirectUri": "https://p.example/cb",
        "codeChallenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "codeChallengeMethod": "S256",
        field: "Q\U000d383e\u00e9" * 15,  # long enough for a code challenge
    }
    r = await client.post("/api/v1/oauth/authorize", headers=tenant.headers, json=body)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "printable ASCII" in r.json()["detail"]
