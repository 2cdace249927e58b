"""SDP (RFC 4566) parse/build and the offer/answer rules we need (RFC 3264) for G.711 calls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
# RFC 3264 6.1: the answer's direction mirrors the offer's.
_ANSWER_DIRECTION = {
    "sendrecv": "sendrecv",
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "inactive": "inactive",
}
STATIC_PAYLOADS = {"0": ("PCMU", 8000), "8": ("PCMA", 8000)}  # RFC 3551 table 4


class SdpError(ValueError):
    pass


@dataclass(slots=True)
class Origin:
    username: str = "-"
    session_id: str = "0"
    version: int = 0
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"  # noqa: S104 - an SDP value, not a bind address

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.version} "
            f"{self.nettype} {self.addrtype} {self.address}"
        )


@dataclass(slots=True)
class Media:
    kind: str
    port: int
    proto: str
    formats: list[str]
    connection: str | None = None  # address of c= at media level
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # b=, i=, k= lines kept verbatim

    def attribute(self, name: str) -> str | None:
        return next((v for n, v in self.attributes if n == name), None)

    def attribute_values(self, name: str) -> list[str]:
        return [v for n, v in self.attributes if n == name and v is not None]

    @property
    def direction(self) -> str:
        for name, _ in self.attributes:
            if name in DIRECTIONS:
                return name
        return "sendrecv"  # RFC 4566 6: the default

    @direction.setter
    def direction(self, value: str) -> None:
        if value not in DIRECTIONS:
            raise SdpError(f"bad direction {value}")
        self.attributes = [(n, v) for n, v in self.attributes if n not in DIRECTIONS]
        self.attributes.append((value, None))

    def rtpmap(self) -> dict[str, tuple[str, int]]:
        """Payload type -> (encoding, clock rate), static types filled in (RFC 3551)."""
        out: dict[str, tuple[str, int]] = {
            pt: STATIC_PAYLOADS[pt] for pt in self.formats if pt in STATIC_PAYLOADS
        }
        for value in self.attribute_values("rtpmap"):
            pt, _, rest = value.partition(" ")
            enc, _, rate = rest.partition("/")
            rate_text = rate.split("/")[0]
            if rate_text.isdigit():
                out[pt] = (enc, int(rate_text))
        return out

    def fmtp(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for value in self.attribute_values("fmtp"):
            pt, _, params = value.partition(" ")
            out[pt] = params
        return out


@dataclass(slots=True)
class SessionDescription:
    origin: Origin = field(default_factory=Origin)
    name: str = "-"
    connection: str | None = None
    timing: str = "0 0"
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    version: int = 0
    other: list[str] = field(default_factory=list)

    def connection_for(self, media: Media) -> str | None:
        return media.connection or self.connection

    def to_bytes(self) -> bytes:
        lines = [f"v={self.version}", f"o={self.origin}", f"s={self.name}"]
        lines += self.other
        if self.connection:
            lines.append(f"c=IN {_addrtype(self.connection)} {self.connection}")
        lines.append(f"t={self.timing}")
        lines += [_attr_line(n, v) for n, v in self.attributes]
        for m in self.media:
            lines.append(f"m={m.kind} {m.port} {m.proto} {' '.join(m.formats)}")
            lines += m.other
            if m.connection:
                lines.append(f"c=IN {_addrtype(m.connection)} {m.connection}")
            lines += [_attr_line(n, v) for n, v in m.attributes]
        return ("\r\n".join(lines) + "\r\n").encode()


def _addrtype(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


def _attr_line(name: str, value: str | None) -> str:
    return f"a={name}" if value is None else f"a={name}:{value}"


def parse_sdp(data: bytes | str) -> SessionDescription:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    sdp = SessionDescription()
    current: Media | None = None
    seen_v = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"bad SDP line {line[:40]!r}")
        kind, value = line[0], line[2:]
        if kind == "v":
            seen_v = True
            sdp.version = int(value) if value.isdigit() else 0
        elif kind == "o":
            sdp.origin = _parse_origin(value)
        elif kind == "s":
            sdp.name = value
        elif kind == "t":
            sdp.timing = value
        elif kind == "c":
            address = _parse_connection(value)
            if current is None:
                sdp.connection = address
            else:
                current.connection = address
        elif kind == "m":
            current = _parse_media(value)
            sdp.media.append(current)
        elif kind == "a":
            name, colon, val = value.partition(":")
            attrs = sdp.attributes if current is None else current.attributes
            attrs.append((name, val if colon else None))
        else:
            (sdp.other if current is None else current.other).append(line)
    if not seen_v:
        raise SdpError("missing v= line")
    return sdp


def _parse_origin(value: str) -> Origin:
    parts = value.split()
    if len(parts) != 6 or not parts[2].isdigit():
        raise SdpError("bad o= line")
    return Origin(parts[0], parts[1], int(parts[2]), parts[3], parts[4], parts[5])


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN":
        raise SdpError("bad c= line")
    return parts[2].split("/")[0]


def _parse_media(value: str) -> Media:
    parts = value.split()
    if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
        raise SdpError("bad m= line")
    return Media(parts[0], int(parts[1].split("/")[0]), parts[2], parts[3:])


# --------------------------------------------------------------------------- offer/answer


def build_offer(
    address: str,
    port: int,
    *,
    payloads: Iterable[int] = (0, 8),
    dtmf_payload: int | None = 101,
    direction: str = "sendrecv",
    session_id: str = "1",
    version: int = 1,
) -> SessionDescription:
    formats = [str(p) for p in payloads]
    media = Media("audio", port, "RTP/AVP", formats)
    for pt in formats:
        if pt in STATIC_PAYLOADS:
            enc, rate = STATIC_PAYLOADS[pt]
            media.attributes.append(("rtpmap", f"{pt} {enc}/{rate}"))
    if dtmf_payload is not None:
        media.formats.append(str(dtmf_payload))
        media.attributes.append(("rtpmap", f"{dtmf_payload} telephone-event/8000"))
        media.attributes.append(("fmtp", f"{dtmf_payload} 0-16"))  # RFC 4733 events 0-16
    media.attributes.append(("ptime", "20"))
    media.direction = direction
    origin = Origin("fastline", session_id, version, "IN", _addrtype(address), address)
    return SessionDescription(origin=origin, connection=address, media=[media])


def build_answer(
    offer: SessionDescription,
    address: str,
    port: int,
    *,
    supported: Iterable[str] = ("PCMU", "PCMA"),
    session_id: str = "1",
    version: int = 1,
) -> SessionDescription | None:
    """Answer the first audio stream with G.711 (+ telephone-event); None means 488.

    RFC 3264 6: other streams are rejected with port 0; the answer keeps the offer's order of
    codecs (the offerer's preference) and mirrors its direction.
    """
    wanted = {s.upper() for s in supported}
    answered = False
    media_out: list[Media] = []
    for m in offer.media:
        if answered or m.kind != "audio" or m.port == 0 or "RTP/AVP" not in m.proto:
            media_out.append(Media(m.kind, 0, m.proto, m.formats[:1]))
            continue
        answer = _answer_audio(m, port, wanted)
        if answer is None:
            media_out.append(Media(m.kind, 0, m.proto, m.formats[:1]))
            continue
        media_out.append(answer)
        answered = True
    if not answered:
        return None
    origin = Origin("fastline", session_id, version, "IN", _addrtype(address), address)
    return SessionDescription(origin=origin, connection=address, media=media_out)


def _answer_audio(offer: Media, port: int, wanted: set[str]) -> Media | None:
    rtpmap = offer.rtpmap()
    fmtp = offer.fmtp()
    codecs = [pt for pt in offer.formats if rtpmap.get(pt, ("", 0))[0].upper() in wanted]
    if not codecs:
        return None
    events = [
        pt
        for pt in offer.formats
        if rtpmap.get(pt, ("", 0))[0].lower() == "telephone-event" and rtpmap[pt][1] == 8000
    ]
    media = Media("audio", port, offer.proto, codecs + events[:1])
    for pt in media.formats:
        enc, rate = rtpmap[pt]
        media.attributes.append(("rtpmap", f"{pt} {enc}/{rate}"))
        if pt in fmtp:
            media.attributes.append(("fmtp", f"{pt} {fmtp[pt]}"))
    media.attributes.append(("ptime", "20"))
    media.direction = _ANSWER_DIRECTION[offer.direction]
    return media


def with_direction(sdp: SessionDescription, direction: str) -> SessionDescription:
    """A copy for a re-offer: hold is 'sendonly' (RFC 3264 8.4), resume 'sendrecv'.

    The origin version goes up by one, as any change to the session requires (RFC 3264 8).
    """
    media = [
        Media(
            m.kind,
            m.port,
            m.proto,
            list(m.formats),
            m.connection,
            list(m.attributes),
            list(m.other),
        )
        for m in sdp.media
    ]
    for m in media:
        if m.port:
            m.direction = direction
    o = sdp.origin
    origin = Origin(o.username, o.session_id, o.version + 1, o.nettype, o.addrtype, o.address)
    return SessionDescription(
        origin,
        sdp.name,
        sdp.connection,
        sdp.timing,
        list(sdp.attributes),
        media,
        sdp.version,
        list(sdp.other),
    )
