"""Transaction state machines and timers (RFC 3261 17), over real loopback UDP/TCP sockets with
T1 shrunk to 20 ms so that a 64*T1 timeout takes 1.3 s."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from sip_peer import FAST, RawPeer, open_peer, request_bytes

from app.callcontrol.sip.dialog import create_cancel, new_request
from app.callcontrol.sip.message import (
    Address,
    Request,
    Response,
    make_response,
    parse_message,
    parse_uri,
)
from app.callcontrol.sip.transaction import ServerTransaction, State
from app.callcontrol.sip.transport import SipEndpoint

pytestmark = pytest.mark.feature("EDGE-1")


@pytest.fixture
async def peer() -> AsyncIterator[RawPeer]:
    p = await open_peer()
    yield p
    p.close()


async def start_endpoint(handler=None) -> SipEndpoint:  # type: ignore[no-untyped-def]
    ep = SipEndpoint("127.0.0.1", 0, handler=handler, timers=FAST)
    await ep.start()
    return ep


def outgoing(method: str, port: int) -> Request:
    return new_request(
        method,
        parse_uri(f"sip:peer@127.0.0.1:{port}"),
        from_=Address(parse_uri("sip:uac@127.0.0.1")),
        to=Address(parse_uri("sip:peer@127.0.0.1")),
        call_id="tx-test@127.0.0.1",
        cseq=1,
    )


async def test_non_invite_client_retransmits_with_timer_e_then_times_out(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        tx = await ep.send_request(outgoing("OPTIONS", peer.port), ("127.0.0.1", peer.port))
        response = await asyncio.wait_for(tx.final, 3)
        elapsed = loop.time() - started
        copies = await peer.drain(0.05)
        # Timer F = 64*T1 = 1.28 s; E doubles 20, 40, 80 ms then stays at T2 = 80 ms.
        assert response.status == 408
        assert 1.2 <= elapsed < 2.0
        assert 12 <= len(copies) <= 20  # about 17 copies in 1.28 s
        assert tx.state is State.TERMINATED
    finally:
        await ep.close()


async def test_timer_e_retransmission_count(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        await ep.send_request(outgoing("OPTIONS", peer.port), ("127.0.0.1", peer.port))
        got = await peer.drain(0.5)
        # t=0, 20, 60, 140, 220, 300, 380, 460 ms: T2 caps the interval at 80 ms.
        assert 6 <= len(got) <= 9
        assert len({parse_message(g).top_via.branch for g in got}) == 1
    finally:
        await ep.close()


async def test_non_invite_client_gets_final_and_stops_retransmitting(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        tx = await ep.send_request(outgoing("OPTIONS", peer.port), ("127.0.0.1", peer.port))
        req = await peer.recv()
        assert isinstance(req, Request)
        peer.send(make_response(req, 200, to_tag="p1").to_bytes(), ("127.0.0.1", ep.port))
        response = await asyncio.wait_for(tx.final, 1)
        assert response.status == 200
        await peer.drain(0.05)
        assert await peer.drain(0.3) == []  # no more retransmissions
    finally:
        await ep.close()


async def test_invite_client_acks_error_responses_and_their_retransmissions(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        invite = outgoing("INVITE", peer.port)
        tx = await ep.send_request(invite, ("127.0.0.1", peer.port))
        req = await peer.recv()
        assert isinstance(req, Request)
        await peer.drain(0.01)
        busy = make_response(req, 486, to_tag="busy1").to_bytes()
        peer.send(busy, ("127.0.0.1", ep.port))
        assert (await asyncio.wait_for(tx.final, 1)).status == 486
        acks = [parse_message(m) for m in await peer.drain(0.1)]
        acks = [a for a in acks if isinstance(a, Request) and a.method == "ACK"]
        assert len(acks) == 1
        ack = acks[0]
        # RFC 3261 17.1.1.3: same branch, CSeq number, Request-URI; To from the response.
        assert ack.top_via.branch == req.top_via.branch
        assert ack.cseq.seq == req.cseq.seq and ack.cseq.method == "ACK"
        assert ack.to.tag == "busy1" and str(ack.uri) == str(req.uri)
        peer.send(busy, ("127.0.0.1", ep.port))  # retransmitted 486 -> ACK again (Timer D)
        again = await peer.recv()
        assert isinstance(again, Request) and again.method == "ACK"
    finally:
        await ep.close()


async def test_invite_client_timer_a_doubles_and_b_times_out(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        tx = await ep.send_request(outgoing("INVITE", peer.port), ("127.0.0.1", peer.port))
        response = await asyncio.wait_for(tx.final, 3)
        copies = await peer.drain(0.05)
        assert response.status == 408
        # Timer A doubles without cap: 0, 20, 60, 140, 300, 620, 1260 ms before B at 1280 ms.
        assert 6 <= len(copies) <= 8
    finally:
        await ep.close()


async def test_provisional_stops_invite_retransmissions(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        seen: list[int] = []
        tx = await ep.send_request(outgoing("INVITE", peer.port), ("127.0.0.1", peer.port))
        tx.on_provisional = lambda r: seen.append(r.status)
        req = await peer.recv()
        assert isinstance(req, Request)
        peer.send(make_response(req, 180, to_tag="r").to_bytes(), ("127.0.0.1", ep.port))
        await asyncio.sleep(0.05)
        await peer.drain(0.01)
        assert await peer.drain(0.3) == []
        assert seen == [180] and tx.state is State.PROCEEDING
    finally:
        await ep.close()


async def test_response_matching_uses_branch_and_cseq_method(peer: RawPeer) -> None:
    ep = await start_endpoint()
    try:
        invite = outgoing("INVITE", peer.port)
        inv_tx = await ep.send_request(invite, ("127.0.0.1", peer.port))
        cancel = create_cancel(invite)
        assert cancel.top_via.branch == invite.top_via.branch
        assert ep.layer is not None
        cancel_tx = ep.layer.start_client(cancel, inv_tx.transport, inv_tx.addr)
        ok_cancel = make_response(cancel, 200, to_tag="t").to_bytes()
        peer.send(ok_cancel, ("127.0.0.1", ep.port))
        assert (await asyncio.wait_for(cancel_tx.final, 1)).status == 200
        assert not inv_tx.final.done()  # same branch, different CSeq method: not matched
    finally:
        await ep.close()


async def test_invite_server_retransmits_final_until_ack(peer: RawPeer) -> None:
    async def handler(tx: ServerTransaction) -> None:
        tx.respond(tx.response(486))

    ep = await start_endpoint(handler)
    try:
        peer.send(request_bytes("INVITE", peer.port), ("127.0.0.1", ep.port))
        copies = await peer.drain(0.25)
        statuses = [parse_message(c) for c in copies]
        assert all(isinstance(s, Response) and s.status == 486 for s in statuses)
        assert len(copies) >= 3  # Timer G: 20, 40, 80 ms ...
        first = statuses[0]
        assert isinstance(first, Response)
        to_tag = first.to.tag
        ack = request_bytes("ACK", peer.port, to_tag=to_tag)
        peer.send(ack, ("127.0.0.1", ep.port))
        await peer.drain(0.05)
        assert await peer.drain(0.3) == []  # Confirmed: retransmissions stopped
    finally:
        await ep.close()


async def test_invite_server_timer_h_reports_missing_ack(peer: RawPeer) -> None:
    lost = asyncio.Event()

    def handler(tx: ServerTransaction) -> None:
        tx.on_ack_timeout = lost.set
        tx.respond(tx.response(603))

    ep = await start_endpoint(handler)
    try:
        peer.send(request_bytes("INVITE", peer.port), ("127.0.0.1", ep.port))
        await asyncio.wait_for(lost.wait(), 3)  # Timer H = 64*T1
    finally:
        await ep.close()


async def test_server_absorbs_request_retransmissions(peer: RawPeer) -> None:
    calls: list[str] = []

    def handler(tx: ServerTransaction) -> None:
        calls.append(tx.request.method)
        tx.respond(tx.response(200))

    ep = await start_endpoint(handler)
    try:
        raw = request_bytes("OPTIONS", peer.port)
        peer.send(raw, ("127.0.0.1", ep.port))
        first = await peer.recv()
        peer.send(raw, ("127.0.0.1", ep.port))
        second = await peer.recv()
        assert isinstance(first, Response) and isinstance(second, Response)
        assert first.status == second.status == 200 and first.to.tag == second.to.tag
        assert calls == ["OPTIONS"]
    finally:
        await ep.close()


async def test_invite_server_sends_100_trying_when_tu_is_slow(peer: RawPeer) -> None:
    async def handler(tx: ServerTransaction) -> None:
        await asyncio.sleep(0.2)
        tx.respond(tx.response(200))

    ep = await start_endpoint(handler)
    try:
        peer.send(request_bytes("INVITE", peer.port), ("127.0.0.1", ep.port))
        first = await peer.recv()
        assert isinstance(first, Response) and first.status == 100
        assert first.to.tag is None  # RFC 3261 8.2.6.1: no tag on 100
    finally:
        await ep.close()


async def test_cancel_matches_invite_and_gets_487(peer: RawPeer) -> None:
    cancelled = asyncio.Event()

    def handler(tx: ServerTransaction) -> None:
        tx.on_cancel = cancelled.set
        tx.respond(tx.response(180))

    ep = await start_endpoint(handler)
    try:
        peer.send(request_bytes("INVITE", peer.port), ("127.0.0.1", ep.port))
        ringing = await peer.recv()
        assert isinstance(ringing, Response) and ringing.status == 180
        peer.send(request_bytes("CANCEL", peer.port), ("127.0.0.1", ep.port))
        got = {}
        for _ in range(2):
            msg = await peer.recv()
            assert isinstance(msg, Response)
            got[msg.cseq.method] = msg.status
        assert got == {"CANCEL": 200, "INVITE": 487}
        assert cancelled.is_set()
        # A CANCEL for an unknown transaction is answered 481 (RFC 3261 9.2).
        peer.send(request_bytes("CANCEL", peer.port, branch="z9hG4bKnone"), ("127.0.0.1", ep.port))
        msgs = [parse_message(m) for m in await peer.drain(0.1)]
        assert any(isinstance(m, Response) and m.status == 481 for m in msgs)
    finally:
        await ep.close()


async def test_handler_exception_becomes_500(peer: RawPeer) -> None:
    def handler(tx: ServerTransaction) -> None:
        raise RuntimeError("boom")

    ep = await start_endpoint(handler)
    try:
        peer.send(request_bytes("OPTIONS", peer.port), ("127.0.0.1", ep.port))
        msg = await peer.recv()
        assert isinstance(msg, Response) and msg.status == 500
    finally:
        await ep.close()


async def test_tcp_connect_failure_is_a_503() -> None:
    ep = await start_endpoint()
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed_port = s.getsockname()[1]
        tx = await ep.send_request(
            outgoing("OPTIONS", closed_port), ("127.0.0.1", closed_port), transport="TCP"
        )
        assert (await asyncio.wait_for(tx.final, 1)).status == 503
    finally:
        await ep.close()


async def test_tcp_request_and_response_are_not_retransmitted() -> None:
    def handler(tx: ServerTransaction) -> None:
        tx.respond(tx.response(200))

    server = await start_endpoint(handler)
    client = await start_endpoint()
    try:
        tx = await client.send_request(
            outgoing("OPTIONS", server.port), ("127.0.0.1", server.port), transport="TCP"
        )
        response = await asyncio.wait_for(tx.final, 1)
        assert response.status == 200 and response.top_via.transport == "TCP"
    finally:
        await client.close()
        await server.close()
