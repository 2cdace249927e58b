"""IVR-2: a number's published flow, run live against the caller (the simulator's twin).

The interpreter (app/ivr_builder/interpreter.py) decides; this module does what it asks with
real media: prompts and TTS through rtpengine `play media` to the caller's tag, digits from the
`DtmfListener`, calendars at call time (the clock is injectable so tests are deterministic),
caller lists, information tables, real HTTP with the node's timeout, survey answers, voicemail
recorded by rtpengine, transfers to an extension, and queues through the ACD (acd_bridge.py).

Every node passed is written to the live call hash (`ivrPath`, `ivrVars`) and published as an
`ivr.step` event, so the CTI screen pop (SEAT) and the wallboard see where the caller went.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import text

from app.callcontrol import live
from app.callcontrol.media.dtmf import DtmfSubscription
from app.callcontrol.media.ng import TOWARD_SIP, TOWARD_WEBRTC, RtpengineError
from app.db.session import get_sessionmaker, tenant_session
from app.ivr_builder import interpreter as ip
from app.ivr_builder.flow import FlowDocument
from app.ivr_builder.services import TenantResources
from app.lib.events import add_event
from app.lib.numbers import InvalidNumberError, normalize_number

if TYPE_CHECKING:
    from app.callcontrol.b2bua import B2bua, CallSession, LegRuntime

log = logging.getLogger(__name__)

CUSTOMER_TAG = "c"  # b2bua.CUSTOMER_TAG (not imported: b2bua imports this module)
VOICEMAIL_MAX_SECONDS = 120.0
PROMPT_GAP = 0.05  # between rtpengine's reported duration and the next prompt


Clock = Callable[[], datetime]

# Actions answered without media: the flow runs them before the caller is answered.
WITHOUT_MEDIA = (
    ip.CheckCalendar, ip.CheckCallerLists, ip.LookupInfo, ip.LoadFlow, ip.HttpRequest, ip.Hangup,
)
BLACK_LISTED = "caller is black-listed"  # the interpreter's Hangup reason


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LiveIvr:
    """Per-process settings of the live IVR, held by the B2BUA (`b2bua.ivr`)."""

    clock: Clock = utc_now
    voicemail_max_seconds: float = VOICEMAIL_MAX_SECONDS
    # Runners of live calls, by call key (tests and the bench look at their progress).
    runners: dict[str, IvrRunner] = field(default_factory=dict)
    # The ACD deadline timer of each tenant that has had a queued call here (acd_bridge).
    acd_timers: dict[UUID, asyncio.Task[None]] = field(default_factory=dict)


async def flow_for_number(dialed: str) -> UUID | None:
    """The flow bound to a DID (`route_for_number`'s flow_id), if any."""
    try:
        number = normalize_number(dialed)
    except InvalidNumberError:
        return None
    async with get_sessionmaker()() as session:
        flow_id = await session.scalar(
            text("SELECT flow_id FROM route_for_number(:n)"), {"n": number}
        )
    return UUID(str(flow_id)) if flow_id else None


async def published_document(tenant_id: UUID, flow_id: UUID) -> FlowDocument | None:
    async with tenant_session(tenant_id) as session:
        return await TenantResources(session, tenant_id).published_flow(flow_id)


async def run_published_flow(
    b2bua: B2bua, session: CallSession, customer: LegRuntime, agent_sdp: str, customer_sdp: str
) -> bool:
    """Run the DID's published flow; False when there is none (the caller keeps the old
    prompt-then-ring behaviour). The caller is still unanswered: the runner answers it with
    `customer_sdp` at the first action that needs media."""
    call = session.call
    flow_id = await flow_for_number(call.to_number)
    document = await published_document(call.tenant_id, flow_id) if flow_id else None
    if flow_id is None or document is None:
        return False
    runner = IvrRunner(b2bua, session, customer, agent_sdp, flow_id, document, customer_sdp)
    b2bua.ivr.runners[call.key] = runner
    try:
        await runner.run()
    finally:
        b2bua.ivr.runners.pop(call.key, None)
    return True


class IvrRunner:
    """Drives one call's interpreter until the call leaves the IVR."""

    def __init__(
        self,
        b2bua: B2bua,
        session: CallSession,
        customer: LegRuntime,
        agent_sdp: str,
        flow_id: UUID,
        document: FlowDocument,
        customer_sdp: str = "",
    ) -> None:
        self.b2bua = b2bua
        self.session = session
        self.customer = customer
        self.agent_sdp = agent_sdp  # rtpengine's SDP for whoever is bridged to the caller
        self.customer_sdp = customer_sdp  # rtpengine's SDP for the caller, in our 200 OK
        self.answered = not customer_sdp  # "": the caller was answered before the runner
        self.flow_id = flow_id
        self.interp = ip.Interpreter(document, caller_number=session.call.from_number)
        self.tenant_id = session.call.tenant_id
        self.media_id = session.media_id
        self.digits: DtmfSubscription | None = None
        self.steps_published = 0
        self.action_started: list[tuple[float, str]] = []  # (monotonic, action) for the bench
        self.recording_since: float | None = None  # voicemail: the caller is being recorded
        # A call an agent sent on (redirect.py): the ACD boosts a transferred call; new agent
        # legs get a tag of their own (the old agent's is blocked in rtpengine); `on_bridged`
        # tells call control who the call's agent is now.
        self.transferred = False
        self.agent_tag = "a"  # b2bua.AGENT_TAG
        self.on_bridged: Callable[[LegRuntime], Awaitable[None]] | None = None
        # An attended transfer to a queue: the answering agent is handed to this instead of
        # being bridged to the caller (leg, extension, user id).
        self.consult: Callable[[LegRuntime, str, UUID | None], Awaitable[None]] | None = None
        # IVR-7 and the survey (REC-6): the flow's end, or any node that would take the call
        # out of the IVR, stops the runner instead (`left` says which); the caller goes back.
        self.and_back = False
        self.left: ip.Action | None = None
        self.collected = ""  # every digit string the caller entered in this run (IVR-7)

    async def run(self) -> None:
        self.digits = self.b2bua.dtmf.subscribe(self.media_id, source_tag=CUSTOMER_TAG)
        try:
            action = self.interp.start()
            while True:
                await self._publish_path()
                self.action_started.append((time.monotonic(), type(action).__name__))
                if not isinstance(action, WITHOUT_MEDIA) and not await self._answer_caller():
                    return  # no ACK came: the call is over
                if isinstance(action, ip.LEAVES_IVR) and self.and_back:
                    self.left = action
                    return
                if isinstance(action, ip.LEAVES_IVR):
                    follow = await self._leave(action)
                    if follow is None:
                        return
                    action = self.interp.send(follow)
                    continue
                event = await self._answer(action)
                action = self.interp.send(event)
        finally:
            self.digits.close()

    async def sdp_for_agent(self, *, webrtc: bool = False) -> str:
        """rtpengine's SDP for the next leg to bridge to the caller. A caller sent into a flow
        by an agent gets it only when somebody is rung: a pending offer on the caller's side
        would stop rtpengine reporting the caller's keys meanwhile.

        A browser seat (`webrtc`) takes only ICE + DTLS-SRTP (RFC 8827 6.5): the caller's side
        is offered again, shaped for WebRTC, on the agent's tag, as `B2bua._ring_seat` does for
        a call straight to a seat; the browser's answer still goes to the caller as plain RTP.
        The plain SDP made earlier is then stale: a desk phone rung next gets a fresh offer.
        (An attended transfer rings with the transferring agent's media: left as it is.)"""
        if webrtc and self.consult is None:
            self.agent_sdp = ""
            offer = await self.b2bua.ng.offer(
                self.media_id, CUSTOMER_TAG, self.customer.remote_sdp, TOWARD_WEBRTC,
                to_tag=self.agent_tag,
            )  # fmt: skip
            return offer.sdp
        if not self.agent_sdp:
            offer = await self.b2bua.ng.offer(
                self.media_id, CUSTOMER_TAG, self.customer.remote_sdp, TOWARD_SIP,
                to_tag=self.agent_tag,
            )  # fmt: skip
            return offer.sdp
        return self.agent_sdp

    async def _answer_caller(self) -> bool:
        if self.answered:
            return True
        self.answered = True
        return await self.b2bua._answer(self.session, self.customer, self.customer_sdp)

    # --- live state -----------------------------------------------------------------------

    async def _publish_path(self) -> None:
        """ivrPath/ivrVars on the live call hash, and one `ivr.step` event per node passed."""
        path = self.interp.path
        if len(path) == self.steps_published:
            return
        call = self.session.call
        new = path[self.steps_published :]
        self.steps_published = len(path)
        name = live.call_key_name(self.tenant_id, call.key)
        pipe = self.b2bua.redis.pipeline(transaction=True)
        pipe.hset(
            name,
            mapping={
                "ivrPath": json.dumps(
                    [{"node": s.node_id, "type": s.node_type, "exit": s.exit or ""} for s in path]
                ),
                "ivrVars": json.dumps(self.interp.variables),
                "ivrFlowId": str(self.flow_id),
            },
        )
        for step in new:
            await add_event(
                pipe, self.tenant_id, "ivr.step", callKey=call.key, node=step.node_id,
                nodeType=step.node_type, exit=step.exit or "", depth=step.depth,
            )  # fmt: skip
        await pipe.execute()

    # --- answering the interpreter ----------------------------------------------------------

    async def _answer(self, action: ip.Action) -> ip.Event:
        match action:
            case ip.Play(prompt=prompt):
                await self._play_prompt(prompt, "", "", barge_in=False)
                return ip.PlaybackDone()
            case ip.Say(text=said, voice=voice):
                await self._play_prompt("", said, voice, barge_in=False)
                return ip.PlaybackDone()
            case ip.CollectDigits():
                return await self._collect(action)
            case ip.CheckCalendar(calendar_id=calendar_id):
                async with tenant_session(self.tenant_id) as db:
                    spec = await TenantResources(db, self.tenant_id).calendar(calendar_id)
                return ip.CalendarChecked(spec.is_open(self.b2bua.ivr.clock()) if spec else None)
            case ip.CheckCallerLists(number=number):
                async with tenant_session(self.tenant_id) as db:
                    kinds = await TenantResources(db, self.tenant_id).caller_lists(number)
                return ip.CallerLists(kinds)
            case ip.LookupInfo(table=table, key=key):
                async with tenant_session(self.tenant_id) as db:
                    return ip.InfoFound(await TenantResources(db, self.tenant_id).info(table, key))
            case ip.LoadFlow(flow_id=flow_id):
                return ip.FlowLoaded(await published_document(self.tenant_id, flow_id))
            case ip.HttpRequest():
                from app.ivr_builder.simulator import fetch  # the same guarded HTTP client

                return await fetch(action)
        raise ip.FlowRuntimeError(f"no live answer for {type(action).__name__}")

    async def _leave(self, action: ip.Action) -> ip.Event | None:
        """Hang up, voicemail, transfer or queue; an event when the flow must go on."""
        from app.callcontrol import acd_bridge

        match action:
            case ip.Hangup(reason=reason):
                tx = self.customer.server_tx
                if not self.answered and tx is not None:
                    # Refused before answering: RFC 3261 21.6.2 603 Decline for a blocked
                    # caller, 480 Temporarily Unavailable for any other end of the flow.
                    tx.respond(tx.response(603 if reason == BLACK_LISTED else 480))
                await self.b2bua.hangup(self.session, f"ivr: {reason}", "system")
                return None
            case ip.Voicemail():
                await self._voicemail(action)
                return None
            case ip.Transfer(kind=kind, target=target):
                ok = await acd_bridge.transfer(self, kind, target)
                return None if ok else ip.TransferFailed()
            case ip.Enqueue():
                ok = await acd_bridge.enqueue(self, action)
                return None if ok else ip.QueueOverflow()
        raise ip.FlowRuntimeError(f"no live answer for {type(action).__name__}")

    # --- media ------------------------------------------------------------------------------

    async def prompt_file(self, prompt: str, said: str, voice: str) -> Path | None:
        """The WAV for a recorded prompt, else the TTS rendering of `said`; None if neither."""
        from app.ivr_builder.prompts import prompt_path
        from app.ivr_builder.tts import TtsError, tts_path

        if prompt:
            path = await prompt_path(self.tenant_id, prompt)
            if path is not None:
                return path
            log.warning("call %s: prompt %r not found", self.session.call.key, prompt)
        if said:
            try:
                return await tts_path(self.tenant_id, said, voice or "zh")
            except (TimeoutError, ValueError, OSError, TtsError) as exc:
                # The caller hears nothing for this prompt rather than losing the call.
                log.warning("call %s: TTS failed: %s", self.session.call.key, exc)
        return None

    async def play_file(self, path: Path, *, barge_in: bool) -> str:
        """Play a file to the caller; with `barge_in` a digit stops it and is returned."""
        duration_ms = await self.b2bua.ng.play_media(self.media_id, CUSTOMER_TAG, file=str(path))
        wait = duration_ms / 1000 + PROMPT_GAP
        if not barge_in:
            await asyncio.sleep(wait)
            return ""
        assert self.digits is not None
        try:
            event = await self.digits.next_digit(wait)
        except TimeoutError:
            return ""
        with contextlib.suppress(RtpengineError):
            await self.b2bua.ng.stop_media(self.media_id, CUSTOMER_TAG)
        return event.digit

    async def _play_prompt(self, prompt: str, said: str, voice: str, *, barge_in: bool) -> str:
        path = await self.prompt_file(prompt, said, voice)
        if path is None:
            return ""
        return await self.play_file(path, barge_in=barge_in)

    async def _collect(self, action: ip.CollectDigits) -> ip.Event:
        """The prompt plays while keys are collected: a key stops it (barge-in)."""
        assert self.digits is not None
        self._drain_stale_digits()
        pressed = await self._play_prompt(action.prompt, action.text, action.voice, barge_in=True)
        digits = pressed
        while len(digits) < action.max_length and not (
            action.terminator and digits.endswith(action.terminator)
        ):
            try:
                event = await self.digits.next_digit(action.timeout_seconds)
            except TimeoutError:
                break
            digits += event.digit
        if digits:
            await self._note_digits(digits)
        result: ip.Event = ip.Digits(digits) if digits else ip.Timeout()
        await self._maybe_store_survey(action, digits)
        return result

    def _drain_stale_digits(self) -> None:
        """Digits pressed while a non-interruptible prompt played are dropped (not type-ahead)."""
        assert self.digits is not None
        while not self.digits.queue.empty():
            self.digits.queue.get_nowait()

    async def _note_digits(self, digits: str) -> None:
        self.collected = (self.collected + digits)[-256:]
        call = self.session.call
        call.dtmf = (call.dtmf + digits)[-64:]
        await live.save(self.b2bua.redis, call, call.event("call.dtmf", digit=digits))

    async def _maybe_store_survey(self, action: ip.CollectDigits, digits: str) -> None:
        node = self.interp.document.by_id().get(action.node_id)
        if node is None or node.type != "survey_question":
            return
        question = str(node.params.get("question", ""))
        answer = digits[:1]
        if not question or not answer:
            return
        from app.ivr_builder.survey import store_survey_answer

        await store_survey_answer(
            self.tenant_id, call_key=self.session.call.key, node_id=node.id,
            question=question, answer=answer, flow_id=self.flow_id,
        )  # fmt: skip

    # --- voicemail --------------------------------------------------------------------------

    async def _voicemail(self, action: ip.Voicemail) -> None:
        """Prompt, then record what the caller says (rtpengine pcap of the caller's packets)
        until `#`, the time limit, or the caller hangs up; store it once the call is over."""
        from app.callcontrol import voicemail_capture

        await self._play_prompt(action.prompt, action.text, action.voice, barge_in=False)
        await voicemail_capture.record(self, action.mailbox)
