"""CTI call control on a live call, through the real CTI command channel and a real rtpengine:
hold (music reaches the customer, the agent does not), mute, DTMF to the customer, hang-up,
and a reply for every command (SEAT-6, API-3)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from tests.integration.calls.conftest import Line
from tests.integration.calls.cti_phones import (
    AGENT,
    CUSTOMER,
    HOLD_MUSIC,
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
    call = await place_call(b2bua, line, phones)
    yield call
    if not call.session.ending:
        await b2bua.hangup(call.session, "test over", "system")
    await call.caller.close()


async def test_hold_plays_music_to_the_customer_and_hides_the_agent(live_call: LiveCall) -> None:
    customer, agent = live_call.caller.peer, live_call.phones.peers["101"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT))
    try:
        assert await listen(customer) == {AGENT}
        reply = await live_call.command("hold")
        assert (reply.ok, reply.result) == (True, {"held": True})
        heard = await listen(customer)
        assert AGENT not in heard, "the agent's voice reached the customer on hold"
        assert set(HOLD_MUSIC) & heard, f"no music on hold: {heard}"
        assert (await live_call.command("hold")).ok  # twice is harmless
        reply = await live_call.command("resume")
        assert (reply.ok, reply.result) == (True, {"held": False})
        assert await listen(customer) == {AGENT}
    finally:
        await talking.stop()


async def test_mute_silences_the_agent_toward_the_customer_only(live_call: LiveCall) -> None:
    customer, agent = live_call.caller.peer, live_call.phones.peers["101"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT))
    try:
        assert (await live_call.command("mute")).result == {"muted": True}
        heard_by_customer = await listen(customer)
        assert AGENT not in heard_by_customer
        assert await listen(agent, settle=0) == {CUSTOMER}, "the agent still hears the customer"
        assert (await live_call.command("unmute")).result == {"muted": False}
        assert await listen(customer) == {AGENT}
    finally:
        await talking.stop()


async def test_dtmf_reaches_the_customer_as_rfc4733_events(live_call: LiveCall) -> None:
    customer, agent = live_call.caller.peer, live_call.phones.peers["101"]
    # Phones send RTP all through a call; rtpengine injects into the agent's running stream.
    talking = Talking((customer, CUSTOMER), (agent, AGENT))
    try:
        await listen(customer, seconds=0.2)
        before = len(customer.received)
        reply = await live_call.command("dtmf", digits="5#")
        assert (reply.ok, reply.result) == (True, {"sent": "5#"}), reply.error
        await wait_for(
            lambda: (
                {p.payload[0] for p in customer.received[before:] if p.payload_type == 101}
                >= {5, 11}
            ),
            limit=3,
        )
        assert AGENT in await listen(customer), "the agent is still heard after the digits"
    finally:
        await talking.stop()
    bad = await live_call.command("dtmf", digits="5x")
    assert (bad.ok, bad.status) == (False, 400)


async def test_hangup_releases_both_sides_and_every_command_replies(
    live_call: LiveCall, ended: list[CallSession]
) -> None:
    assert (await live_call.command("answer")).result == {"answered": True}
    missing = await live_call.command("hold", callId="0" * 32)
    assert (missing.ok, missing.status) == (False, 404)
    queue = await live_call.command("transfer", targetKind="queue", target="q1")
    assert (queue.ok, queue.status) == (False, 404), "no such queue (SEAT-6: queues are targets)"
    nobody = await live_call.command("transfer", targetKind="extension", target="999")
    assert (nobody.ok, nobody.status) == (False, 404)
    reply = await live_call.command("hangup")
    assert (reply.ok, reply.result) == (True, {"ended": True})
    await wait_for(lambda: bool(ended) and live_call.caller.hung_up.is_set(), limit=5)
    assert live_call.phones.byes == ["101"]
    gone = await live_call.command("resume")
    assert (gone.ok, gone.status) == (False, 404)
