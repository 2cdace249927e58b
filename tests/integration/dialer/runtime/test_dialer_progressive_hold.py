"""DIAL-2 progressive dialling holds its agent while the customer's phone rings: an inbound
call queued for the same agent meanwhile waits, and the person who answers gets the agent
(before, the inbound queue could take the agent and the answered person was abandoned).

Real B2BUA and rtpengine; the dialer's customer is a SIPp UAS behind the campaign's trunk, the
inbound caller a SIPp UAC (with a Python RTP peer) dialling the tenant's DID, whose published
flow puts it in the agent's queue; the agent's seat is a SIPp UAS that checks it is shown a
masked number, so it fails if the inbound call reaches it first.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import httpx
import pytest
from redis.asyncio import Redis

from app.callcontrol.b2bua import B2bua
from app.dialer.cpa.synth import Label, make
from app.dialer.runtime import DialerRuntime, queue_id_for
from app.lib.events import events_stream
from app.lib.redis import get_redis
from app.seats.acd import Acd, AgentState
from tests.integration.calls.conftest import Line, free_udp_port, random_did
from tests.integration.calls.ivr_live_helpers import Customer, node, publish_flow
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, uas_args
from tests.integration.dialer.runtime_setup import (
    campaign_with_leads,
    dialer_tenant,
    lead_state,
    scenario,
    wait_until,
    write_rtp_pcap,
)
from tests.integration.seats.acd_setup import queue

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("DIAL-2"),
    pytest.mark.feature("DIAL-10"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]

PHONE = "+8613912345678"
INBOUND = "+8613800138100"


async def offers_to(redis: Redis, tenant_id: UUID, call: str) -> list[dict[str, str]]:
    return [f for _, f in await redis.xrange(events_stream(tenant_id))
            if f.get("type") == "call_offered" and f.get("call") == call]  # fmt: skip


async def test_an_inbound_call_waits_while_the_progressive_line_rings_and_the_person_gets_the_agent(
    b2bua: B2bua, client: httpx.AsyncClient, seat_port: int, tmp_path: Path,
    runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    tid, headers = t.tenant.tenant_id, t.tenant.headers
    support = await queue(client, t.tenant, t.business_id, "support", announcePosition=False,
                          announceWait=False)  # fmt: skip
    r = await client.put(f"/api/v1/acd/agents/{t.agent.profile_id}/queues", headers=headers,
                         json=[{"queueId": support["id"], "priority": 0}])  # fmt: skip
    assert r.status_code == 200, r.text
    did = random_did()
    r = await client.post("/api/v1/numbers/", headers=headers, json={"number": did})
    assert r.status_code == 201, r.text
    line = Line(t.tenant, did, "")
    await publish_flow(client, line, {"start": "q", "nodes": [
        node("q", "queue", {"overflow": "bye"}, queue=support["id"]),
        node("bye", "hang_up", reason="overflow"),
    ]})  # fmt: skip
    r = await client.post("/api/v1/cti/sign-in", headers=t.agent.headers, json={"ready": True})
    assert r.status_code == 200, r.text

    pcap = write_rtp_pcap(tmp_path / "human.pcap", make(Label.HUMAN, 3).pcm)
    seat = await Sipp(tmp_path, "agent", scenario(tmp_path, "agent_seat", media_port=9,
                      talk_ms=1500), uas_args(seat_port)).start()  # fmt: skip
    # The customer's phone rings 6 s: time enough for the inbound call to arrive meanwhile.
    customer = await Sipp(tmp_path, "customer", scenario(tmp_path, "customer_answers",
                          ring_ms=6000, pcap=pcap), uas_args(trunk_port)).start()  # fmt: skip
    inbound = Customer(b2bua, line, tmp_path, "inbound", INBOUND)
    acd, redis = Acd(get_redis(), tid), get_redis()
    try:
        campaign_id, (lead_id,) = await campaign_with_leads(client, t, [PHONE],
                                                            minRingSeconds=15.0)  # fmt: skip
        dialer = DialerRuntime(b2bua, tenants=[tid], tick=0.2, refresh=0.5)
        runtime.append(dialer)
        dialer.start()
        (line_key,) = await wait_until(
            lambda: [k for c in dialer.campaigns.values() for k in c.inflight], limit=20
        )
        status = await acd.agent_status(t.agent.user_id)
        assert (status.state, status.call_id) == (AgentState.RINGING, line_key), \
            "the agent is held for the ringing line"  # fmt: skip
        await inbound.call(talk_ms=9000)  # waits in the queue, then hangs up
        await wait_until(lambda: _state(acd, inbound.key, "waiting"), limit=10)
        status = await acd.agent_status(t.agent.user_id)
        assert (status.state, status.call_id) == (AgentState.RINGING, line_key)
        await wait_until(lambda: bool(dialer.finished), limit=40)
        seat_run = await seat.wait()
        assert seat_run.returncode == 0, f"the seat got the inbound call? {seat_run.output}"
        assert (await customer.wait()).returncode == 0
        await inbound.finish()
    finally:
        await seat.stop()
        await customer.stop()
        await inbound.stop()
    result = dialer.finished[0]
    assert result.outcome == "answered" and result.agent_id == UUID(t.agent.user_id), result
    _, (attempt,) = await lead_state(tid, lead_id)
    assert attempt.outcome == "answered" and not attempt.abandoned
    assert await offers_to(redis, tid, inbound.key) == [], "the inbound call never got the agent"
    offered = await offers_to(redis, tid, line_key)
    assert [(o["agent"], o["queue"]) for o in offered] == [
        (t.agent.user_id, queue_id_for(UUID(campaign_id)))
    ], "one reservation, made when the line was dialled"


async def test_a_busy_progressive_line_frees_its_agent_without_an_abandoned_queue_call(
    b2bua: B2bua, client: httpx.AsyncClient, tmp_path: Path, runtime: list[DialerRuntime],
) -> None:  # fmt: skip
    trunk_port = free_udp_port()
    t = await dialer_tenant(client, trunk_port)
    tid = t.tenant.tenant_id
    r = await client.post("/api/v1/cti/sign-in", headers=t.agent.headers, json={"ready": True})
    assert r.status_code == 200, r.text
    customer = await Sipp(tmp_path, "customer", scenario(tmp_path, "customer_busy"),
                          uas_args(trunk_port)).start()  # fmt: skip
    try:
        campaign_id, _ = await campaign_with_leads(client, t, [PHONE])
        dialer = DialerRuntime(b2bua, tenants=[tid], tick=0.2, refresh=0.5)
        runtime.append(dialer)
        dialer.start()
        await wait_until(lambda: bool(dialer.finished), limit=30)
        assert (await customer.wait()).returncode == 0
    finally:
        await customer.stop()
    acd = Acd(get_redis(), tid)
    await wait_until(lambda: _agent_in(acd, t.agent.user_id, AgentState.READY), limit=5)
    events = [f for _, f in await get_redis().xrange(events_stream(tid))]
    assert not [e for e in events if e.get("type") == "call_abandoned"]
    released = [e for e in events if e.get("type") == "agent_state" and e.get("to") == "ready"
                and e.get("reason") == "line released"]  # fmt: skip
    assert len(released) == 1, events
    assert dialer.finished[0].outcome == "busy"
    assert campaign_id


async def _state(acd: Acd, call_id: str, state: str) -> bool:
    return (await acd.position(call_id)).state == state


async def _agent_in(acd: Acd, agent: str, state: AgentState) -> bool:
    return (await acd.agent_status(agent)).state == state
