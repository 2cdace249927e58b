"""A raw UDP peer for SIP unit tests: sends bytes, collects what comes back (real sockets)."""

from __future__ import annotations

import asyncio
from typing import cast

from app.callcontrol.sip.message import Request, Response, parse_message
from app.callcontrol.sip.transaction import Timers

FAST = Timers(t1=0.02, t2=0.08, t4=0.1, d=0.2, trying=0.05)


class RawPeer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait((data, addr))

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)

    async def recv(self, limit: float = 2.0) -> Request | Response:
        data, _ = await asyncio.wait_for(self.queue.get(), limit)
        return parse_message(data)

    async def recv_raw(self, limit: float = 2.0) -> bytes:
        data, _ = await asyncio.wait_for(self.queue.get(), limit)
        return data

    async def drain(self, duration: float) -> list[bytes]:
        """Everything received during `duration` seconds."""
        got: list[bytes] = []
        loop = asyncio.get_running_loop()
        end = loop.time() + duration
        while (left := end - loop.time()) > 0:
            try:
                data, _ = await asyncio.wait_for(self.queue.get(), left)
            except TimeoutError:
                break
            got.append(data)
        return got

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def open_peer() -> RawPeer:
    loop = asyncio.get_running_loop()
    transport, peer = await loop.create_datagram_endpoint(RawPeer, local_addr=("127.0.0.1", 0))
    peer.transport = transport
    return peer


def request_bytes(
    method: str,
    peer_port: int,
    *,
    branch: str = "z9hG4bKpeer1",
    call_id: str = "call-1@test",
    cseq: int = 1,
    cseq_method: str | None = None,
    to_tag: str | None = None,
    body: bytes = b"",
) -> bytes:
    to = "<sip:uas@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    head = (
        f"{method} sip:uas@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{peer_port};branch={branch}\r\n"
        f"Max-Forwards: 70\r\n"
        f"From: <sip:peer@127.0.0.1>;tag=peertag\r\n"
        f"To: {to}\r\n"
        f"Call-ID: {call_id}\r\n"
        f"CSeq: {cseq} {cseq_method or method}\r\n"
        f"Contact: <sip:peer@127.0.0.1:{peer_port}>\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body
