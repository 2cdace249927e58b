"""A connected customer sent on by call control (SEAT-6, IVR-7, REC-6).

Four ways, all driving the ONE live IVR runner (ivr_runner.py) on the customer leg, which is
answered already (no new 200 OK):
- `to_queue`: a blind transfer to a queue. The call's ACD entry ends first (its agent goes to
  wrap-up), then the ACD gets it again as a *transferred* call (`Call.transferred`: the queue's
  `transfer_boost`), with the same call key, so the target agent's screen pop reads the same
  live hash (caller, IVR path and variables, previous calls) plus `transferredBy`. The queue's
  music on hold plays while it waits; the offered agent rings on a media tag of its own (the
  old agent's monologue is blocked in rtpengine) and takes the call over in call control.
- `to_flow`: a blind transfer into a published flow, run to its end as if the caller had dialed
  it (a queue node in it enqueues the call as transferred).
- `and_back` (IVR-7): the agent sends the caller into a flow and gets them back. The customer
  is parked on a black hole for the flow's prompts, the agent on another with music on hold
  (the agent stays reserved: ACD state unchanged). When the flow ends (end of a branch, a
  hang-up or return node, or any node that would take the call out of the IVR: queue, transfer,
  voicemail) the customer is connected back to the agent and the agent's stream gets
  `ivr.returned` with the digits and variables the flow collected.
- `survey` (REC-6): the agent hung up first on an inbound queue call whose queue has a survey
  flow: the agent goes to wrap-up at once, the customer hears the survey (its answers stored by
  the runner with the call key, `app/ivr_builder/survey.py`), then the call ends with the
  agent's hang-up as its cause.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

from app.callcontrol import acd_bridge, live
from app.callcontrol.b2bua import BLACK_HOLE_SDP, CUSTOMER_TAG, B2bua, CallSession, LegRuntime
from app.callcontrol.call import CallState
from app.callcontrol.ivr_runner import IvrRunner, published_document
from app.callcontrol.media.ng import TOWARD_SIP, RtpengineError
from app.ivr_builder import interpreter as ip
from app.ivr_builder.flow import FlowDocument, Node
from app.lib.keys import tenant_key
from app.seats.acd import Acd, AcdError
from app.seats.queues import AcdQueue

log = logging.getLogger(__name__)

OnAgent = Callable[[LegRuntime], Awaitable[None]]
Consult = Callable[[LegRuntime, str, UUID | None], Awaitable[None]]
TRANSFER_NODE = "transfer"


async def published(tenant_id: UUID, flow_id: UUID) -> FlowDocument | None:
    return await published_document(tenant_id, flow_id)


def _runner(b2bua: B2bua, session: CallSession, flow_id: UUID | None,
            document: FlowDocument, agent_sdp: str = "") -> IvrRunner:  # fmt: skip
    customer = session.legs[CUSTOMER_TAG]
    # customer_sdp "": the caller was answered long ago, the runner sends no 200 OK.
    runner = IvrRunner(b2bua, session, customer, agent_sdp, flow_id or UUID(int=0), document)
    return runner


async def _run(b2bua: B2bua, session: CallSession, runner: IvrRunner) -> None:
    """Run the flow; the runner is the call's (tests and the bench look it up by call key)."""
    key = session.call.key
    previous = b2bua.ivr.runners.get(key)
    b2bua.ivr.runners[key] = runner
    try:
        await runner.run()
    finally:
        if b2bua.ivr.runners.get(key) is runner:
            if previous is not None:
                b2bua.ivr.runners[key] = previous
            else:
                b2bua.ivr.runners.pop(key, None)


def take_over(b2bua: B2bua, session: CallSession, work: Awaitable[None]) -> None:
    """`work` becomes the call's task: a hang-up cancels it. The task it replaces only waits
    for the call's end (a queue call's `enqueue`) or is over already."""
    session.task = b2bua._spawn(b2bua._guard(session, work))


async def leave_acd(b2bua: B2bua, session: CallSession) -> None:
    """End the call's ACD entry, if any: its agent goes to wrap-up (idempotent)."""
    with contextlib.suppress(AcdError):
        await Acd(b2bua.redis, session.call.tenant_id).hangup(session.call.key)


async def _toward_new_agent(b2bua: B2bua, session: CallSession, tag: str) -> str:
    """rtpengine's SDP for whoever answers next, on media tag `tag` (answered by the bridge)."""
    customer = session.legs[CUSTOMER_TAG]
    offer = await b2bua.ng.offer(
        session.media_id, CUSTOMER_TAG, customer.remote_sdp, TOWARD_SIP, to_tag=tag
    )
    return offer.sdp


async def park(b2bua: B2bua, session: CallSession, tag: str) -> None:
    """The customer alone with a black hole, as in the IVR before any agent: prompts play
    to it and rtpengine reports its keys (it does not while an offer is pending)."""
    customer, media = session.legs[CUSTOMER_TAG], session.media_id
    await b2bua.ng.offer(media, CUSTOMER_TAG, customer.remote_sdp, TOWARD_SIP, to_tag=tag)
    reply = await b2bua.ng.answer(media, CUSTOMER_TAG, tag, BLACK_HOLE_SDP, TOWARD_SIP)
    session.customer_sdps.append(reply.sdp)


async def _note_transfer(b2bua: B2bua, session: CallSession, by: str, kind: str,
                         target: str) -> None:  # fmt: skip
    """What the next agent's screen pop adds to the caller's record: who sent the call."""
    call = session.call
    await b2bua.redis.hset(  # type: ignore[misc]
        live.call_key_name(call.tenant_id, call.key),
        mapping={"transferredBy": by, "transferKind": kind, "transferTarget": target},
    )


# --- blind transfer to a queue --------------------------------------------------------------


async def to_queue(b2bua: B2bua, session: CallSession, queue: AcdQueue, tag: str,
                   by: str, on_agent: OnAgent) -> None:  # fmt: skip
    """The customer (its agent released already, music playing) enters `queue`."""
    await _note_transfer(b2bua, session, by, "queue", str(queue.id))
    await leave_acd(b2bua, session)
    sdp = await _toward_new_agent(b2bua, session, tag)
    runner = _queue_runner(b2bua, session, queue, tag, sdp)
    runner.on_bridged = on_agent
    if not await _enqueue(b2bua, session, runner, queue):
        await b2bua.hangup(session, "transfer failed: queue overflow", "system")


async def consult_queue(b2bua: B2bua, session: CallSession, queue: AcdQueue, tag: str,
                        agent_sdp: str, by: str, consult: Consult) -> bool:  # fmt: skip
    """Attended: the queue's agent rings with the transferring agent's media (`agent_sdp`)
    and is handed to `consult` on answer; the caller is on hold meanwhile. False when the
    queue overflowed (nobody took it)."""
    await _note_transfer(b2bua, session, by, "queue", str(queue.id))
    await leave_acd(b2bua, session)
    runner = _queue_runner(b2bua, session, queue, tag, agent_sdp)
    runner.consult = consult
    return await _enqueue(b2bua, session, runner, queue)


def _queue_runner(b2bua: B2bua, session: CallSession, queue: AcdQueue, tag: str,
                  agent_sdp: str) -> IvrRunner:  # fmt: skip
    document = FlowDocument(start=TRANSFER_NODE, nodes=[
        Node(id=TRANSFER_NODE, type="queue", params={"queue": str(queue.id)})])  # fmt: skip
    runner = _runner(b2bua, session, None, document, agent_sdp)
    runner.transferred, runner.agent_tag = True, tag
    return runner


async def _enqueue(b2bua: B2bua, session: CallSession, runner: IvrRunner,
                   queue: AcdQueue) -> bool:  # fmt: skip
    digits = runner.digits = b2bua.dtmf.subscribe(session.media_id, source_tag=CUSTOMER_TAG)
    key = session.call.key
    b2bua.ivr.runners.setdefault(key, runner)
    try:
        action = ip.Enqueue(TRANSFER_NODE, str(queue.id), 0, 0, False)
        return await acd_bridge.enqueue(runner, action)
    finally:
        digits.close()
        if b2bua.ivr.runners.get(key) is runner:
            b2bua.ivr.runners.pop(key, None)


# --- blind transfer to a flow ---------------------------------------------------------------


async def to_flow(b2bua: B2bua, session: CallSession, flow_id: UUID, document: FlowDocument,
                  tag: str, by: str, on_agent: OnAgent) -> None:  # fmt: skip
    """The customer (its agent released already) runs the flow to its end."""
    await _note_transfer(b2bua, session, by, "ivr", str(flow_id))
    await leave_acd(b2bua, session)
    await park(b2bua, session, "ivr" + tag)
    # No agent SDP yet: the runner offers when the flow rings somebody (sdp_for_agent).
    runner = _runner(b2bua, session, flow_id, document)
    runner.transferred, runner.agent_tag, runner.on_bridged = True, tag, on_agent
    with contextlib.suppress(RtpengineError):
        await b2bua.ng.stop_media(session.media_id, CUSTOMER_TAG)  # the transfer's music
    await b2bua._move(session, CallState.IVR)
    await _run(b2bua, session, runner)


# --- IVR-7: into a flow and back to the same agent ------------------------------------------


async def and_back(b2bua: B2bua, session: CallSession, agent: LegRuntime, flow_id: UUID,
                   document: FlowDocument, reconnect: Callable[[], Awaitable[None]],
                   ) -> None:  # fmt: skip
    """Run the flow with the customer (parked already, the agent hearing music), then give the
    caller back to the agent (`reconnect`) with what the flow collected."""
    call = session.call
    runner = _runner(b2bua, session, flow_id, document)
    runner.and_back = True
    await b2bua._move(session, CallState.IVR)
    await live.save(b2bua.redis, call, call.event(
        "ivr.sent", flowId=str(flow_id), agent=str(call.agent_user_id or ""),
        extension=call.extension or ""))  # fmt: skip
    await _run(b2bua, session, runner)
    if session.ending or agent.dialog is None:
        return
    await reconnect()
    await b2bua._move(session, CallState.BRIDGED)
    variables = {k: v for k, v in runner.interp.variables.items() if k != "caller_number"}
    await live.save(b2bua.redis, call, call.event(
        "ivr.returned", flowId=str(flow_id), agent=str(call.agent_user_id or ""),
        extension=call.extension or "", digits=runner.collected,
        variables=json.dumps(variables, ensure_ascii=False), exit=_exit(runner.left),
    ))  # fmt: skip


def _exit(left: ip.Action | None) -> str:
    """How the flow ended, for the agent: a hang-up/return/end reason or the node type."""
    match left:
        case ip.Hangup(reason=reason):
            return reason
        case None:
            return "flow ended"
    return type(left).__name__.lower()


# --- REC-6: the survey after the agent hangs up ---------------------------------------------


async def survey_flow(b2bua: B2bua, session: CallSession) -> tuple[UUID, FlowDocument] | None:
    """The survey of the queue an inbound call came through, if it has one (published)."""
    call = session.call
    if call.direction != "inbound" or session.legs.get(CUSTOMER_TAG) is None:
        return None
    acd_call = tenant_key(call.tenant_id, "acd", "call", call.key)
    queue_ref = await b2bua.redis.hget(acd_call, "queue")  # type: ignore[misc]
    if not queue_ref:
        return None
    queue = await acd_bridge.find_queue(call.tenant_id, str(queue_ref))
    if queue is None or queue.survey_flow_id is None:
        return None
    document = await published(call.tenant_id, queue.survey_flow_id)
    return (queue.survey_flow_id, document) if document is not None else None


async def survey(b2bua: B2bua, session: CallSession, agent: LegRuntime, flow_id: UUID,
                 document: FlowDocument) -> None:  # fmt: skip
    """The agent has hung up: the customer answers the survey, then the call ends."""
    call = session.call
    await leave_acd(b2bua, session)  # the agent is free (wrap-up) while the customer answers
    with contextlib.suppress(RtpengineError):
        # Whatever the agent's phone still sends must not reach the customer.
        await b2bua.ng.block_media(session.media_id, agent.leg.media_tag)
    runner = _runner(b2bua, session, flow_id, document)
    runner.and_back = True
    await b2bua._move(session, CallState.IVR)
    await live.save(b2bua.redis, call, call.event("call.survey", flowId=str(flow_id)))
    await _run(b2bua, session, runner)
    await b2bua.hangup(session, "agent hangup", "agent")
