"""DIAL-8 voice-notification campaigns: no agents; each answered call hears the campaign's
message (TTS by espeak-ng, rendered once), then a DTMF survey; answers are tallied per key.

The customer is a SIPp UAS behind the campaign's trunk for SIP (its RFC 4733 key played by
SIPp from the sip-tester pcap) and a Python RTP peer for its audio: it speaks (a person's "喂?"
or an answering machine's greeting and beep, synthesised by app/dialer/cpa/synth.py) and
counts the RTP packets it receives. Real rtpengine, real B2BUA.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from app.callcontrol.b2bua import B2bua
from app.dialer.actors import build_evidence_csv
from app.dialer.cpa.synth import Label
from app.dialer.models import LeadStatus
from app.dialer.runtime import DialerRuntime
from app.ivr_builder.tts import ensure_rendered
from tests.fixtures.app import signup
from tests.integration.calls.conftest import free_udp_port
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, SIPP_DATA, Sipp, uas_args
from tests.integration.dialer.runtime_setup import (
    DialerTenant,
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
    pytest.mark.feature("DIAL-8"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]

PHONE = "+8613912345678"
MESSAGE = "您好。这里是快线物流。您的包裹将于明天上午送达。"
QUESTION = "满意请按一。不满意请按二。"
SURVEY = {
    "text": QUESTION,
    "keys": [{"key": "1", "label": "满意"}, {"key": "2", "label": "不满意"}],
    "repeat": 2,
    "timeoutSeconds": 5,
}
PACKET_S = 0.02


def notification(**extra: Any) -> dict[str, Any]:
    return {
        "mode": "notification",
        "agentIds": [],
        "maxChannels": 2,
        "messageText": MESSAGE,
        "messageVoice": "zh",
        "survey": SURVEY,
        "retryRules": {"busy": {"delayMinutes": 0, "maxAttempts": 2}},
    } | extra


def start_runtime(b2bua: B2bua, t: DialerTenant, runtimes: list[DialerRuntime]) -> DialerRuntime:
    r = DialerRuntime(b2bua, tenants=[t.tenant.tenant_id], tick=0.2, refresh=0.5)
    runtimes.append(r)
    r.start()
    return r


async def tally(client: httpx.AsyncClient, t: DialerTenant, campaign_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/dialer/campaigns/{campaign_id}/survey-tally",
                         headers=t.tenant.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_a_person_hears_the_message_presses_1_and_the_tally_counts_it(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    message_s = seconds_of(await ensure_rendered(t.tenant.tenant_id, MESSAGE, "zh"))
    peer = await RtpPeer.open()
    # CPA hears the person for ~2 s, then the message plays; the key comes during the question.
    press_at = round(1000 * (2.5 + message_s + 1.0))
    customer = await Sipp(tmp_path, "customer", scenario(
        tmp_path, "customer_listens_presses_key", ring_ms=300, media_port=peer.port,
        key_after_ms=press_at, dtmf_pcap=SIPP_DATA / "dtmf_2833_1.pcap",
    ), uas_args(trunk_port)).start()  # fmt: skip
    try:
        campaign_id, (lead_id,) = await campaign_with_leads(client, t, [PHONE], **notification())
        r = start_runtime(b2bua, t, runtime)
        await speak_when_answered(b2bua, peer, Label.HUMAN)
        await wait_until(lambda: bool(r.finished), limit=60)
        run = await customer.wait()
        assert run.returncode == 0, run.output
    finally:
        await customer.stop()
        peer.close()
    result = r.finished[0]
    assert result.outcome == "delivered" and result.cpa_verdict == "human", result
    assert (result.survey_key, result.survey_label) == ("1", "满意")
    # The person heard the whole message (and the start of the question) as RTP.
    heard = len(peer.audio_packets())
    assert heard >= 0.95 * message_s / PACKET_S, f"{heard} packets for a {message_s:.1f} s message"
    assert result.message_ms is not None and abs(result.message_ms / 1000 - message_s) < 0.3
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert lead.status == LeadStatus.DONE
    assert (attempt.outcome, attempt.survey_key, attempt.survey_label) == ("delivered", "1", "满意")
    assert attempt.agent_id is None and attempt.answered_at is not None
    counts = await tally(client, t, campaign_id)
    assert counts["keys"] == [
        {"key": "1", "label": "满意", "count": 1},
        {"key": "2", "label": "不满意", "count": 0},
    ]
    assert (counts["delivered"], counts["deliveredToPeople"], counts["leftOnMachines"]) == (1, 1, 0)
    assert (counts["answered"], counts["noKey"], counts["notAnswered"]) == (1, 0, 0)
    data, rows = await build_evidence_csv(t.tenant.tenant_id, UUID(campaign_id), None, None)
    (row,) = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    assert rows == 1 and (row["survey_key"], row["survey_label"]) == ("1", "满意")
    assert row["outcome"] == "delivered" and int(row["message_ms"]) > 1000
    # Tenant isolation: another tenant can neither read the tally nor see the campaign.
    other = await signup(client, "nosy")
    r2 = await client.get(f"/api/v1/dialer/campaigns/{campaign_id}/survey-tally",
                          headers=other.headers)  # fmt: skip
    assert r2.status_code == 404, r2.text


async def test_an_answering_machine_gets_the_message_after_its_beep(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    message_s = seconds_of(await ensure_rendered(t.tenant.tenant_id, MESSAGE, "zh"))
    peer = await RtpPeer.open()
    customer = await Sipp(tmp_path, "customer", scenario(
        tmp_path, "customer_listens", ring_ms=300, media_port=peer.port,
    ), uas_args(trunk_port)).start()  # fmt: skip
    try:
        campaign_id, (lead_id,) = await campaign_with_leads(client, t, [PHONE], **notification())
        r = start_runtime(b2bua, t, runtime)
        beep_end = await speak_when_answered(b2bua, peer, Label.MACHINE)
        await wait_until(lambda: bool(r.finished), limit=60)
        run = await customer.wait()
        assert run.returncode == 0, run.output
    finally:
        await customer.stop()
        peer.close()
    result = r.finished[0]
    assert result.cpa_verdict == "machine" and result.outcome == "delivered", result
    assert "machine message" in result.notes and result.survey_key is None
    packets = peer.audio_packets()
    assert len(packets) >= 0.95 * message_s / PACKET_S, f"{len(packets)} packets"
    first = packets[0].arrived - beep_end
    assert 0.0 <= first < 2.0, f"the message started {first:+.2f} s after the beep ended"
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert lead.status == LeadStatus.DONE and attempt.cpa_verdict == "machine"
    counts = await tally(client, t, campaign_id)
    assert (counts["delivered"], counts["leftOnMachines"], counts["answered"]) == (1, 1, 0)


async def test_a_busy_line_is_retried_by_the_busy_rule_and_counted_as_not_answered(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    customer = await Sipp(tmp_path, "customer", scenario(tmp_path, "customer_busy"),
                          [*uas_args(trunk_port), "-m", "2"]).start()  # fmt: skip
    try:
        campaign_id, (lead_id,) = await campaign_with_leads(client, t, [PHONE], **notification())
        r = start_runtime(b2bua, t, runtime)
        await wait_until(lambda: len(r.finished) >= 2, limit=40)
        run = await customer.wait()
        assert run.returncode == 0, run.output
    finally:
        await customer.stop()
    lead, attempts = await lead_state(t.tenant.tenant_id, lead_id)
    assert [(a.outcome, a.sip_status) for a in attempts] == [("busy", 486), ("busy", 486)]
    assert lead.status == LeadStatus.EXHAUSTED, "busy twice: the rule allows two attempts"
    counts = await tally(client, t, campaign_id)
    assert (counts["delivered"], counts["notAnswered"], counts["byOutcome"]) == (0, 2, {"busy": 2})


async def test_a_notification_campaign_needs_its_message_and_a_valid_survey(
    client: httpx.AsyncClient,
) -> None:
    t = await dialer_tenant(client, free_udp_port())
    bad_keys = SURVEY | {"keys": [{"key": "1", "label": "a"}, {"key": "1", "label": "b"}]}
    campaign = {"name": "bad survey", "mode": "notification", "messageText": MESSAGE,
                "survey": bad_keys}  # fmt: skip
    r = await client.post("/api/v1/dialer/campaigns/", headers=t.tenant.headers, json=campaign)
    assert r.status_code == 400 and "twice" in r.json()["detail"], r.text
    agents = {"name": "survey for agents", "mode": "progressive", "survey": SURVEY}
    r = await client.post("/api/v1/dialer/campaigns/", headers=t.tenant.headers, json=agents)
    assert r.status_code == 400 and "notification" in r.json()["detail"], r.text
    unknown = {"name": "no prompt", "mode": "notification",
               "messagePromptId": "0193a3c4-0000-7000-8000-000000000000"}  # fmt: skip
    r = await client.post("/api/v1/dialer/campaigns/", headers=t.tenant.headers, json=unknown)
    assert r.status_code == 400 and "prompts" in r.json()["detail"], r.text
    silent = {"name": "silent", "mode": "notification", "timezone": "UTC",
              "windows": [{"start": "00:00", "end": "23:59"}]}  # fmt: skip
    r = await client.post("/api/v1/dialer/campaigns/", headers=t.tenant.headers, json=silent)
    assert r.status_code == 201, r.text
    assert r.json()["survey"] is None and r.json()["messageVoice"] == "zh"
    r = await client.post(f"/api/v1/dialer/campaigns/{r.json()['id']}/start",
                          headers=t.tenant.headers)  # fmt: skip
    assert r.status_code == 409 and "message" in r.json()["detail"], r.text
