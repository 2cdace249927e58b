"""asyncio UDP and TCP transports and the SipEndpoint core that ties them to transactions.

The endpoint never crashes on input and never stays silent on a bad request: a request that
fails to parse gets the status SipParseError carries (400, 416, 505) when its Via and CSeq can
be recovered; a stray or malformed response is dropped (RFC 3261 17.1.3, RFC 4475 3.1.2.5).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import cast

from .message import (
    Address,
    Request,
    Response,
    SipParseError,
    SipUri,
    StreamParser,
    Via,
    new_branch,
    parse_message,
    parse_via,
    response_for_bad_request,
)
from .transaction import Addr, ClientTransaction, ServerTransaction, Timers, TransactionLayer

log = logging.getLogger(__name__)

RequestHandler = Callable[[ServerTransaction], Awaitable[None] | None]
AckHandler = Callable[[Request], None]
ResponseHandler = Callable[[Response], None]

DEFAULT_PORT = 5060


class UdpTransport(asyncio.DatagramProtocol):
    reliable = False
    name = "UDP"

    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.endpoint._on_bytes(data, (addr[0], addr[1]), self)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: UDP gives no per-message error, timers handle it.
        log.debug("UDP error: %s", exc)

    def send(self, data: bytes, addr: Addr) -> None:
        if self._transport is None or self._transport.is_closing():
            raise OSError("UDP transport closed")
        self._transport.sendto(data, addr)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class TcpConnection(asyncio.Protocol):
    """One TCP connection; messages are framed by Content-Length (RFC 3261 18.3)."""

    reliable = True
    name = "TCP"

    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint
        self.parser = StreamParser()
        self.peer: Addr = ("", 0)
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        peer = self._transport.get_extra_info("peername")
        self.peer = (str(peer[0]), int(peer[1]))
        self.endpoint._tcp[self.peer] = self

    def connection_lost(self, exc: Exception | None) -> None:
        if self.endpoint._tcp.get(self.peer) is self:
            del self.endpoint._tcp[self.peer]

    def data_received(self, data: bytes) -> None:
        try:
            items = self.parser.feed(data)
        except SipParseError as exc:
            # RFC 4475 3.1.2.3: a framing error on a stream is not recoverable.
            log.info("closing TCP %s: %s", self.peer, exc.reason)
            self.close()
            return
        for item in items:
            if isinstance(item, tuple):
                self.endpoint._on_bad_message(item[0], item[1], self.peer, self)
            else:
                self.endpoint._on_message(item, self.peer, self)

    def send(self, data: bytes, addr: Addr) -> None:
        if self._transport is None or self._transport.is_closing():
            raise OSError("TCP connection closed")
        self._transport.write(data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


Transport = UdpTransport | TcpConnection


class _Unreachable:
    """Stands in for a connection that could not be opened; every send fails."""

    reliable = True

    def __init__(self, name: str, error: OSError) -> None:
        self.name = name
        self.error = error

    def send(self, data: bytes, addr: Addr) -> None:
        raise OSError(f"cannot reach {addr}: {self.error}")


class SipEndpoint:
    """A SIP user agent core: transports, transaction layer and dispatch to the TU.

    `handler(tx)` is called for each new server transaction (except CANCEL and ACK, handled
    here). It answers with `tx.respond(...)`; a handler that raises gets a 500 sent for it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        handler: RequestHandler | None = None,
        timers: Timers | None = None,
        user_agent: str = "Fastline",
    ) -> None:
        self.host = host
        self.port = port
        self.handler = handler
        self.ack_handler: AckHandler | None = None
        self.stray_2xx_handler: ResponseHandler | None = None
        self.user_agent = user_agent
        self._timers = timers
        self.layer: TransactionLayer | None = None
        self.udp: UdpTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._tcp: dict[Addr, TcpConnection] = {}
        self.tcp_port: int | None = None
        self._ack_waiters: dict[tuple[str, int], asyncio.Future[Request]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, tcp: bool = True) -> None:
        loop = asyncio.get_running_loop()
        self.layer = TransactionLayer(self._timers)
        transport, proto = await loop.create_datagram_endpoint(
            lambda: UdpTransport(self), local_addr=(self.host, self.port)
        )
        proto._transport = transport
        self.udp = proto
        self.port = int(transport.get_extra_info("sockname")[1])
        if tcp:
            self._tcp_server = await loop.create_server(
                lambda: TcpConnection(self), self.host, self.port
            )
            self.tcp_port = self.port

    async def close(self) -> None:
        if self.layer is not None:
            self.layer.close()
        for task in list(self._tasks):
            task.cancel()
        if self.udp is not None:
            self.udp.close()
        for conn in list(self._tcp.values()):
            conn.close()
        if self._tcp_server is not None:
            self._tcp_server.close()
            await self._tcp_server.wait_closed()

    @property
    def timers(self) -> Timers:
        assert self.layer is not None, "endpoint not started"
        return self.layer.timers

    def contact(self, user: str | None = None, transport: str = "UDP") -> Address:
        uri = SipUri(user=user, host=self.host, port=self.port)
        if transport.upper() != "UDP":
            uri.params["transport"] = transport.lower()
        return Address(uri)

    # ------------------------------------------------------------------ sending

    async def send_request(
        self, request: Request, dest: Addr | None = None, transport: str = "UDP"
    ) -> ClientTransaction:
        """Start a client transaction; adds our Via (new branch, rport) on top."""
        assert self.layer is not None, "endpoint not started"
        addr = dest or next_hop(request)
        conn: Transport | _Unreachable
        try:
            conn = await self._transport_for(addr, transport)
        except OSError as exc:
            # RFC 3261 8.1.3.1: a transport failure is reported to the TU as a 503.
            conn = _Unreachable(transport.upper(), exc)
        self._push_via(request, conn.name)
        return self.layer.start_client(request, conn, addr)

    async def send_stateless(
        self, message: Request | Response, dest: Addr, transport: str = "UDP"
    ) -> None:
        """Send outside any transaction: ACK for 2xx (RFC 3261 13.2.2.4), 2xx retransmissions."""
        conn = await self._transport_for(dest, transport)
        if isinstance(message, Request) and message.headers.get("Via") is None:
            self._push_via(message, conn.name)
        conn.send(message.to_bytes(), dest)

    def _push_via(self, request: Request, transport_name: str) -> None:
        via = Via(transport_name, self.host, self.port, {"branch": new_branch(), "rport": None})
        request.headers.add("Via", str(via), first=True)
        request.invalidate()

    async def _transport_for(self, dest: Addr, transport: str) -> Transport:
        if transport.upper() == "UDP":
            assert self.udp is not None
            return self.udp
        conn = self._tcp.get(dest)
        if conn is None:
            loop = asyncio.get_running_loop()
            _, conn = await loop.create_connection(lambda: TcpConnection(self), *dest)
        return conn

    def expect_ack(self, call_id: str, cseq: int) -> asyncio.Future[Request]:
        """A future resolved by the ACK for a 2xx we sent (RFC 3261 13.3.1.4)."""
        fut: asyncio.Future[Request] = asyncio.get_running_loop().create_future()
        key = (call_id, cseq)
        self._ack_waiters[key] = fut
        fut.add_done_callback(lambda _f: self._ack_waiters.pop(key, None))
        return fut

    # ------------------------------------------------------------------ receiving

    def _on_bytes(self, data: bytes, source: Addr, transport: Transport) -> None:
        if not data.strip(b"\r\n"):
            return  # RFC 5626 keepalive
        try:
            message = parse_message(data)
        except SipParseError as exc:
            self._on_bad_message(data, exc, source, transport)
            return
        self._on_message(message, source, transport)

    def _on_bad_message(
        self, data: bytes, error: SipParseError, source: Addr, transport: Transport
    ) -> None:
        try:
            reply = response_for_bad_request(data, error)
            if reply is None:
                log.info("dropped unparseable message from %s: %s", source, error.reason)
                return
            transport.send(reply, _reply_addr_from_raw(reply, source))
        except Exception:
            log.exception("failed to answer a malformed message from %s", source)

    def _on_message(self, message: Request | Response, source: Addr, transport: Transport) -> None:
        try:
            if isinstance(message, Request):
                self._on_request(message, source, transport)
            else:
                self._on_response(message)
        except Exception:
            log.exception("error handling %r from %s", message, source)

    def _on_response(self, response: Response) -> None:
        assert self.layer is not None
        tx = self.layer.match_response(response)
        if tx is not None:
            tx.receive(response)
        elif 200 <= response.status < 300 and response.cseq.method == "INVITE":
            if self.stray_2xx_handler is not None:
                self.stray_2xx_handler(response)
        else:
            log.debug("stray response %s dropped", response.status)

    def _on_request(self, request: Request, source: Addr, transport: Transport) -> None:
        assert self.layer is not None
        _stamp_via(request, source)
        if request.method == "ACK":
            self._on_ack(request)
            return
        existing = self.layer.match_request(request)
        if existing is not None:
            existing.receive_retransmission(request)
            return
        reply_to = source if transport.reliable else reply_addr(request.top_via, source)
        tx = self.layer.new_server(request, transport, reply_to)
        if request.method == "CANCEL":
            self._on_cancel(tx)
            return
        if self.handler is None:
            tx.respond(tx.response(501))
            return
        self._run_handler(tx)

    def _on_ack(self, ack: Request) -> None:
        assert self.layer is not None
        tx = self.layer.match_request(ack)
        if tx is not None:
            tx.receive_retransmission(ack)  # ACK for a non-2xx: absorbed by the transaction
            return
        waiter = self._ack_waiters.get((ack.call_id, ack.cseq.seq))
        if waiter is not None and not waiter.done():
            waiter.set_result(ack)
        if self.ack_handler is not None:
            self.ack_handler(ack)

    def _on_cancel(self, tx: ServerTransaction) -> None:
        assert self.layer is not None
        invite = self.layer.invite_for_cancel(tx.request)
        if invite is None:
            tx.respond(tx.response(481))  # RFC 3261 9.2
            return
        tx.respond(tx.response(200))
        invite.cancel()

    def _run_handler(self, tx: ServerTransaction) -> None:
        assert self.handler is not None
        try:
            result = self.handler(tx)
        except Exception:
            log.exception("handler failed for %r", tx.request)
            _answer_500(tx)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(lambda t: self._handler_done(t, tx))

    def _handler_done(self, task: asyncio.Future[None], tx: ServerTransaction) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("handler failed for %r", tx.request, exc_info=exc)
            _answer_500(tx)


def _answer_500(tx: ServerTransaction) -> None:
    if tx.last_response is None or tx.last_response.status < 200:
        tx.respond(tx.response(500))


def _stamp_via(request: Request, source: Addr) -> None:
    """RFC 3261 18.2.1 'received' and RFC 3581 'rport' on the top Via."""
    via = request.top_via
    changed = False
    if via.host.strip("[]") != source[0]:
        via.params["received"] = source[0]
        changed = True
    if "rport" in via.params and via.params["rport"] is None:
        via.params["rport"] = str(source[1])
        via.params.setdefault("received", source[0])
        changed = True
    if changed:
        values = request.headers.get_all("Via")
        values[0] = str(via)
        request.headers.set("Via", values)
        request.invalidate()


def reply_addr(via: Via, source: Addr) -> Addr:
    """Where a response goes over UDP (RFC 3261 18.2.2, RFC 3581 4)."""
    host = via.params.get("received") or via.host.strip("[]")
    rport = via.params.get("rport")
    if rport:
        return (host, int(rport))
    return (host, via.port or DEFAULT_PORT)


def _reply_addr_from_raw(reply: bytes, source: Addr) -> Addr:
    try:
        head = reply.split(b"\r\n", 2)[1].decode("utf-8", "surrogateescape")
        via = parse_via(head.partition(":")[2])
    except (SipParseError, IndexError, ValueError):
        return source
    # The sender's Via was not stamped on this path: use rport or the sent-by port.
    if "rport" in via.params:
        return source
    return (source[0], via.port or DEFAULT_PORT)


def next_hop(request: Request) -> Addr:
    """Loose routing (RFC 3261 8.1.2): the first Route, else the Request-URI."""
    routes = request.routes
    uri = routes[0].uri if routes else request.uri
    host = uri.params.get("maddr") or uri.host
    return (host.strip("[]"), uri.port or DEFAULT_PORT)
