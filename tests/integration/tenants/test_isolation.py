"""Tenancy fails closed: RLS, repository filters, forged ids, pooled connections."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.db.base import tenant_tables
from app.db.repository import MissingTenantError
from app.db.session import TENANT_KEY
from app.settings import get_settings
from app.tenants.controllers.settings import BusinessRepository
from tests.fixtures.app import PASSWORD, login

pytestmark = pytest.mark.feature("TEN-2")


async def _create(client, t, path, body):
    r = await client.post(path, headers=t.headers, json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
async def one_connection_engine(migrated_db):
    engine = create_async_engine(get_settings().database_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def test_pooled_connection_reused_by_another_tenant_sees_nothing_of_the_first(
    client, tenant, other_tenant, one_connection_engine
):
    await _create(client, tenant, "/api/v1/businesses/", {"name": "Tenant A sales"})
    make = async_sessionmaker(one_connection_engine)
    async with make() as a:
        a.info[TENANT_KEY] = tenant.tenant_id
        async with a.begin():
            pid_a = await a.scalar(text("SELECT pg_backend_pid()"))
            names_a = (await a.scalars(text("SELECT name FROM business"))).all()
    async with make() as b:
        b.info[TENANT_KEY] = other_tenant.tenant_id
        async with b.begin():
            pid_b = await b.scalar(text("SELECT pg_backend_pid()"))
            # No WHERE clause: only row-level security stands between tenant B and A's rows.
            names_b = (await b.scalars(text("SELECT name FROM business"))).all()
            users_b = (await b.scalars(text("SELECT email FROM user_account"))).all()
    assert pid_a == pid_b, "the test must reuse one physical connection"
    assert names_a == ["Tenant A sales"]
    assert names_b == []
    assert users_b == [other_tenant.admin_email]


async def test_no_tenant_set_means_no_rows_and_no_writes(client, tenant, one_connection_engine):
    await _create(client, tenant, "/api/v1/businesses/", {"name": "Hidden"})
    make = async_sessionmaker(one_connection_engine)
    async with make() as s, s.begin():
        assert (await s.scalars(text("SELECT name FROM business"))).all() == []
        assert (await s.scalars(text("SELECT id FROM user_account"))).all() == []
    with pytest.raises(DBAPIError, match="row-level security"):
        async with make() as s, s.begin():
            await s.execute(
                text(
                    "INSERT INTO business (tenant_id, id, name, description, is_active,"
                    " created_at, updated_at) VALUES (:t, :i, 'x', '', true, now(), now())"
                ),
                {"t": tenant.tenant_id, "i": uuid.uuid4()},
            )


async def test_repository_refuses_to_run_without_a_tenant(one_connection_engine):
    async with async_sessionmaker(one_connection_engine)() as s:
        with pytest.raises(MissingTenantError):
            BusinessRepository(session=s, tenant_id=None)


RESOURCES = [
    ("/api/v1/businesses/", {"name": "Secret line"}, {"name": "Hijacked"}),
    ("/api/v1/calendars/", {"name": "Secret hours"}, None),
    (
        "/api/v1/caller-lists/",
        {"listKind": "white", "number": "+8613800000001"},
        {"note": "hijacked"},
    ),
    (
        "/api/v1/numbers/",
        {"number": f"+86400{uuid.uuid4().int % 10**7:07d}"},
        {"label": "hijacked"},
    ),
]


@pytest.mark.parametrize(("path", "body", "patch"), RESOURCES)
async def test_forged_ids_in_urls_get_404_and_change_nothing(
    client, tenant, other_tenant, path, body, patch
):
    item = await _create(client, tenant, path, body)
    url = f"{path}{item['id']}"
    assert (await client.get(url, headers=other_tenant.headers)).status_code == 404
    if patch:
        r = await client.patch(url, headers=other_tenant.headers, json=patch)
        assert r.status_code == 404
    assert (await client.delete(url, headers=other_tenant.headers)).status_code == 404
    listing = (await client.get(path, headers=other_tenant.headers)).json()
    assert item["id"] not in {i["id"] for i in listing["items"]}
    mine = await client.get(url, headers=tenant.headers)
    assert mine.status_code == 200 and mine.json() == item


async def test_forged_user_id_gets_404(client, tenant, other_tenant):
    me = (await client.get("/api/v1/auth/me", headers=tenant.headers)).json()
    for method, extra in (("GET", {}), ("PATCH", {"json": {"role": "agent"}}), ("DELETE", {})):
        r = await client.request(
            method, f"/api/v1/users/{me['id']}", headers=other_tenant.headers, **extra
        )
        assert r.status_code == 404, (method, r.text)
    r = await client.post(f"/api/v1/users/{me['id']}/unlock", headers=other_tenant.headers)
    assert r.status_code == 404
    assert (await client.get("/api/v1/auth/me", headers=tenant.headers)).json()["role"] == "admin"


async def test_forged_ids_in_bodies_get_404(client, tenant, other_tenant):
    calendar = await _create(client, tenant, "/api/v1/calendars/", {"name": "A hours"})
    business = await _create(client, tenant, "/api/v1/businesses/", {"name": "A line"})
    r = await client.post(
        "/api/v1/businesses/",
        headers=other_tenant.headers,
        json={"name": "B line", "calendarId": calendar["id"]},
    )
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/numbers/",
        headers=other_tenant.headers,
        json={"number": "+862100000099", "businessId": business["id"]},
    )
    assert r.status_code == 404
    r = await client.post(
        "/api/v1/caller-lists/",
        headers=other_tenant.headers,
        json={"listKind": "black", "number": "13800000000", "businessId": business["id"]},
    )
    assert r.status_code == 404


async def test_tenant_id_in_a_body_is_ignored(client, tenant, other_tenant):
    r = await client.post(
        "/api/v1/businesses/",
        headers=other_tenant.headers,
        json={"name": "Sneaky", "tenantId": str(tenant.tenant_id)},
    )
    assert r.status_code == 201
    names_a = [
        b["name"]
        for b in (await client.get("/api/v1/businesses/", headers=tenant.headers)).json()["items"]
    ]
    assert "Sneaky" not in names_a


async def test_a_token_cannot_be_replayed_under_another_tenant(client, tenant, other_tenant):
    secret = other_tenant.token.split(".", 1)[1]
    forged = f"{tenant.tenant_id}.{secret}"
    r = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401


async def test_same_email_in_two_tenants_signs_in_to_its_own(client, tenant, other_tenant):
    email = "same.person@example.com"
    for t in (tenant, other_tenant):
        r = await client.post(
            "/api/v1/users/",
            headers=t.headers,
            json={"email": email, "displayName": "Same", "role": "agent", "password": PASSWORD},
        )
        assert r.status_code == 201
    r = await login(client, other_tenant.slug, email)
    assert r.json()["user"]["tenantId"] == str(other_tenant.tenant_id)


async def test_every_tenant_table_has_forced_rls_and_a_policy(migrated_db):
    """Fails when a table with tenant_id is added without ENABLE + FORCE RLS and a policy."""
    engine = create_async_engine(get_settings().database_owner_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       (SELECT count(*) FROM pg_policies p
                         WHERE p.schemaname = 'public' AND p.tablename = c.relname) AS policies
                FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
                  AND a.attname = 'tenant_id' AND NOT a.attisdropped
                """
                    )
                )
            ).all()
            app_role = (
                await conn.execute(
                    text(
                        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'fastline_app'"
                    )
                )
            ).one()
            owned_by_app = (
                await conn.execute(
                    text("SELECT count(*) FROM pg_class WHERE relowner = 'fastline_app'::regrole")
                )
            ).scalar()
    finally:
        await engine.dispose()
    found = {r.relname for r in rows}
    assert set(tenant_tables()) <= found, "a TenantOwned model has no table with tenant_id"
    bad = [
        r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity and r.policies)
    ]
    assert bad == [], f"tenant tables without forced RLS or policy: {bad}"
    assert tuple(app_role) == (False, False)
    assert owned_by_app == 0


async def test_redis_and_object_keys_start_with_the_tenant():
    from app.lib.keys import tenant_key, tenant_object_key

    t = uuid.uuid4()
    assert tenant_key(t, "session", "x") == f"t:{t}:session:x"
    assert tenant_object_key(t, "exports", "a.csv") == f"tenant/{t}/exports/a.csv"
    with pytest.raises(ValueError):
        tenant_object_key(t, "..", "etc")
    with pytest.raises(ValueError):
        tenant_key(None, "x")  # type: ignore[arg-type]


async def test_session_keys_in_redis_are_tenant_prefixed(client, tenant):
    from app.lib.redis import get_redis

    keys = [k async for k in get_redis().scan_iter(match=f"t:{tenant.tenant_id}:session:*")]
    assert keys, "the signup session must live under the tenant's prefix"
