"""SEAT-6 through a real Kamailio: a trunk caller queued to an agent whose seat REGISTERED
through Kamailio is blind-transferred by that agent (CTI REST) to another queue; its agent,
registered through Kamailio too, takes the call and the media flows both ways (counted per SSRC
at each end); the CDR keeps both agent legs."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from app.callcontrol.call import CallState
from app.calls.models import CallRecord
from app.db.session import tenant_session
from tests.integration.calls.edge_calls import (
    SEAT_PASSWORDS,
    EdgeStack,
    edge_stack,
    next_seat_ip,
    short_dir,
    sipp_args,
    stack,
    wait_for,
)
from tests.integration.calls.ivr_live_helpers import node, publish_flow
from tests.integration.calls.sipp_calls import (
    SIPP_AVAILABLE,
    Sipp,
    customer_scenario,
    seat_scenario,
)
from tests.integration.calls.test_through_edge_inbound import packets_from, trunk_line
from tests.integration.kamailio_server import free_port
from tests.integration.media.media_rtp_peer import RtpPeer
from tests.integration.seats.acd_setup import AgentCtx, agent, business, queue

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.feature("SEAT-6"),
    pytest.mark.feature("EDGE-2"),
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]
__all__ = ["edge_stack", "short_dir", "stack"]  # module fixtures, imported for pytest
AGENT_PASSWORD = "sip-secret-99"  # acd_setup.agent's extensions


async def ready_seat(client: httpx.AsyncClient, stack: EdgeStack, line: object,
                     who: AgentCtx, media: RtpPeer) -> Sipp:  # fmt: skip
    SEAT_PASSWORDS.setdefault(who.extension, AGENT_PASSWORD)
    seat = (next_seat_ip(), free_port())
    await asyncio.to_thread(stack.register, who.extension, line, seat)  # type: ignore[arg-type]
    r = await client.post("/api/v1/cti/sign-in", headers=who.headers, json={"ready": True})
    assert r.status_code == 200, r.text
    scenario = seat_scenario(media_port=media.port)  # answers, waits for our BYE
    return await Sipp(stack.workdir, f"seat{who.extension}", scenario, sipp_args(*seat)).start()


async def test_blind_transfer_to_a_queue_through_the_edge(
    stack: EdgeStack, client: httpx.AsyncClient
) -> None:
    line, trunk_ip = await trunk_line(stack, client)
    sales = await business(client, line.tenant)
    first_q = await queue(client, line.tenant, sales, "front", announcePosition=False,
                          announceWait=False)  # fmt: skip
    second_q = await queue(client, line.tenant, sales, "back office", announcePosition=False,
                           announceWait=False)  # fmt: skip
    first = await agent(client, line.tenant, sales, [first_q["id"]])
    second = await agent(client, line.tenant, sales, [second_q["id"]])
    await publish_flow(client, line, {"start": "q", "nodes": [
        node("q", "queue", {"overflow": "bye"}, queue=first_q["id"]),
        node("bye", "hang_up"),
    ]})  # fmt: skip
    customer, a_media, b_media = await RtpPeer.open(), await RtpPeer.open(), await RtpPeer.open()
    phones = [await ready_seat(client, stack, line, who, media)
              for who, media in ((first, a_media), (second, b_media))]  # fmt: skip
    carrier = await Sipp(
        stack.workdir, "carrier",
        customer_scenario(caller="13800138555", media_port=customer.port, digit=None,
                          talk_ms=6000, hangs_up=True),
        [*sipp_args(trunk_ip, free_port(), stack.remote), "-s", line.did],
    ).start()  # fmt: skip
    try:
        await wait_for(stack.bridged, limit=10)
        session = stack.session()
        assert session is not None
        customer.remote = stack.sdp_given_to("c")()
        a_media.remote = stack.sdp_given_to("a")()
        talking = [asyncio.ensure_future(p.send_tone(f, 5.0))
                   for p, f in ((customer, 440.0), (a_media, 1000.0))]  # fmt: skip
        await asyncio.sleep(0.5)
        r = await client.post("/api/v1/cti/calls/transfer", headers=first.headers,
                              json={"mode": "blind", "targetKind": "queue",
                                    "target": second_q["id"]})  # fmt: skip
        assert r.status_code == 200, r.text
        await wait_for(lambda: session.call.state is CallState.BRIDGED
                       and session.call.extension == second.extension, limit=10)  # fmt: skip
        b_media.remote = stack.sdp_given_to("q1")()
        talking.append(asyncio.ensure_future(b_media.send_tone(1700.0, 2.5)))
        from_customer_before = packets_from(b_media, customer)
        await asyncio.gather(*talking)
        runs = await asyncio.gather(carrier.wait(), *(p.wait() for p in phones))
        for run in runs:
            assert run.returncode == 0, run.output
    finally:
        await carrier.stop()
        for phone in phones:
            await phone.stop()
        for peer in (customer, a_media, b_media):
            peer.close()
    assert packets_from(customer, b_media) >= 50, "the customer hears the second agent"
    assert packets_from(b_media, customer) - from_customer_before >= 50, "and is heard"
    await wait_for(lambda: bool(stack.ended), limit=5)
    async with tenant_session(line.tenant.tenant_id) as db:
        record = await db.scalar(select(CallRecord).where(CallRecord.call_key == session.call.key))
    assert record is not None and record.extension == second.extension
    roles = [(leg["role"], leg["sipStatus"]) for leg in record.legs]
    assert roles == [("customer", 200), ("agent", 200), ("agent", 200)], roles
