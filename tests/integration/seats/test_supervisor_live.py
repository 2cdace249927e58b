"""SEAT-7 live, driven through the REST routes a supervisor's wallboard uses: a customer (SIPp
signalling, a Python RTP peer) dials the DID, the IVR queues the call, the ACD gives it to an
agent; the supervisor then listens, whispers and barges through their own seat, and tones
heard at each phone (FFT) show who hears whom; recording starts on demand; a force release
ends the call. Real rtpengine, our B2BUA and mixer; customer 500 Hz, agent 1100 Hz,
supervisor 1700 Hz."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.call import CallState
from app.callcontrol.config import CallcontrolConfig
from app.lib.redis import get_redis
from app.seats.acd import Acd, AgentState, Call, Offered
from tests.fixtures.app import add_user, login
from tests.integration.calls.conftest import (  # noqa: F401 (fixtures)
    Line,
    b2bua,
    dtmf_port,
    ended,
    free_udp_port,
    line,
    make_line,
    rtpengine,
    seat_port,
)
from tests.integration.calls.cti_phones import (
    AGENT,
    CUSTOMER,
    THIRD,
    Phones,
    Talking,
    listen,
    place_call,
)
from tests.integration.calls.ivr_live_helpers import Customer, node, publish_flow, wait_for
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE
from tests.integration.media.media_rtp_peer import RtpPeer
from tests.integration.rtpengine_server import RtpengineServer
from tests.integration.seats.acd_setup import AgentCtx, agent, business, queue
from tests.integration.seats.conftest import drop_tenant

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("SEAT-7"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
SUPERVISOR = THIRD


@pytest.fixture(scope="module")
def cc_config(
    rtpengine: RtpengineServer,  # noqa: F811
    dtmf_port: int,  # noqa: F811
    seat_port: int,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> CallcontrolConfig:
    """As tests/integration/calls' config, but calls are recorded only when someone asks."""
    return CallcontrolConfig(
        sip_host="127.0.0.1",
        sip_port=free_udp_port(),
        outbound_proxy=("127.0.0.1", seat_port),
        trunks_via_proxy=False,
        trusted_proxies=frozenset({"127.0.0.1"}),
        rtpengine_ng=rtpengine.ng_address,
        dtmf_listen=("127.0.0.1", dtmf_port),
        recording_dir=rtpengine.recording_dir,
        prompt_dir=tmp_path_factory.mktemp("prompts"),
        ring_timeout=5.0,
        digit_timeout=1.5,
        record_calls=False,
        # Every seat here is a SIPp/Python phone speaking plain RTP, whatever its seat type.
        webrtc_seats=False,
    )


@pytest.fixture
async def phones(seat_port: int) -> AsyncIterator[Phones]:  # noqa: F811
    phones = await Phones(seat_port).start()
    yield phones
    await phones.close()


@dataclasses.dataclass
class Floor:
    agent: AgentCtx
    boss: AgentCtx
    customer: Customer
    session: CallSession

    def url(self, action: str) -> str:
        return f"/api/v1/cti/agents/{self.agent.user_id}/{action}".rstrip("/")


async def _queued_call_to_agent(
    client: httpx.AsyncClient,
    b2bua: B2bua,  # noqa: F811
    line: Line,  # noqa: F811
    phones: Phones,
    workdir: Path,
    ended: list[CallSession],  # noqa: F811
) -> Floor:
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "support", announcePosition=False,
                    announceWait=False)  # fmt: skip
    a = await agent(client, line.tenant, sales, [q["id"]])
    boss = await agent(client, line.tenant, sales, role="supervisor")
    r = await client.post("/api/v1/cti/sign-in", headers=a.headers, json={})
    assert r.status_code == 200, r.text
    await publish_flow(client, line, {"start": "q", "nodes": [
        node("q", "queue", {"overflow": "bye"}, queue=q["id"]),
        node("bye", "hang_up", reason="overflow"),
    ]})  # fmt: skip
    await phones.add(a.extension)
    await phones.add(boss.extension)
    customer = Customer(b2bua, line, workdir, "customer", "+8613800138111", ended)
    await customer.call()  # stays until our BYE
    assert customer.session is not None
    session = customer.session
    await wait_for(lambda: session.call.state is CallState.BRIDGED, limit=10)
    return Floor(a, boss, customer, session)


async def _hear_matrix(
    client: httpx.AsyncClient,
    url: str,
    boss: AgentCtx,
    phones: Phones,
    customer: RtpPeer,
    agent_phone: RtpPeer,
) -> None:
    """Listen, whisper, barge, back to listen, all through REST; tones say who hears whom."""
    boss_phone = phones.peers[boss.extension]
    talking = Talking((customer, CUSTOMER), (agent_phone, AGENT), (boss_phone, SUPERVISOR))
    try:
        assert await listen(customer) == {AGENT}, "bridged before any supervisor"
        r = await client.post(f"{url}/listen", headers=boss.headers)
        assert r.status_code == 200, r.text
        assert r.json()["result"] == {"mode": "listen", "state": "ringing"}
        await wait_for(lambda: boss.extension in phones.answered, limit=5)
        assert await listen(boss_phone) == {CUSTOMER, AGENT}
        assert await listen(customer, settle=0) == {AGENT}, "the customer must not hear him"
        assert await listen(agent_phone, settle=0) == {CUSTOMER}

        r = await client.post(f"{url}/whisper", headers=boss.headers)
        assert r.status_code == 200, r.text
        assert r.json()["result"] == {"mode": "whisper", "state": "connected"}
        assert await listen(agent_phone) == {CUSTOMER, SUPERVISOR}
        assert await listen(customer, settle=0) == {AGENT}
        assert await listen(boss_phone, settle=0) == {CUSTOMER, AGENT}

        r = await client.post(f"{url}/barge", headers=boss.headers)
        assert r.status_code == 200 and r.json()["result"]["mode"] == "barge", r.text
        assert await listen(customer) == {AGENT, SUPERVISOR}
        assert await listen(agent_phone, settle=0) == {CUSTOMER, SUPERVISOR}
        assert await listen(boss_phone, settle=0) == {CUSTOMER, AGENT}

        r = await client.post(f"{url}/listen", headers=boss.headers)
        assert r.status_code == 200 and r.json()["result"]["mode"] == "listen", r.text
        assert await listen(customer) == {AGENT}
        assert await listen(agent_phone, settle=0) == {CUSTOMER}

        # Another tenant's supervisor gets a 404 and changes nothing.
        other = await make_line(client)
        stranger = await agent(
            client, other.tenant, await business(client, other.tenant), role="supervisor"
        )
        r = await client.post(f"{url}/barge", headers=stranger.headers)
        assert r.status_code == 404, r.text
        assert await listen(customer) == {AGENT}
        await drop_tenant(get_redis(), other.tenant.tenant_id)
    finally:
        await talking.stop()


async def test_rest_listen_whisper_barge_hear_matrix_then_force_release(
    b2bua: B2bua,  # noqa: F811
    client: httpx.AsyncClient,
    line: Line,  # noqa: F811
    phones: Phones,
    ended: list[CallSession],  # noqa: F811
    redis: Redis,
) -> None:
    """A live call on the agent's seat (101), which the ACD has as the agent's call."""
    tenant = line.tenant
    sales = await business(client, tenant)
    q = await queue(client, tenant, sales, "support")
    extensions = (await client.get("/api/v1/extensions/", headers=tenant.headers)).json()
    items = extensions["items"] if isinstance(extensions, dict) else extensions
    seat = next(e["id"] for e in items if e["number"] == "101")
    user = await add_user(client, tenant, "agent")
    profile = {"userId": user["id"], "businessId": sales, "extensionId": seat}
    r = await client.post("/api/v1/acd/agents/", headers=tenant.headers, json=profile)
    assert r.status_code == 201, r.text
    r = await client.put(f"/api/v1/acd/agents/{r.json()['id']}/queues", headers=tenant.headers,
                         json=[{"queueId": q["id"], "priority": 0}])  # fmt: skip
    assert r.status_code == 200, r.text
    token = (await login(client, tenant.slug, user["email"])).json()["token"]
    r = await client.post("/api/v1/cti/sign-in", json={},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 200, r.text
    boss = await agent(client, tenant, sales, role="supervisor")
    await phones.add(boss.extension)

    call = await place_call(b2bua, line, phones)
    acd = Acd(redis, tenant.tenant_id)
    assert isinstance(await acd.offer(Call(call.key, q["id"])), Offered)
    await acd.answer(call.key, user["id"])
    url = f"/api/v1/cti/agents/{user['id']}"

    await _hear_matrix(client, url, boss, phones, call.caller.peer, phones.peers["101"])

    r = await client.post(f"{url}/release", headers=boss.headers)
    assert r.status_code == 200 and r.json()["result"] == {"ended": True}, r.text
    await wait_for(lambda: call.caller.hung_up.is_set() and call.session in ended, limit=5)
    assert sorted(phones.byes) == sorted(["101", boss.extension])
    assert call.session.call.hangup_side == "supervisor"
    await acd.hangup(call.key)  # what callcontrol's ACD side does for a queued call
    r = await client.post(f"{url}/listen", headers=boss.headers)
    assert (r.status_code, r.json()["code"]) == (409, "no_call")
    await call.caller.close()
    await drop_tenant(redis, tenant.tenant_id)


# The agent's seat sends its RTP to rtpengine's "ivr" monologue on a queued call: call control
# re-points that one (CallControl._ingress), so the mixer hears the agent.
async def test_rest_hear_matrix_on_a_call_the_acd_queued(
    b2bua: B2bua,  # noqa: F811
    client: httpx.AsyncClient,
    line: Line,  # noqa: F811
    phones: Phones,
    tmp_path: Path,
    ended: list[CallSession],  # noqa: F811
    redis: Redis,
) -> None:
    floor = await _queued_call_to_agent(client, b2bua, line, phones, tmp_path, ended)
    assert floor.customer.peer is not None
    try:
        await _hear_matrix(
            client, floor.url(""), floor.boss, phones, floor.customer.peer,
            phones.peers[floor.agent.extension],
        )  # fmt: skip
    finally:
        r = await client.post(floor.url("release"), headers=floor.boss.headers)
        assert r.status_code == 200, r.text
        await floor.customer.finish(limit=10)
        await floor.customer.stop()
        await drop_tenant(redis, line.tenant.tenant_id)


async def test_force_release_through_rest_ends_a_queued_call(
    b2bua: B2bua,  # noqa: F811
    client: httpx.AsyncClient,
    line: Line,  # noqa: F811
    phones: Phones,
    tmp_path: Path,
    ended: list[CallSession],  # noqa: F811
    redis: Redis,
) -> None:
    floor = await _queued_call_to_agent(client, b2bua, line, phones, tmp_path, ended)
    r = await client.post(floor.url("release"), headers=floor.boss.headers)
    assert r.status_code == 200 and r.json()["result"] == {"ended": True}, r.text
    assert r.json()["callId"] == floor.session.call.key
    await floor.customer.finish(limit=10)  # SIPp got our BYE and answered it
    await wait_for(lambda: floor.session in ended, limit=5)
    assert phones.byes == [floor.agent.extension]
    assert floor.session.call.hangup_side == "supervisor"
    acd = Acd(redis, line.tenant.tenant_id)
    status = await acd.agent_status(floor.agent.user_id)
    assert status.state is AgentState.AFTER_CALL_WORK, "the ACD saw the call end"
    r = await client.post(floor.url("listen"), headers=floor.boss.headers)
    assert (r.status_code, r.json()["code"]) == (409, "no_call")
    await floor.customer.stop()
    await drop_tenant(redis, line.tenant.tenant_id)


async def test_record_through_rest_starts_capturing_the_agents_call(
    b2bua: B2bua,  # noqa: F811
    client: httpx.AsyncClient,
    line: Line,  # noqa: F811
    phones: Phones,
    tmp_path: Path,
    ended: list[CallSession],  # noqa: F811
    redis: Redis,
) -> None:
    floor = await _queued_call_to_agent(client, b2bua, line, phones, tmp_path, ended)
    assert floor.customer.peer is not None
    pcaps = b2bua.config.recording_dir / "pcaps"
    media = floor.session.media_id

    def captured() -> list[Path]:
        return sorted(pcaps.glob(f"{media}*.pcap")) if pcaps.exists() else []

    agent_phone = phones.peers[floor.agent.extension]
    talking = Talking((floor.customer.peer, CUSTOMER), (agent_phone, AGENT))
    try:
        await listen(agent_phone)
        assert not floor.session.recording and captured() == [], "this tenant records nothing"
        # Recording needs no seat: a seat-less admin may start it.
        r = await client.post(floor.url("record"), headers=line.tenant.headers)
        assert r.status_code == 200, r.text
        assert r.json()["result"] == {"recording": [floor.session.call.key]}
        assert floor.session.recording
        await wait_for(lambda: bool(captured()) and captured()[0].stat().st_size > 0, limit=5)
        size = captured()[0].stat().st_size
        await listen(agent_phone, seconds=0.5)
        assert captured()[0].stat().st_size > size + 8000, "the call's packets are written"
        # And stopped again: what was recorded stays, nothing more is written.
        r = await client.post(floor.url("stop-record"), headers=line.tenant.headers)
        assert r.status_code == 200, r.text
        assert r.json()["result"] == {"stopped": [floor.session.call.key]}
        assert not floor.session.recording
        await asyncio.sleep(0.3)  # packets already in rtpengine's buffers
        stopped_at = captured()[0].stat().st_size
        await listen(agent_phone, seconds=0.5)
        assert captured()[0].stat().st_size < stopped_at + 1000, "no more packets written"
    finally:
        await talking.stop()
    r = await client.post(floor.url("release"), headers=floor.boss.headers)
    assert r.status_code == 200, r.text
    await floor.customer.finish(limit=10)
    await floor.customer.stop()
    await drop_tenant(redis, line.tenant.tenant_id)
