"""Helpers for the dialer runtime's integration tests: the customers' audio as pcap files for
SIPp's `play_pcap_audio` (synthesised at test time by app/dialer/cpa/synth.py), the SIPp
scenarios of scenarios/, and a tenant with an agent, a trunk and a running campaign."""

from __future__ import annotations

import asyncio
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import numpy as np
import numpy.typing as npt

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.media import g711
from app.db.session import tenant_session
from app.dialer.cpa.synth import Label, make
from app.dialer.models import Lead, LeadAttempt, LeadList
from app.edge.models import Trunk
from tests.fixtures.app import TenantCtx, signup
from tests.integration.dialer.conftest import WINDOWS_ALL_DAY
from tests.integration.media.media_rtp_peer import RtpPeer, sdp_media_address
from tests.integration.seats.acd_setup import AgentCtx, agent, business

SCENARIOS = Path(__file__).parent / "scenarios"
RATE = 8000
FRAME = 160  # 20 ms of 8 kHz G.711 per RTP packet (RFC 3551 4.5.14)


def write_rtp_pcap(path: Path, pcm: npt.NDArray[np.int16], payload_type: int = 0) -> Path:
    """A pcap (Ethernet, IPv4, UDP) of 20 ms G.711 RTP packets for SIPp's play_pcap_audio,
    which re-addresses them to the SDP it was given and keeps their timing."""
    law = g711.Law.PCMU if payload_type == 0 else g711.Law.PCMA
    codes = g711.encode(pcm, law).tobytes()
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    ssrc, seq, ts = 0x5EED1234, 1000, 0
    for n, start in enumerate(range(0, len(codes) - FRAME + 1, FRAME)):
        rtp = struct.pack("!BBHII", 0x80, payload_type, seq & 0xFFFF, ts, ssrc)
        rtp += codes[start : start + FRAME]
        udp = struct.pack("!HHHH", 40000, 40002, 8 + len(rtp), 0) + rtp
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
            bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
        ) + udp  # fmt: skip
        frame = b"\x00" * 12 + b"\x08\x00" + ip
        usec = n * 20_000
        out += struct.pack("<IIII", usec // 1_000_000, usec % 1_000_000, len(frame), len(frame))
        out += frame
        seq, ts = seq + 1, ts + FRAME
    path.write_bytes(bytes(out))
    return path


def scenario(workdir: Path, name: str, **values: Any) -> str:
    """scenarios/<name>.xml with its __PLACEHOLDERS__ filled."""
    text = (SCENARIOS / f"{name}.xml").read_text()
    for key, value in values.items():
        text = text.replace(f"__{key.upper()}__", str(value))
    assert "__" not in text.replace("__init__", ""), f"unfilled placeholder in {name}"
    return text


@dataclass
class DialerTenant:
    tenant: TenantCtx
    agent: AgentCtx
    business_id: str
    trunk_id: UUID


async def dialer_tenant(client: httpx.AsyncClient, trunk_port: int) -> DialerTenant:
    """A tenant with a business, one agent (extension + ACD profile) and a carrier trunk at
    127.0.0.1:trunk_port (a SIPp customer stands behind it)."""
    tenant = await signup(client, "dial")
    sales = await business(client, tenant)
    who = await agent(client, tenant, sales)
    async with tenant_session(tenant.tenant_id) as session:
        trunk = Trunk(
            tenant_id=tenant.tenant_id, name="carrier", host="127.0.0.1", port=trunk_port,
            caller_id="+862150001000", max_channels=30,
        )  # fmt: skip
        session.add(trunk)
        await session.flush()
        trunk_id = trunk.id
    return DialerTenant(tenant, who, sales, trunk_id)


async def campaign_with_leads(
    client: httpx.AsyncClient, t: DialerTenant, phones: list[str], **fields: Any
) -> tuple[str, list[UUID]]:
    """A running progressive campaign for the agent with `phones` as its leads (inserted
    directly: imports have their own tests)."""
    body = {
        "name": f"Runtime {len(phones)} {datetime.now().timestamp()}",
        "mode": "progressive",
        "businessId": t.business_id,
        "windows": WINDOWS_ALL_DAY,
        "timezone": "UTC",
        "trunkId": str(t.trunk_id),
        "callerId": "+862150001000",
        "agentIds": [t.agent.user_id],
        "minRingSeconds": 3.0,
        "retryRules": {
            "busy": {"delayMinutes": 10, "maxAttempts": 3},
            "no_answer": {"delayMinutes": 60, "maxAttempts": 3},
            "machine": {"delayMinutes": 240, "maxAttempts": 2},
        },
    } | fields
    r = await client.post("/api/v1/dialer/campaigns/", headers=t.tenant.headers, json=body)
    assert r.status_code == 201, r.text
    campaign_id = str(r.json()["id"])
    tid = t.tenant.tenant_id
    async with tenant_session(tid) as session:
        lead_list = LeadList(
            tenant_id=tid, campaign_id=UUID(campaign_id), name="runtime", mapping={},
            status="done",
        )  # fmt: skip
        session.add(lead_list)
        await session.flush()
        leads = [
            Lead(
                tenant_id=tid,
                campaign_id=UUID(campaign_id),
                list_id=lead_list.id,
                line=i + 2,
                phone=phone,
                name=f"Lead {i}",
                fields={},
                timezone="UTC",
                outcome_counts={},
            )
            for i, phone in enumerate(phones)
        ]
        session.add_all(leads)
        await session.flush()
        ids = [lead.id for lead in leads]
    r = await client.post(f"/api/v1/dialer/campaigns/{campaign_id}/start", headers=t.tenant.headers)
    assert r.status_code in (200, 201), r.text
    return campaign_id, ids


async def lead_state(tenant_id: UUID, lead_id: UUID) -> tuple[Lead, list[LeadAttempt]]:
    from sqlalchemy import select

    async with tenant_session(tenant_id) as session:
        lead = await session.get_one(Lead, (tenant_id, lead_id))
        attempts = list(
            await session.scalars(
                select(LeadAttempt)
                .where(LeadAttempt.tenant_id == tenant_id, LeadAttempt.lead_id == lead_id)
                .order_by(LeadAttempt.started_at)
            )
        )
        session.expunge_all()
    return lead, attempts


async def wait_until(check: Callable[[], Any], limit: float = 30.0, step: float = 0.1) -> Any:
    """Poll an async or plain check until it returns something truthy."""
    loop = asyncio.get_running_loop()
    until = loop.time() + limit
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > until:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step)


def seconds_of(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def the_call(b2bua: B2bua) -> CallSession | None:
    return next((s for s in b2bua.sessions.values() if s.call.direction == "outbound"), None)


async def speak_when_answered(b2bua: B2bua, peer: RtpPeer, label: Label) -> float:
    """The callee's audio from a Python RTP peer (the SDP of scenarios/customer_listens*.xml
    names its port, so it also counts what it hears): once our INVITE names rtpengine's port
    and the callee answered, the peer speaks `label`; returns the loop time when its audio
    (for a machine: its beep) ends."""
    session = await wait_until(lambda: the_call(b2bua), limit=30)
    await wait_until(lambda: session.legs.get("c") and session.legs["c"].local_sdp, limit=10)
    peer.remote = sdp_media_address(session.legs["c"].local_sdp)
    await wait_until(lambda: session.call.answered_at is not None, limit=10)
    sample = make(label, 4)
    started = asyncio.get_running_loop().time()
    await peer.send_audio(g711.encode(sample.pcm, g711.Law.PCMU).tobytes())
    return started + sample.meta.get("beep_end", sample.pcm.size / 8000)
