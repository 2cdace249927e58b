"""Supervisor listen, whisper and barge on an agent's live call through our mixer, switching
modes live, then force release and recording of a chosen agent; customer 500 Hz, agent 1100 Hz,
supervisor 1700 Hz (SEAT-7)."""

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

pytestmark = [pytest.mark.telephony, pytest.mark.feature("SEAT-7")]
SUPERVISOR = THIRD


@pytest.fixture
async def phones(seat_port: int) -> AsyncIterator[Phones]:
    phones = await Phones(seat_port).start()
    yield phones
    await phones.close()


async def test_listen_whisper_barge_hear_matrix_switching_live(
    b2bua: B2bua, line: Line, phones: Phones, ended: list[CallSession]
) -> None:
    call: LiveCall = await place_call(b2bua, line, phones, "109")
    customer, agent, boss = call.caller.peer, phones.peers["101"], phones.peers["109"]
    talking = Talking((customer, CUSTOMER), (agent, AGENT), (boss, SUPERVISOR))
    try:
        reply = await call.command("listen", supervisorExtension="109")
        assert (reply.ok, reply.result) == (True, {"mode": "listen", "state": "ringing"})
        await wait_for(lambda: "109" in phones.answered, limit=5)
        assert await listen(boss) == {CUSTOMER, AGENT}
        assert await listen(customer, settle=0) == {AGENT}
        assert await listen(agent, settle=0) == {CUSTOMER}

        reply = await call.command("whisper", supervisorExtension="109")
        assert (reply.ok, reply.result) == (True, {"mode": "whisper", "state": "connected"})
        assert await listen(agent) == {CUSTOMER, SUPERVISOR}
        assert await listen(customer, settle=0) == {AGENT}
        assert await listen(boss, settle=0) == {CUSTOMER, AGENT}

        assert (await call.command("barge", supervisorExtension="109")).ok
        assert await listen(customer) == {AGENT, SUPERVISOR}
        assert await listen(agent, settle=0) == {CUSTOMER, SUPERVISOR}

        assert (await call.command("listen", supervisorExtension="109")).ok
        assert await listen(customer) == {AGENT}
        assert await listen(agent, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()
    released = await call.command("force_release")
    assert (released.ok, released.result) == (True, {"ended": True})
    await wait_for(lambda: call.caller.hung_up.is_set() and bool(ended), limit=5)
    assert sorted(phones.byes) == ["101", "109"]
    assert ended[-1].call.hangup_side == "supervisor"
    await call.caller.close()


async def test_supervisor_hangs_up_and_the_call_goes_on(
    b2bua: B2bua, line: Line, phones: Phones, ended: list[CallSession]
) -> None:
    call = await place_call(b2bua, line, phones, "109")
    assert (await call.command("listen", supervisorExtension="109")).ok
    await wait_for(lambda: "109" in phones.answered, limit=5)
    assert await phones.hang_up("109") == 200
    assert not call.session.ending, "the supervisor's BYE ended the agent's call"
    assert call.session.legs["s"].leg.state == "ended"
    again = await call.command("barge", supervisorExtension="109")
    assert again.ok, again.error  # the supervisor can come back
    await wait_for(lambda: phones.answered.count("109") == 2, limit=5)
    await b2bua.hangup(call.session, "test over", "system")
    await call.caller.close()


async def test_record_a_chosen_agent_starts_recording_their_live_call(
    b2bua: B2bua, line: Line, phones: Phones, ended: list[CallSession]
) -> None:
    call = await place_call(b2bua, line, phones)
    call.session.recording = False  # this tenant does not record every call
    reply = await call.command("record", callId="", agentExtension="101")
    assert (reply.ok, reply.result) == (True, {"recording": [call.key]}), reply.error
    assert call.session.recording
    nobody = await call.command("record", callId="", agentExtension="555")
    assert (nobody.ok, nobody.status) == (False, 404)
    await b2bua.hangup(call.session, "test over", "system")
    await call.caller.close()
