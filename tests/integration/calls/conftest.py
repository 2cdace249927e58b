"""A real rtpengine, our B2BUA in the test's event loop, tenants with numbers and extensions."""

from __future__ import annotations

import dataclasses
import random
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.config import CallcontrolConfig
from app.callcontrol.server import running_b2bua
from app.db.session import tenant_session
from app.seats.services import create_extension
from tests.fixtures.app import TenantCtx, signup
from tests.integration.rtpengine_server import RtpengineServer, run_rtpengine


def free_udp_port() -> int:
    """A loopback port free for UDP and for TCP too: callcontrol's SIP endpoint binds both on
    one port, and a port only free for UDP made a B2BUA fail to start now and then."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


@pytest.fixture(scope="module")
def dtmf_port() -> int:
    return free_udp_port()


@pytest.fixture(scope="module")
def rtpengine(
    tmp_path_factory: pytest.TempPathFactory, dtmf_port: int
) -> Iterator[RtpengineServer]:
    with run_rtpengine(tmp_path_factory.mktemp("rtpengine"), dtmf_port=dtmf_port) as server:
        yield server


@pytest.fixture(scope="module")
def seat_port() -> int:
    """Where the seat (SIPp UAS) listens; our outbound proxy until Kamailio is in the path."""
    return free_udp_port()


@pytest.fixture(scope="module")
def cc_config(
    rtpengine: RtpengineServer,
    dtmf_port: int,
    seat_port: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> CallcontrolConfig:
    return CallcontrolConfig(
        sip_host="127.0.0.1",
        sip_port=free_udp_port(),
        outbound_proxy=("127.0.0.1", seat_port),
        trunks_via_proxy=False,  # no Kamailio here: the test trunk is reached directly
        trusted_proxies=frozenset({"127.0.0.1"}),
        rtpengine_ng=rtpengine.ng_address,
        dtmf_listen=("127.0.0.1", dtmf_port),
        recording_dir=rtpengine.recording_dir,
        prompt_dir=tmp_path_factory.mktemp("prompts"),
        ring_timeout=5.0,
        digit_timeout=1.5,
        record_calls=True,
        # Every seat here is a SIPp/Python phone speaking plain RTP, whatever its seat type.
        webrtc_seats=False,
    )


@dataclass
class Ended:
    sessions: list[CallSession]


async def drop_stale_commands() -> None:
    """Commands earlier tests queued for a callcontrol that was not running (an API test's
    click-to-call) would otherwise be placed by this one: start from empty lists."""
    from app.callcontrol.commands import LIST_PATTERN
    from app.lib.redis import get_redis

    redis = get_redis()
    async for name in redis.scan_iter(match=LIST_PATTERN):
        await redis.delete(name)


@pytest.fixture(scope="module")
async def b2bua(cc_config: CallcontrolConfig, migrated_db: str) -> AsyncIterator[B2bua]:
    await drop_stale_commands()
    async with running_b2bua(cc_config) as server:
        yield server


@pytest.fixture
async def ended(b2bua: B2bua) -> AsyncIterator[list[CallSession]]:
    """Sessions that ended during the test, in order."""
    finished: list[CallSession] = []

    async def record(session: CallSession) -> None:
        finished.append(session)

    b2bua.on_call_end = record
    yield finished
    b2bua.on_call_end = None


def with_proxy(config: CallcontrolConfig, port: int) -> CallcontrolConfig:
    return dataclasses.replace(config, outbound_proxy=("127.0.0.1", port))


def random_did() -> str:
    return "+86" + "".join(random.choices("0123456789", k=10))


@dataclass
class Line:
    """A tenant with a DID and two extensions (101, 102)."""

    tenant: TenantCtx
    did: str
    domain: str


async def make_line(client: httpx.AsyncClient, **trunk: Any) -> Line:
    tenant = await signup(client, "cc")
    did = random_did()
    r = await client.post("/api/v1/numbers/", headers=tenant.headers, json={"number": did})
    assert r.status_code == 201, r.text
    async with tenant_session(tenant.tenant_id) as session:
        await create_extension(session, tenant.tenant_id, "101", "Seat-Pass-101")
        await create_extension(session, tenant.tenant_id, "102", "Seat-Pass-102")
        from app.tenants.models import Tenant

        domain = (await session.get_one(Tenant, tenant.tenant_id)).sip_domain or ""
        if trunk:
            from app.edge.models import Trunk

            session.add(Trunk(tenant_id=tenant.tenant_id, name="carrier", **trunk))
    return Line(tenant, did, domain)


@pytest.fixture
async def line(client: httpx.AsyncClient) -> Line:
    return await make_line(client)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
