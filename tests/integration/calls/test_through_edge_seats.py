"""Click-to-call and internal calls with every SIP message through a real Kamailio
(API-3, SEAT-6, EDGE-1, EDGE-2).

Seats REGISTER through Kamailio with digest auth; the carrier trunk is a SIPp UAS that
challenges callcontrol's INVITE once and checks the trunk's credentials.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from app.calls.models import CallRecord
from app.db.session import tenant_session
from tests.integration.calls.conftest import Line
from tests.integration.calls.edge_calls import (
    CARRIER_PASSWORD,
    CARRIER_USER,
    SEAT_PASSWORDS,
    EdgeStack,
    challenging_carrier_scenario,
    edge_stack,
    next_seat_ip,
    next_trunk_ip,
    seat_caller_scenario,
    short_dir,
    sipp_args,
    stack,
    wait_for,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE, Sipp, seat_scenario
from tests.integration.calls.test_through_edge_inbound import packets_from, talk
from tests.integration.kamailio_server import free_port
from tests.integration.media.media_rtp_peer import RtpPeer

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("EDGE-1"),
    pytest.mark.feature("EDGE-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
__all__ = ["edge_stack", "short_dir", "stack"]  # module fixtures, imported for pytest


async def cdrs(line: Line) -> list[CallRecord]:
    async with tenant_session(line.tenant.tenant_id) as db:
        return list(await db.scalars(select(CallRecord)))


@pytest.mark.feature("API-3")
async def test_click_to_call_through_the_edge_rings_the_seat_then_the_challenging_carrier(
    stack: EdgeStack, client: httpx.AsyncClient
) -> None:
    carrier_at = (next_trunk_ip(), free_port())
    line = await stack.add_line(
        client,
        host=carrier_at[0],
        port=carrier_at[1],
        source_ips=[carrier_at[0]],
        caller_id="+861088880000",
        username=CARRIER_USER,
        password=CARRIER_PASSWORD,
    )
    seat = (next_seat_ip(), free_port())
    await asyncio.to_thread(stack.register, "101", line, seat)
    agent_media, customer_media = await RtpPeer.open(), await RtpPeer.open()
    phone = await Sipp(
        stack.workdir,
        "agent101",
        seat_scenario(media_port=agent_media.port, expect_call_key=True),
        sipp_args(*seat),
    ).start()
    carrier = await Sipp(
        stack.workdir,
        "carrier",
        challenging_carrier_scenario(
            media_port=customer_media.port,
            user=CARRIER_USER,
            password=CARRIER_PASSWORD,
            hangs_up_after_ms=2500,
            realm="carrier.example",
        ),
        sipp_args(*carrier_at),
    ).start()
    await asyncio.sleep(0.2)
    r = await client.post(
        "/api/v1/calls/click-to-call",
        headers=line.tenant.headers,
        json={"extension": "101", "number": "139 0013 9000"},
    )
    assert r.status_code == 202, r.text
    try:
        await asyncio.gather(
            talk(agent_media, 1000, 2.0, stack.sdp_given_to("a"), after=stack.bridged),
            talk(customer_media, 440, 2.0, stack.sdp_given_to("c"), after=stack.bridged),
        )
        agent_run, carrier_run = await asyncio.gather(phone.wait(), carrier.wait())
    finally:
        await phone.stop()
        await carrier.stop()
        agent_media.close()
        customer_media.close()
    assert agent_run.returncode == 0, (agent_run.output, stack.kamailio.log_text()[-3000:])
    assert carrier_run.returncode == 0, carrier_run.output
    await wait_for(lambda: bool(stack.ended), limit=10)
    assert packets_from(customer_media, agent_media) >= 50, "the agent was heard by the customer"
    assert packets_from(agent_media, customer_media) >= 50, "the customer was heard by the agent"
    [cdr] = await cdrs(line)
    assert (cdr.direction, cdr.extension, cdr.to_number, cdr.hangup_side) == (
        "outbound",
        "101",
        "13900139000",
        "customer",
    )
    assert [leg["role"] for leg in cdr.legs] == ["agent", "customer"]
    assert [leg["sipStatus"] for leg in cdr.legs] == [200, 200]
    assert cdr.legs[1]["to"] == f"sip:13900139000@{carrier_at[0]}:{carrier_at[1]}"
    assert "+861088880000" in cdr.legs[1]["from"]
    assert cdr.arrived_at <= cdr.answered_at <= cdr.bridged_at <= cdr.ended_at  # type: ignore[operator]


@pytest.mark.feature("SEAT-6")
async def test_internal_call_through_the_edge_between_two_registered_seats(
    stack: EdgeStack, client: httpx.AsyncClient
) -> None:
    line = await stack.add_line(client)
    callee_at, caller_at = (next_seat_ip(), free_port()), (next_seat_ip(), free_port())
    await asyncio.to_thread(stack.register, "101", line, callee_at)
    await asyncio.to_thread(stack.register, "102", line, caller_at)
    caller_media, callee_media = await RtpPeer.open(), await RtpPeer.open()
    callee = await Sipp(
        stack.workdir, "ext101", seat_scenario(media_port=callee_media.port), sipp_args(*callee_at)
    ).start()
    await asyncio.sleep(0.2)
    caller = await Sipp(
        stack.workdir,
        "ext102",
        seat_caller_scenario(
            ext="102",
            password=SEAT_PASSWORDS["102"],
            domain=line.domain,
            target=f"101@{line.domain}",
            media_port=caller_media.port,
        ),
        sipp_args(*caller_at, stack.remote),
    ).start()
    try:
        await asyncio.gather(
            talk(caller_media, 440, 2.0, stack.sdp_given_to("c"), after=stack.bridged),
            talk(callee_media, 1000, 2.0, stack.sdp_given_to("a"), after=stack.bridged),
        )
        uac, uas = await asyncio.gather(caller.wait(), callee.wait())
    finally:
        await caller.stop()
        await callee.stop()
        caller_media.close()
        callee_media.close()
    assert uac.returncode == 0, (uac.output, stack.kamailio.log_text()[-3000:])
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(stack.ended), limit=10)
    assert packets_from(callee_media, caller_media) >= 60, "the caller was heard"
    assert packets_from(caller_media, callee_media) >= 60, "the callee was heard"
    [cdr] = await cdrs(line)
    assert (cdr.direction, cdr.from_number, cdr.to_number, cdr.hangup_side) == (
        "internal",
        "102",
        "101",
        "other",
    )
    assert cdr.bridged_at is not None


@pytest.mark.feature("SEAT-6")
async def test_a_seat_calling_another_tenants_extension_through_the_edge_is_refused(
    stack: EdgeStack, client: httpx.AsyncClient
) -> None:
    line, other = await stack.add_line(client), await stack.add_line(client)
    caller_at, victim_at = (next_seat_ip(), free_port()), (next_seat_ip(), free_port())
    await asyncio.to_thread(stack.register, "102", line, caller_at)
    await asyncio.to_thread(stack.register, "101", other, victim_at)
    media, victim_media = await RtpPeer.open(), await RtpPeer.open()
    # The other tenant's 101 is registered and would answer; it must never ring.
    victim = await Sipp(
        stack.workdir, "victim", seat_scenario(media_port=victim_media.port), sipp_args(*victim_at)
    ).start()
    caller = await Sipp(
        stack.workdir,
        "intruder",
        seat_caller_scenario(
            ext="102",
            password=SEAT_PASSWORDS["102"],
            domain=line.domain,
            target=f"101@{other.domain}",
            media_port=media.port,
            expect=403,
        ),
        sipp_args(*caller_at, stack.remote),
    ).start()
    try:
        run = await caller.wait()
        await asyncio.sleep(0.5)
        assert victim.proc is not None and victim.proc.returncode is None, "victim untouched"
    finally:
        await caller.stop()
        await victim.stop()
        media.close()
        victim_media.close()
    assert run.returncode == 0, (run.output, stack.kamailio.log_text()[-3000:])
    assert media.received == [] and victim_media.received == []
    assert stack.ended == []
    assert await cdrs(line) == [] and await cdrs(other) == []
