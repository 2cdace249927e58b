"""Extensions (SEAT-1, SEAT-10): created in the API, visible to Kamailio only as HA1 hashes."""

from __future__ import annotations

import hashlib

import asyncpg
import pytest

from app.settings import get_settings


async def _kamailio_rows(domain: str) -> list[asyncpg.Record]:
    # What Kamailio's own role sees through its view (the same connection Kamailio makes).
    db = get_settings().database_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(
        f"postgresql://fastline_kamailio:fastline_kamailio@127.0.0.1:5432/{db}"
    )
    try:
        return await conn.fetch(
            "SELECT username, domain, ha1, bound_ip FROM kamailio_subscriber WHERE domain = $1"
            " ORDER BY username",
            domain,
        )
    finally:
        await conn.close()


@pytest.mark.feature("SEAT-1")
async def test_extension_credentials_reach_kamailio_as_ha1_only(client, tenant):
    agent = (
        await client.post(
            "/api/v1/users/",
            headers=tenant.headers,
            json={
                "email": f"a@{tenant.slug}.example",
                "displayName": "A",
                "role": "agent",
                "password": "Agent-Pass-2026",
            },
        )
    ).json()
    r = await client.post(
        "/api/v1/extensions/",
        headers=tenant.headers,
        json={
            "number": "1001",
            "password": "sip-secret-1",
            "userId": agent["id"],
            "seatType": "sip",
        },
    )
    assert r.status_code == 201, r.text
    ext = r.json()
    domain = f"{tenant.slug}.{get_settings().sip_domain_suffix}"
    assert ext["sipUri"] == f"sip:1001@{domain}"
    assert "password" not in ext and "ha1" not in ext
    rows = await _kamailio_rows(domain)
    expected = hashlib.md5(f"1001:{domain}:sip-secret-1".encode()).hexdigest()
    assert [(r["username"], r["ha1"]) for r in rows] == [("1001", expected)]
    # A new password changes the HA1 Kamailio checks against.
    r = await client.post(
        f"/api/v1/extensions/{ext['id']}/password",
        headers=tenant.headers,
        json={"password": "sip-secret-2"},
    )
    assert r.status_code == 204
    rows = await _kamailio_rows(domain)
    assert rows[0]["ha1"] == hashlib.md5(f"1001:{domain}:sip-secret-2".encode()).hexdigest()
    # Deactivated extensions disappear from Kamailio's view.
    await client.patch(
        f"/api/v1/extensions/{ext['id']}", headers=tenant.headers, json={"isActive": False}
    )
    assert await _kamailio_rows(domain) == []


@pytest.mark.feature("SEAT-10")
async def test_binding_to_an_ip_is_validated_and_exposed(client, tenant):
    r = await client.post(
        "/api/v1/extensions/",
        headers=tenant.headers,
        json={"number": "2001", "password": "sip-secret-1", "boundIp": "not-an-ip"},
    )
    assert r.status_code == 400
    r = await client.post(
        "/api/v1/extensions/",
        headers=tenant.headers,
        json={"number": "2001", "password": "sip-secret-1", "boundIp": "127.0.0.5"},
    )
    assert r.status_code == 201
    domain = f"{tenant.slug}.{get_settings().sip_domain_suffix}"
    assert (await _kamailio_rows(domain))[0]["bound_ip"] == "127.0.0.5"
    r = await client.post(
        "/api/v1/extensions/",
        headers=tenant.headers,
        json={"number": "2001", "password": "sip-secret-1"},
    )
    assert r.status_code == 409
    for bad in ("12", "1234567", "12a4"):
        r = await client.post(
            "/api/v1/extensions/",
            headers=tenant.headers,
            json={"number": bad, "password": "sip-secret-1"},
        )
        assert r.status_code == 400, bad


@pytest.mark.feature("SEAT-1")
async def test_extensions_are_tenant_private(client, tenant, other_tenant):
    ext = (
        await client.post(
            "/api/v1/extensions/",
            headers=tenant.headers,
            json={"number": "3001", "password": "sip-secret-1"},
        )
    ).json()
    assert (
        await client.get(f"/api/v1/extensions/{ext['id']}", headers=other_tenant.headers)
    ).status_code == 404
    r = await client.post(
        f"/api/v1/extensions/{ext['id']}/password",
        headers=other_tenant.headers,
        json={"password": "hijacked-123"},
    )
    assert r.status_code == 404
    me = (await client.get("/api/v1/auth/me", headers=tenant.headers)).json()
    r = await client.post(
        "/api/v1/extensions/",
        headers=other_tenant.headers,
        json={"number": "3001", "password": "sip-secret-1", "userId": me["id"]},
    )
    assert r.status_code == 404  # the user belongs to another tenant
    listing = (await client.get("/api/v1/extensions/", headers=other_tenant.headers)).json()
    assert listing["total"] == 0
