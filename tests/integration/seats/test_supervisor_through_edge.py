"""SEAT-7 and SEAT-9 with every SIP message through a real Kamailio edge: the agent's seat is
remote, behind NAT (its REGISTER, 200 OK and SDP name 192.168.1.50:5060; its packets come from
127.0.0.x), the supervisor's seat is an ordinary registered phone. A customer seat calls the
agent; the supervisor listens, whispers and barges through the REST routes; tones (FFT) at each
phone say who hears whom — the NATed agent included, so media reaches it at its real address —
and a force release ends the call, its BYE reaching the agent through the NAT.
Customer 500 Hz, agent 1100 Hz, supervisor 1700 Hz."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis

from app.seats.acd import Acd, Call, Offered
from tests.integration.calls.conftest import dtmf_port, rtpengine
from tests.integration.calls.cti_phones import AGENT, CUSTOMER, THIRD, Talking, listen
from tests.integration.calls.edge_calls import (
    SEAT_PASSWORDS,
    EdgeStack,
    edge_stack,
    next_seat_ip,
    seat_caller_scenario,
    short_dir,
    sipp_args,
    stack,
    wait_for,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, seat_scenario
from tests.integration.edge.sipp import injection_file, run_sipp
from tests.integration.kamailio_server import free_port
from tests.integration.media.media_rtp_peer import RtpPeer
from tests.integration.seats.acd_setup import agent, business, queue
from tests.integration.seats.conftest import drop_tenant

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("SEAT-7"),
    pytest.mark.feature("SEAT-9"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
PRIVATE_IP = "192.168.1.50"
SEAT_SECRET = "sip-secret-99"  # what acd_setup.agent gives every seat it creates
SUPERVISOR = THIRD
__all__ = ["dtmf_port", "edge_stack", "rtpengine", "short_dir", "stack"]  # fixtures for pytest


def _register(stack: EdgeStack, ext: str, domain: str, at: tuple[str, int], nat: bool) -> None:
    auth = f"[authentication username={ext} password={SEAT_SECRET}]"
    inf = injection_file(stack.workdir, f"reg-{ext}-{at[0]}", [(ext, domain, auth)])
    host, port = stack.remote
    run = run_sipp(
        "register_nat.xml" if nat else "register.xml",
        stack.workdir,
        local=at,
        remote=f"{host}:{port}",
        args=("-inf", str(inf)),
    )
    assert run.final == 200, (run.log, run.errors, stack.kamailio.log_text()[-2000:])


def _behind_nat(scenario: str) -> str:
    """A seat scenario whose Contact and SDP name the private address instead of its own."""
    out = scenario.replace(
        "Contact: <sip:seat@[local_ip]:[local_port];transport=[transport]>",
        f"Contact: <sip:seat@{PRIVATE_IP}:5060;transport=[transport]>",
    ).replace("IN IP4 127.0.0.1", f"IN IP4 {PRIVATE_IP}")
    assert out.count(PRIVATE_IP) >= 4, "the seat scenario changed: update this test"
    return out


def _caller_until_bye(**kwargs: object) -> str:
    """seat_caller_scenario, but the caller talks until the platform hangs up (BYE)."""
    scenario = seat_caller_scenario(**kwargs)  # type: ignore[arg-type]
    head = scenario[: scenario.index("  <pause milliseconds=")]
    return (
        head
        + """  <recv request="BYE" timeout="30000"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""
    )


async def test_supervise_a_nated_agent_through_the_edge_and_release_the_call(
    stack: EdgeStack, client: httpx.AsyncClient, redis: Redis
) -> None:
    line = await stack.add_line(client)
    tenant = line.tenant
    sales = await business(client, tenant)
    q = await queue(client, tenant, sales, "support")
    worker = await agent(client, tenant, sales, [q["id"]])
    boss = await agent(client, tenant, sales, role="supervisor")
    r = await client.post("/api/v1/cti/sign-in", headers=worker.headers, json={})
    assert r.status_code == 200, r.text

    agent_at, boss_at = (next_seat_ip(), free_port()), (next_seat_ip(), free_port())
    customer_at = (next_seat_ip(), free_port())
    await asyncio.to_thread(_register, stack, worker.extension, line.domain, agent_at, True)
    await asyncio.to_thread(_register, stack, boss.extension, line.domain, boss_at, False)
    [contact] = stack.kamailio.rpc("ul.lookup", "location", f"{worker.extension}@{line.domain}")[
        "Contacts"
    ]
    assert PRIVATE_IP in contact["Contact"]["Address"]
    assert contact["Contact"]["Received"] == f"sip:{agent_at[0]}:{agent_at[1]}"

    customer, agent_phone, boss_phone = [await RtpPeer.open() for _ in range(3)]
    phones = [
        await Sipp(stack.workdir, "nat-agent",
                   _behind_nat(seat_scenario(media_port=agent_phone.port)),
                   sipp_args(*agent_at)).start(),
        await Sipp(stack.workdir, "boss", seat_scenario(media_port=boss_phone.port),
                   sipp_args(*boss_at)).start(),
    ]  # fmt: skip
    await asyncio.sleep(0.2)
    caller = await Sipp(
        stack.workdir,
        "customer",
        _caller_until_bye(
            ext="102",
            password=SEAT_PASSWORDS["102"],
            domain=line.domain,
            target=f"{worker.extension}@{line.domain}",
            media_port=customer.port,
        ),
        sipp_args(*customer_at, stack.remote),
    ).start()
    talking: Talking | None = None
    try:
        await wait_for(stack.bridged, limit=10)
        session = stack.session()
        assert session is not None
        # The ACD has this call as the agent's (as for a call it routed).
        acd = Acd(redis, tenant.tenant_id)
        assert isinstance(await acd.offer(Call(session.call.key, q["id"])), Offered)
        await acd.answer(session.call.key, worker.user_id)
        customer.remote, agent_phone.remote = stack.sdp_given_to("c")(), stack.sdp_given_to("a")()
        talking = Talking((customer, CUSTOMER), (agent_phone, AGENT), (boss_phone, SUPERVISOR))
        assert await listen(customer) == {AGENT}, "the NATed agent is heard"
        assert await listen(agent_phone, settle=0) == {CUSTOMER}, "media reaches it behind NAT"

        url = f"/api/v1/cti/agents/{worker.user_id}"
        r = await client.post(f"{url}/listen", headers=boss.headers)
        assert r.status_code == 200 and r.json()["callId"] == session.call.key, r.text
        await wait_for(lambda: stack.sdp_given_to("s")() is not None, limit=5)
        boss_phone.remote = stack.sdp_given_to("s")()
        assert await listen(boss_phone, settle=0.6) == {CUSTOMER, AGENT}
        assert await listen(customer, settle=0) == {AGENT}
        assert await listen(agent_phone, settle=0) == {CUSTOMER}

        r = await client.post(f"{url}/whisper", headers=boss.headers)
        assert r.status_code == 200, r.text
        assert await listen(agent_phone) == {CUSTOMER, SUPERVISOR}
        assert await listen(customer, settle=0) == {AGENT}

        r = await client.post(f"{url}/barge", headers=boss.headers)
        assert r.status_code == 200, r.text
        assert await listen(customer) == {AGENT, SUPERVISOR}
        assert await listen(agent_phone, settle=0) == {CUSTOMER, SUPERVISOR}
        assert await listen(boss_phone, settle=0) == {CUSTOMER, AGENT}

        r = await client.post(f"{url}/release", headers=boss.headers)
        assert r.status_code == 200 and r.json()["result"] == {"ended": True}, r.text
        runs = await asyncio.gather(caller.wait(15), *(p.wait(15) for p in phones))
    finally:
        if talking is not None:
            await talking.stop()
        for sipp in (caller, *phones):
            await sipp.stop()
        for peer in (customer, agent_phone, boss_phone):
            peer.close()
    log = stack.kamailio.log_text()[-3000:]
    # Each phone got the BYE and answered it: the NATed agent through its alias.
    for run in runs:
        assert run.returncode == 0, (run.output[-3000:], log)
    await wait_for(lambda: bool(stack.ended), limit=10)
    assert stack.ended[0].call.hangup_side == "supervisor"
    await drop_tenant(redis, tenant.tenant_id)
