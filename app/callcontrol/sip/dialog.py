"""Dialogs (RFC 3261 section 12) and the UA-level pieces around INVITE: 2xx/ACK, CANCEL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from .message import (
    Address,
    Headers,
    Request,
    Response,
    SipUri,
    new_tag,
)
from .transaction import Addr, ServerTransaction
from .transport import DEFAULT_PORT, SipEndpoint

TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})


def new_call_id(host: str) -> str:
    return f"{secrets.token_hex(10)}@{host}"


def new_request(
    method: str,
    uri: SipUri,
    *,
    from_: Address,
    to: Address,
    call_id: str,
    cseq: int,
    contact: Address | None = None,
    routes: Iterable[Address] = (),
    body: bytes = b"",
    content_type: str | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> Request:
    """An out-of-dialog request (RFC 3261 8.1.1). Via is added by the endpoint when sent."""
    if from_.tag is None:
        from_ = from_.copy()
        from_.params["tag"] = new_tag()  # RFC 3261 8.1.1.3
    headers = Headers()
    for route in routes:
        headers.add("Route", str(route))
    headers.add("Max-Forwards", "70")
    headers.add("From", str(from_))
    headers.add("To", str(to))
    headers.add("Call-ID", call_id)
    headers.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        headers.add("Contact", str(contact))
    for name, value in extra:
        headers.add(name, value)
    if body:
        headers.add("Content-Type", content_type or "application/sdp")
    return Request(method, uri, headers, body)


def create_cancel(invite: Request) -> Request:
    """CANCEL for a pending INVITE (RFC 3261 9.1): same Request-URI, Call-ID, From, To, CSeq
    number and top Via (so it matches the INVITE's server transaction), same Route set."""
    headers = Headers()
    headers.add("Via", invite.headers.get_all("Via")[0])
    for value in invite.headers.get_all("Route"):
        headers.add("Route", value)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", invite.headers.get("To") or "")
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq.seq} CANCEL")
    return Request("CANCEL", invite.uri.copy(), headers)


@dataclass(slots=True)
class Dialog:
    """Dialog state (RFC 3261 12.1) and in-dialog request building (12.2.1.1)."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: Address
    remote_uri: Address
    remote_target: SipUri
    local_contact: Address
    local_seq: int
    remote_seq: int | None = None
    route_set: list[Address] = field(default_factory=list)
    is_uac: bool = True
    transport: str = "UDP"
    state: str = "confirmed"

    @property
    def id(self) -> tuple[str, str, str]:
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uac(cls, invite: Request, response: Response, transport: str = "UDP") -> Dialog:
        """RFC 3261 12.1.2: the route set is the Record-Route of the response, reversed."""
        contacts = response.contacts
        return cls(
            call_id=invite.call_id,
            local_tag=invite.from_.tag or "",
            remote_tag=response.to.tag or "",
            local_uri=_without_tag(invite.from_),
            remote_uri=_without_tag(response.to),
            remote_target=contacts[0].uri.copy() if contacts else invite.uri.copy(),
            local_contact=invite.contacts[0] if invite.contacts else invite.from_,
            local_seq=invite.cseq.seq,
            route_set=list(reversed(response.record_routes)),
            is_uac=True,
            transport=transport,
            state="early" if response.status < 200 else "confirmed",
        )

    @classmethod
    def as_uas(
        cls, request: Request, local_tag: str, local_contact: Address, transport: str = "UDP"
    ) -> Dialog:
        """RFC 3261 12.1.1: the route set is the request's Record-Route, in order."""
        contacts = request.contacts
        return cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=request.from_.tag or "",
            local_uri=_without_tag(request.to),
            remote_uri=_without_tag(request.from_),
            remote_target=contacts[0].uri.copy() if contacts else request.from_.uri.copy(),
            local_contact=local_contact,
            local_seq=secrets.randbelow(2**16),
            remote_seq=request.cseq.seq,
            route_set=list(request.record_routes),
            is_uac=False,
            transport=transport,
        )

    # ------------------------------------------------------------------ requests

    def create_request(
        self,
        method: str,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
        cseq: int | None = None,
    ) -> Request:
        """In-dialog request (RFC 3261 12.2.1.1), with loose or strict routing."""
        if cseq is None:
            self.local_seq += 1
            cseq = self.local_seq
        uri, routes = self._request_uri_and_routes()
        local = self.local_uri.copy()
        local.params["tag"] = self.local_tag
        remote = self.remote_uri.copy()
        if self.remote_tag:
            remote.params["tag"] = self.remote_tag
        return new_request(
            method,
            uri,
            from_=local,
            to=remote,
            call_id=self.call_id,
            cseq=cseq,
            contact=self.local_contact if method in TARGET_REFRESH else None,
            routes=routes,
            body=body,
            content_type=content_type,
            extra=extra,
        )

    def _request_uri_and_routes(self) -> tuple[SipUri, list[Address]]:
        if not self.route_set or "lr" in self.route_set[0].uri.params:
            return self.remote_target.copy(), [r.copy() for r in self.route_set]
        # Strict router (RFC 3261 12.2.1.1): it becomes the Request-URI, the target goes last.
        routes = [r.copy() for r in self.route_set[1:]] + [Address(self.remote_target.copy())]
        return self.route_set[0].uri.copy(), routes

    def create_ack(
        self, invite_cseq: int, body: bytes = b"", content_type: str | None = None
    ) -> Request:
        """ACK for a 2xx (RFC 3261 13.2.2.4): the INVITE's CSeq number, its own transaction."""
        return self.create_request("ACK", body=body, content_type=content_type, cseq=invite_cseq)

    def bye(self) -> Request:
        return self.create_request("BYE")

    def reinvite(self, sdp: bytes) -> Request:
        """re-INVITE, e.g. for hold with an a=sendonly offer (RFC 3264 8.4)."""
        return self.create_request("INVITE", body=sdp, content_type="application/sdp")

    def info(self, body: bytes, content_type: str = "application/dtmf-relay") -> Request:
        return self.create_request("INFO", body=body, content_type=content_type)

    def refer(self, target: SipUri | Address, referred_by: Address | None = None) -> Request:
        """Blind (or attended, with Replaces in the target) transfer (RFC 3515)."""
        refer_to = target if isinstance(target, Address) else Address(target)
        extra = [("Refer-To", str(refer_to))]
        if referred_by is not None:
            extra.append(("Referred-By", str(referred_by)))
        return self.create_request("REFER", extra=extra)

    def notify(
        self,
        event: str,
        subscription_state: str,
        body: bytes = b"",
        content_type: str = "message/sipfrag;version=2.0",
    ) -> Request:
        """NOTIFY, e.g. REFER progress as a sipfrag (RFC 3515 2.4.5)."""
        extra = [("Event", event), ("Subscription-State", subscription_state)]
        return self.create_request(
            "NOTIFY", body=body, content_type=content_type if body else None, extra=extra
        )

    def next_hop(self) -> Addr:
        uri = self.route_set[0].uri if self.route_set else self.remote_target
        host = uri.params.get("maddr") or uri.host
        return (host.strip("[]"), uri.port or DEFAULT_PORT)

    # ------------------------------------------------------------------ incoming

    def receive_request(self, request: Request) -> int | None:
        """Check and absorb an in-dialog request (RFC 3261 12.2.2); a status to reject it with."""
        if request.method not in ("ACK", "CANCEL"):
            seq = request.cseq.seq
            if self.remote_seq is not None and seq <= self.remote_seq:
                return 500  # RFC 3261 12.2.2: out of order
            self.remote_seq = seq
        if request.method in TARGET_REFRESH and request.contacts:
            self.remote_target = request.contacts[0].uri.copy()
        if request.method == "BYE":
            self.state = "terminated"
        return None

    def receive_response(self, response: Response) -> None:
        """Target refresh from a 2xx to a re-INVITE (RFC 3261 12.2.1.2)."""
        if 200 <= response.status < 300 and response.cseq.method in TARGET_REFRESH:
            if response.contacts:
                self.remote_target = response.contacts[0].uri.copy()


def _without_tag(address: Address) -> Address:
    copy = address.copy()
    copy.params.pop("tag", None)
    return copy


# --------------------------------------------------------------------------- INVITE helpers


async def answer_invite(
    endpoint: SipEndpoint, tx: ServerTransaction, response: Response
) -> Request | None:
    """Send a 2xx to an INVITE and retransmit it until the ACK (RFC 3261 13.3.1.4).

    Returns the ACK, or None after 64*T1 without one (the caller should then send BYE).
    """
    timers = endpoint.timers
    waiter = endpoint.expect_ack(tx.request.call_id, tx.request.cseq.seq)
    tx.respond(response)
    data = response.to_bytes()
    interval = timers.t1
    deadline = asyncio.get_running_loop().time() + 64 * timers.t1
    try:
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return None
            wait = remaining if tx.transport.reliable else min(interval, remaining)
            done, _ = await asyncio.wait({waiter}, timeout=wait)
            if done:
                return waiter.result()
            if not tx.transport.reliable:
                try:
                    tx.transport.send(data, tx.addr)
                except OSError:
                    return None
                interval = min(2 * interval, timers.t2)
    finally:
        waiter.cancel()


@dataclass(slots=True)
class InviteResult:
    response: Response
    dialog: Dialog | None


async def invite(
    endpoint: SipEndpoint,
    request: Request,
    dest: Addr | None = None,
    transport: str = "UDP",
) -> InviteResult:
    """Send an INVITE and, on 2xx, build the dialog and ACK it (re-ACKing 2xx retransmissions).

    Provisional responses are skipped; use the transaction directly to watch them.
    """
    tx = await endpoint.send_request(request, dest, transport)
    response = await tx.final
    if not 200 <= response.status < 300:
        return InviteResult(response, None)
    dialog = Dialog.as_uac(request, response, transport)
    ack = dialog.create_ack(request.cseq.seq)
    hop = dialog.next_hop()
    await endpoint.send_stateless(ack, hop, transport)

    def resend(_: Response) -> None:
        assert endpoint.udp is not None
        if transport.upper() == "UDP":
            endpoint.udp.send(ack.to_bytes(), hop)  # RFC 3261 13.2.2.4: ACK each 2xx copy

    tx.on_2xx_retransmission = resend
    return InviteResult(response, dialog)
