"""Dialogs: route sets, in-dialog requests, CSeq rules, CANCEL, 2xx retransmission until ACK."""

from __future__ import annotations

import asyncio

import pytest
from sip_peer import FAST, open_peer, request_bytes

from app.callcontrol.sip.dialog import Dialog, answer_invite, create_cancel, invite, new_request
from app.callcontrol.sip.message import (
    Address,
    Request,
    Response,
    make_response,
    parse_message,
    parse_uri,
)
from app.callcontrol.sip.sdp import build_offer, parse_sdp, with_direction
from app.callcontrol.sip.transaction import ServerTransaction
from app.callcontrol.sip.transport import SipEndpoint

pytestmark = pytest.mark.feature("EDGE-1")


def _invite() -> Request:
    req = new_request(
        "INVITE", parse_uri("sip:bob@example.com"),
        from_=Address(parse_uri("sip:alice@example.com"), "Alice"),
        to=Address(parse_uri("sip:bob@example.com")), call_id="dlg-1", cseq=10,
        contact=Address(parse_uri("sip:alice@192.0.2.1:5070")),
    )  # fmt: skip
    req.headers.add("Via", "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKd1", first=True)
    req.headers.add("Record-Route", "<sip:p1.example.com;lr>")
    req.headers.add("Record-Route", "<sip:p2.example.com;lr>")
    return req


def _ok(req: Request) -> Response:
    return make_response(req, 200, to_tag="bobtag", extra=[("Contact", "<sip:bob@192.0.2.2:5080>")])


def test_uac_dialog_route_set_and_bye() -> None:
    req = _invite()
    dialog = Dialog.as_uac(req, _ok(req))
    assert dialog.id == ("dlg-1", req.from_.tag, "bobtag")
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:p2.example.com;lr",
        "sip:p1.example.com;lr",
    ]
    bye = dialog.bye()
    assert str(bye.uri) == "sip:bob@192.0.2.2:5080"  # remote target from Contact
    assert bye.headers.get_all("Route") == ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    assert bye.cseq.seq == 11 and bye.from_.tag == req.from_.tag and bye.to.tag == "bobtag"
    assert dialog.next_hop() == ("p2.example.com", 5060)
    ack = dialog.create_ack(10)
    assert ack.cseq.seq == 10 and ack.cseq.method == "ACK" and dialog.local_seq == 11


def test_uas_dialog_cseq_order_and_target_refresh() -> None:
    req = _invite()
    dialog = Dialog.as_uas(req, "bobtag", Address(parse_uri("sip:bob@192.0.2.2:5080")))
    assert [str(r.uri) for r in dialog.route_set] == [
        "sip:p1.example.com;lr",
        "sip:p2.example.com;lr",
    ]
    assert dialog.remote_tag == req.from_.tag and dialog.remote_seq == 10
    old = Dialog.as_uac(req, _ok(req)).create_request("INFO")  # reuse builder for a request
    old.headers.set("CSeq", "9 INFO")
    old.invalidate()
    assert dialog.receive_request(old) == 500  # RFC 3261 12.2.2: lower CSeq
    reinv = _invite()
    reinv.headers.set("CSeq", "11 INVITE")
    reinv.headers.set("Contact", "<sip:alice@198.51.100.7>")
    reinv.invalidate()
    assert dialog.receive_request(reinv) is None
    assert str(dialog.remote_target) == "sip:alice@198.51.100.7"


def test_strict_route_puts_first_route_in_request_uri() -> None:
    req = _invite()
    ok = _ok(req)
    ok.headers.set("Record-Route", ["<sip:strict.example.com>"])
    ok.invalidate()
    bye = Dialog.as_uac(req, ok).bye()
    assert str(bye.uri) == "sip:strict.example.com"
    assert bye.headers.get_all("Route")[-1] == "<sip:bob@192.0.2.2:5080>"


def test_refer_notify_info_and_hold() -> None:
    req = _invite()
    dialog = Dialog.as_uac(req, _ok(req))
    refer = dialog.refer(parse_uri("sip:carol@example.com"))
    assert refer.headers.get("Refer-To") == "<sip:carol@example.com>"
    notify = dialog.notify("refer", "terminated;reason=noresource", b"SIP/2.0 200 OK\r\n")
    assert notify.headers.get("Event") == "refer" and notify.content_type == "message/sipfrag"
    info = dialog.info(b"Signal=5\r\nDuration=160\r\n")
    assert info.content_type == "application/dtmf-relay"
    held = dialog.reinvite(with_direction(build_offer("192.0.2.1", 4000), "sendonly").to_bytes())
    assert parse_sdp(held.body).media[0].direction == "sendonly"
    assert [r.cseq.seq for r in (refer, notify, info, held)] == [11, 12, 13, 14]


def test_cancel_copies_invite_identifiers() -> None:
    req = _invite()
    cancel = create_cancel(req)
    assert cancel.top_via.branch == req.top_via.branch
    assert cancel.cseq.seq == req.cseq.seq and cancel.cseq.method == "CANCEL"
    assert str(cancel.uri) == str(req.uri) and cancel.headers.get("To") == req.headers.get("To")


async def test_uas_retransmits_2xx_until_ack() -> None:
    acked: list[Request | None] = []

    async def handler(tx: ServerTransaction) -> None:
        ok = tx.response(200, extra=[("Contact", "<sip:uas@127.0.0.1>")])
        acked.append(await answer_invite(ep, tx, ok))

    ep = SipEndpoint("127.0.0.1", 0, handler=handler, timers=FAST)
    await ep.start(tcp=False)
    peer = await open_peer()
    try:
        peer.send(request_bytes("INVITE", peer.port), ("127.0.0.1", ep.port))
        copies = [parse_message(m) for m in await peer.drain(0.2)]
        oks = [m for m in copies if isinstance(m, Response) and m.status == 200]
        assert len(oks) >= 3  # T1, 2*T1, 4*T1 ... (RFC 3261 13.3.1.4)
        ack = request_bytes("ACK", peer.port, branch="z9hG4bKack", to_tag=oks[0].to.tag)
        peer.send(ack, ("127.0.0.1", ep.port))
        await asyncio.sleep(0.05)
        await peer.drain(0.02)
        assert await peer.drain(0.3) == []
        assert acked and acked[0] is not None and acked[0].method == "ACK"
    finally:
        peer.close()
        await ep.close()


async def test_call_between_two_endpoints() -> None:
    async def handler(tx: ServerTransaction) -> None:
        if tx.request.method == "INVITE":
            ok = tx.response(200, extra=[("Contact", str(callee.contact("bob")))])
            await answer_invite(callee, tx, ok)
        else:
            tx.respond(tx.response(200))

    callee = SipEndpoint("127.0.0.1", 0, handler=handler, timers=FAST)
    caller = SipEndpoint("127.0.0.1", 0, timers=FAST)
    await callee.start(tcp=False)
    await caller.start(tcp=False)
    try:
        req = new_request(
            "INVITE", parse_uri(f"sip:bob@127.0.0.1:{callee.port}"),
            from_=Address(parse_uri("sip:alice@127.0.0.1")),
            to=Address(parse_uri("sip:bob@127.0.0.1")), call_id="e2e-1", cseq=1,
            contact=caller.contact("alice"),
        )  # fmt: skip
        result = await invite(caller, req)
        assert result.response.status == 200 and result.dialog is not None
        assert result.dialog.next_hop() == ("127.0.0.1", callee.port)
        tx = await caller.send_request(result.dialog.bye(), result.dialog.next_hop())
        assert (await asyncio.wait_for(tx.final, 2)).status == 200
    finally:
        await caller.close()
        await callee.close()
