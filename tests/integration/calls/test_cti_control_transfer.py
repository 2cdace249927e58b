"""Blind and attended transfers and internal dialing from the CTI, with a real rtpengine: who
ends up talking to whom, tone by tone (SEAT-6, API-3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from app.db.session import tenant_session
from app.lib.redis import get_redis
from app.seats.cti_commands import call_command
from app.seats.services import create_extension
from tests.integration.calls.conftest import Line, make_line
from tests.integration.calls.cti_phones import (
    AGENT,
    CUSTOMER,
    HOLD_MUSIC,
    THIRD,
    LiveCall,
    Phones,
    Talking,
    listen,
    place_call,
)
from tests.integration.calls.test_inbound_call import wait_for

pytestmark = [pytest.mark.telephony, pytest.mark.feature("SEAT-6"), pytest.mark.feature("API-3")]


@pytest.fixture
async def phones(seat_port: int) -> AsyncIterator[Phones]:
    phones = await Phones(seat_port).start()
    yield phones
    await phones.close()


@pytest.fixture
async def live_call(
    b2bua: B2bua, line: Line, phones: Phones, ended: list[CallSession]
) -> AsyncIterator[LiveCall]:
    call = await place_call(b2bua, line, phones, "103")
    yield call
    if not call.session.ending:
        await b2bua.hangup(call.session, "test over", "system")
    await call.caller.close()


async def test_blind_transfer_leaves_the_customer_talking_to_the_target(
    live_call: LiveCall, ended: list[CallSession]
) -> None:
    customer = live_call.caller.peer
    agent, target = live_call.phones.peers["101"], live_call.phones.peers["103"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT), (target, THIRD))
    try:
        reply = await live_call.command(
            "transfer", mode="blind", targetKind="extension", target="103"
        )
        assert (reply.ok, reply.result["state"]) == (True, "ringing"), reply.error
        await wait_for(lambda: "103" in live_call.phones.answered, limit=5)
        assert live_call.phones.byes == ["101"], "the agent was released"
        assert await listen(customer) == {THIRD}
        assert await listen(target, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()
    # The target is the call's agent now: the CTI's hang-up ends it for everybody.
    assert (await live_call.command("hangup", extension="103")).ok
    await wait_for(lambda: live_call.caller.hung_up.is_set() and bool(ended), limit=5)
    assert live_call.phones.byes == ["101", "103"]


async def test_attended_transfer_consults_then_completes(live_call: LiveCall) -> None:
    customer = live_call.caller.peer
    agent, target = live_call.phones.peers["101"], live_call.phones.peers["103"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT), (target, THIRD))
    try:
        early = await live_call.command("complete_transfer")
        assert (early.ok, early.status) == (False, 409)
        reply = await live_call.command(
            "transfer", mode="attended", targetKind="extension", target="103"
        )
        assert reply.ok, reply.error
        await wait_for(lambda: "103" in live_call.phones.answered, limit=5)
        heard = await listen(customer)
        assert AGENT not in heard and THIRD not in heard, "the held customer overheard"
        assert set(HOLD_MUSIC) & heard, f"no music while the agent consults: {heard}"
        assert await listen(agent, settle=0) == {THIRD}
        assert await listen(target, settle=0) == {AGENT}
        done = await live_call.command("complete_transfer")
        assert (done.ok, done.result) == (True, {"transferred": True, "leg": "x1"}), done.error
        assert live_call.phones.byes == ["101"]
        assert await listen(customer) == {THIRD}
        assert await listen(target, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()


async def test_attended_transfer_cancelled_returns_to_the_customer(live_call: LiveCall) -> None:
    customer = live_call.caller.peer
    agent, target = live_call.phones.peers["101"], live_call.phones.peers["103"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT), (target, THIRD))
    try:
        reply = await live_call.command(
            "transfer", mode="attended", targetKind="extension", target="103"
        )
        assert reply.ok, reply.error
        await wait_for(lambda: "103" in live_call.phones.answered, limit=5)
        assert (await live_call.command("cancel_transfer")).result == {"transferred": False}
        assert live_call.phones.byes == ["103"]
        assert await listen(customer) == {AGENT}
        assert await listen(agent, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()


async def test_dial_from_the_cti_rings_the_agent_then_the_extension(
    b2bua: B2bua, line: Line, phones: Phones, ended: list[CallSession]
) -> None:
    async with tenant_session(line.tenant.tenant_id) as db:
        await create_extension(db, line.tenant.tenant_id, "103", "Seat-Pass-103")
    agent, callee = await phones.add("101"), await phones.add("103")
    for _ in range(5):
        reply = await call_command(
            get_redis(), line.tenant.tenant_id, "dial", {"extension": "101", "target": "103"}
        )
        # Any node may take a `dial`; on a shared test Redis that can be another test run's
        # callcontrol, with another database: its 404 is not ours to judge.
        if reply.status != 404:
            break
    assert (reply.ok, reply.result.get("state")) == (True, "ringing"), reply.error
    session = b2bua.sessions[reply.result["callId"]]
    await wait_for(lambda: session.call.state == "bridged", limit=5)
    assert phones.answered == ["101", "103"]
    talking = Talking((agent, AGENT), (callee, THIRD))
    try:
        assert await listen(agent) == {THIRD}
        assert await listen(callee, settle=0) == {AGENT}
    finally:
        await talking.stop()
    await b2bua.hangup(session, "test over", "system")
    assert ended and ended[-1].call.direction == "internal"


async def test_a_consultation_nobody_takes_returns_to_the_customer_and_a_failed_blind_transfer_ends(
    live_call: LiveCall, ended: list[CallSession]
) -> None:
    async with tenant_session(live_call.line.tenant.tenant_id) as db:
        await create_extension(db, live_call.line.tenant.tenant_id, "104", "Seat-Pass-104")
    customer, agent = live_call.caller.peer, live_call.phones.peers["101"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT))
    try:
        # Seat 104 exists but its phone is not registered anywhere: 404 from the edge.
        reply = await live_call.command(
            "transfer", mode="attended", targetKind="extension", target="104"
        )
        assert reply.ok, reply.error
        await wait_for(lambda: live_call.session.legs["x1"].leg.state == "ended", limit=5)
        assert await listen(customer) == {AGENT}, "the customer is back with the agent"
        assert not live_call.session.ending
        reply = await live_call.command(
            "transfer", mode="blind", targetKind="extension", target="104"
        )
        assert reply.ok, reply.error
        await wait_for(lambda: bool(ended), limit=5)
        assert ended[-1].call.hangup_cause == "transfer failed"
        assert live_call.caller.hung_up.is_set()
    finally:
        await talking.stop()


async def test_blind_transfer_to_an_external_number_goes_out_through_the_trunk(
    b2bua: B2bua, client: httpx.AsyncClient, phones: Phones, seat_port: int
) -> None:
    # The tenant's carrier trunk is the test's phone switch: the number rings a peer there.
    line = await make_line(client, host="127.0.0.1", port=seat_port, caller_id="+861088880000")
    call = await place_call(b2bua, line, phones)
    outside = await phones.add("+8613900139000")
    customer = call.caller.peer
    talking = Talking((customer, CUSTOMER), (outside, THIRD))
    try:
        reply = await call.command(
            "transfer", mode="blind", targetKind="external", target="+8613900139000"
        )
        assert reply.ok, reply.error
        await wait_for(lambda: "+8613900139000" in phones.answered, limit=5)
        assert phones.byes == ["101"]
        assert await listen(customer) == {THIRD}
        assert await listen(outside, settle=0) == {CUSTOMER}
        assert call.session.call.legs[-1].role == "other"
    finally:
        await talking.stop()
        await b2bua.hangup(call.session, "test over", "system")
        await call.caller.close()


async def test_the_agent_hanging_up_during_a_consultation_completes_the_transfer(
    live_call: LiveCall,
) -> None:
    customer = live_call.caller.peer
    agent, target = live_call.phones.peers["101"], live_call.phones.peers["103"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT), (target, THIRD))
    try:
        reply = await live_call.command(
            "transfer", mode="attended", targetKind="extension", target="103"
        )
        assert reply.ok, reply.error
        await wait_for(lambda: "103" in live_call.phones.answered, limit=5)
        await wait_for(lambda: live_call.session.legs["x1"].remote_sdp != "", limit=3)
        assert await live_call.phones.hang_up("101") == 200
        assert not live_call.session.ending
        assert await listen(customer) == {THIRD}
        assert await listen(target, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()
