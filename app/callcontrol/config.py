"""callcontrol settings, from FASTLINE_CALLCONTROL_* (and FASTLINE_RTPENGINE_*) environment.

Kept beside the process that reads them rather than in app/settings.py: only callcontrol (and the
recording actor, for the capture folder) needs them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.settings import ROOT


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FASTLINE_{name}", default)


def _addr(text: str) -> tuple[str, int] | None:
    """`host:port` to a tuple; empty means none."""
    if not text:
        return None
    host, _, port = text.rpartition(":")
    return (host or "127.0.0.1", int(port))


def _csv(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class CallcontrolConfig:
    # Where our SIP endpoint listens (UDP and TCP); also the address in Via and Contact.
    sip_host: str = field(default_factory=lambda: _env("CALLCONTROL_SIP_HOST", "127.0.0.1"))
    sip_port: int = field(default_factory=lambda: int(_env("CALLCONTROL_SIP_PORT", "5070")))
    # Every INVITE we originate goes through this proxy (Kamailio), `host:port`; empty: direct.
    outbound_proxy: tuple[str, int] | None = field(
        default_factory=lambda: _addr(_env("CALLCONTROL_OUTBOUND_PROXY", "127.0.0.1:5060"))
    )
    # Trunk calls through the proxy too (Kamailio's contract); off only to test without it.
    trunks_via_proxy: bool = field(
        default_factory=lambda: _env("CALLCONTROL_TRUNKS_VIA_PROXY", "1") == "1"
    )
    # Sources whose X-Fastline-* headers we believe (Kamailio's addresses).
    trusted_proxies: frozenset[str] = field(
        default_factory=lambda: _csv(_env("CALLCONTROL_TRUSTED_PROXIES", "127.0.0.1"))
    )
    rtpengine_ng: tuple[str, int] = field(
        default_factory=lambda: _addr(_env("RTPENGINE_NG", "127.0.0.1:2223")) or ("", 0)
    )
    # rtpengine's --dtmf-log-dest: we listen there.
    dtmf_listen: tuple[str, int] = field(
        default_factory=lambda: _addr(_env("RTPENGINE_DTMF", "127.0.0.1:2225")) or ("", 0)
    )
    # rtpengine's --recording-dir (pcap method, scripts/rtpengine.sh puts it under
    # FASTLINE_RTPENGINE_DIR); the recording actor reads pcaps/ below it.
    recording_dir: Path = field(
        default_factory=lambda: (
            Path(_env("RTPENGINE_DIR", str(ROOT / "var" / "rtpengine"))).resolve() / "recordings"
        )
    )
    prompt_dir: Path = field(
        default_factory=lambda: Path(_env("CALLCONTROL_PROMPT_DIR", str(ROOT / "var" / "prompts")))
    )
    ring_timeout: float = field(
        default_factory=lambda: float(_env("CALLCONTROL_RING_TIMEOUT", "30"))
    )
    # How long the IVR waits for the caller's digit after the prompt.
    digit_timeout: float = field(
        default_factory=lambda: float(_env("CALLCONTROL_DIGIT_TIMEOUT", "5"))
    )
    record_calls: bool = field(default_factory=lambda: _env("CALLCONTROL_RECORD", "1") == "1")
    # Offer ICE + DTLS-SRTP to extensions of seat_type "webrtc" (browser seats), plain RTP to
    # "sip" and "gateway" seats. Off only where every phone speaks plain RTP (test rigs).
    webrtc_seats: bool = field(default_factory=lambda: _env("CALLCONTROL_WEBRTC_SEATS", "1") == "1")


def get_config() -> CallcontrolConfig:
    return CallcontrolConfig()
