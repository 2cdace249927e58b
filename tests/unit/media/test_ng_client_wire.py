"""The ng client's behaviour on the wire: cookies, retries, errors, timeouts.

The peer here is a bare UDP socket that answers the way rtpengine does (same cookie back), so that
lost datagrams can be simulated; the same client is run against the real rtpengine in
tests/integration/media.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import cast

import pytest

from app.callcontrol.media import bencode
from app.callcontrol.media.ng import (
    TOWARD_SIP,
    TOWARD_WEBRTC,
    NgClient,
    NgClientPool,
    RtpengineError,
    RtpengineTimeout,
)

pytestmark = pytest.mark.feature("EDGE-2")


class LossyNgPeer(asyncio.DatagramProtocol):
    """Drops the first ``drop`` datagrams, then answers each with ``reply`` and its cookie."""

    def __init__(self, drop: int, reply: dict[str, bencode.Bencodable]) -> None:
        self.drop = drop
        self.reply = reply
        self.seen: list[bytes] = []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.seen.append(data)
        if len(self.seen) > self.drop:
            cookie = data.partition(b" ")[0]
            assert self.transport is not None
            self.transport.sendto(cookie + b" " + bencode.encode(self.reply), addr)


async def lossy_peer(drop: int, reply: dict[str, bencode.Bencodable]) -> LossyNgPeer:
    _, peer = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: LossyNgPeer(drop, reply), local_addr=("127.0.0.1", 0))
    return peer


def address_of(peer: LossyNgPeer) -> tuple[str, int]:
    assert peer.transport is not None
    host, port = peer.transport.get_extra_info("sockname")[:2]
    return host, port


async def test_a_lost_command_is_resent_with_the_same_cookie() -> None:
    peer = await lossy_peer(drop=2, reply={"result": "pong"})
    async with NgClient(address_of(peer), timeout=0.05, retries=3) as client:
        await client.ping()
    peer.transport and peer.transport.close()
    assert len(peer.seen) == 3
    assert len(set(peer.seen)) == 1, "every retry must be the identical datagram"
    cookie, _, body = peer.seen[0].partition(b" ")
    assert len(cookie) >= 8 and bencode.decode(body) == {b"command": b"ping"}


async def test_each_command_gets_its_own_cookie() -> None:
    peer = await lossy_peer(drop=0, reply={"result": "ok"})
    async with NgClient(address_of(peer)) as client:
        await asyncio.gather(*(client.query("c1") for _ in range(5)))
    peer.transport and peer.transport.close()
    assert len({d.partition(b" ")[0] for d in peer.seen}) == 5


async def test_error_result_raises_with_rtpengines_reason() -> None:
    peer = await lossy_peer(drop=0, reply={"result": "error", "error-reason": "Unknown call-id"})
    async with NgClient(address_of(peer)) as client:
        with pytest.raises(RtpengineError) as err:
            await client.delete("nope", from_tag="a")
    peer.transport and peer.transport.close()
    assert err.value.reason == "Unknown call-id"
    assert err.value.command == "delete"


async def test_no_answer_gives_a_timeout_after_all_retries() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, never read: no ICMP, no reply
        started = time.monotonic()
        async with NgClient(silent.getsockname(), timeout=0.05, retries=2) as client:
            with pytest.raises(RtpengineTimeout) as err:
                await client.ping()
        elapsed = time.monotonic() - started
    assert "after 3 attempts" in err.value.reason
    assert 0.14 <= elapsed < 1.0


def test_flag_presets_match_the_documented_rtpengine_options() -> None:
    assert TOWARD_WEBRTC.params() == {
        "ICE": "force", "transport-protocol": "UDP/TLS/RTP/SAVPF", "rtcp-mux": ["offer"],
        "flags": ["SDES-off"], "replace": ["origin", "session-connection"]}
    assert TOWARD_SIP.params()["ICE"] == "remove"
    assert TOWARD_SIP.params()["rtcp-mux"] == ["demux"]
    assert TOWARD_SIP.with_flags("inject DTMF").params()["flags"] == ["inject DTMF"]


def test_pool_keeps_one_client_per_rtpengine() -> None:
    pool = NgClientPool()
    first = pool.client(("127.0.0.1", 2223))
    assert pool.client(("127.0.0.1", 2223)) is first
    assert pool.client(("127.0.0.2", 2223)) is not first
    pool.close()
