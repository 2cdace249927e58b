"""Sign-up, sign-in, passwords, lockout, TOTP (TEN-1, TEN-3)."""

from __future__ import annotations

import pyotp
import pytest

from tests.fixtures.app import PASSWORD, add_user, login, signup, unique_slug


@pytest.mark.feature("TEN-1")
async def test_signup_creates_tenant_and_admin_who_can_sign_in(client):
    t = await signup(client)
    r = await client.get("/api/v1/auth/me", headers=t.headers)
    assert r.status_code == 200
    assert r.json()["role"] == "admin" and r.json()["email"] == t.admin_email
    r = await login(client, t.slug, t.admin_email)
    assert r.status_code == 200
    assert r.json()["user"]["tenantId"] == str(t.tenant_id)
    assert "fastline_session" in r.headers.get("set-cookie", "")


@pytest.mark.feature("TEN-1")
async def test_signup_rejects_taken_slug_and_bad_input_as_problem_json(client):
    t = await signup(client)
    r = await client.post(
        "/api/v1/signup",
        json={
            "companyName": "X",
            "slug": t.slug,
            "adminEmail": "a@b.example",
            "adminName": "A",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "taken" in r.json()["detail"]
    r = await client.post("/api/v1/signup", json={"slug": "Bad Slug!"})
    assert r.status_code == 400
    assert r.json()["status"] == 400 and r.json()["errors"]


@pytest.mark.feature("TEN-3")
@pytest.mark.parametrize(
    "weak",
    ["short1A!", "alllowercaseletters", "Password123!", "aaaaaaaaaaA1!", "admin-Secret-99"],
)
async def test_weak_passwords_are_rejected_with_a_reason(client, weak):
    slug = unique_slug()
    r = await client.post(
        "/api/v1/signup",
        json={
            "companyName": "X",
            "slug": slug,
            "adminEmail": f"admin@{slug}.example",
            "adminName": "A",
            "password": weak,
        },
    )
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "weak_password"
    assert r.json()["detail"].startswith("Weak password:")


@pytest.mark.feature("TEN-3")
async def test_session_cookie_signs_in_the_portal_and_logout_ends_it(client, tenant):
    r = await client.post(
        "/api/v1/auth/login",
        json={"tenant": tenant.slug, "email": tenant.admin_email, "password": PASSWORD},
    )
    assert r.status_code == 200
    assert (await client.get("/api/v1/auth/me")).status_code == 200  # the cookie alone
    assert (await client.post("/api/v1/auth/logout")).status_code == 204
    client.cookies.clear()
    token = r.json()["token"]
    r = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


@pytest.mark.feature("TEN-3")
async def test_wrong_password_locks_account_after_threshold_with_clear_message(client, tenant):
    # conftest sets the threshold to 3 failures.
    for _ in range(3):
        r = await login(client, tenant.slug, tenant.admin_email, "Wrong-Password-1")
        assert r.status_code == 401
        assert r.json()["detail"] == "Wrong company, e-mail or password."
    r = await login(client, tenant.slug, tenant.admin_email)  # right password, but locked
    assert r.status_code == 423
    assert "locked after 3 failed sign-ins" in r.json()["detail"]
    assert "ask your administrator to unlock" in r.json()["detail"]
    # Another admin unlocks it.
    admin2 = await add_user(client, tenant, "admin")
    r2 = await login(client, tenant.slug, admin2["email"])
    token2 = r2.json()["token"]
    me = (await client.get("/api/v1/auth/me", headers=tenant.headers)).json()
    r = await client.post(
        f"/api/v1/users/{me['id']}/unlock", headers={"Authorization": f"Bearer {token2}"}
    )
    assert r.status_code == 200
    assert (await login(client, tenant.slug, tenant.admin_email)).status_code == 200


@pytest.mark.feature("TEN-3")
async def test_unknown_tenant_or_user_gives_the_same_answer(client, tenant):
    a = await login(client, "no-such-company", tenant.admin_email)
    b = await login(client, tenant.slug, "nobody@example.com")
    assert a.status_code == b.status_code == 401
    assert a.json()["detail"] == b.json()["detail"]


@pytest.mark.feature("TEN-3")
async def test_password_change_ends_other_sessions_and_checks_strength(client, tenant):
    r = await client.post(
        "/api/v1/auth/password",
        headers=tenant.headers,
        json={"currentPassword": PASSWORD, "newPassword": "weak"},
    )
    assert r.status_code == 400 and r.json()["code"] == "weak_password"
    r = await client.post(
        "/api/v1/auth/password",
        headers=tenant.headers,
        json={"currentPassword": "Not-The-Password-9", "newPassword": "New-Secure-Pass-77"},
    )
    assert r.status_code == 400
    r = await client.post(
        "/api/v1/auth/password",
        headers=tenant.headers,
        json={"currentPassword": PASSWORD, "newPassword": "New-Secure-Pass-77"},
    )
    assert r.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=tenant.headers)).status_code == 401
    assert (await login(client, tenant.slug, tenant.admin_email)).status_code == 401
    assert (
        await login(client, tenant.slug, tenant.admin_email, "New-Secure-Pass-77")
    ).status_code == 200


@pytest.mark.feature("TEN-3")
async def test_forced_periodic_change_blocks_everything_but_the_change(client, tenant, migrated_db):
    from sqlalchemy import text

    from app.db.session import tenant_session

    r = await client.patch(
        "/api/v1/tenant/", headers=tenant.headers, json={"passwordMaxAgeDays": 30}
    )
    assert r.status_code == 200
    async with tenant_session(tenant.tenant_id) as session:
        await session.execute(
            text("UPDATE user_account SET password_changed_at = now() - interval '31 days'")
        )
    r = await login(client, tenant.slug, tenant.admin_email)
    assert r.status_code == 200 and r.json()["passwordExpired"] is True
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    r = await client.get("/api/v1/users/", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "password_expired"
    r = await client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"currentPassword": PASSWORD, "newPassword": "Fresh-Password-31"},
    )
    assert r.status_code == 204
    r = await login(client, tenant.slug, tenant.admin_email, "Fresh-Password-31")
    assert r.json()["passwordExpired"] is False


@pytest.mark.feature("TEN-3")
async def test_totp_second_factor(client, tenant):
    r = await client.post("/api/v1/auth/totp/setup", headers=tenant.headers)
    assert r.status_code == 200
    secret = r.json()["secret"]
    assert r.json()["uri"].startswith("otpauth://totp/")
    r = await client.post(
        "/api/v1/auth/totp/enable", headers=tenant.headers, json={"code": "000000"}
    )
    assert r.status_code == 400
    code = pyotp.TOTP(secret).now()
    r = await client.post("/api/v1/auth/totp/enable", headers=tenant.headers, json={"code": code})
    assert r.status_code == 204
    r = await login(client, tenant.slug, tenant.admin_email)
    assert r.status_code == 401 and r.json()["code"] == "totp_required"
    r = await login(client, tenant.slug, tenant.admin_email, totpCode="123456")
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"
    r = await login(client, tenant.slug, tenant.admin_email, totpCode=pyotp.TOTP(secret).now())
    assert r.status_code == 200
