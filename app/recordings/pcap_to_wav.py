"""Turn an rtpengine pcap recording into a stereo WAV: customer LEFT, agent RIGHT.

rtpengine 10.5 (``--recording-method=pcap``) writes ``pcaps/<call-id>-<rand>.pcap`` holding the
packets it RECEIVED from each endpoint, as raw IP (linktype 101; ``--recording-format=eth`` gives
Ethernet, linktype 1), and ``metadata/rtpengine-meta-<same>.txt`` with every SDP it handed out.
Neither names the SIP tags, so a side is recognised by what the pcap does show:

- the destination port: the rtpengine port the customer sends to, i.e. the port in each SDP
  rtpengine gave TO the customer (``customer_side_from_metadata``) or the ``local port`` of the
  customer's tag in an ng ``query`` (``customer_side_from_query``); this survives NAT;
- or the customer's source address, or its SSRCs.

Everything else that is G.711 audio is the agent side. Telephone-events, comfort noise and RTCP
are skipped. The function is pure (files in, file out) so that a Dramatiq actor can retry it.
"""

from __future__ import annotations

import ipaddress
import re
import struct
import wave
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from app.callcontrol.media.g711 import ALAW_TO_PCM, ULAW_TO_PCM

SAMPLE_RATE = 8000
# RFC 3551 6: static payload types 0 = PCMU, 8 = PCMA.
G711_TABLES: Mapping[int, npt.NDArray[np.int16]] = {0: ULAW_TO_PCM, 8: ALAW_TO_PCM}
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
# If RTP timestamps and arrival times disagree by more than this, the sender restarted its clock.
REANCHOR_SAMPLES = SAMPLE_RATE


class PcapFormatError(ValueError):
    """The file is not a pcap we can read (bad magic, unsupported link type, truncated)."""


@dataclass(frozen=True)
class CustomerSide:
    """What identifies the customer's packets; a packet matching any field is the customer's."""

    rtpengine_ports: frozenset[int] = frozenset()
    addresses: frozenset[tuple[str, int]] = frozenset()
    ssrcs: frozenset[int] = frozenset()

    def matches(self, packet: RtpPacket) -> bool:
        return (packet.dst[1] in self.rtpengine_ports or packet.src in self.addresses
                or packet.ssrc in self.ssrcs)


@dataclass(frozen=True)
class RecordingInfo:
    path: Path
    duration_s: float
    sample_rate: int
    customer_packets: int
    agent_packets: int
    skipped_packets: int
    customer_ssrcs: frozenset[int]
    agent_ssrcs: frozenset[int]


@dataclass(frozen=True)
class RtpPacket:
    arrival: float
    src: tuple[str, int]
    dst: tuple[str, int]
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes


@dataclass(frozen=True)
class SdpBlock:
    mode: str  # "offer" or "answer": the ng command whose reply carried this SDP
    ports: tuple[int, ...]


@dataclass(frozen=True)
class RecordingMetadata:
    pcap_path: str
    sdps: tuple[SdpBlock, ...]
    user_metadata: str
    extra: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------- pcap reading


def read_pcap(path: Path) -> Iterator[tuple[float, int, bytes]]:
    """(arrival seconds, linktype, frame) for each record of a classic libpcap file."""
    data = path.read_bytes()
    if len(data) < 24:
        raise PcapFormatError(f"{path}: too short for a pcap header")
    endian, ts_divisor = _pcap_byte_order(data[:4], path)
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[offset:offset + 16])
        offset += 16
        if offset + incl > len(data):
            break  # rtpengine killed mid-write: keep what is complete
        yield sec + frac / ts_divisor, linktype, data[offset:offset + incl]
        offset += incl


def _pcap_byte_order(magic: bytes, path: Path) -> tuple[str, float]:
    for endian in ("<", ">"):
        value = struct.unpack(endian + "I", magic)[0]
        if value == 0xA1B2C3D4:
            return endian, 1e6
        if value == 0xA1B23C4D:  # nanosecond-resolution variant
            return endian, 1e9
    raise PcapFormatError(f"{path}: not a libpcap file (pcapng is not supported)")


def _ip_payload(linktype: int, frame: bytes) -> bytes | None:
    if linktype == LINKTYPE_RAW:
        return frame
    if linktype == LINKTYPE_ETHERNET:
        ethertype, start = struct.unpack("!H", frame[12:14])[0], 14
        while ethertype in (0x8100, 0x88A8) and len(frame) >= start + 4:  # 802.1Q VLAN tags
            ethertype, start = struct.unpack("!H", frame[start + 2:start + 4])[0], start + 4
        return frame[start:] if ethertype in (0x0800, 0x86DD) else None
    if linktype == LINKTYPE_LINUX_SLL:
        return frame[16:]
    raise PcapFormatError(f"unsupported pcap link type {linktype}")


def _udp_datagram(packet: bytes) -> tuple[tuple[str, int], tuple[str, int], bytes] | None:
    if not packet:
        return None
    version = packet[0] >> 4
    if version == 4 and len(packet) >= 20 and packet[9] == 17:
        header = (packet[0] & 0x0F) * 4
        src_ip, dst_ip = _ipv4(packet[12:16]), _ipv4(packet[16:20])
    elif version == 6 and len(packet) >= 40 and packet[6] == 17:
        header = 40  # rtpengine writes no IPv6 extension headers
        src_ip, dst_ip = _ipv6(packet[8:24]), _ipv6(packet[24:40])
    else:
        return None
    udp = packet[header:]
    if len(udp) < 8:
        return None
    sport, dport, length = struct.unpack("!HHH", udp[:6])
    return (src_ip, sport), (dst_ip, dport), udp[8:length] if length >= 8 else udp[8:]


def _ipv4(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _ipv6(raw: bytes) -> str:
    return str(ipaddress.IPv6Address(raw))


def _rtp(arrival: float, src: tuple[str, int], dst: tuple[str, int],
         data: bytes) -> RtpPacket | None:
    # RFC 3550 5.1: version 2; RFC 5761 4: payload types 72-76 on a muxed port are RTCP.
    if len(data) < 12 or data[0] >> 6 != 2 or 72 <= (data[1] & 0x7F) <= 76:
        return None
    csrc = data[0] & 0x0F
    start = 12 + 4 * csrc
    if data[0] & 0x10:  # RFC 3550 5.3.1 header extension
        if len(data) < start + 4:
            return None
        start += 4 + 4 * struct.unpack("!H", data[start + 2:start + 4])[0]
    end = len(data)
    if data[0] & 0x20 and end > start:  # RFC 3550 5.1 padding: last byte counts it
        end -= data[-1]
    seq, ts, ssrc = struct.unpack("!HII", data[2:12])
    return RtpPacket(arrival, src, dst, data[1] & 0x7F, seq, ts, ssrc, data[start:end])


def read_rtp_packets(pcap_path: Path) -> list[RtpPacket]:
    packets = []
    for arrival, linktype, frame in read_pcap(pcap_path):
        ip = _ip_payload(linktype, frame)
        udp = _udp_datagram(ip) if ip is not None else None
        rtp = _rtp(arrival, *udp) if udp is not None else None
        if rtp is not None:
            packets.append(rtp)
    return packets


# ---------------------------------------------------------------------------- placing audio


def _place_stream(packets: list[RtpPacket], origin: float, table_for: Mapping[int, Any],
                  track: list[tuple[int, npt.NDArray[np.int16]]]) -> None:
    """Lay one SSRC's packets on the timeline by RTP timestamp, anchored at first arrival.

    The RTP timestamp (RFC 3550 5.1) places samples exactly; arrival time only anchors the
    stream against the other side and catches a sender that restarts its clock.
    """
    seen: set[tuple[int, int]] = set()
    anchor: int | None = None
    base_ts = 0
    last_ts: int | None = None
    unwrapped = 0
    for packet in sorted(packets, key=lambda p: p.arrival):
        # A duplicate has the same sequence AND timestamp; sequence alone wraps every 21 min.
        key = (packet.sequence, packet.timestamp)
        if key in seen:
            continue
        seen.add(key)
        if last_ts is not None:
            unwrapped += (packet.timestamp - last_ts + 2**31) % 2**32 - 2**31  # 32-bit wrap
        last_ts = packet.timestamp
        arrival_pos = round((packet.arrival - origin) * SAMPLE_RATE)
        if anchor is None or abs(anchor + unwrapped - base_ts - arrival_pos) > REANCHOR_SAMPLES:
            anchor, base_ts = arrival_pos, unwrapped
        position = max(0, anchor + unwrapped - base_ts)
        samples = table_for[packet.payload_type][np.frombuffer(packet.payload, np.uint8)]
        track.append((position, samples))


def _render(track: list[tuple[int, npt.NDArray[np.int16]]],
            length: int) -> npt.NDArray[np.int32]:
    out = np.zeros(length, dtype=np.int32)
    for position, samples in track:
        out[position:position + samples.size] += samples  # two SSRCs at once: sum them
    return out


def convert_pcap_to_stereo_wav(pcap_path: Path, out_path: Path, customer: CustomerSide,
                               payload_types: Mapping[int, str] | None = None) -> RecordingInfo:
    """Decode the G.711 audio of ``pcap_path`` into a 16-bit 8 kHz stereo WAV at ``out_path``.

    ``payload_types`` maps extra dynamic PTs to "PCMU"/"PCMA" when an SDP used them.
    """
    tables: dict[int, Any] = dict(G711_TABLES)
    for pt, name in (payload_types or {}).items():
        tables[pt] = ULAW_TO_PCM if name.upper() == "PCMU" else ALAW_TO_PCM
    packets = read_rtp_packets(pcap_path)
    audio = [p for p in packets if p.payload_type in tables and p.payload]
    origin = min((p.arrival for p in audio), default=0.0)
    sides: tuple[dict[int, list[RtpPacket]], dict[int, list[RtpPacket]]] = ({}, {})
    for packet in audio:
        side = sides[0] if customer.matches(packet) else sides[1]
        side.setdefault(packet.ssrc, []).append(packet)
    tracks: list[list[tuple[int, npt.NDArray[np.int16]]]] = [[], []]
    for side, track in zip(sides, tracks, strict=True):
        for stream in side.values():
            _place_stream(stream, origin, tables, track)
    length = max((pos + s.size for t in tracks for pos, s in t), default=0)
    stereo = np.stack([_render(t, length) for t in tracks], axis=1)
    _write_wav(out_path, np.clip(stereo, -32768, 32767).astype("<i2"))
    return RecordingInfo(
        path=out_path, duration_s=length / SAMPLE_RATE, sample_rate=SAMPLE_RATE,
        customer_packets=sum(len(s) for s in sides[0].values()),
        agent_packets=sum(len(s) for s in sides[1].values()),
        skipped_packets=len(packets) - len(audio),
        customer_ssrcs=frozenset(sides[0]), agent_ssrcs=frozenset(sides[1]),
    )


def _write_wav(path: Path, interleaved: npt.NDArray[np.int16]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with wave.open(str(tmp), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(interleaved.tobytes())
    tmp.replace(path)  # a retried job never leaves a half-written WAV under the final name


# ---------------------------------------------------------------------------- finding the customer


_SDP_MODE = re.compile(r"^SDP mode: (\w+)\s*$", re.M)
_M_LINE = re.compile(r"^m=audio (\d+) ", re.M)


def read_rtpengine_metadata(path: Path) -> RecordingMetadata:
    """Parse rtpengine 10.5's metadata file: the pcap path, each SDP it sent, our metadata."""
    text = path.read_text(errors="replace")
    first_line, _, _ = text.partition("\n")
    blocks = []
    modes = list(_SDP_MODE.finditer(text))
    for i, mode in enumerate(modes):
        end = modes[i + 1].start() if i + 1 < len(modes) else len(text)
        body = text[mode.end():end]
        blocks.append(SdpBlock(mode.group(1), tuple(int(p) for p in _M_LINE.findall(body))))
    extra = dict(re.findall(r"^(call start time|call end time): (.+)$", text, re.M))
    # Our ``metadata`` (start recording) is written last, after the call end time and a blank line.
    tail = text.split("call end time:", 1)[1].split("\n", 1)[1] if "call end time:" in text else ""
    return RecordingMetadata(first_line.strip(), tuple(blocks), tail.strip(), extra)


def metadata_path_for(pcap_path: Path) -> Path:
    """rtpengine names the metadata after the pcap: pcaps/X.pcap -> metadata/rtpengine-meta-X.txt.

    The file moves from tmp/ to metadata/ only on ``stop recording`` or at the call's end.
    """
    return pcap_path.parent.parent / "metadata" / f"rtpengine-meta-{pcap_path.stem}.txt"


def customer_side_from_sdp(*sdps: str) -> CustomerSide:
    """The customer sends to the ports of the SDPs rtpengine produced for it (all of them: a
    caller who is not re-INVITEd after the agent is bridged keeps its first port)."""
    return CustomerSide(rtpengine_ports=frozenset(
        int(port) for sdp in sdps for port in _M_LINE.findall(sdp)))


def customer_side_from_metadata(metadata: RecordingMetadata,
                                customer_offered: bool = True) -> CustomerSide:
    """The ports rtpengine gave the customer, hence the ports its packets arrive on.

    An ``offer`` reply goes to the called party and an ``answer`` reply to the caller (the
    from-tag). So for an inbound call, where the customer's INVITE was the offer, the customer
    sends to the ports of the ``answer`` SDPs; for a dialer call, to those of the ``offer`` SDPs.
    rtpengine 10.5 writes only the SDPs of offers/answers made WHILE recording: start recording
    in the first offer (flag ``record call``), or use ``customer_side_from_query``/``_sdp``.
    """
    wanted = "answer" if customer_offered else "offer"
    ports = {port for block in metadata.sdps if block.mode == wanted for port in block.ports}
    return CustomerSide(rtpengine_ports=frozenset(ports))


def customer_side_from_query(reply: Mapping[str, Any], customer_tag: str) -> CustomerSide:
    """Ports, addresses and SSRCs of ``customer_tag`` from an ng ``query`` reply (before delete)."""
    ports: set[int] = set()
    addresses: set[tuple[str, int]] = set()
    ssrcs: set[int] = set()
    for media in reply.get("tags", {}).get(customer_tag, {}).get("medias", []):
        for stream in media.get("streams", []):
            if "RTP" not in stream.get("flags", []):
                continue
            ports.add(int(stream["local port"]))
            endpoint = stream.get("endpoint", {})
            if endpoint.get("port"):
                addresses.add((str(endpoint["address"]), int(endpoint["port"])))
            if stream.get("SSRC"):
                ssrcs.add(int(stream["SSRC"]))
    return CustomerSide(frozenset(ports), frozenset(addresses), frozenset(ssrcs))
