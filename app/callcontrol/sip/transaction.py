"""SIP transactions: RFC 3261 section 17 state machines with RFC 6026's Accepted state.

Timers run on the event loop (`call_later`); retransmissions happen only over unreliable
transports (UDP). A client transaction resolves `final` with the final response, or with a
synthesized 408 (timeout) or 503 (transport error) as RFC 3261 8.1.3.1 tells the TU to treat them.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from .message import (
    MAGIC_COOKIE,
    Headers,
    Request,
    Response,
    SipParseError,
    make_response,
    new_tag,
)

log = logging.getLogger(__name__)

Addr = tuple[str, int]


class Transport(Protocol):
    """What a transaction needs from a transport: send bytes, know whether it is reliable."""

    @property
    def reliable(self) -> bool: ...

    @property
    def name(self) -> str: ...

    def send(self, data: bytes, addr: Addr) -> None:
        """Send or raise OSError (RFC 3261 17.1.4 / 17.2.4 transport errors)."""


@dataclass(frozen=True, slots=True)
class Timers:
    """RFC 3261 Table 4 values. Tests shrink T1/T2/T4 to run timers in milliseconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    d: float = 32.0  # Timer D: > 32 s for UDP
    trying: float = 0.2  # RFC 3261 17.2.1: send 100 Trying if the TU is silent for 200 ms

    @property
    def b(self) -> float:
        return 64 * self.t1

    @property
    def f(self) -> float:
        return 64 * self.t1

    @property
    def h(self) -> float:
        return 64 * self.t1

    @property
    def j(self) -> float:
        return 64 * self.t1

    @property
    def l(self) -> float:  # noqa: E743 - RFC 6026 names it Timer L
        return 64 * self.t1

    @property
    def m(self) -> float:
        return 64 * self.t1


class State(enum.Enum):
    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


def server_key(request: Request) -> tuple[str, ...]:
    """Matching key of RFC 3261 17.2.3 (ACK matches its INVITE's transaction)."""
    method = "INVITE" if request.method == "ACK" else request.method
    via = request.top_via
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return (branch, via.sent_by.lower(), method)
    # RFC 2543 peers (no magic cookie): fall back on dialog and CSeq identifiers.
    return (
        "2543",
        request.call_id,
        request.from_.tag or "",
        str(request.cseq.seq),
        via.sent_by.lower(),
        branch,
        method,
    )


def client_key(branch: str, method: str) -> tuple[str, str]:
    """RFC 3261 17.1.3: a response matches on the top Via branch and the CSeq method."""
    return (branch, method)


def synthesized_response(request: Request, status: int) -> Response:
    return make_response(request, status, to_tag=new_tag())


class _Base:
    def __init__(
        self, layer: TransactionLayer, request: Request, transport: Transport, addr: Addr
    ) -> None:
        self.layer = layer
        self.request = request
        self.transport = transport
        self.addr = addr
        self.timers = layer.timers
        self.state = State.TRYING
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self.on_terminated: Callable[[], None] | None = None

    def _start_timer(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self._stop_timer(name)
        self._handles[name] = self.layer.loop.call_later(delay, callback)

    def _stop_timer(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _send(self, data: bytes) -> bool:
        try:
            self.transport.send(data, self.addr)
        except OSError as exc:
            log.info("transport error to %s: %s", self.addr, exc)
            self._transport_error()
            return False
        return True

    def _transport_error(self) -> None:
        self._terminate()

    def _terminate(self) -> None:
        if self.state is State.TERMINATED:
            return
        self.state = State.TERMINATED
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        self.layer._forget(self)
        if self.on_terminated is not None:
            self.on_terminated()


# --------------------------------------------------------------------------- client side


class ClientTransaction(_Base):
    """INVITE (17.1.1) and non-INVITE (17.1.2) client transactions."""

    def __init__(
        self, layer: TransactionLayer, request: Request, transport: Transport, addr: Addr
    ) -> None:
        super().__init__(layer, request, transport, addr)
        self.is_invite = request.method == "INVITE"
        self.branch = request.top_via.branch or ""
        self.key = client_key(self.branch, request.method)
        self.final: asyncio.Future[Response] = layer.loop.create_future()
        self.on_provisional: Callable[[Response], None] | None = None
        # RFC 6026 Accepted state: 2xx retransmissions go to the TU, which re-sends its ACK.
        self.on_2xx_retransmission: Callable[[Response], None] | None = None
        self.ack: Request | None = None
        self._data = request.to_bytes()
        self._interval = self.timers.t1

    def start(self) -> None:
        self.state = State.CALLING if self.is_invite else State.TRYING
        if not self._send(self._data):
            return
        if not self.transport.reliable:
            self._start_timer("retransmit", self._interval, self._on_retransmit)
        timeout = self.timers.b if self.is_invite else self.timers.f
        self._start_timer("timeout", timeout, self._on_timeout)

    def _on_retransmit(self) -> None:
        if self.state not in (State.CALLING, State.TRYING, State.PROCEEDING):
            return
        if not self._send(self._data):
            return
        if self.is_invite:
            self._interval *= 2  # RFC 3261 17.1.1.2: Timer A doubles, no cap
        elif self.state is State.PROCEEDING:
            self._interval = self.timers.t2  # RFC 3261 17.1.2.2: E = T2 once proceeding
        else:
            self._interval = min(2 * self._interval, self.timers.t2)
        self._start_timer("retransmit", self._interval, self._on_retransmit)

    def _on_timeout(self) -> None:
        # Timer B / Timer F: RFC 3261 8.1.3.1 says treat as 408.
        self._resolve(synthesized_response(self.request, 408))
        self._terminate()

    def _transport_error(self) -> None:
        self._resolve(synthesized_response(self.request, 503))  # RFC 3261 8.1.3.1
        self._terminate()

    def _resolve(self, response: Response) -> None:
        if not self.final.done():
            self.final.set_result(response)

    def receive(self, response: Response) -> None:
        status = response.status
        if self.state in (State.CALLING, State.TRYING, State.PROCEEDING):
            if status < 200:
                self._proceeding(response)
            elif self.is_invite and status < 300:
                self._accepted(response)
            else:
                self._completed(response)
        elif self.state is State.COMPLETED and self.is_invite and status >= 300:
            self._send_ack()  # RFC 3261 17.1.1.2: ACK every retransmitted final response
        elif self.state is State.ACCEPTED and 200 <= status < 300:
            if self.on_2xx_retransmission is not None:
                self.on_2xx_retransmission(response)

    def _proceeding(self, response: Response) -> None:
        if self.is_invite:
            self._stop_timer("retransmit")
            self._stop_timer("timeout")  # Timer B only runs in Calling
        self.state = State.PROCEEDING
        if self.on_provisional is not None:
            self.on_provisional(response)

    def _accepted(self, response: Response) -> None:
        self.state = State.ACCEPTED
        self._stop_timer("retransmit")
        self._stop_timer("timeout")
        self._start_timer("M", self.timers.m, self._terminate)
        self._resolve(response)

    def _completed(self, response: Response) -> None:
        self._stop_timer("retransmit")
        self._stop_timer("timeout")
        self.state = State.COMPLETED
        if self.is_invite:
            self.ack = build_ack_for_error(self.request, response)
            self._send_ack()
            wait = 0.0 if self.transport.reliable else self.timers.d
        else:
            wait = 0.0 if self.transport.reliable else self.timers.t4  # Timer K
        self._resolve(response)
        if self.state is not State.TERMINATED:
            self._start_timer("linger", wait, self._terminate)

    def _send_ack(self) -> None:
        if self.ack is not None:
            self._send(self.ack.to_bytes())


def build_ack_for_error(invite: Request, response: Response) -> Request:
    """ACK for a non-2xx final response (RFC 3261 17.1.1.3), built by the transaction."""
    headers = Headers()
    headers.add("Via", invite.headers.get_all("Via")[0])
    for name in ("Route",):
        for value in invite.headers.get_all(name):
            headers.add(name, value)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq.seq} ACK")
    return Request("ACK", invite.uri.copy(), headers)


# --------------------------------------------------------------------------- server side


class ServerTransaction(_Base):
    """INVITE (17.2.1) and non-INVITE (17.2.2) server transactions."""

    def __init__(
        self, layer: TransactionLayer, request: Request, transport: Transport, addr: Addr
    ) -> None:
        super().__init__(layer, request, transport, addr)
        self.is_invite = request.method == "INVITE"
        self.key = server_key(request)
        self.state = State.PROCEEDING if self.is_invite else State.TRYING
        self.last_response: Response | None = None
        self._last_bytes: bytes | None = None
        self._interval = self.timers.t1
        self.to_tag = request.to.tag or new_tag()
        self.cancelled = False
        self.on_cancel: Callable[[], None] | None = None
        self.on_ack: Callable[[Request], None] | None = None
        self.on_ack_timeout: Callable[[], None] | None = None
        self.on_transport_error: Callable[[], None] | None = None
        if self.is_invite:
            self._start_timer("trying", self.timers.trying, self._send_trying)

    def _send_trying(self) -> None:
        if self.state is State.PROCEEDING and self.last_response is None:
            self.respond(make_response(self.request, 100))

    def response(
        self,
        status: int,
        reason: str | None = None,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
    ) -> Response:
        """A response to this request carrying this transaction's To tag (RFC 3261 8.2.6.2)."""
        return make_response(
            self.request,
            status,
            reason,
            to_tag=self.to_tag,
            body=body,
            content_type=content_type,
            extra=extra,
        )

    def respond(self, response: Response) -> None:
        """Send a response from the TU (RFC 3261 17.2.1 / 17.2.2 state transitions)."""
        status = response.status
        if self.state in (State.COMPLETED, State.CONFIRMED, State.TERMINATED):
            log.debug("response %s after final on %s ignored", status, self.key)
            return
        if self.state is State.ACCEPTED:
            if 200 <= status < 300:
                self._send(response.to_bytes())  # RFC 6026 7.1: 2xx retransmissions pass
            return
        self._stop_timer("trying")
        self.last_response = response
        self._last_bytes = response.to_bytes()
        if not self._send(self._last_bytes):
            return
        if status < 200:
            self.state = State.PROCEEDING
        elif self.is_invite and status < 300:
            self.state = State.ACCEPTED
            self._start_timer("L", self.timers.l, self._terminate)
        elif self.is_invite:
            self.state = State.COMPLETED
            if not self.transport.reliable:
                self._start_timer("G", self._interval, self._on_timer_g)
            self._start_timer("H", self.timers.h, self._on_timer_h)
        else:
            self.state = State.COMPLETED
            wait = 0.0 if self.transport.reliable else self.timers.j
            self._start_timer("J", wait, self._terminate)

    def receive_retransmission(self, request: Request) -> None:
        if request.method == "ACK":
            self._receive_ack(request)
            return
        # RFC 3261 17.2.1 / 17.2.2: answer a retransmitted request with the last response.
        if self._last_bytes is not None and self.state is not State.ACCEPTED:
            self._send(self._last_bytes)

    def _receive_ack(self, ack: Request) -> None:
        if self.state is State.COMPLETED:
            self.state = State.CONFIRMED
            self._stop_timer("G")
            self._stop_timer("H")
            wait = 0.0 if self.transport.reliable else self.timers.t4  # Timer I
            self._start_timer("I", wait, self._terminate)
            if self.on_ack is not None:
                self.on_ack(ack)

    def _on_timer_g(self) -> None:
        if self.state is not State.COMPLETED or self._last_bytes is None:
            return
        if not self._send(self._last_bytes):
            return
        self._interval = min(2 * self._interval, self.timers.t2)
        self._start_timer("G", self._interval, self._on_timer_g)

    def _on_timer_h(self) -> None:
        # RFC 3261 17.2.1: no ACK came; the TU learns the final response was not received.
        callback = self.on_ack_timeout
        self._terminate()
        if callback is not None:
            callback()

    def _transport_error(self) -> None:
        callback = self.on_transport_error
        self._terminate()
        if callback is not None:
            callback()

    def cancel(self) -> bool:
        """Apply a matching CANCEL (RFC 3261 9.2): answer 487 if no final response yet."""
        if self.state is not State.PROCEEDING or not self.is_invite:
            return False
        self.cancelled = True
        self.respond(self.response(487))
        if self.on_cancel is not None:
            self.on_cancel()
        return True


# --------------------------------------------------------------------------- the layer


class TransactionLayer:
    """Holds live transactions and matches incoming messages to them."""

    def __init__(self, timers: Timers | None = None) -> None:
        self.timers = timers or Timers()
        self.loop = asyncio.get_running_loop()
        self.clients: dict[tuple[str, ...], ClientTransaction] = {}
        self.servers: dict[tuple[str, ...], ServerTransaction] = {}

    def start_client(self, request: Request, transport: Transport, addr: Addr) -> ClientTransaction:
        tx = ClientTransaction(self, request, transport, addr)
        self.clients[tx.key] = tx
        tx.start()
        return tx

    def new_server(self, request: Request, transport: Transport, addr: Addr) -> ServerTransaction:
        tx = ServerTransaction(self, request, transport, addr)
        self.servers[tx.key] = tx
        return tx

    def match_response(self, response: Response) -> ClientTransaction | None:
        try:
            branch = response.top_via.branch or ""
            method = response.cseq.method
        except SipParseError:
            return None
        return self.clients.get(client_key(branch, method))

    def match_request(self, request: Request) -> ServerTransaction | None:
        return self.servers.get(server_key(request))

    def invite_for_cancel(self, cancel: Request) -> ServerTransaction | None:
        """RFC 3261 9.2: the INVITE server transaction a CANCEL refers to."""
        key = server_key(cancel)
        return self.servers.get((*key[:-1], "INVITE"))

    def _forget(self, tx: _Base) -> None:
        table: dict[tuple[str, ...], object] = (
            self.clients if isinstance(tx, ClientTransaction) else self.servers  # type: ignore[assignment]
        )
        key = tx.key  # type: ignore[attr-defined]
        if table.get(key) is tx:
            del table[key]

    def close(self) -> None:
        for tx in [*self.clients.values(), *self.servers.values()]:
            tx._terminate()
