"""SEAT-9: a remote seat behind NAT. Its REGISTER and its 200 OK name a private address
(192.168.1.50:5060) in Via, Contact and SDP, while its packets come from another address and
port (the NAT's public side, here 127.0.0.x:<port>). The edge must register it at the address
its packets come from, relay calls there, and bring the ACK and BYE back through the NAT."""

from __future__ import annotations

import pytest

from tests.integration.edge.conftest import SEAT_PASSWORD, Edge, World
from tests.integration.edge.sipp import injection_file, run_sipp, sipp_server
from tests.integration.kamailio_server import free_port

pytestmark = [pytest.mark.telephony, pytest.mark.feature("SEAT-9")]

PRIVATE = "192.168.1.50:5060"
NAT_EXTENSION = "1050"


@pytest.fixture(scope="module")
async def nat_seat(world: World) -> str:
    """An extension of tenant A that only this module registers."""
    from app.db.session import tenant_session
    from app.seats.services import create_extension

    async with tenant_session(world.a.tenant_id) as session:
        await create_extension(
            session, world.a.tenant_id, NAT_EXTENSION, SEAT_PASSWORD, seat_type="sip"
        )
    return NAT_EXTENSION


def _register_behind_nat(edge: Edge, user: str, public: tuple[str, int]) -> int | None:
    domain = edge.world.a.domain
    auth = f"[authentication username={user} password={SEAT_PASSWORD}]"
    inf = injection_file(edge.workdir, f"nat-reg-{user}-{public[1]}", [(user, domain, auth)])
    run = run_sipp(
        "register_nat.xml", edge.workdir, local=public, remote=edge.remote, args=("-inf", str(inf))
    )
    assert run.returncode == 0, (run.log, run.errors)
    return run.final


def test_a_seat_behind_nat_is_registered_at_its_public_address(edge: Edge, nat_seat: str) -> None:
    public = ("127.0.0.21", free_port())
    assert _register_behind_nat(edge, nat_seat, public) == 200
    aor = f"{nat_seat}@{edge.world.a.domain}"
    found = edge.kamailio.rpc("ul.lookup", "location", aor)["Contacts"]
    assert len(found) == 1, found
    contact = found[0]["Contact"]
    # The Contact is kept as the phone sent it; where to reach it is the received address.
    assert PRIVATE in contact["Address"], contact
    assert contact["Received"] == f"sip:{public[0]}:{public[1]}", contact


def test_a_seat_behind_nat_receives_answers_and_ends_a_call(edge: Edge, nat_seat: str) -> None:
    public = ("127.0.0.22", free_port())
    assert _register_behind_nat(edge, nat_seat, public) == 200
    domain = edge.world.a.domain
    with sipp_server("seat_uas_nat.xml", edge.workdir, local=public, args=("-m", "1")) as phone:
        # Callcontrol's INVITE to the seat, through the edge (as in test_edge_calls).
        run = run_sipp(
            "call_uac.xml",
            edge.workdir,
            local=edge.fake_callcontrol_address,
            remote=edge.remote,
            args=("-s", nat_seat, "-key", "domain", domain, "-key", "from_user", "cc"),
        )
        log = edge.kamailio.log_text()[-3000:]
        assert run.final == 200, (run.log, run.errors, log)
        assert run.returncode == 0, ("the BYE was not answered", run.errors, log)
        invite = phone.wait_for("invite ")
        assert invite and f"sip:{nat_seat}@" in invite[0], (phone.log(), phone.errors())
        # The ACK (end to end, RFC 3261 13.2.2.4) and the BYE went to the R-URI the seat's
        # private Contact became; the edge delivered both through the NAT.
        assert phone.wait_for(f"answered {nat_seat}"), (phone.log(), phone.errors(), log)
        bye = phone.wait_for("bye ")
        assert bye, (phone.log(), phone.errors(), log)
        assert phone.exited(5) == 0, phone.errors()
