"""The dialer's ear: a UDP socket that rtpengine sends the callee's RTP to (DIAL-3).

An outbound dialer call starts with no agent. Its rtpengine call is offered FROM this socket
(from-tag "a", the side an agent takes over later), so once the callee's 183 (early media) or
200 SDP is given to rtpengine as the answer, rtpengine forwards the callee's audio here: no fork,
no `subscribe`, no second port. The payload is G.711 (PT 0 µ-law, PT 8 A-law, RFC 3551);
telephone-events and anything else are ignored. Decoded 20 ms int16 frames go to a queue that
the call's flow feeds to `app/dialer/cpa` detectors.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import cast

import numpy as np

from app.callcontrol.media import g711

_LAWS = {0: g711.Law.PCMU, 8: g711.Law.PCMA}


def tap_sdp(host: str, port: int) -> str:
    """The offer rtpengine gets from the tap: G.711 only (what the detectors decode)."""
    return (
        "v=0\r\n"
        f"o=- 1 1 IN IP4 {host}\r\n"
        "s=fastline-cpa\r\n"
        f"c=IN IP4 {host}\r\n"
        "t=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 8 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
        "a=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-15\r\n"
        "a=sendrecv\r\n"
    )


class CpaTap(asyncio.DatagramProtocol):
    """One call's ear. `open()`, give `sdp` to rtpengine, `read()` audio, `close()`."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.audio: asyncio.Queue[np.ndarray] = asyncio.Queue()
        self.packets = 0
        self.host = "127.0.0.1"
        self.port = 0

    @classmethod
    async def open(cls, host: str = "127.0.0.1") -> CpaTap:
        loop = asyncio.get_running_loop()
        transport, tap = await loop.create_datagram_endpoint(cls, local_addr=(host, 0))
        tap.transport = transport  # connection_made runs a loop iteration later
        tap.host = host
        tap.port = int(transport.get_extra_info("sockname")[1])
        return tap

    @property
    def sdp(self) -> str:
        return tap_sdp(self.host, self.port)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:
            self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if len(data) < 12 or data[0] >> 6 != 2:
            return  # not RTP v2 (RFC 3550 5.1)
        first, second = struct.unpack_from("!BB", data)
        law = _LAWS.get(second & 0x7F)
        if law is None:
            return
        start = 12 + 4 * (first & 0x0F)
        end = len(data)
        if first & 0x20 and end > start:  # padding: the last octet counts it
            end -= data[-1]
        if first & 0x10:  # header extension (RFC 3550 5.3.1)
            if end < start + 4:
                return
            start += 4 + 4 * struct.unpack_from("!H", data, start + 2)[0]
        if end <= start:
            return
        self.packets += 1
        self.audio.put_nowait(g711.decode(data[start:end], law))

    def drain(self) -> None:
        """Forget audio heard so far (early media, before the answer detector starts)."""
        while not self.audio.empty():
            self.audio.get_nowait()

    async def read(self, within: float) -> np.ndarray | None:
        """The next packet's samples, or None if nothing came within `within` s."""
        try:
            return await asyncio.wait_for(self.audio.get(), within)
        except TimeoutError:
            return None

    def close(self) -> None:
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.close()
            self.transport = None
