"""Progressive and predictive campaigns leave their message on answering machines: after the
machine's greeting and beep (DIAL-3 beep detection), the campaign's `machineText` (TTS) or
`machinePromptId` plays, then BYE; the attempt stays a "machine" one, retried by its rule,
with how long the message played. Its reserved agent is freed as soon as the machine is
recognised. Real B2BUA and rtpengine; SIPp for the callee's SIP, a Python RTP peer for its
audio (greeting + beep out, our message in, counted)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.callcontrol.b2bua import B2bua
from app.dialer.cpa.synth import Label
from app.dialer.models import LeadStatus
from app.dialer.runtime import DialerRuntime
from app.ivr_builder.tts import ensure_rendered
from app.lib.redis import get_redis
from app.seats.acd import Acd, AgentState
from tests.integration.calls.conftest import free_udp_port
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, uas_args
from tests.integration.dialer.runtime_setup import (
    campaign_with_leads,
    dialer_tenant,
    lead_state,
    scenario,
    seconds_of,
    speak_when_answered,
    wait_until,
)
from tests.integration.media.media_rtp_peer import RtpPeer

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("DIAL-3"),
    pytest.mark.feature("DIAL-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]

PHONE = "+8613912345678"
MACHINE_TEXT = "您好。这里是快线保险。我们稍后再打给您。"


async def test_an_agent_campaign_leaves_its_message_on_the_machine_after_the_beep(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    tid = t.tenant.tenant_id
    message_s = seconds_of(await ensure_rendered(tid, MACHINE_TEXT, "zh"))
    r = await client.post("/api/v1/cti/sign-in", headers=t.agent.headers, json={"ready": True})
    assert r.status_code == 200, r.text
    peer = await RtpPeer.open()
    customer = await Sipp(tmp_path, "customer", scenario(
        tmp_path, "customer_listens", ring_ms=300, media_port=peer.port,
    ), uas_args(trunk_port)).start()  # fmt: skip
    try:
        campaign_id, (lead_id,) = await campaign_with_leads(
            client, t, [PHONE], machineText=MACHINE_TEXT, messageVoice="zh"
        )
        dialer = DialerRuntime(b2bua, tenants=[tid], tick=0.2, refresh=0.5)
        runtime.append(dialer)
        dialer.start()
        beep_end = await speak_when_answered(b2bua, peer, Label.MACHINE)
        await wait_until(lambda: bool(dialer.finished), limit=60)
        run = await customer.wait()
        assert run.returncode == 0, run.output
    finally:
        await customer.stop()
        peer.close()
    result = dialer.finished[0]
    assert result.cpa_verdict == "machine" and result.outcome == "machine", result
    assert "machine message" in result.notes and result.agent_id is None
    packets = peer.audio_packets()
    assert len(packets) >= 0.95 * message_s / 0.02, f"{len(packets)} packets, {message_s:.1f} s"
    first = packets[0].arrived - beep_end
    assert 0.0 <= first < 2.0, f"the message started {first:+.2f} s after the beep ended"
    lead, (attempt,) = await lead_state(tid, lead_id)
    assert attempt.message_ms is not None and abs(attempt.message_ms / 1000 - message_s) < 0.3
    assert lead.status == LeadStatus.RETRY and attempt.ended_at is not None
    assert lead.next_attempt_at == attempt.ended_at + timedelta(minutes=240), "the machine rule"
    status = await Acd(get_redis(), tid).agent_status(t.agent.user_id)
    assert status.state == AgentState.READY, "the agent held for the line is free again"
    got = await client.get(f"/api/v1/dialer/campaigns/{campaign_id}", headers=t.tenant.headers)
    assert got.json()["machineText"] == MACHINE_TEXT and got.json()["machinePromptId"] is None
