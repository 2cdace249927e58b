"""An inbound trunk call with every SIP message through a real Kamailio (EDGE-1, EDGE-2, TEN-9).

Carrier (SIPp, from its trunk's source address) -> Kamailio -> callcontrol (rtpengine: prompt,
RFC 4733 digit) -> Kamailio -> the seat that REGISTERED through Kamailio with digest auth.
Media is counted at both ends by Python RTP peers; the CDR is read back from Postgres.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import select

from app.calls.models import CallRecord
from app.db.session import tenant_session
from tests.integration.calls.conftest import Line
from tests.integration.calls.edge_calls import (
    EdgeStack,
    edge_stack,
    next_seat_ip,
    next_trunk_ip,
    short_dir,
    sipp_args,
    stack,
    wait_for,
)
from tests.integration.calls.sipp_calls import (
    SIPP_AVAILABLE,
    Sipp,
    SippRun,
    customer_scenario,
    seat_scenario,
)
from tests.integration.kamailio_server import free_port
from tests.integration.media.media_rtp_peer import RtpPeer

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("EDGE-1"),
    pytest.mark.feature("EDGE-2"),
    pytest.mark.feature("TEN-9"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
__all__ = ["edge_stack", "short_dir", "stack"]  # module fixtures, imported for pytest


async def talk(
    peer: RtpPeer,
    freq: float,
    seconds: float,
    remote_of: Callable[[], tuple[str, int] | None],
    after: Callable[[], bool] | None = None,
) -> int:
    """Send a tone once the B2BUA has told this party where rtpengine wants its media (and,
    with `after`, once that holds: an agent speaks when bridged, not while ringing)."""
    await wait_for(lambda: remote_of() is not None and (after is None or after()), limit=8)
    peer.remote = remote_of()
    return await peer.send_tone(freq, seconds)


def packets_from(peer: RtpPeer, other: RtpPeer) -> int:
    """Audio packets `peer` got that `other` sent (rtpengine relays the SSRC unchanged)."""
    return sum(1 for p in peer.audio_packets() if p.ssrc == other.ssrc)


def prompt_packets(customer: RtpPeer, agent: RtpPeer) -> int:
    """Audio packets the customer got from rtpengine itself: the welcome prompt."""
    return len(customer.audio_packets()) - packets_from(customer, agent)


async def trunk_line(stack: EdgeStack, client: httpx.AsyncClient) -> tuple[Line, str]:
    trunk_ip = next_trunk_ip()
    line = await stack.add_line(
        client, host=trunk_ip, port=5060, source_ips=[trunk_ip], caller_id="+862150000000"
    )
    return line, trunk_ip


async def run_inbound(
    stack: EdgeStack, client: httpx.AsyncClient, *, customer_hangs_up: bool
) -> tuple[Line, RtpPeer, RtpPeer, SippRun, SippRun]:
    line, trunk_ip = await trunk_line(stack, client)
    seat = (next_seat_ip(), free_port())
    await asyncio.to_thread(stack.register, "101", line, seat)
    customer, agent = await RtpPeer.open(), await RtpPeer.open()
    phone = await Sipp(
        stack.workdir,
        "seat101",
        seat_scenario(media_port=agent.port, hangs_up_after_ms=None if customer_hangs_up else 2500),
        sipp_args(*seat),
    ).start()
    await asyncio.sleep(0.2)
    carrier = await Sipp(
        stack.workdir,
        "carrier",
        customer_scenario(
            caller="13800138000",
            media_port=customer.port,
            digit="7",
            talk_ms=3400,
            hangs_up=customer_hangs_up,
        ),
        [*sipp_args(trunk_ip, free_port(), stack.remote), "-s", line.did],
    ).start()
    try:
        # The caller speaks from the start (rtpengine learns its address); the agent once
        # bridged.
        await asyncio.gather(
            talk(customer, 440, 3.5, stack.sdp_given_to("c")),
            talk(agent, 1000, 2.0, stack.sdp_given_to("a"), after=stack.bridged),
        )
        uac, uas = await asyncio.gather(carrier.wait(), phone.wait())
    finally:
        await carrier.stop()
        await phone.stop()
        customer.close()
        agent.close()
    return line, customer, agent, uac, uas


async def the_cdr(line: Line) -> CallRecord:
    async with tenant_session(line.tenant.tenant_id) as db:
        [cdr] = list(await db.scalars(select(CallRecord)))
    return cdr


def check_cdr(cdr: CallRecord, line: Line, hangup_side: str) -> None:
    assert (cdr.direction, cdr.to_number, cdr.from_number, cdr.extension, cdr.dtmf) == (
        "inbound",
        line.did,
        "13800138000",
        "101",
        "7",
    )
    assert cdr.hangup_side == hangup_side
    assert cdr.answered_at and cdr.bridged_at and cdr.ended_at
    assert cdr.arrived_at <= cdr.answered_at <= cdr.bridged_at <= cdr.ended_at
    assert [leg["role"] for leg in cdr.legs] == ["customer", "agent"]
    assert [leg["sipStatus"] for leg in cdr.legs] == [200, 200]
    assert all(leg["state"] == "ended" for leg in cdr.legs)
    # The agent leg was addressed to the seat's AOR; Kamailio found the contact.
    assert cdr.legs[1]["to"].startswith(f"sip:101@{line.domain}")


async def test_trunk_call_through_the_edge_customer_hangs_up(
    stack: EdgeStack, client: httpx.AsyncClient
) -> None:
    line, customer, agent, uac, uas = await run_inbound(stack, client, customer_hangs_up=True)
    assert uac.returncode == 0, (uac.output, stack.kamailio.log_text()[-3000:])
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(stack.ended), limit=10)
    # The prompt reached the caller before the bridge, then the agent's tone did.
    assert prompt_packets(customer, agent) >= 20, "the prompt was heard"
    assert packets_from(customer, agent) >= 50, "the agent was heard by the caller"
    assert packets_from(agent, customer) >= 50, "the caller was heard by the agent"
    check_cdr(await the_cdr(line), line, "customer")


async def test_trunk_call_through_the_edge_agent_hangs_up(
    stack: EdgeStack, client: httpx.AsyncClient
) -> None:
    line, customer, agent, uac, uas = await run_inbound(stack, client, customer_hangs_up=False)
    assert uac.returncode == 0, (uac.output, stack.kamailio.log_text()[-3000:])
    assert uas.returncode == 0, uas.output
    await wait_for(lambda: bool(stack.ended), limit=10)
    assert prompt_packets(customer, agent) >= 20
    assert packets_from(customer, agent) >= 50
    assert packets_from(agent, customer) >= 50
    check_cdr(await the_cdr(line), line, "agent")
