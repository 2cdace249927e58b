"""Scanners, brute force and floods are kept out at the edge (EDGE-1)."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from tests.integration.edge.conftest import SEAT_PASSWORD, Edge, World
from tests.integration.kamailio_server import run_kamailio

pytestmark = [pytest.mark.telephony, pytest.mark.feature("EDGE-1")]


def _register_bytes(
    edge_addr: tuple[str, int], local: tuple[str, int], domain: str, user_agent: str
) -> bytes:
    return (
        f"REGISTER sip:{domain} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {local[0]}:{local[1]};branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
        f"From: <sip:1001@{domain}>;tag={uuid.uuid4().hex[:8]}\r\n"
        f"To: <sip:1001@{domain}>\r\n"
        f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 REGISTER\r\n"
        f"Contact: <sip:1001@{local[0]}:{local[1]}>\r\nMax-Forwards: 70\r\n"
        f"User-Agent: {user_agent}\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def _udp_answers(
    edge_addr: tuple[str, int], ip: str, payloads: list[bytes], wait: float = 0.5
) -> list[bytes]:
    """Send each payload from `ip` and collect whatever comes back within `wait` seconds."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((ip, 0))
        for payload in payloads:
            sock.sendto(payload, edge_addr)
        sock.settimeout(wait)
        answers = []
        while True:
            try:
                answers.append(sock.recv(65535))
            except TimeoutError:
                return answers


def _status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_scanner_user_agent_gets_no_answer(edge: Edge) -> None:
    addr, ip, domain = edge.kamailio.sip_address, "127.0.0.40", edge.world.a.domain
    for agent in ("friendly-scanner", "sipvicious 0.3", "VaxSIPUserAgent/3.1", "sipcli/v1.8"):
        msg = _register_bytes(addr, (ip, 5999), domain, agent)
        assert _udp_answers(addr, ip, [msg]) == [], agent
    # The same request from an ordinary phone is challenged.
    answers = _udp_answers(addr, ip, [_register_bytes(addr, (ip, 5999), domain, "Yealink")])
    assert [_status(a) for a in answers] == [401]


def test_repeated_failed_auth_bans_the_source_address(edge: Edge) -> None:
    domain = edge.world.a.domain
    attacker, neighbour = "127.0.0.66", "127.0.0.67"
    # ban_failed_auths=3 for this edge: the third wrong password bans the address.
    finals = [edge.register("1002", domain, f"guess-{i}", ip=attacker).final for i in range(3)]
    assert finals[:2] == [401, 401] and finals[2] == 403, finals
    # The right password from the banned address is refused now...
    assert edge.register("1002", domain, SEAT_PASSWORD, ip=attacker).final == 403
    # ...and answered 403 without a challenge, before any database lookup.
    answers = _udp_answers(
        edge.kamailio.sip_address,
        attacker,
        [_register_bytes(edge.kamailio.sip_address, (attacker, 5999), domain, "Yealink")],
    )
    assert [_status(a) for a in answers] == [403]
    # Another address is not affected.
    assert edge.register("1002", domain, SEAT_PASSWORD, ip=neighbour).final == 200


def _options(addr: tuple[str, int], ip: str, n: int) -> list[bytes]:
    return [
        (
            f"OPTIONS sip:{addr[0]}:{addr[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {ip}:5999;branch=z9hG4bK{uuid.uuid4().hex};rport\r\n"
            f"From: <sip:flood@{ip}>;tag={i}\r\nTo: <sip:{addr[0]}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
        ).encode()
        for i in range(n)
    ]


def test_flood_from_one_address_is_dropped_and_others_still_served(
    world: World, short_tmp: Path
) -> None:
    with run_kamailio(
        short_tmp / "pike", db_name=world.db_name, pike_density=10, pike_window_seconds=2
    ) as kamailio:
        addr = kamailio.sip_address
        flooded = _udp_answers(addr, "127.0.0.50", _options(addr, "127.0.0.50", 100))
        assert 0 < len(flooded) < 40, len(flooded)
        calm = _udp_answers(addr, "127.0.0.51", _options(addr, "127.0.0.51", 3))
        assert [_status(a) for a in calm] == [200, 200, 200]
