"""A connected queue call sent on by its agent, live: transfer to another queue (SEAT-6), to an
IVR flow (SEAT-6), into a flow and back to the same agent (IVR-7), and the satisfaction survey
after the agent hangs up first (REC-6). A SIPp caller whose RTP peer presses RFC 4733 keys, a
real rtpengine, our B2BUA, and Python seats (cti_phones.Phones) that speak their own tones."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, update

from app.callcontrol.b2bua import B2bua, CallSession
from app.callcontrol.call import CallState
from app.callcontrol.live import call_key_name
from app.db.session import tenant_session
from app.ivr_builder.models import SurveyAnswer
from app.ivr_builder.survey import satisfaction
from app.lib.events import read_events
from app.lib.keys import tenant_key
from app.lib.redis import get_redis
from app.seats.acd import Acd, AgentState
from app.seats.queues import AcdQueue
from tests.fixtures.app import signup
from tests.integration.calls.conftest import Line
from tests.integration.calls.cti_phones import (
    AGENT,
    CUSTOMER,
    HOLD_MUSIC,
    THIRD,
    Phones,
    Talking,
    listen,
)
from tests.integration.calls.ivr_live_helpers import (
    Customer,
    menu,
    node,
    publish_flow,
    wait_collect,
    wait_for,
)
from tests.integration.calls.sipp_calls import SIPP_AVAILABLE
from tests.integration.seats.acd_setup import AgentCtx, agent, business, queue

pytestmark = [
    pytest.mark.telephony,
    pytest.mark.skipif(not SIPP_AVAILABLE, reason="sipp (sip-tester) not installed"),
]

_callers = itertools.count(100)
_flows = itertools.count(1)


@pytest.fixture
async def phones(seat_port: int) -> AsyncIterator[Phones]:
    phones = await Phones(seat_port).start()
    yield phones
    await phones.close()


@dataclass
class QueueCall:
    """A caller of the line's DID, queued by its flow and talking to agent `first`."""

    line: Line
    customer: Customer
    first: AgentCtx
    queue_id: str
    business_id: str

    @property
    def key(self) -> str:
        return self.customer.key

    @property
    def session(self) -> CallSession:
        assert self.customer.session is not None
        return self.customer.session


async def sign_in(client: httpx.AsyncClient, who: AgentCtx) -> None:
    r = await client.post("/api/v1/cti/sign-in", headers=who.headers, json={"ready": True})
    assert r.status_code == 200, r.text


async def flow_only(client: httpx.AsyncClient, line: Line, document: dict[str, Any]) -> str:
    """A published flow bound to no number (a transfer or survey target)."""
    headers = line.tenant.headers
    body = {"name": f"target flow {next(_flows)}", "document": document}
    r = await client.post("/api/v1/ivr/flows", headers=headers, json=body)
    assert r.status_code == 201, r.text
    flow_id = str(r.json()["id"])
    r = await client.post(f"/api/v1/ivr/flows/{flow_id}/publish", headers=headers)
    assert r.status_code == 200, r.text
    return flow_id


@pytest.fixture
async def queue_call(
    b2bua: B2bua, client: httpx.AsyncClient, line: Line, phones: Phones, workdir: Path,
    ended: list[CallSession],
) -> AsyncIterator[QueueCall]:  # fmt: skip
    sales = await business(client, line.tenant)
    q = await queue(client, line.tenant, sales, "first line", announcePosition=False,
                    announceWait=False)  # fmt: skip
    first = await agent(client, line.tenant, sales, [q["id"]])
    await phones.add(first.extension)
    await sign_in(client, first)
    await publish_flow(client, line, {"start": "q", "nodes": [
        node("q", "queue", {"overflow": "bye"}, queue=q["id"]),
        node("bye", "hang_up", reason="overflow"),
    ]})  # fmt: skip
    caller = f"+86138001{next(_callers):05d}"
    customer = Customer(b2bua, line, workdir, "customer", caller, ended)
    await customer.call()  # waits for our BYE
    assert customer.session is not None
    session = customer.session
    await wait_for(lambda: session.call.state is CallState.BRIDGED, limit=10)
    yield QueueCall(line, customer, first, q["id"], sales)
    if not session.ending:
        await b2bua.hangup(session, "test over", "system")
    await customer.stop()


async def cti(client: httpx.AsyncClient, who: AgentCtx, action: str, **body: Any) -> Any:
    r = await client.post(f"/api/v1/cti/calls/{action}", headers=who.headers, json=body)
    assert r.status_code == 200, r.text
    return r.json()


async def events_of(line: Line, key: str, kind: str) -> list[dict[str, str]]:
    entries = await read_events(get_redis(), line.tenant.tenant_id, "0", count=10_000)
    return [f for _, f in entries if f.get("type") == kind and f.get("callKey") == key]


@pytest.mark.feature("SEAT-6")
async def test_blind_transfer_to_a_queue_reaches_a_second_agent_with_the_record(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
    ended: list[CallSession],
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    q2 = await queue(client, line.tenant, queue_call.business_id, "second line",
                     announcePosition=False, announceWait=False)  # fmt: skip
    second = await agent(client, line.tenant, queue_call.business_id, [q2["id"]])
    target = await phones.add(second.extension)
    await sign_in(client, second)
    customer = queue_call.customer.peer
    assert customer is not None
    talking = Talking((customer, CUSTOMER), (phones.peers[first.extension], AGENT),
                      (target, THIRD))  # fmt: skip
    try:
        reply = await cti(client, first, "transfer", mode="blind", targetKind="queue",
                          target=q2["id"])  # fmt: skip
        assert reply["result"]["state"] == "queued"
        await wait_for(lambda: second.extension in phones.answered, limit=10)
        await wait_for(lambda: queue_call.session.call.state is CallState.BRIDGED, limit=5)
        assert phones.byes == [first.extension], "the transferring agent was released"
        assert await listen(customer) == {THIRD}
        assert await listen(target, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()
    acd = Acd(get_redis(), line.tenant.tenant_id)
    status = await acd.agent_status(second.user_id)
    assert (status.state, status.call_id) == (AgentState.TALKING, queue_call.key)
    assert (await acd.agent_status(first.user_id)).state is AgentState.AFTER_CALL_WORK
    redis = get_redis()
    acd_call = await redis.hgetall(tenant_key(line.tenant.tenant_id, "acd", "call", queue_call.key))
    assert acd_call["queue"] == q2["id"]
    assert int(acd_call["priority"]) >= 1, "a transferred call is boosted"
    # The record the second agent's screen pop reads: same call, caller, IVR path, who sent it.
    record = await redis.hgetall(call_key_name(line.tenant.tenant_id, queue_call.key))
    assert record["from"] == queue_call.customer.caller
    assert record["transferredBy"] == first.user_id
    assert json.loads(record["ivrPath"])
    assert queue_call.session.call.extension == second.extension
    transferred = await events_of(line, queue_call.key, "call.transferred")
    assert transferred and transferred[-1]["targetKind"] == "queue"
    # The call is the second agent's now: their hang-up ends it.
    await cti(client, second, "hangup")
    await wait_for(lambda: bool(ended), limit=5)
    await queue_call.customer.finish()
    assert ended[-1].call.agent_user_id == UUID(second.user_id)


@pytest.mark.feature("SEAT-6")
async def test_attended_transfer_to_a_queue_consults_the_queue_agent_then_completes(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    q2 = await queue(client, line.tenant, queue_call.business_id, "experts",
                     announcePosition=False, announceWait=False)  # fmt: skip
    second = await agent(client, line.tenant, queue_call.business_id, [q2["id"]])
    target = await phones.add(second.extension)
    await sign_in(client, second)
    customer, own = queue_call.customer.peer, phones.peers[first.extension]
    assert customer is not None
    talking = Talking((customer, CUSTOMER), (own, AGENT), (target, THIRD))
    try:
        await cti(client, first, "transfer", mode="attended", targetKind="queue", target=q2["id"])
        await wait_for(lambda: second.extension in phones.answered, limit=10)
        heard = await listen(customer)
        assert AGENT not in heard and THIRD not in heard, "the held customer overheard"
        assert set(HOLD_MUSIC) & heard, f"no music while the agents consult: {heard}"
        assert await listen(own, settle=0) == {THIRD}
        assert await listen(target, settle=0) == {AGENT}
        done = await cti(client, first, "complete_transfer")
        assert done["result"]["transferred"] is True
        assert phones.byes == [first.extension]
        assert await listen(customer) == {THIRD}
        assert await listen(target, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()
    assert queue_call.session.call.extension == second.extension


@pytest.mark.feature("SEAT-6")
async def test_blind_transfer_to_an_ivr_flow_plays_it_and_its_digits_drive_it(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    async with tenant_session(line.tenant.tenant_id) as db:
        from app.seats.services import create_extension

        await create_extension(db, line.tenant.tenant_id, "103", "Seat-Pass-103")
    target = await phones.add("103")
    flow_id = await flow_only(client, line, {"start": "m", "nodes": [
        menu("m", "Billing, press two.", {"2": "x", "max_retries": "bye"}, timeoutSeconds=4),
        node("x", "transfer", {"failed": "bye"}, kind="extension", target="103"),
        node("bye", "hang_up"),
    ]})  # fmt: skip
    customer = queue_call.customer
    assert customer.peer is not None
    reply = await cti(client, first, "transfer", mode="blind", targetKind="ivr", target=flow_id)
    assert reply["result"]["state"] == "ivr"
    await wait_collect(b2bua, customer.key, 1)
    assert phones.byes == [first.extension]
    assert queue_call.session.call.state is CallState.IVR
    before = customer.heard()
    await asyncio.sleep(0.5)
    assert customer.heard() - before >= 15, "the flow's prompt reaches the caller"
    await customer.press("2")
    await wait_for(lambda: "103" in phones.answered, limit=10)
    assert ("m", "2") in {(s.node_id, s.exit) for s in b2bua.ivr.runners[customer.key].interp.path}
    talking = Talking((customer.peer, CUSTOMER), (target, THIRD))
    try:
        assert await listen(customer.peer) == {THIRD}
        assert await listen(target, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()


@pytest.mark.feature("IVR-7")
async def test_ivr_and_back_returns_the_caller_to_the_same_agent_with_the_digits(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    flow_id = await flow_only(client, line, {"start": "pin", "nodes": [
        node("pin", "collect_digits", {"ok": "thanks", "max_retries": "end"},
             text="Enter your card PIN, then hash.", voice="en", variable="pin",
             minLength=4, maxLength=4, terminator="#", timeoutSeconds=4),
        node("thanks", "say_text", {"next": "end"}, text="Thank you.", voice="en"),
        node("end", "return"),
    ]})  # fmt: skip
    customer, own = queue_call.customer, phones.peers[first.extension]
    assert customer.peer is not None
    talking = Talking((own, AGENT),)
    try:
        reply = await cti(client, first, "ivr_and_back", target=flow_id)
        assert reply["result"] == {"state": "ivr", "flowId": flow_id}
        await wait_collect(b2bua, customer.key, 1)
        heard = await listen(own)
        assert CUSTOMER not in heard and set(HOLD_MUSIC) & heard, f"agent heard {heard}"
        assert AGENT not in await listen(customer.peer, settle=0), "the caller heard the agent"
        await customer.press("4321#")
        await wait_for(lambda: queue_call.session.call.state is CallState.BRIDGED, limit=10)
    finally:
        await talking.stop()
    assert phones.byes == [], "the agent stayed on the call"
    status = await Acd(get_redis(), line.tenant.tenant_id).agent_status(first.user_id)
    assert (status.state, status.call_id) == (AgentState.TALKING, queue_call.key)
    returned = await events_of(line, customer.key, "ivr.returned")
    assert len(returned) == 1
    assert returned[0]["agent"] == first.user_id and returned[0]["flowId"] == flow_id
    assert returned[0]["digits"] == "4321"
    assert json.loads(returned[0]["variables"])["pin"] == "4321"
    talking = Talking((customer.peer, CUSTOMER), (own, AGENT))
    try:
        assert await listen(customer.peer) == {AGENT}
        assert await listen(own, settle=0) == {CUSTOMER}
    finally:
        await talking.stop()
    # The agent's console stream shows it: the event names the call and carries the digits.
    from app.seats.cti import AgentFeed

    ctx = type("Ctx", (), {"agent_id": first.user_id, "queue_names": {}})()
    feed = AgentFeed(ctx, set(), {customer.key})  # type: ignore[arg-type]
    view = feed.view(returned[0])
    assert view is not None and view["event"] == "ivr.returned" and view["digits"] == "4321"


@pytest.mark.feature("REC-6")
async def test_the_survey_after_the_agent_hangs_up_is_stored_with_the_call(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
    ended: list[CallSession],
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    survey_id = await flow_only(client, line, {"start": "s", "nodes": [
        node("s", "survey_question", {"next": "bye"}, question="satisfaction",
             text="How satisfied were you? Press one to five.", voice="en",
             timeoutSeconds=4),
        node("bye", "hang_up", reason="survey done"),
    ]})  # fmt: skip
    tenant_id = line.tenant.tenant_id
    async with tenant_session(tenant_id) as db:
        await db.execute(update(AcdQueue).where(
            AcdQueue.tenant_id == tenant_id, AcdQueue.id == UUID(queue_call.queue_id),
        ).values(survey_flow_id=UUID(survey_id)))  # fmt: skip
    customer = queue_call.customer
    assert await phones.hang_up(first.extension) == 200  # the agent hangs up first
    await wait_collect(b2bua, customer.key, 1)
    acd = Acd(get_redis(), tenant_id)
    assert (await acd.agent_status(first.user_id)).state is AgentState.AFTER_CALL_WORK
    assert not queue_call.session.ending, "the caller is still on, in the survey"
    await customer.press("4")
    await wait_for(lambda: bool(ended), limit=10)
    await customer.finish()
    call = ended[-1].call
    assert (call.hangup_side, call.hangup_cause) == ("agent", "agent hangup")
    async with tenant_session(tenant_id) as db:
        answers = list(await db.scalars(select(SurveyAnswer).where(
            SurveyAnswer.tenant_id == tenant_id, SurveyAnswer.call_key == customer.key,
        )))  # fmt: skip
        by_call = await satisfaction(db, tenant_id, [customer.key])
    assert [(a.question, a.answer, a.score, a.flow_id) for a in answers] == [
        ("satisfaction", "4", 4, UUID(survey_id))
    ]
    assert by_call == {customer.key: {"satisfaction": "4"}}
    assert await events_of(line, customer.key, "call.survey")
    stranger = await signup(client, "stranger")  # another tenant, the same call key: nothing
    async with tenant_session(stranger.tenant_id) as db:
        assert await satisfaction(db, stranger.tenant_id, [customer.key]) == {}


@pytest.mark.feature("REC-6")
async def test_no_survey_when_the_queue_has_none(
    queue_call: QueueCall, phones: Phones, ended: list[CallSession]
) -> None:
    """A queue without a survey: the agent's hang-up ends the call at once."""
    await phones.hang_up(queue_call.first.extension)
    await wait_for(lambda: bool(ended), limit=5)
    await queue_call.customer.finish()
    assert ended[-1].call.hangup_side == "agent"
    assert not await events_of(queue_call.line, queue_call.key, "call.survey")


@pytest.mark.feature("REC-6")
async def test_the_survey_also_follows_a_hang_up_from_the_agent_console(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
    ended: list[CallSession],
) -> None:  # fmt: skip
    line, first = queue_call.line, queue_call.first
    survey_id = await flow_only(client, line, {"start": "s", "nodes": [
        node("s", "survey_question", {"next": "bye"}, question="resolved",
             text="Was your problem solved? One for yes, two for no.", voice="en",
             minScore=1, maxScore=2, timeoutSeconds=4),
        node("bye", "hang_up"),
    ]})  # fmt: skip
    q = await client.get(f"/api/v1/acd/queues/{queue_call.queue_id}", headers=line.tenant.headers)
    body = {k: v for k, v in q.json().items() if k != "id"} | {"surveyFlowId": survey_id}
    r = await client.put(f"/api/v1/acd/queues/{queue_call.queue_id}",
                         headers=line.tenant.headers, json=body)  # fmt: skip
    assert r.status_code == 200, r.text
    reply = await cti(client, first, "hangup")
    assert reply["result"] == {"ended": True, "survey": True}
    await wait_for(lambda: first.extension in phones.byes, limit=5)
    await wait_collect(b2bua, queue_call.key, 1)
    await queue_call.customer.press("1")
    await wait_for(lambda: bool(ended), limit=10)
    await queue_call.customer.finish()
    async with tenant_session(line.tenant.tenant_id) as db:
        by_call = await satisfaction(db, line.tenant.tenant_id, [queue_call.key])
    assert by_call == {queue_call.key: {"resolved": "1"}}


@pytest.mark.feature("SEAT-6")
@pytest.mark.feature("IVR-7")
async def test_another_tenants_queue_or_flow_is_no_target(
    b2bua: B2bua, client: httpx.AsyncClient, queue_call: QueueCall, phones: Phones,
) -> None:  # fmt: skip
    from app.seats.cti_commands import call_command
    from tests.integration.calls.conftest import make_line

    other = await make_line(client)
    theirs_q = await queue(client, other.tenant, await business(client, other.tenant), "theirs")
    theirs_flow = await flow_only(client, other, {"start": "b", "nodes": [node("b", "hang_up")]})
    first = queue_call.first
    for action, body in (
        ("transfer", {"mode": "blind", "targetKind": "queue", "target": theirs_q["id"]}),
        ("transfer", {"mode": "blind", "targetKind": "ivr", "target": theirs_flow}),
        ("ivr_and_back", {"target": theirs_flow}),
    ):
        r = await client.post(f"/api/v1/cti/calls/{action}", headers=first.headers, json=body)
        assert r.status_code == 404, (action, r.text)
        # Straight to callcontrol (no CTI check): the tenant of the command list decides.
        args = {"callId": queue_call.key, "extension": first.extension, "flowId": body["target"],
                **body}  # fmt: skip
        reply = await call_command(get_redis(), queue_call.line.tenant.tenant_id, action, args)
        assert (reply.ok, reply.status) == (False, 404), (action, reply)
    assert phones.byes == [] and queue_call.session.call.state is CallState.BRIDGED
    assert queue_call.session.call.extension == first.extension
