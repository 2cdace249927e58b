"""Browser seats over SIP over WebSocket (RFC 7118) and phones over TLS (EDGE-1)."""

from __future__ import annotations

import socket
import ssl
import threading
import uuid

import pytest
from websockets.sync.client import ClientConnection, connect

from app.callcontrol.sip.auth import authorize_request
from app.callcontrol.sip.message import (
    Headers,
    Request,
    Response,
    make_response,
    new_branch,
    parse_message,
    parse_uri,
)
from tests.integration.edge.conftest import SEAT_PASSWORD, Edge
from tests.integration.edge.sipp import SippRun, run_sipp

pytestmark = [pytest.mark.telephony, pytest.mark.feature("EDGE-1")]

WS_HOST = "df7jal23ls0d.invalid"  # what browsers (JsSIP) put in Via and Contact


def _register(user: str, domain: str, transport: str, host: str) -> Request:
    headers = Headers()
    headers.add("Via", f"SIP/2.0/{transport} {host};branch={new_branch()}")
    headers.add("Max-Forwards", "70")
    headers.add("From", f"<sip:{user}@{domain}>;tag={uuid.uuid4().hex[:8]}")
    headers.add("To", f"<sip:{user}@{domain}>")
    headers.add("Call-ID", uuid.uuid4().hex)
    headers.add("CSeq", "1 REGISTER")
    headers.add("Contact", f"<sip:{user}@{host};transport={transport.lower()}>")
    headers.add("Expires", "600")
    headers.add("User-Agent", "fastline-test-browser")
    headers.add("Content-Length", "0")
    return Request("REGISTER", parse_uri(f"sip:{domain}"), headers)


def _ws_roundtrip(ws: ClientConnection, message: Request | Response) -> Response | Request:
    ws.send(message.to_bytes().decode())
    reply = ws.recv(timeout=5)
    return parse_message(reply.encode() if isinstance(reply, str) else reply, stream=True)


def _ws_register(ws: ClientConnection, user: str, domain: str, password: str) -> Response:
    request = _register(user, domain, "WS", WS_HOST)
    challenge = _ws_roundtrip(ws, request)
    assert isinstance(challenge, Response) and challenge.status == 401
    retry = authorize_request(request, challenge, user, password)
    assert retry is not None
    retry.headers.add("Via", f"SIP/2.0/WS {WS_HOST};branch={new_branch()}", first=True)
    final = _ws_roundtrip(ws, retry)
    assert isinstance(final, Response)
    return final


def _answer_calls(ws: ClientConnection, done: threading.Event, seen: list[str]) -> None:
    """A browser seat: answer the INVITE, accept ACK and BYE (RFC 3261 13.3, 15.1.2)."""
    while not done.is_set():
        try:
            raw = ws.recv(timeout=0.2)
        except TimeoutError:
            continue
        message = parse_message(raw.encode() if isinstance(raw, str) else raw, stream=True)
        if not isinstance(message, Request):
            continue
        seen.append(message.method)
        if message.method == "INVITE":
            extra = [("Contact", f"<sip:1001@{WS_HOST};transport=ws>")]
            ws.send(make_response(message, 200, to_tag="browser", extra=extra).to_bytes().decode())
        elif message.method == "BYE":
            ws.send(make_response(message, 200).to_bytes().decode())
            done.set()


def test_browser_seat_registers_over_websocket_and_receives_a_call(edge: Edge) -> None:
    domain = edge.world.b.domain
    url = f"ws://{edge.kamailio.host}:{edge.kamailio.ws_port}"
    with connect(url, subprotocols=["sip"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "sip"
        final = _ws_register(ws, "1001", domain, SEAT_PASSWORD)
        assert final.status == 200
        contacts = edge.kamailio.contacts(f"1001@{domain}")
        assert any("transport=ws" in c for c in contacts), contacts

        # callcontrol calls the browser seat: the edge finds its WebSocket connection.
        done, seen = threading.Event(), list[str]()
        phone = threading.Thread(target=_answer_calls, args=(ws, done, seen), daemon=True)
        phone.start()
        run: SippRun = run_sipp(
            "call_uac.xml",
            edge.workdir,
            local=edge.fake_callcontrol_address,
            remote=edge.remote,
            args=("-s", "1001", "-key", "domain", domain, "-key", "from_user", "cc"),
        )
        done.wait(5)
        done.set()
        phone.join(2)
        assert run.final == 200, (run.log, run.errors, edge.kamailio.log_text()[-3000:])
        assert seen == ["INVITE", "ACK", "BYE"]


def test_websocket_port_refuses_plain_http(edge: Edge) -> None:
    with socket.create_connection((edge.kamailio.host, edge.kamailio.ws_port), timeout=3) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 404")


def test_register_over_tls_is_challenged(edge: Edge) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the dev certificate is self-signed
    raw = socket.create_connection((edge.kamailio.host, edge.kamailio.tls_port), timeout=3)
    with context.wrap_socket(raw) as tls:
        local = tls.getsockname()
        request = _register("1001", edge.world.a.domain, "TLS", f"{local[0]}:{local[1]}")
        tls.sendall(request.to_bytes())
        data = b""
        while b"\r\n\r\n" not in data:
            data += tls.recv(4096)
        response = parse_message(data.split(b"\r\n\r\n")[0] + b"\r\n\r\n", stream=True)
        assert isinstance(response, Response) and response.status == 401
        challenge = response.headers.get("WWW-Authenticate") or ""
        assert f'realm="{edge.world.a.domain}"' in challenge
