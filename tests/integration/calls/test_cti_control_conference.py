"""3-way conference from the CTI through our mixer, with a real rtpengine: each party hears the
two others and not itself; a third party hanging up leaves the call going (SEAT-6)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.callcontrol.b2bua import B2bua, CallSession
from tests.integration.calls.conftest import Line
from tests.integration.calls.cti_phones import (
    AGENT,
    CUSTOMER,
    THIRD,
    LiveCall,
    Phones,
    Talking,
    listen,
    place_call,
)
from tests.integration.calls.test_inbound_call import wait_for

pytestmark = [pytest.mark.telephony, pytest.mark.feature("SEAT-6")]


@pytest.fixture
async def phones(seat_port: int) -> AsyncIterator[Phones]:
    phones = await Phones(seat_port).start()
    yield phones
    await phones.close()


async def test_three_way_conference_each_hears_the_two_others(
    b2bua: B2bua, line: Line, phones: Phones, ended: list[CallSession]
) -> None:
    call: LiveCall = await place_call(b2bua, line, phones, "103")
    customer, agent, third = call.caller.peer, phones.peers["101"], phones.peers["103"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT), (third, THIRD))
    try:
        reply = await call.command("conference", targetKind="extension", target="103")
        assert (reply.ok, reply.result.get("state")) == (True, "ringing"), reply.error
        await wait_for(lambda: "103" in phones.answered, limit=5)
        assert await listen(customer) == {AGENT, THIRD}
        assert await listen(agent, settle=0) == {CUSTOMER, THIRD}
        assert await listen(third, settle=0) == {CUSTOMER, AGENT}
        # Mute in a conference: the agent still hears both, nobody hears the agent.
        assert (await call.command("mute")).ok
        assert await listen(customer) == {THIRD}
        assert await listen(agent, settle=0) == {CUSTOMER, THIRD}
        assert (await call.command("unmute")).ok
        busy = await call.command("hold")
        assert busy.ok or busy.status == 409
        if busy.ok:
            assert (await call.command("resume")).ok
    finally:
        await talking.stop()
    await b2bua.hangup(call.session, "test over", "system")
    await call.caller.close()
    assert sorted(phones.byes) == ["101", "103"], "every leg of the conference was released"
