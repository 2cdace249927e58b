"""A real Kamailio edge over the test database, with a SIPp callcontrol stand-in.

One edge serves the package: tenant A (extensions 1001-1003 and 1009, which never registers;
1003 bound to 127.0.0.9; a trunk from 127.0.0.5) and tenant B (its own 1001). Tests use their
own 127.0.0.x source addresses so that bans and flood counters of one test never touch another.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest

from tests.fixtures.app import PASSWORD, unique_slug
from tests.integration.edge.sipp import SippRun, SippServer, injection_file, run_sipp, sipp_server
from tests.integration.kamailio_server import (
    KamailioServer,
    db_name_of,
    free_port,
    run_kamailio,
)

SEAT_PASSWORD = "seat-Secret-7"
TRUNK_IP = "127.0.0.5"
BOUND_IP = "127.0.0.9"


@dataclass(frozen=True)
class Tenantry:
    tenant_id: UUID
    domain: str


@dataclass(frozen=True)
class World:
    a: Tenantry
    b: Tenantry
    db_name: str


@dataclass(frozen=True)
class Edge:
    kamailio: KamailioServer
    callcontrol: SippServer  # the SIPp UAS standing in for callcontrol node 1
    callcontrol_address: tuple[str, int]
    # Trusted as callcontrol node 2 but never answering probes: outbound tests send from it.
    fake_callcontrol_address: tuple[str, int]
    world: World
    workdir: Path

    @property
    def remote(self) -> str:
        host, port = self.kamailio.sip_address
        return f"{host}:{port}"

    def register(
        self,
        user: str,
        domain: str,
        password: str,
        *,
        ip: str,
        port: int | None = None,
        args: tuple[str, ...] = (),
    ) -> SippRun:
        auth = f"[authentication username={user} password={password}]"
        inf = injection_file(self.workdir, f"reg-{user}-{ip}", [(user, domain, auth)])
        return run_sipp(
            "register.xml",
            self.workdir,
            local=(ip, port or free_port()),
            remote=self.remote,
            args=("-inf", str(inf), *args),
        )


async def _make_tenant(numbers: dict[str, str | None]) -> Tenantry:
    from app.db.session import tenant_session
    from app.seats.services import create_extension
    from app.tenants.services import signup

    slug = unique_slug("edge")
    tenant, _ = await signup(
        company_name=f"{slug} Ltd",
        slug=slug,
        admin_email=f"admin@{slug}.example",
        admin_name="Admin",
        password=PASSWORD,
    )
    async with tenant_session(tenant.id) as session:
        for number, bound_ip in numbers.items():
            await create_extension(
                session, tenant.id, number, SEAT_PASSWORD, seat_type="sip", bound_ip=bound_ip
            )
    assert tenant.sip_domain
    return Tenantry(tenant.id, tenant.sip_domain)


async def _add_trunk(tenant_id: UUID, source_ip: str) -> None:
    from app.db.session import tenant_session
    from app.edge.models import Trunk

    async with tenant_session(tenant_id) as session:
        session.add(
            Trunk(
                tenant_id=tenant_id,
                name="carrier",
                host=source_ip,
                port=5060,
                source_ips=[source_ip],
            )
        )


@pytest.fixture(scope="package")
async def world(migrated_db: str) -> World:
    a = await _make_tenant({"1001": None, "1002": None, "1003": BOUND_IP, "1009": None})
    b = await _make_tenant({"1001": None})
    await _add_trunk(a.tenant_id, TRUNK_IP)
    return World(a, b, db_name_of(migrated_db))


@pytest.fixture(scope="package")
def short_tmp() -> Iterator[Path]:
    # Unix socket paths (Kamailio's RPC and ctl sockets) must stay under 108 bytes.
    with tempfile.TemporaryDirectory(prefix="edge") as tmp:
        yield Path(tmp)


def wait_for_dispatcher(
    kamailio: KamailioServer, expected: dict[str, str], timeout: float = 6.0
) -> dict[str, str]:
    """Wait until each destination URI's dispatcher flags start with the expected state
    ("A" active, "I" inactive); returns the last flags seen."""
    deadline = time.monotonic() + timeout
    flags: dict[str, str] = {}
    while time.monotonic() < deadline:
        result = kamailio.rpc("dispatcher.list")
        flags = {
            dest["DEST"]["URI"]: dest["DEST"]["FLAGS"]
            for record in result["RECORDS"]
            for dest in record["SET"]["TARGETS"]
        }
        if all(flags.get(uri, "").startswith(state) for uri, state in expected.items()):
            return flags
        time.sleep(0.2)
    return flags


@pytest.fixture(scope="package")
async def edge(world: World, short_tmp: Path) -> AsyncIterator[Edge]:
    workdir = short_tmp / "work"
    workdir.mkdir()
    cc = ("127.0.0.1", free_port())
    fake_cc = ("127.0.0.1", free_port())
    with (
        sipp_server("callcontrol_uas.xml", workdir, local=cc) as callcontrol,
        run_kamailio(
            short_tmp / "kam",
            db_name=world.db_name,
            callcontrol=[f"{cc[0]}:{cc[1]}", f"{fake_cc[0]}:{fake_cc[1]}"],
            ban_failed_auths=3,
            ban_window_seconds=60,
            ban_seconds=60,
        ) as kamailio,
    ):
        flags = wait_for_dispatcher(
            kamailio, {f"sip:{cc[0]}:{cc[1]}": "A", f"sip:{fake_cc[0]}:{fake_cc[1]}": "I"}
        )
        assert flags[f"sip:{fake_cc[0]}:{fake_cc[1]}"].startswith("I"), flags
        yield Edge(kamailio, callcontrol, cc, fake_cc, world, workdir)
