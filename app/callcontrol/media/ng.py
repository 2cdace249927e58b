"""Async client for rtpengine's ng control protocol (bencode over UDP).

A message is ``<cookie> <bencoded dict>``; the reply carries the same cookie. rtpengine caches
replies by cookie, so a retry after a timeout resends the SAME cookie and datagram: a command that
did arrive is answered again from the cache instead of being run twice (an ``offer`` run twice
would allocate ports twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from app.callcontrol.media import bencode

Address = tuple[str, int]
NgValue = str | int | bytes | Sequence["NgValue"] | Mapping[str, "NgValue"]
Reply = dict[str, Any]

DEFAULT_TIMEOUT = 0.5
DEFAULT_RETRIES = 3


class RtpengineError(Exception):
    """rtpengine answered ``result: error`` (or ``load limit``); ``reason`` is its error-reason."""

    def __init__(self, command: str, reason: str, reply: Reply | None = None) -> None:
        super().__init__(f"rtpengine {command!r} failed: {reason}")
        self.command = command
        self.reason = reason
        self.reply = reply or {}


class RtpengineTimeout(RtpengineError):
    """No reply after every retry: rtpengine is down, unreachable, or overloaded."""

    def __init__(self, command: str, address: Address, attempts: int, timeout: float) -> None:
        reason = (f"no reply from {address[0]}:{address[1]} after {attempts} attempts "
                  f"of {timeout:.2f}s")
        super().__init__(command, reason)
        self.address = address


@dataclass(frozen=True)
class MediaFlags:
    """Offer/answer options that shape the SDP toward one party (merged into the ng dict)."""

    ice: str | None = None
    transport_protocol: str | None = None
    rtcp_mux: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    extra: Mapping[str, NgValue] = field(default_factory=dict)

    def params(self) -> dict[str, NgValue]:
        out: dict[str, NgValue] = dict(self.extra)
        if self.ice:
            out["ICE"] = self.ice
        if self.transport_protocol:
            out["transport-protocol"] = self.transport_protocol
        if self.rtcp_mux:
            out["rtcp-mux"] = list(self.rtcp_mux)
        if self.flags:
            out["flags"] = list(self.flags)
        if self.replace:
            out["replace"] = list(self.replace)
        return out

    def with_flags(self, *names: str) -> MediaFlags:
        return MediaFlags(self.ice, self.transport_protocol, self.rtcp_mux,
                          (*self.flags, *names), self.replace, self.extra)


# Toward a browser seat: ICE, DTLS-SRTP (no SDES keys in the SDP) and RTCP multiplexed on the
# RTP port, as WebRTC requires (RFC 8829 5.1.1, RFC 8834 5).
TOWARD_WEBRTC = MediaFlags(
    ice="force",
    transport_protocol="UDP/TLS/RTP/SAVPF",
    rtcp_mux=("offer",),
    flags=("SDES-off",),
    replace=("origin", "session-connection"),
)
# Toward a carrier trunk, an E1 gateway or a desk phone: plain RTP/AVP, no ICE, RTCP on its own
# port (RFC 3550 11) even if the other side multiplexed it.
TOWARD_SIP = MediaFlags(
    ice="remove",
    transport_protocol="RTP/AVP",
    rtcp_mux=("demux",),
    replace=("origin", "session-connection"),
)


@dataclass(frozen=True)
class SdpReply:
    sdp: str
    reply: Reply


@dataclass(frozen=True)
class SubscribeReply:
    sdp: str
    to_tag: str
    from_tags: list[str]
    reply: Reply


def _to_text(value: Any) -> Any:
    """Replies are text in practice (SDP, tags, stats); keep undecodable bytes via surrogates."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, list):
        return [_to_text(item) for item in value]
    if isinstance(value, dict):
        return {_to_text(k): _to_text(v) for k, v in value.items()}
    return value


class _NgProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.pending: dict[bytes, asyncio.Future[Reply]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector datagram transport does not subclass DatagramTransport (CPython
        # 3.11), so narrow by cast rather than isinstance.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        cookie, sep, body = data.partition(b" ")
        future = self.pending.get(cookie)
        # A late reply to a retried or abandoned command has no future any more: drop it.
        if not sep or future is None or future.done():
            return
        try:
            decoded = bencode.decode(body)
        except bencode.BencodeError as exc:
            future.set_exception(exc)
            return
        if not isinstance(decoded, dict):
            future.set_exception(bencode.BencodeError("ng reply is not a dictionary"))
            return
        future.set_result(_to_text(decoded))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable on a connected socket: nothing listens. Keep waiting, the retry
        # loop turns silence into RtpengineTimeout (rtpengine may be restarting).
        return

    def connection_lost(self, exc: Exception | None) -> None:
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("ng socket closed"))
        self.pending.clear()


class NgClient:
    """One rtpengine instance at ``address``. Safe to share between calls and tasks."""

    def __init__(self, address: Address, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = DEFAULT_RETRIES) -> None:
        self.address = address
        self.timeout = timeout
        self.retries = retries
        self._protocol: _NgProtocol | None = None
        self._opening: asyncio.Lock | None = None

    async def __aenter__(self) -> NgClient:
        await self._ensure_open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None

    async def _ensure_open(self) -> _NgProtocol:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._protocol is None:
                loop = asyncio.get_running_loop()
                _, protocol = await loop.create_datagram_endpoint(
                    _NgProtocol, remote_addr=self.address)
                self._protocol = protocol
        return self._protocol

    async def command(self, name: str, params: Mapping[str, NgValue] | None = None) -> Reply:
        """Send one ng command; return the reply dict or raise RtpengineError/RtpengineTimeout."""
        protocol = await self._ensure_open()
        message = {**(params or {}), "command": name}
        cookie = secrets.token_hex(8).encode()
        datagram = cookie + b" " + bencode.encode(message)
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        protocol.pending[cookie] = future
        try:
            reply = await self._send_until_answered(protocol, datagram, future, name)
        finally:
            protocol.pending.pop(cookie, None)
        return self._check(name, reply)

    async def _send_until_answered(self, protocol: _NgProtocol, datagram: bytes,
                                   future: asyncio.Future[Reply], name: str) -> Reply:
        attempts = 1 + self.retries
        for _ in range(attempts):
            if protocol.transport is None or protocol.transport.is_closing():
                raise ConnectionError("ng client is closed")
            protocol.transport.sendto(datagram)
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(asyncio.shield(future), self.timeout)
        future.cancel()
        raise RtpengineTimeout(name, self.address, attempts, self.timeout)

    @staticmethod
    def _check(name: str, reply: Reply) -> Reply:
        result = reply.get("result")
        if result in ("ok", "pong"):
            return reply
        reason = reply.get("error-reason") or f"result {result!r}"
        raise RtpengineError(name, str(reason), reply)

    # -- typed wrappers, one per ng command (rtpengine 10.5 control_ng.c) ----------------------

    async def ping(self) -> None:
        await self.command("ping")

    async def offer(self, call_id: str, from_tag: str, sdp: str,
                    flags: MediaFlags = TOWARD_SIP, **extra: NgValue) -> SdpReply:
        params = {**flags.params(), **_dashed(extra),
                  "call-id": call_id, "from-tag": from_tag, "sdp": sdp}
        reply = await self.command("offer", params)
        return SdpReply(reply["sdp"], reply)

    async def answer(self, call_id: str, from_tag: str, to_tag: str, sdp: str,
                     flags: MediaFlags = TOWARD_SIP, **extra: NgValue) -> SdpReply:
        params = {**flags.params(), **_dashed(extra), "call-id": call_id,
                  "from-tag": from_tag, "to-tag": to_tag, "sdp": sdp}
        reply = await self.command("answer", params)
        return SdpReply(reply["sdp"], reply)

    async def delete(self, call_id: str, from_tag: str | None = None,
                     to_tag: str | None = None, *, fatal: bool = False,
                     **extra: NgValue) -> Reply:
        """End the call (or one branch). An unknown call is only a ``warning`` in the reply,
        since a BYE racing a timeout is normal; ``fatal=True`` makes it an RtpengineError."""
        params = _call_params(call_id, from_tag, to_tag, extra)
        if fatal:
            params["flags"] = ["fatal"]
        return await self.command("delete", params)

    async def query(self, call_id: str, from_tag: str | None = None, **extra: NgValue) -> Reply:
        return await self.command("query", _call_params(call_id, from_tag, None, extra))

    async def list_calls(self, limit: int = 32) -> list[str]:
        reply = await self.command("list", {"limit": limit})
        return list(reply.get("calls", []))

    async def statistics(self) -> Reply:
        reply = await self.command("statistics")
        return dict(reply.get("statistics", reply))

    async def start_recording(self, call_id: str, from_tag: str | None = None,
                              metadata: str | None = None, **extra: NgValue) -> None:
        params = _call_params(call_id, from_tag, None, extra)
        if metadata is not None:
            params["metadata"] = metadata
        await self.command("start recording", params)

    async def stop_recording(self, call_id: str, from_tag: str | None = None,
                             **extra: NgValue) -> None:
        await self.command("stop recording", _call_params(call_id, from_tag, None, extra))

    async def block_media(self, call_id: str, from_tag: str | None = None,
                          **extra: NgValue) -> None:
        await self.command("block media", _call_params(call_id, from_tag, None, extra))

    async def unblock_media(self, call_id: str, from_tag: str | None = None,
                            **extra: NgValue) -> None:
        await self.command("unblock media", _call_params(call_id, from_tag, None, extra))

    async def silence_media(self, call_id: str, from_tag: str | None = None,
                            **extra: NgValue) -> None:
        await self.command("silence media", _call_params(call_id, from_tag, None, extra))

    async def unsilence_media(self, call_id: str, from_tag: str | None = None,
                              **extra: NgValue) -> None:
        await self.command("unsilence media", _call_params(call_id, from_tag, None, extra))

    async def block_dtmf(self, call_id: str, from_tag: str | None = None,
                         **extra: NgValue) -> None:
        await self.command("block DTMF", _call_params(call_id, from_tag, None, extra))

    async def unblock_dtmf(self, call_id: str, from_tag: str | None = None,
                           **extra: NgValue) -> None:
        await self.command("unblock DTMF", _call_params(call_id, from_tag, None, extra))

    async def play_media(self, call_id: str, from_tag: str, *, file: str | None = None,
                         blob: bytes | None = None, repeat_times: int | None = None,
                         **extra: NgValue) -> int:
        """Play a prompt TO the party ``from_tag``; return its duration in milliseconds."""
        if (file is None) == (blob is None):
            raise ValueError("play_media needs exactly one of file= or blob=")
        params = _call_params(call_id, from_tag, None, extra)
        if file is not None:
            params["file"] = file
        if blob is not None:
            params["blob"] = blob
        if repeat_times is not None:
            params["repeat-times"] = repeat_times
        reply = await self.command("play media", params)
        return int(reply.get("duration", 0))

    async def stop_media(self, call_id: str, from_tag: str, **extra: NgValue) -> None:
        await self.command("stop media", _call_params(call_id, from_tag, None, extra))

    async def play_dtmf(self, call_id: str, from_tag: str, code: str, *,
                        duration_ms: int = 100, volume_dbm0: int = 8,
                        **extra: NgValue) -> None:
        """Inject digit ``code`` as if party ``from_tag`` pressed it: the OTHER side hears it.

        Needs the ``inject DTMF`` flag in both offer and answer (it makes rtpengine transcode).
        ``volume_dbm0`` is the level below 0 dBm0, as in RFC 4733 2.3.4's volume field.
        """
        params = _call_params(call_id, from_tag, None, extra)
        params.update({"code": code, "duration": duration_ms, "volume": volume_dbm0})
        await self.command("play DTMF", params)

    async def subscribe_request(self, call_id: str, from_tags: Sequence[str],
                                flags: MediaFlags = TOWARD_SIP,
                                **extra: NgValue) -> SubscribeReply:
        """Fork the media sent by ``from_tags`` toward a new subscriber (listen-in, analysis)."""
        params = {**flags.params(), **_dashed(extra), "call-id": call_id,
                  "from-tags": list(from_tags)}
        reply = await self.command("subscribe request", params)
        return SubscribeReply(reply["sdp"], reply["to-tag"],
                              list(reply.get("from-tags", from_tags)), reply)

    async def subscribe_answer(self, call_id: str, to_tag: str, sdp: str,
                               **extra: NgValue) -> None:
        params = {**_dashed(extra), "call-id": call_id, "to-tag": to_tag, "sdp": sdp}
        await self.command("subscribe answer", params)

    async def unsubscribe(self, call_id: str, to_tag: str, **extra: NgValue) -> None:
        await self.command("unsubscribe", {**_dashed(extra), "call-id": call_id, "to-tag": to_tag})

    async def start_forwarding(self, call_id: str, from_tag: str | None = None,
                               **extra: NgValue) -> None:
        await self.command("start forwarding", _call_params(call_id, from_tag, None, extra))

    async def stop_forwarding(self, call_id: str, from_tag: str | None = None,
                              **extra: NgValue) -> None:
        await self.command("stop forwarding", _call_params(call_id, from_tag, None, extra))


def _dashed(extra: Mapping[str, NgValue]) -> dict[str, NgValue]:
    """Python keyword ``via_branch`` becomes ng key ``via-branch``."""
    return {key.replace("_", "-"): value for key, value in extra.items()}


def _call_params(call_id: str, from_tag: str | None, to_tag: str | None,
                 extra: Mapping[str, NgValue]) -> dict[str, NgValue]:
    params = _dashed(extra)
    params["call-id"] = call_id
    if from_tag is not None:
        params["from-tag"] = from_tag
    if to_tag is not None:
        params["to-tag"] = to_tag
    return params


class NgClientPool:
    """One NgClient per rtpengine address, so several media nodes can be driven at once."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, retries: int = DEFAULT_RETRIES) -> None:
        self._clients: dict[Address, NgClient] = {}
        self._timeout = timeout
        self._retries = retries

    def client(self, address: Address) -> NgClient:
        if address not in self._clients:
            self._clients[address] = NgClient(address, self._timeout, self._retries)
        return self._clients[address]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
