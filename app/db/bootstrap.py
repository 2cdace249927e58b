"""Create the database roles and the database (needs a superuser connection, once per machine).

Roles:
- owner (`fastline_owner`): owns every table, runs migrations.
- app (`fastline_app`): what the app and workers connect as; owns nothing, NOBYPASSRLS, so
  row-level security always applies to it.
- kamailio (`fastline_kamailio`): reads SIP credentials and trunk addresses through two views.
- router (`fastline_router`, no login): owns the functions that find a call's tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import asyncpg


@dataclass(frozen=True)
class DbTarget:
    database: str
    owner: str
    owner_password: str
    app_role: str
    app_password: str
    kamailio_role: str = "fastline_kamailio"
    kamailio_password: str = "fastline_kamailio"  # noqa: S105 - dev default, set in prod

    @classmethod
    def from_urls(cls, owner_url: str, app_url: str) -> DbTarget:
        owner, app = urlsplit(owner_url), urlsplit(app_url)
        return cls(
            database=owner.path.lstrip("/"),
            owner=owner.username or "fastline_owner",
            owner_password=owner.password or "",
            app_role=app.username or "fastline_app",
            app_password=app.password or "",
        )


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe identifier: {name!r}")
    return f'"{name}"'


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str, extra: str) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    quoted = password.replace("'", "''")
    await conn.execute(f"{verb} ROLE {_ident(role)} LOGIN PASSWORD '{quoted}' {extra}")


async def bootstrap(superuser_url: str, target: DbTarget, *, recreate: bool = False) -> None:
    conn = await asyncpg.connect(_plain(superuser_url))
    try:
        await _ensure_role(conn, target.owner, target.owner_password, "NOSUPERUSER NOBYPASSRLS")
        await _ensure_role(
            conn, target.app_role, target.app_password, "NOSUPERUSER NOBYPASSRLS NOCREATEDB"
        )
        await _ensure_role(
            conn, target.kamailio_role, target.kamailio_password, "NOSUPERUSER NOBYPASSRLS"
        )
        # Owns the routing functions (SECURITY DEFINER); cannot sign in.
        if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = 'fastline_router'"):
            await conn.execute("CREATE ROLE fastline_router NOLOGIN NOBYPASSRLS")
        await conn.execute(f"GRANT fastline_router TO {_ident(target.owner)}")
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname=$1", target.database)
        if exists and recreate:
            await conn.execute(f"DROP DATABASE {_ident(target.database)} WITH (FORCE)")
            exists = None
        if not exists:
            await conn.execute(
                f"CREATE DATABASE {_ident(target.database)} OWNER {_ident(target.owner)}"
            )
    finally:
        await conn.close()
    await _grant(superuser_url, target)


async def _grant(superuser_url: str, target: DbTarget) -> None:
    parts = urlsplit(_plain(superuser_url))
    db_url = parts._replace(path=f"/{target.database}").geturl()
    conn = await asyncpg.connect(db_url)
    owner, app = _ident(target.owner), _ident(target.app_role)
    try:
        await conn.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(target.database)} TO {app}")
        await conn.execute(f"GRANT USAGE ON SCHEMA public TO {app}")
        kamailio = _ident(target.kamailio_role)
        await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(target.database)} TO {kamailio}")
        await conn.execute(f"GRANT USAGE ON SCHEMA public TO {kamailio}")
        # Owning a function needs CREATE on its schema; the role cannot sign in to use it.
        await conn.execute("GRANT USAGE, CREATE ON SCHEMA public TO fastline_router")
        await conn.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}"
        )
        await conn.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT USAGE, SELECT ON SEQUENCES TO {app}"
        )
        await conn.execute(
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
            f"GRANT EXECUTE ON FUNCTIONS TO {app}"
        )
    finally:
        await conn.close()


async def drop_database(superuser_url: str, database: str) -> None:
    conn = await asyncpg.connect(_plain(superuser_url))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
    finally:
        await conn.close()
