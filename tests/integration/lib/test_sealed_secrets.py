"""Trunk passwords and webhook signing secrets are sealed in the database (a dump shows none of
them) yet work as before; migration 0018 seals the values already stored and its downgrade
opens them again (EDGE-3, API-2)."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import httpx
import pytest
from sqlalchemy import select, text

from app.db.bootstrap import DbTarget, bootstrap, drop_database
from app.db.migrate import downgrade, upgrade
from app.db.session import tenant_session
from app.edge.models import Trunk
from app.lib.sealed import PREFIX
from app.settings import get_settings
from tests.fixtures.app import TenantCtx

pytestmark = [pytest.mark.feature("EDGE-3"), pytest.mark.feature("API-2")]


async def raw(tenant_id: uuid.UUID, sql: str) -> str:
    async with tenant_session(tenant_id) as db:
        return str((await db.execute(text(sql))).scalar_one())


async def test_trunk_password_and_webhook_secret_are_sealed_at_rest(
    client: httpx.AsyncClient, tenant: TenantCtx
) -> None:
    r = await client.post("/api/v1/trunks", headers=tenant.headers, json={
        "name": "carrier", "host": "198.51.100.7", "username": "acct42",
        "password": "Carrier-Pass-77", "sourceIps": ["198.51.100.7"],
    })  # fmt: skip
    assert r.status_code == 201, r.text
    stored = await raw(tenant.tenant_id, "SELECT password FROM trunk")
    assert stored.startswith(PREFIX) and "Carrier-Pass-77" not in stored
    async with tenant_session(tenant.tenant_id) as db:
        trunk = (await db.scalars(select(Trunk))).one()
    assert trunk.password == "Carrier-Pass-77"  # what callcontrol answers the carrier with

    hook = {"url": "https://example.com/hook", "eventTypes": ["*"]}
    r = await client.post("/api/v1/webhooks", headers=tenant.headers, json=hook)
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    stored = await raw(tenant.tenant_id, "SELECT secret FROM webhook_endpoint")
    assert stored.startswith(PREFIX) and secret not in stored


def test_the_migration_seals_stored_values_and_its_downgrade_opens_them() -> None:
    settings = get_settings()
    name = f"fastline_seal_{os.getpid()}"
    owner = settings.database_owner_url.rsplit("/", 1)[0] + "/" + name
    app_url = settings.database_url.rsplit("/", 1)[0] + "/" + name
    target = DbTarget.from_urls(owner, app_url)
    asyncio.run(bootstrap(settings.database_superuser_url, target, recreate=True))
    plain_owner = owner.replace("postgresql+asyncpg://", "postgresql://")
    tenant_id = uuid.uuid4()

    async def owner_sql(*statements: str) -> list[str]:
        conn = await asyncpg.connect(plain_owner)
        try:
            out: list[str] = []
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
                for sql in statements:
                    out.append(str(await conn.fetchval(sql)))
            return out
        finally:
            await conn.close()

    try:
        upgrade(owner, "0017")
        asyncio.run(owner_sql(
            "INSERT INTO tenant (id, slug, name, status, require_totp_for_admins, created_at)"
            f" VALUES ('{tenant_id}', 'seal-{tenant_id.hex[:8]}', 'Seal Ltd', 'active', false,"
            " now())",
            "INSERT INTO trunk (tenant_id, id, name, kind, host, port, transport, source_ips,"
            " username, password, caller_id, max_channels, is_active, created_at, updated_at)"
            f" VALUES ('{tenant_id}', gen_random_uuid(), 'old', 'carrier', 'h', 5060, 'udp',"
            " '{}', 'u', 'Old-Plain-Pass', '', 30, true, now(), now())",
        ))  # fmt: skip
        upgrade(owner, "0018")
        [sealed] = asyncio.run(owner_sql("SELECT password FROM trunk"))
        assert sealed.startswith(PREFIX) and "Old-Plain-Pass" not in sealed
        downgrade(owner, "0017")
        assert asyncio.run(owner_sql("SELECT password FROM trunk")) == ["Old-Plain-Pass"]
    finally:
        asyncio.run(drop_database(settings.database_superuser_url, name))
