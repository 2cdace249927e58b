"""`fastline` command line: serve, worker, db bootstrap/upgrade, create-tenant, demo."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import click

from app.settings import get_settings

DEMO_PASSWORD = "Fastline-demo-2026"  # noqa: S105 - the documented demo login
DEMO_EXTENSION_PASSWORD = "demo-sip-2026"  # noqa: S105 - the documented demo softphone login
# 1001 is a browser seat (the seat console), 1002 a SIP softphone or desk phone.
DEMO_EXTENSIONS = {"1001": "webrtc", "1002": "sip"}
DEMO_NUMBER = "+861080000000"
DEMO_CARRIER_IP = "127.0.0.2"  # a stand-in carrier: `sipp -i 127.0.0.2` calls the demo number
DEMO_USERS = [
    ("admin@demo.example", "Demo Admin", "admin"),
    ("supervisor@demo.example", "Demo Supervisor", "supervisor"),
    ("agent1@demo.example", "Demo Agent One", "agent"),
    ("agent2@demo.example", "Demo Agent Two", "agent"),
]


@click.group()
def main() -> None:
    """Fastline contact center."""


@main.command()
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.option("--reload", is_flag=True)
def serve(host: str | None, port: int | None, reload: bool) -> None:
    """Run the web app (REST API, OpenAPI at /schema)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        log_level="info",
        proxy_headers=False,
    )


@main.command()
@click.option("--processes", default=1, type=int)
@click.option("--threads", default=2, type=int)
def worker(processes: int, threads: int) -> None:
    """Run Dramatiq workers for every actor, and the periodic scheduler (app/worker/scheduler.py:
    one process beside the workers; FASTLINE_SCHEDULER=0 turns it off)."""
    args = [
        sys.executable,
        "-m",
        "dramatiq",
        "app.worker.actors",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--fork-function",
        "app.worker.scheduler:run",
        # API-2: the webhook dispatcher (app/api/dispatcher.py), one process beside the workers;
        # FASTLINE_WEBHOOK_DISPATCHER=0 turns it off.
        "--fork-function",
        "app.api.dispatcher:run",
    ]
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with the worker


@main.command()
def callcontrol() -> None:
    """Run the B2BUA (SIP on FASTLINE_CALLCONTROL_SIP_HOST/PORT; see app/callcontrol/README.md)."""
    from app.callcontrol.server import run
    from app.lib.logging import configure_logging

    configure_logging(json=get_settings().log_json)
    run()  # on uvloop when installed (app/callcontrol/server.py)


@main.group()
def db() -> None:
    """Database set-up and migrations."""


@db.command("bootstrap")
@click.option("--recreate", is_flag=True, help="Drop and recreate the database (tests).")
def db_bootstrap(recreate: bool) -> None:
    """Create the roles and the database (needs the superuser URL)."""
    from app.db.bootstrap import DbTarget, bootstrap

    settings = get_settings()
    target = DbTarget.from_urls(settings.database_owner_url, settings.database_url)
    asyncio.run(bootstrap(settings.database_superuser_url, target, recreate=recreate))
    click.echo(f"database {target.database}: roles {target.owner}, {target.app_role} ready")


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations (as the owner role)."""
    from app.db.migrate import upgrade

    upgrade(revision=revision)
    click.echo(f"migrated to {revision}")


async def _create_tenant(
    slug: str, name: str, users: list[tuple[str, str, str]], password: str
) -> Any:
    from sqlalchemy import select

    from app.db.session import get_sessionmaker, tenant_session
    from app.tenants import passwords, services
    from app.tenants.models import User

    async with get_sessionmaker()() as session:
        tenant_id = await services.tenant_for_slug(session, slug)
    if tenant_id is None:
        admin_email, admin_name, _ = users[0]
        tenant, _ = await services.signup(
            company_name=name,
            slug=slug,
            admin_email=admin_email,
            admin_name=admin_name,
            password=password,
        )
        tenant_id = tenant.id
    async with tenant_session(tenant_id) as session:
        existing = {
            u.email for u in await session.scalars(select(User).where(User.tenant_id == tenant_id))
        }
        for email, display, role in users:
            if email not in existing:
                session.add(
                    User(
                        tenant_id=tenant_id,
                        email=email,
                        display_name=display,
                        role=role,
                        password_hash=passwords.hash_password(password),
                    )
                )
    return tenant_id


@main.command("create-tenant")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--admin-email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
def create_tenant(slug: str, name: str, admin_email: str, password: str) -> None:
    """Create a tenant and its admin (idempotent)."""
    tenant_id = asyncio.run(_create_tenant(slug, name, [(admin_email, "Admin", "admin")], password))
    click.echo(f"tenant {slug}: {tenant_id}")


@main.command("create-operator")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
def create_operator(email: str, password: str) -> None:
    """Create a platform operator (in the `platform` tenant; sees the tenant registry only)."""
    asyncio.run(create_operator_account(email, password))
    click.echo(f"operator {email} in tenant 'platform'")


async def create_operator_account(email: str, password: str) -> Any:
    from sqlalchemy import update

    from app.db.session import tenant_session
    from app.tenants.models import User

    tenant_id = await _create_tenant(
        "platform", "Fastline platform", [(email, "Operator", "admin")], password
    )
    async with tenant_session(tenant_id) as session:
        # Created as admin (signup's rule); the platform tenant's staff are operators.
        await session.execute(
            update(User).where(User.tenant_id == tenant_id).values(role="operator")
        )
    return tenant_id


async def _create_demo() -> Any:
    from sqlalchemy import select

    from app.db.session import tenant_session
    from app.edge.models import Trunk
    from app.seats.models import Extension
    from app.seats.services import create_extension
    from app.tenants.models import PhoneNumber, User

    tenant_id = await _create_tenant("demo", "Demo Telesales Co.", DEMO_USERS, DEMO_PASSWORD)
    async with tenant_session(tenant_id) as session:
        if not await session.scalar(
            select(PhoneNumber.id).where(PhoneNumber.number == DEMO_NUMBER)
        ):
            session.add(PhoneNumber(tenant_id=tenant_id, number=DEMO_NUMBER, label="Demo hotline"))
        if not await session.scalar(select(Trunk.id).where(Trunk.name == "demo-carrier")):
            session.add(
                Trunk(
                    tenant_id=tenant_id,
                    name="demo-carrier",
                    host=DEMO_CARRIER_IP,
                    port=5060,
                    source_ips=[DEMO_CARRIER_IP],
                    caller_id=DEMO_NUMBER,
                )
            )
        existing = set(await session.scalars(select(Extension.number)))
        agents = list(
            await session.scalars(select(User).where(User.role == "agent").order_by(User.email))
        )
        for (number, seat_type), agent in zip(DEMO_EXTENSIONS.items(), agents, strict=False):
            if number not in existing:
                await create_extension(
                    session,
                    tenant_id,
                    number,
                    DEMO_EXTENSION_PASSWORD,
                    display_name=agent.display_name,
                    user_id=agent.id,
                    seat_type=seat_type,
                )
    return tenant_id


@main.command()
def demo() -> None:
    """Create the demo tenant: an admin, a supervisor and two agents (idempotent)."""
    tenant_id = asyncio.run(_create_demo())
    click.echo(f"demo tenant 'demo' ({tenant_id}); every demo user's password: {DEMO_PASSWORD}")
    for email, _, role in DEMO_USERS:
        click.echo(f"  {role:<11} {email}")
    domain = f"demo.{get_settings().sip_domain_suffix}"
    click.echo(
        f"  seats: 1001 (browser) and 1002 (SIP softphone) @ {domain},"
        f" password {DEMO_EXTENSION_PASSWORD}"
    )
    click.echo(f"  demo number: {DEMO_NUMBER} (carrier trunk from {DEMO_CARRIER_IP})")


if __name__ == "__main__":
    main()
