"""The dialer runtime places real calls (DIAL-2), analyses real media (DIAL-3), schedules
retries by outcome (DIAL-5) and never shows an agent the real number (DIAL-6).

Each test runs our B2BUA (in the test's loop) with a real rtpengine; a SIPp UAS behind the
campaign's trunk is the customer (scenarios/), playing audio synthesised for the test by
app/dialer/cpa/synth.py as RTP from a pcap; another SIPp UAS is the agent's seat.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import httpx
import numpy as np
import pytest

from app.callcontrol.b2bua import B2bua
from app.callcontrol.live import call_key_name
from app.dialer.cpa.synth import Label, make
from app.dialer.cpa.synth import sit as sit_tone
from app.dialer.models import LeadStatus
from app.dialer.runtime import DialerRuntime, active_tenants, queue_id_for
from app.lib.events import events_stream
from app.lib.keys import tenant_key
from app.lib.redis import get_redis
from app.seats.acd import Acd, AcdError
from tests.integration.calls.conftest import free_udp_port
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, uas_args
from tests.integration.dialer.runtime_setup import (
    DialerTenant,
    campaign_with_leads,
    dialer_tenant,
    lead_state,
    scenario,
    wait_until,
    write_rtp_pcap,
)

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]

PHONE = "+8613912345678"
NATIONAL = "13912345678"


def start_runtime(b2bua: B2bua, t: DialerTenant, runtimes: list[DialerRuntime]) -> DialerRuntime:
    r = DialerRuntime(b2bua, tenants=[t.tenant.tenant_id], tick=0.2, refresh=0.5)
    runtimes.append(r)
    r.start()
    return r


async def sign_in(client: httpx.AsyncClient, t: DialerTenant, ready: bool = True) -> None:
    r = await client.post(
        "/api/v1/cti/sign-in",
        headers=t.agent.headers,
        json={"ready": ready, "reason": "" if ready else "break"},
    )
    assert r.status_code == 200, r.text


def audio(label: Label, seed: int = 3) -> np.ndarray:
    return make(label, seed).pcm


async def one_call(
    client: httpx.AsyncClient,
    b2bua: B2bua,
    runtimes: list[DialerRuntime],
    workdir: Path,
    name: str,
    **values: object,
) -> tuple[DialerTenant, UUID, DialerRuntime, Sipp]:
    """A tenant whose ready agent makes the progressive campaign dial PHONE once, answered by
    the SIPp customer scenario `name`."""
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    await sign_in(client, t)
    customer = await Sipp(workdir, "customer", scenario(workdir, name, **values),
                          uas_args(trunk_port)).start()  # fmt: skip
    _, (lead_id,) = await campaign_with_leads(client, t, [PHONE])
    r = start_runtime(b2bua, t, runtimes)
    try:
        await wait_until(lambda: bool(r.finished), limit=40)
    except AssertionError:
        calls = [(s.call.state, [leg.as_dict() for leg in s.call.legs]) for s in
                 b2bua.sessions.values()]  # fmt: skip
        run = await customer.wait(1.0)
        raise AssertionError(f"no attempt finished; calls {calls}; customer: {run.output}")
    return t, lead_id, r, customer


@pytest.mark.feature("DIAL-2")
@pytest.mark.feature("DIAL-3")
@pytest.mark.feature("DIAL-6")
async def test_a_person_who_answers_is_connected_to_the_campaigns_agent_who_sees_a_masked_number(
    b2bua: B2bua, client: httpx.AsyncClient, seat_port: int, tmp_path: Path,
    runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    pcap = write_rtp_pcap(tmp_path / "human.pcap", audio(Label.HUMAN))
    agent_seat = await Sipp(tmp_path, "agent", scenario(tmp_path, "agent_seat", media_port=9,
                            talk_ms=1500), uas_args(seat_port)).start()  # fmt: skip
    try:
        t, lead_id, r, customer = await one_call(
            client, b2bua, runtime, tmp_path, "customer_answers", ring_ms=300, pcap=pcap
        )
        assert (await customer.wait()).returncode == 0
        seat_run = await agent_seat.wait()
        assert seat_run.returncode == 0, f"the agent's phone saw a real number? {seat_run.output}"
    finally:
        await agent_seat.stop()
    result = r.finished[0]
    assert result.outcome == "answered", result
    assert result.cpa_verdict == "human"
    assert result.agent_id == UUID(t.agent.user_id)
    lead, attempts = await lead_state(t.tenant.tenant_id, lead_id)
    assert lead.status == LeadStatus.DONE
    (attempt,) = attempts
    assert attempt.outcome == "answered" and attempt.cpa_verdict == "human"
    assert attempt.sip_status == 200 and attempt.answered_at is not None
    assert attempt.cpa_decision_ms is not None and 300 <= attempt.cpa_decision_ms <= 5000
    assert attempt.agent_id == UUID(t.agent.user_id)
    assert attempt.call_key == result.call_key
    await assert_number_never_shown(client, t, lead_id, result.call_key)


async def assert_number_never_shown(
    client: httpx.AsyncClient, t: DialerTenant, lead_id: UUID, call_key: str
) -> None:
    """DIAL-6: what agents read (the ACD call behind the CTI screen pop, the live call hash,
    every event on the tenant stream, the dialer API) has the masked number only."""
    redis = get_redis()
    tid = t.tenant.tenant_id
    acd_call = await redis.hgetall(tenant_key(tid, "acd", "call", call_key))  # type: ignore[misc]
    assert acd_call["caller"] == "139****5678"
    live = await redis.hgetall(call_key_name(tid, call_key))  # type: ignore[misc]
    assert live["to"] == "139****5678" and live["leadId"] == str(lead_id)
    events = await redis.xrange(events_stream(tid))
    assert any(f.get("callKey") == call_key or f.get("call") == call_key for _, f in events)
    for blob in [json.dumps(live), json.dumps(acd_call), *(json.dumps(f) for _, f in events)]:
        assert NATIONAL not in blob, blob
    r = await client.get(f"/api/v1/dialer/leads/{lead_id}", headers=t.agent.headers)
    assert r.status_code == 200, r.text
    assert r.json()["lead"]["phone"] == "139****5678"


@pytest.mark.feature("DIAL-3")
@pytest.mark.feature("DIAL-5")
async def test_busy_is_stored_with_its_status_and_retried_after_the_busy_delay(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    t, lead_id, _, customer = await one_call(client, b2bua, runtime, tmp_path, "customer_busy")
    assert (await customer.wait()).returncode == 0
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert (attempt.outcome, attempt.sip_status) == ("busy", 486)
    assert lead.status == LeadStatus.RETRY and attempt.ended_at is not None
    assert lead.next_attempt_at == attempt.ended_at + timedelta(minutes=10)


@pytest.mark.feature("DIAL-3")
@pytest.mark.feature("DIAL-5")
async def test_nobody_answers_so_the_dialer_cancels_after_the_ring_time_and_retries_later(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    t, lead_id, _, customer = await one_call(client, b2bua, runtime, tmp_path, "customer_rings_out")
    assert (await customer.wait()).returncode == 0
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert (attempt.outcome, attempt.sip_status) == ("no_answer", 487)
    assert attempt.ended_at is not None
    rang = (attempt.ended_at - attempt.started_at).total_seconds()
    assert 3.0 <= rang < 6.0, f"rang {rang:.1f} s for a 3 s ring time"
    assert lead.status == LeadStatus.RETRY
    assert lead.next_attempt_at == attempt.ended_at + timedelta(minutes=60)


@pytest.mark.feature("DIAL-3")
async def test_coloured_ringback_music_in_early_media_is_heard_and_never_taken_for_an_answer(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    pcap = write_rtp_pcap(tmp_path / "music.pcap", audio(Label.MUSIC))
    t, lead_id, _, customer = await one_call(
        client, b2bua, runtime, tmp_path, "customer_early_media_rings_out", pcap=pcap
    )
    assert (await customer.wait()).returncode == 0
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert attempt.cpa_verdict == "music", "the 彩铃 was analysed from the forked early media"
    assert attempt.outcome == "no_answer" and attempt.answered_at is None
    assert attempt.cpa_decision_ms is not None and attempt.cpa_decision_ms < 3000
    assert lead.status == LeadStatus.RETRY


@pytest.mark.feature("DIAL-3")
@pytest.mark.feature("DIAL-5")
async def test_sit_tone_in_early_media_then_404_makes_the_number_invalid_for_good(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    rng = np.random.default_rng(7)
    from app.dialer.cpa.synth import finish

    pcap = write_rtp_pcap(tmp_path / "sit.pcap", finish(rng, sit_tone(rng)))
    t, lead_id, _, customer = await one_call(
        client, b2bua, runtime, tmp_path, "customer_early_media_then_fails", pcap=pcap,
        pause_ms=2000, status="404 Not Found",
    )  # fmt: skip
    assert (await customer.wait()).returncode == 0
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert attempt.cpa_verdict == "sit"
    assert (attempt.outcome, attempt.sip_status) == ("invalid", 404)
    assert lead.status == LeadStatus.EXHAUSTED and lead.next_attempt_at is None


@pytest.mark.feature("DIAL-3")
@pytest.mark.feature("DIAL-5")
async def test_an_answering_machine_is_detected_after_the_answer_hung_up_on_and_retried(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    pcap = write_rtp_pcap(tmp_path / "machine.pcap", audio(Label.MACHINE))
    t, lead_id, _, customer = await one_call(
        client, b2bua, runtime, tmp_path, "customer_answers", ring_ms=300, pcap=pcap
    )
    assert (await customer.wait()).returncode == 0, "we sent BYE to the machine"
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert attempt.cpa_verdict == "machine"
    assert attempt.outcome == "machine" and attempt.agent_id is None
    assert attempt.cpa_decision_ms is not None and attempt.cpa_decision_ms <= 4000
    assert lead.status == LeadStatus.RETRY and attempt.ended_at is not None
    assert lead.next_attempt_at == attempt.ended_at + timedelta(minutes=240)


@pytest.mark.feature("DIAL-2")
@pytest.mark.feature("DIAL-5")
async def test_no_agent_free_within_two_seconds_of_the_answer_abandons_with_the_message(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    """The agent was ready when the lead was dialled and went on a break while it rang: the
    person who answers hears the abandonment message, the call is hung up and counted.
    (A predictive line, which reserves no agent; a progressive one holds its agent.)"""
    pcap = write_rtp_pcap(tmp_path / "human.pcap", audio(Label.HUMAN, seed=5))
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    await sign_in(client, t)
    customer = await Sipp(tmp_path, "customer", scenario(tmp_path, "customer_answers",
                          ring_ms=1500, pcap=pcap), uas_args(trunk_port)).start()  # fmt: skip
    campaign_id, (lead_id,) = await campaign_with_leads(client, t, [PHONE], mode="predictive")
    r = start_runtime(b2bua, t, runtime)
    await wait_until(lambda: any(c.inflight for c in r.campaigns.values()))
    resp = await client.post("/api/v1/cti/not-ready", headers=t.agent.headers,
                             json={"reason": "break"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    await wait_until(lambda: bool(r.finished), limit=40)
    assert (await customer.wait()).returncode == 0, "we hung up after the message"
    result = r.finished[0]
    assert result.outcome == "abandoned" and result.cpa_verdict == "human"
    assert "abandon message" in result.notes, "the abandonment message was played"
    assert result.agent_id is None
    lead, (attempt,) = await lead_state(t.tenant.tenant_id, lead_id)
    assert attempt.abandoned and attempt.outcome == "abandoned"
    assert lead.status == LeadStatus.RETRY and attempt.ended_at is not None
    assert lead.next_attempt_at == attempt.ended_at + timedelta(hours=72), "Ofcom: not for 72 h"
    assert attempt.answered_at is not None
    waited = (attempt.ended_at - attempt.answered_at).total_seconds()
    assert waited < 10.0
    resp = await client.get(f"/api/v1/dialer/campaigns/{campaign_id}/abandonment",
                            headers=t.tenant.headers)  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["last30"] == {"day": None, "live": 1, "abandoned": 1, "rate": 1.0}


@pytest.mark.feature("DIAL-2")
@pytest.mark.feature("DIAL-4")
async def test_a_predictive_campaign_dials_more_lines_than_ready_agents_as_its_model_says(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path,
) -> None:  # fmt: skip
    """With enough history the campaign's PacingModel decides (here with a manual ratio of 3:
    three lines for one ready agent); every line is a real call, here ringing out."""
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    await sign_in(client, t)
    customers = await Sipp(tmp_path, "customers", scenario(tmp_path, "customer_rings_out"),
                           [*uas_args(trunk_port), "-m", "3"]).start()  # fmt: skip
    phones = [f"+86139123456{n:02d}" for n in range(5)]
    await campaign_with_leads(client, t, phones, mode="predictive", manualRatio=3.0,
                              maxRatio=3.0)  # fmt: skip
    r = DialerRuntime(b2bua, tenants=[t.tenant.tenant_id])  # paced by hand below
    try:
        await r.refresh()
        (live,) = r.campaigns.values()
        assert live.model is not None
        for n in range(80):  # yesterday's outcomes: a quarter answered after 8 s
            live.model.stats.record_attempt(n % 4 == 0, 8.0 if n % 4 == 0 else 20.0)
        for _ in range(20):
            live.model.stats.record_talk(60.0)
            live.model.stats.record_wrap_up(10.0)
        placed = await r.pace(live)
        assert live.last_decision.startswith("manual"), live.last_decision
        assert placed == 3, f"{placed} lines for one ready agent at 3:1 ({live.last_decision})"
        assert len(live.inflight) == 3
        await wait_until(lambda: len(r.finished) == 3, limit=30)
    finally:
        await r.close()
        await customers.stop()
    assert {f.outcome for f in r.finished} == {"no_answer"}


@pytest.mark.feature("DIAL-2")
@pytest.mark.feature("DIAL-10")
async def test_one_dialer_serves_several_tenants_each_campaign_inside_its_own_tenant(
    b2bua: B2bua, client: httpx.AsyncClient,
) -> None:  # fmt: skip
    """callcontrol's dialer reads every active tenant; each campaign's ACD queue is made in its
    own tenant with its own agents, and is unknown to the other tenant."""
    a = await dialer_tenant(client, free_udp_port())
    b = await dialer_tenant(client, free_udp_port())
    for t in (a, b):
        await sign_in(client, t)
    campaign_a, _ = await campaign_with_leads(client, a, [])
    campaign_b, _ = await campaign_with_leads(client, b, [])
    preview, _ = await campaign_with_leads(client, a, [], mode="preview")
    assert {a.tenant.tenant_id, b.tenant.tenant_id} <= set(await active_tenants())
    r = DialerRuntime(b2bua, tenants=[a.tenant.tenant_id, b.tenant.tenant_id])
    try:
        await r.refresh()
    finally:
        await r.close()
    loaded = {str(cid): live.tenant_id for cid, live in r.campaigns.items()}
    assert loaded == {campaign_a: a.tenant.tenant_id, campaign_b: b.tenant.tenant_id}, preview
    redis = get_redis()
    for t, mine, theirs in ((a, campaign_a, campaign_b), (b, campaign_b, campaign_a)):
        acd = Acd(redis, t.tenant.tenant_id)
        status = await acd.queue_status(queue_id_for(UUID(mine)))
        assert (status.staffed, status.ready) == (1, 1), "its own agent, signed in and ready"
        with pytest.raises(AcdError):
            await acd.queue_status(queue_id_for(UUID(theirs)))
        member_of = (await acd.agent_status(t.agent.user_id)).queues
        assert queue_id_for(UUID(theirs)) not in member_of
    # An agent taken off the campaign leaves its queue at the next refresh.
    url = f"/api/v1/dialer/campaigns/{campaign_a}"
    body = (await client.get(url, headers=a.tenant.headers)).json()
    body = {k: v for k, v in body.items() if k not in ("id", "status", "createdAt")}
    resp = await client.put(url, headers=a.tenant.headers, json=body | {"agentIds": []})
    assert resp.status_code == 200, resp.text
    r = DialerRuntime(b2bua, tenants=[a.tenant.tenant_id])
    try:
        await r.refresh()
    finally:
        await r.close()
    member_of = (await Acd(redis, a.tenant.tenant_id).agent_status(a.agent.user_id)).queues
    assert queue_id_for(UUID(campaign_a)) not in member_of
