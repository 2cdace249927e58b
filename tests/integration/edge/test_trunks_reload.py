"""EDGE-3: a trunk added, changed or removed through the API is seen by the running Kamailio.

The API commits, then enqueues `reload_trunk_addresses`; a real Dramatiq worker (in this
process, on the real Redis broker) tells the edge `permissions.addressReload` over its JSON-RPC
socket. SIPp calls from the trunk's source address prove what the edge does, without a restart.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import dramatiq
import pytest

from app.settings import get_settings
from app.worker import broker
from tests.fixtures.app import signup
from tests.integration.edge.conftest import Edge
from tests.integration.edge.sipp import SippRun, run_sipp
from tests.integration.kamailio_server import free_port

pytestmark = [pytest.mark.telephony, pytest.mark.feature("EDGE-3"), pytest.mark.feature("TEN-9")]

URL = "/api/v1/trunks/"
NEW_TRUNK_IP = "127.0.0.15"  # the package's world trunk is 127.0.0.5; calls/ tests use .41 up
NEW_BLOCK = "127.0.0.232/30"
IN_BLOCK = "127.0.0.234"


@pytest.fixture
def edge_worker(edge: Edge) -> Iterator[None]:
    """The app's settings point at this edge's RPC socket; a worker consumes the edge queue."""
    import app.edge.actors  # noqa: F401  (declares the actor on the broker)

    name = "FASTLINE_KAMAILIO_RPC_SOCKETS"
    before = os.environ.get(name)
    os.environ[name] = str(edge.kamailio.cfg.rpc_socket)
    get_settings.cache_clear()
    # Reloads other tests enqueued with no worker running would each wait out Kamailio's 5 s
    # reload_delta before ours: they are not this test's business.
    broker.flush("edge")
    worker = dramatiq.Worker(broker, queues={"edge"}, worker_threads=1, worker_timeout=200)
    worker.start()
    try:
        yield
    finally:
        worker.stop()
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before
        get_settings.cache_clear()


def _reloaded() -> None:
    # Every reload the API enqueued has run (and been acknowledged) or the test fails.
    broker.join("edge", timeout=20_000)


def _call(edge: Edge, ip: str, did: str) -> SippRun:
    return run_sipp(
        "call_uac.xml",
        edge.workdir,
        local=(ip, free_port()),
        remote=edge.remote,
        args=("-s", did, "-key", "domain", edge.kamailio.host, "-key", "from_user", "carrier"),
    )


def _seen_tenant(edge: Edge, did: str) -> tuple[str, str]:
    lines = edge.callcontrol.wait_for(f"|to={did}")
    assert len(lines) == 1, edge.callcontrol.log()
    fields = dict(part.split("=", 1) for part in lines[0].split("|")[1:])
    return fields["tenant"].strip(), fields["source"].strip()


async def test_trunk_from_the_api_is_known_to_the_running_edge(edge, edge_worker, client):
    pid = edge.kamailio.pid
    tenant = await signup(client, "trunk")
    # Not a trunk yet: a stranger's INVITE to a foreign domain is refused.
    assert _call(edge, NEW_TRUNK_IP, "862150007001").final == 403

    r = await client.post(
        URL,
        headers=tenant.headers,
        json={"name": "Carrier", "host": NEW_TRUNK_IP, "sourceIps": [NEW_TRUNK_IP]},
    )
    assert r.status_code == 201, r.text
    trunk_id = r.json()["id"]
    r = await client.post(
        URL,
        headers=tenant.headers,
        json={"name": "Carrier block", "host": IN_BLOCK, "sourceIps": [NEW_BLOCK]},
    )
    assert r.status_code == 201, r.text
    block_id = r.json()["id"]
    _reloaded()

    run = _call(edge, NEW_TRUNK_IP, "862150007002")
    assert run.final == 200, (run.log, run.errors, edge.kamailio.log_text()[-2000:])
    assert _seen_tenant(edge, "862150007002") == (str(tenant.tenant_id), "trunk")
    # Any address inside a CIDR block is that tenant's trunk too.
    assert _call(edge, IN_BLOCK, "862150007003").final == 200
    assert _seen_tenant(edge, "862150007003") == (str(tenant.tenant_id), "trunk")

    # Deleted: refused again. Disabled: refused too.
    assert (await client.delete(f"{URL}{trunk_id}", headers=tenant.headers)).status_code == 204
    _reloaded()
    assert _call(edge, NEW_TRUNK_IP, "862150007004").final == 403
    r = await client.patch(f"{URL}{block_id}", headers=tenant.headers, json={"isActive": False})
    assert r.status_code == 200
    _reloaded()
    assert _call(edge, IN_BLOCK, "862150007005").final == 403

    assert edge.kamailio.pid == pid  # the same Kamailio all along
