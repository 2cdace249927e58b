"""SIP phones for call-control tests: seats the B2BUA rings, a caller, and ears (FFT).

`Phones` listens where the B2BUA sends its INVITEs (the outbound-proxy port) and answers for
every extension it has an `RtpPeer` for: at once, with that peer's SDP (or, for a late-offer
INVITE, with an offer, taking the answer from the ACK); it follows re-INVITEs and answers BYE.
`Caller` places a seat call (with the X-Fastline headers a trusted edge adds) from its own
peer. Each peer speaks its own tone; `tones_heard` says which tones a peer received, stream
by stream (rtpengine's music on hold is a second SSRC beside the live audio).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import numpy as np

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.media.g711 import Law, decode
from app.callcontrol.media.tones import band_energy
from app.callcontrol.sip.dialog import Dialog, answer_invite, invite, new_call_id, new_request
from app.callcontrol.sip.message import Address, SipUri
from app.callcontrol.sip.transaction import ServerTransaction
from app.callcontrol.sip.transport import SipEndpoint
from app.db.session import tenant_session
from app.lib.redis import get_redis
from app.seats.cti_commands import CommandReply, call_command
from app.seats.services import create_extension
from tests.integration.calls.conftest import Line
from tests.integration.calls.test_inbound_call import wait_for
from tests.integration.media.media_rtp_peer import (
    RtpPeer,
    build_rtp,
    plain_sdp,
    sdp_media_address,
    tone_ulaw,
)

SDP = "application/sdp"
CUSTOMER, AGENT, THIRD = 500.0, 1100.0, 1700.0  # who speaks which tone (Hz)
HOLD_MUSIC = (392.0, 659.25)  # app/callcontrol/control.py HOLD_TONES


@dataclass
class Phones:
    port: int
    peers: dict[str, RtpPeer] = field(default_factory=dict)
    byes: list[str] = field(default_factory=list)  # extensions that were hung up on
    answered: list[str] = field(default_factory=list)
    offers: dict[str, list[str]] = field(default_factory=dict)  # extension -> INVITE SDPs
    endpoint: SipEndpoint | None = None
    dialogs: dict[str, Dialog] = field(default_factory=dict)
    _calls: dict[str, str] = field(default_factory=dict)  # SIP Call-ID -> extension

    async def start(self) -> Phones:
        self.endpoint = SipEndpoint("127.0.0.1", self.port, handler=self._on_request)
        await self.endpoint.start()
        return self

    async def add(self, extension: str) -> RtpPeer:
        self.peers[extension] = peer = await RtpPeer.open()
        return peer

    async def hang_up(self, ext: str) -> int:
        """The phone of `ext` hangs up (BYE); the final status of the BYE."""
        assert self.endpoint is not None
        dialog = self.dialogs.pop(ext)
        self.peers[ext].remote = None
        tx = await self.endpoint.send_request(dialog.bye(), dialog.next_hop())
        return (await tx.final).status

    async def close(self) -> None:
        for peer in self.peers.values():
            peer.close()
        if self.endpoint is not None:
            await self.endpoint.close()

    async def _on_request(self, tx: ServerTransaction) -> None:
        req = tx.request
        ext = req.uri.user or "" if not req.to.tag else self._calls.get(req.call_id, "")
        peer = self.peers.get(ext)
        if peer is None:
            tx.respond(tx.response(404 if req.method == "INVITE" else 481))
            return
        if req.method == "BYE":
            self.byes.append(ext)
            peer.remote = None
            tx.respond(tx.response(200))
        elif req.method == "INVITE":
            await self._answer(tx, ext, peer)
        else:
            tx.respond(tx.response(200))

    async def _answer(self, tx: ServerTransaction, ext: str, peer: RtpPeer) -> None:
        assert self.endpoint is not None
        req = tx.request
        if req.body:
            self.offers.setdefault(ext, []).append(req.body.decode())
            peer.remote = sdp_media_address(req.body.decode())
        if not req.to.tag:
            self._calls[req.call_id] = ext
            self.dialogs[ext] = Dialog.as_uas(req, tx.to_tag, self.endpoint.contact(ext))
            tx.respond(tx.response(180))
        contact = self.endpoint.contact(ext)
        ok = tx.response(
            200,
            body=plain_sdp(peer.port).encode(),
            content_type=SDP,
            extra=[("Contact", str(contact))],
        )
        ack = await answer_invite(self.endpoint, tx, ok)
        if ack is not None and ack.body:  # late offer: the answer is in the ACK
            peer.remote = sdp_media_address(ack.body.decode())
        if not req.to.tag:
            self.answered.append(ext)


@dataclass
class Caller:
    """A seat (extension `ext`) calling another extension of its tenant through the B2BUA."""

    ext: str
    peer: RtpPeer
    endpoint: SipEndpoint
    dialog: Dialog | None = None
    hung_up: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def open(cls, ext: str) -> Caller:
        peer = await RtpPeer.open()
        caller: Caller

        async def on_request(tx: ServerTransaction) -> None:
            if tx.request.method == "BYE":
                caller.hung_up.set()
                peer.remote = None
            elif tx.request.method == "INVITE" and tx.request.body:
                peer.remote = sdp_media_address(tx.request.body.decode())
            tx.respond(tx.response(200))

        endpoint = SipEndpoint("127.0.0.1", 0, handler=on_request)
        await endpoint.start()
        caller = cls(ext, peer, endpoint)
        return caller

    async def call(self, tenant_id: UUID, callee: str, b2bua_port: int) -> None:
        headers = [
            ("X-Fastline-Tenant", str(tenant_id)),
            ("X-Fastline-Source", "seat"),
            ("X-Fastline-Ext", self.ext),
        ]
        request = new_request(
            "INVITE",
            SipUri(user=callee, host="127.0.0.1", port=b2bua_port),
            from_=Address(SipUri(user=self.ext, host="127.0.0.1")),
            to=Address(SipUri(user=callee, host="127.0.0.1")),
            call_id=new_call_id("127.0.0.1"),
            cseq=1,
            contact=self.endpoint.contact(self.ext),
            body=plain_sdp(self.peer.port).encode(),
            content_type=SDP,
            extra=headers,
        )
        result = await invite(self.endpoint, request, ("127.0.0.1", b2bua_port))
        assert result.response.status == 200, result.response.status
        self.dialog = result.dialog
        self.peer.remote = sdp_media_address(result.response.body.decode())

    async def close(self) -> None:
        self.peer.close()
        await self.endpoint.close()


class Talking:
    """Every given peer sends its tone, continuously, until closed."""

    def __init__(self, *voices: tuple[RtpPeer, float]) -> None:
        self.tasks = [asyncio.ensure_future(self._speak(p, f)) for p, f in voices]

    @staticmethod
    async def _speak(peer: RtpPeer, freq: float) -> None:
        # Whole cycles per second: the 1 s buffer loops without a phase jump.
        audio = tone_ulaw(freq, 1.0)
        loop = asyncio.get_running_loop()
        start, n = loop.time(), 0
        while True:
            # A phone stops sending when it is hung up on (remote cleared on BYE).
            if peer.remote is not None and peer.transport is not None:
                offset = (n % 50) * 160
                packet = build_rtp(0, peer.seq, peer.ts, peer.ssrc, audio[offset : offset + 160])
                peer.transport.sendto(packet, peer.remote)
                peer.seq = (peer.seq + 1) & 0xFFFF
            peer.ts += 160
            n += 1
            await asyncio.sleep(max(0.0, start + n * 0.02 - loop.time()))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def listen(peer: RtpPeer, seconds: float = 0.8, settle: float = 0.3) -> set[float]:
    """Wait `settle` s (jitter buffers, re-association), then the tones heard for `seconds`."""
    await asyncio.sleep(settle)
    start = asyncio.get_running_loop().time()
    await asyncio.sleep(seconds)
    return tones_heard(peer, start)


CANDIDATES = (CUSTOMER, AGENT, THIRD, *HOLD_MUSIC)


def tones_heard(peer: RtpPeer, since: float, threshold: float = 0.02) -> set[float]:
    """Candidate tones carrying at least `threshold` of some received stream's energy."""
    streams: dict[int, list[bytes]] = {}
    for packet in peer.received:
        if packet.arrived >= since and packet.payload_type == 0:
            streams.setdefault(packet.ssrc, []).append(packet.payload)
    heard: set[float] = set()
    for payloads in streams.values():
        if len(payloads) < 10:
            continue
        pcm = decode(b"".join(payloads), Law.PCMU).astype(np.int32)
        total = float(np.sum(np.abs(np.fft.rfft(pcm * np.hanning(pcm.size))) ** 2)) or 1.0
        heard |= {f for f in CANDIDATES if band_energy(pcm, f, width=15) / total >= threshold}
    return heard


@dataclass
class LiveCall:
    """Seat 102 (the customer side) called seat 101 (the agent); both talk."""

    line: Line
    phones: Phones
    caller: Caller
    session: CallSession

    @property
    def key(self) -> str:
        return self.session.call.key

    async def command(self, name: str, **args: Any) -> CommandReply:
        args.setdefault("callId", self.key)
        args.setdefault("extension", "101")
        return await call_command(get_redis(), self.line.tenant.tenant_id, name, args)


async def place_call(b2bua: B2bua, line: Line, phones: Phones, *more_seats: str) -> LiveCall:
    async with tenant_session(line.tenant.tenant_id) as db:
        for number in more_seats:
            await create_extension(db, line.tenant.tenant_id, number, f"Seat-Pass-{number}")
    await phones.add("101")
    for number in more_seats:
        await phones.add(number)
    caller = await Caller.open("102")
    await caller.call(line.tenant.tenant_id, "101", b2bua.endpoint.port)
    await wait_for(lambda: bool(b2bua.sessions), limit=5)
    session = next(s for s in b2bua.sessions.values())
    await wait_for(lambda: session.call.state == "bridged", limit=5)
    return LiveCall(line, phones, caller, session)
