"""Seats register at the edge with digest auth against the database (EDGE-1, SEAT-10)."""

from __future__ import annotations

import pytest

from tests.integration.edge.conftest import BOUND_IP, SEAT_PASSWORD, Edge
from tests.integration.kamailio_server import free_port

pytestmark = [pytest.mark.telephony, pytest.mark.feature("EDGE-1")]


def test_register_with_the_right_password_is_stored_in_location(edge: Edge) -> None:
    domain = edge.world.a.domain
    port = free_port()
    run = edge.register("1001", domain, SEAT_PASSWORD, ip="127.0.0.2", port=port)
    assert run.final == 200, (run.log, run.errors)
    contacts = edge.kamailio.contacts(f"1001@{domain}")
    assert any(f"127.0.0.2:{port}" in c for c in contacts), contacts


def test_same_extension_in_two_tenants_are_two_seats(edge: Edge) -> None:
    run = edge.register("1001", edge.world.b.domain, SEAT_PASSWORD, ip="127.0.0.2")
    assert run.final == 200, (run.log, run.errors)
    port = free_port()
    edge.register("1001", edge.world.a.domain, SEAT_PASSWORD, ip="127.0.0.2", port=port)
    a_contacts = edge.kamailio.contacts(f"1001@{edge.world.a.domain}")
    b_contacts = edge.kamailio.contacts(f"1001@{edge.world.b.domain}")
    assert any(f":{port}" in c for c in a_contacts)
    assert not any(f":{port}" in c for c in b_contacts)


def test_wrong_password_is_challenged_again_and_not_registered(edge: Edge) -> None:
    domain = edge.world.a.domain
    run = edge.register("1002", domain, "not-the-password", ip="127.0.0.3")
    assert run.final in (401, 403), (run.log, run.errors)
    assert not any("127.0.0.3" in c for c in edge.kamailio.contacts(f"1002@{domain}"))


def test_unknown_domain_is_refused(edge: Edge) -> None:
    # Under our suffix but no such tenant: challenged, then refused.
    run = edge.register("1001", "nosuch.sip.fastline.local", SEAT_PASSWORD, ip="127.0.0.4")
    assert run.final == 403, (run.log, run.errors)
    # Not one of our domains at all: refused at once.
    run = edge.register("1001", "example.com", SEAT_PASSWORD, ip="127.0.0.4")
    assert run.final == 403, (run.log, run.errors)


def test_tenant_a_password_does_not_open_tenant_b(edge: Edge) -> None:
    run = edge.register("1002", edge.world.b.domain, SEAT_PASSWORD, ip="127.0.0.4")
    assert run.final == 403, (run.log, run.errors)


@pytest.mark.feature("SEAT-10")
def test_seat_bound_to_an_address_registers_only_from_it(edge: Edge) -> None:
    domain = edge.world.a.domain
    run = edge.register("1003", domain, SEAT_PASSWORD, ip="127.0.0.2")
    assert run.final == 403, (run.log, run.errors)
    assert edge.kamailio.contacts(f"1003@{domain}") == []
    run = edge.register("1003", domain, SEAT_PASSWORD, ip=BOUND_IP)
    assert run.final == 200, (run.log, run.errors)
    assert any(BOUND_IP in c for c in edge.kamailio.contacts(f"1003@{domain}"))
