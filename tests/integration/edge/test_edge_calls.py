"""Calls through the edge: callcontrol to seats and trunks, trunks and seats to callcontrol."""

from __future__ import annotations

import pytest

from tests.integration.edge.conftest import SEAT_PASSWORD, TRUNK_IP, Edge
from tests.integration.edge.sipp import SippRun, run_sipp, sipp_server
from tests.integration.kamailio_server import free_port

pytestmark = [pytest.mark.telephony, pytest.mark.feature("EDGE-1")]


def _call(edge: Edge, *, local: tuple[str, int], user: str, domain: str, tag: str = "x") -> SippRun:
    return run_sipp(
        "call_uac.xml",
        edge.workdir,
        local=local,
        remote=edge.remote,
        args=("-s", user, "-key", "domain", domain, "-key", "from_user", tag),
    )


def _calls_seen(edge: Edge, did: str) -> list[dict[str, str]]:
    """What the callcontrol stand-in logged for calls to `did`: header name -> value."""
    seen = []
    for line in edge.callcontrol.wait_for(f"|to={did}"):
        fields = (part.split("=", 1) for part in line.split("|")[1:])
        seen.append({name: value.strip() for name, value in fields})
    return seen


def test_callcontrol_call_reaches_the_registered_seat(edge: Edge) -> None:
    domain = edge.world.a.domain
    seat = ("127.0.0.2", free_port())
    assert edge.register("1002", domain, SEAT_PASSWORD, ip=seat[0], port=seat[1]).final == 200
    with sipp_server("seat_uas.xml", edge.workdir, local=seat, args=("-m", "1")) as phone:
        run = _call(edge, local=edge.fake_callcontrol_address, user="1002", domain=domain)
        assert run.final == 200, (run.log, run.errors, edge.kamailio.log_text()[-3000:])
        answered = phone.wait_for("answered")
        assert answered, phone.errors()
        # The seat got the call for 1002, and none of the platform's internal headers.
        assert answered[0].split() == ["answered", "1002", "internal="]
        assert phone.exited(5) == 0


def test_callcontrol_call_to_an_absent_seat_is_480_and_to_no_such_seat_404(edge: Edge) -> None:
    cc = edge.fake_callcontrol_address
    # 1009 of tenant A exists and never registers: temporarily unavailable.
    assert _call(edge, local=cc, user="1009", domain=edge.world.a.domain).final == 480
    # Tenant B has no 1002, and nobody owns this domain: not found.
    assert _call(edge, local=cc, user="1002", domain=edge.world.b.domain).final == 404
    assert _call(edge, local=cc, user="7777", domain="nosuch.sip.fastline.local").final == 404


def test_trunk_call_goes_to_callcontrol_with_its_tenant(edge: Edge) -> None:
    did = "862150001234"
    run = _call(edge, local=(TRUNK_IP, free_port()), user=did, domain=edge.kamailio.host)
    assert run.final == 200, (run.log, run.errors, edge.kamailio.log_text()[-3000:])
    (seen,) = _calls_seen(edge, did)
    # The caller's forged X-Fastline-Tenant/Source were removed; the edge's own are there.
    assert seen["tenant"] == str(edge.world.a.tenant_id), edge.callcontrol.log()
    assert seen["source"] == "trunk"
    assert seen["ext"] == ""


def test_calls_reach_only_the_live_callcontrol_node(edge: Edge) -> None:
    # Node 2 never answers the edge's OPTIONS probes: it was marked inactive, so round robin
    # over the set sends every call to node 1.
    dids = [f"86215000990{i}" for i in range(4)]
    for did in dids:
        run = _call(edge, local=(TRUNK_IP, free_port()), user=did, domain=edge.kamailio.host)
        assert run.final == 200, (run.log, run.errors)
    for did in dids:
        assert len(_calls_seen(edge, did)) == 1


def test_invite_from_an_unknown_address_without_credentials_is_refused(edge: Edge) -> None:
    # Not a trunk, and From is not one of our SIP domains.
    run = _call(
        edge, local=("127.0.0.30", free_port()), user="862150001234", domain=edge.kamailio.host
    )
    assert run.final == 403


def test_seat_call_is_challenged_then_dispatched_as_seat(edge: Edge) -> None:
    domain = edge.world.a.domain
    did = "862150005555"
    run = run_sipp(
        "seat_call_uac.xml",
        edge.workdir,
        local=("127.0.0.2", free_port()),
        remote=edge.remote,
        args=(
            "-s",
            did,
            "-key",
            "domain",
            domain,
            "-key",
            "from_user",
            "1001",
            "-au",
            "1001",
            "-ap",
            SEAT_PASSWORD,
        ),
    )
    assert run.final == 200, (run.log, run.errors, edge.kamailio.log_text()[-3000:])
    (seen,) = _calls_seen(edge, did)
    assert seen == {
        "tenant": str(edge.world.a.tenant_id),
        "source": "seat",
        "ext": "1001",
        "to": did,
    }
