"""The call and leg state machines: allowed paths, refusals, timestamps, CDR values."""

from __future__ import annotations

import uuid

import pytest

from app.callcontrol.call import Call, CallState, InvalidTransition, Leg, LegRole, LegState

pytestmark = pytest.mark.feature("EDGE-2")


def new_call() -> Call:
    return Call(key="k1", tenant_id=uuid.uuid4(), direction="inbound", to_number="+8610")


def test_inbound_path_sets_timestamps_in_order() -> None:
    call = new_call()
    for state in (CallState.IVR, CallState.RINGING, CallState.BRIDGED):
        event = call.move(state)
        assert event["state"] == state and event["tenantId"] == str(call.tenant_id)
    call.mark_answered()
    assert call.bridged_at is not None
    assert call.end("normal", "customer") is not None
    assert call.ended_at is not None and call.bridged_at <= call.ended_at
    assert call.end("again", "agent") is None, "a call ends once; the first cause wins"
    assert (call.hangup_cause, call.hangup_side) == ("normal", "customer")


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        ((), CallState.BRIDGED),  # no bridge without ringing
        ((CallState.IVR, CallState.RINGING, CallState.BRIDGED), CallState.ARRIVING),
        ((CallState.RINGING,), CallState.IVR),
    ],
)
def test_backward_or_skipping_moves_are_refused(
    path: tuple[CallState, ...], bad: CallState
) -> None:
    call = new_call()
    for state in path:
        call.move(state)
    with pytest.raises(InvalidTransition):
        call.move(bad)


@pytest.mark.feature("IVR-7")
@pytest.mark.feature("SEAT-6")
def test_a_bridged_caller_sent_into_a_flow_or_a_queue_keeps_its_first_bridge() -> None:
    call = new_call()
    for state in (CallState.IVR, CallState.RINGING, CallState.BRIDGED):
        call.move(state)
    first_bridge = call.bridged_at
    call.move(CallState.IVR)  # IVR-7: into a flow...
    call.move(CallState.BRIDGED)  # ...and back to the same agent
    call.move(CallState.QUEUED)  # SEAT-6: transferred to a queue
    call.move(CallState.RINGING)
    call.move(CallState.BRIDGED)
    assert call.bridged_at == first_bridge, "the CDR keeps the first bridge"


def test_ending_a_call_ends_every_leg_with_its_cause() -> None:
    call = new_call()
    customer = Leg(LegRole.CUSTOMER, "sip1", "sip:a@x", "sip:b@y", "c")
    agent = Leg(LegRole.AGENT, "sip2", "sip:b@y", "sip:101@t", "a")
    call.legs += [customer, agent]
    assert customer.move(LegState.ANSWERED, status=200)
    assert not customer.move(LegState.ANSWERED), "same state: no event"
    with pytest.raises(InvalidTransition):
        customer.move(LegState.RINGING)  # an answered leg does not ring again
    call.end("no answer", "agent")
    assert [leg.state for leg in call.legs] == [LegState.ENDED, LegState.ENDED]
    values = call.cdr_values()
    assert [leg["role"] for leg in values["legs"]] == ["customer", "agent"]
    assert values["legs"][0]["sipStatus"] == 200 and values["legs"][1]["cause"] == "no answer"
    assert values["call_key"] == "k1" and values["tenant_id"] == call.tenant_id
