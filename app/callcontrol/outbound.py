"""Dialer calls (DIAL-2, DIAL-3, DIAL-6): one lead dialled through a campaign's trunk, its
call-progress analysed on real media, a live person handed to an agent by the ACD.

`place(b2bua, OutboundCall)` runs one attempt to its end and returns a `DialOutcome`; the dialer
runtime (`app/dialer/runtime.py`) stores it with `finish_attempt`.

Media. There is no agent when the call starts, so the rtpengine call is offered from our CPA
tap (`media/cpa_tap.py`, from-tag "a", the side an agent takes over later). The callee's 183
SDP (early media) and then its 200 SDP are given to rtpengine as the answer, and rtpengine
sends the callee's audio to the tap:
- early media feeds `EarlyMediaDetector`: ring-back and coloured ring-back music (彩铃) keep us
  waiting and are never an answer; busy tone, SIT or an announcement end the attempt (we wait
  a moment for the carrier's own final response, then CANCEL);
- after the 200, `AnswerDetector` decides person / answering machine / fax / modem. A machine
  is hung up on, or left the campaign's message after the beep; fax and modem lines are not
  dialled again.
- a person: `Acd.offer` on the campaign's ACD queue (`dialer-<campaign>`). Offered → INVITE the
  agent's seat with rtpengine's SDP for the "a" side (a re-offer from the customer's side,
  which keeps the customer's port), `Acd.answer`, rtpengine `answer` bridges. No agent reserved
  within `connect_grace` (2 s) → abandoned: the campaign's abandonment message, then BYE.

DIAL-8 notification campaigns (no agents, `message` set): a person hears the message, then
the survey's question (`SurveyPlan`) up to `repeat` times; the first of its keys pressed
(RFC 4733, from rtpengine's DTMF log through `b2bua.dtmf`) is kept with its label, then BYE.
A machine gets the message after its beep. Played to its end: outcome "delivered" (a person
who hangs up during the message was not reached: "no_answer", tried again by the rules).

DIAL-2 progressive lines come with their agent already reserved in the ACD (`reserved`: the
runtime's `Acd.offer` of this call key before dialling, so no inbound queue can take the agent
while the customer's phone rings); a person is handed to that agent, every other ending
releases it (`Acd.release`, not counted as an abandoned queue call).

SIP outcomes: 486/600 busy, 404/484/410/604 invalid, 408/480/487 and our ring timeout's CANCEL
no answer, other failures failed.

DIAL-6: the agent never gets the real number. The live call's `to`, the ACD call's caller (the
screen pop), the From shown on the agent's phone and the customer leg's URI in the live hash
and the CDR all carry the masked number; only the INVITE to the trunk has the real one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from app.callcontrol import live, routing
from app.callcontrol.call import Call, CallState, LegRole, LegState, now
from app.callcontrol.media.cpa_tap import CpaTap
from app.callcontrol.media.ng import TOWARD_SIP, TOWARD_WEBRTC, RtpengineError
from app.callcontrol.sip.auth import authorize_request
from app.callcontrol.sip.dialog import Dialog
from app.callcontrol.sip.message import Request, Response, SipUri
from app.dialer.cpa import AnswerDetector, CpaEvent, CpaResult, EarlyMediaDetector
from app.dialer.messages import SurveyPlan
from app.dialer.models import Outcome
from app.seats.acd import Acd, AcdError, Decision, NotOffered, Offered, Overflowed, Queued
from app.seats.acd import Call as AcdCall

if TYPE_CHECKING:
    from app.callcontrol.b2bua import B2bua, CallSession, LegRuntime

log = logging.getLogger(__name__)

CUSTOMER_TAG = "c"  # b2bua.CUSTOMER_TAG
DIALER_TAG = "a"  # b2bua.AGENT_TAG: the tap holds the agent's side until an agent takes it
CANCEL_WAIT = 32.0  # 64*T1 for the 487 after our CANCEL (RFC 3261 9.1)
HOPELESS_GRACE = 2.0  # after busy/SIT/announcement in early media, the carrier's final status
ANSWER_LISTEN = AnswerDetector.GIVE_UP_S + 1.0  # wall-clock cap on answer detection
BEEP_WAIT = 15.0  # a machine's greeting can be long
EARLY_VERDICTS_THAT_END = (CpaResult.BUSY, CpaResult.SIT, CpaResult.ANNOUNCEMENT)

INVALID_STATUSES = frozenset({404, 410, 484, 604})
BUSY_STATUSES = frozenset({486, 600})
NO_ANSWER_STATUSES = frozenset({408, 480, 487})


@dataclass(frozen=True)
class OutboundCall:
    """What the dialer runtime asks callcontrol to dial."""

    call_key: str
    tenant_id: UUID
    campaign_id: UUID
    number: str  # E.164: goes to the trunk only
    masked: str  # what agents see (DIAL-6)
    caller_id: str
    trunk: routing.TrunkTarget
    ring_timeout: float
    queue_id: str | None  # the campaign's ACD queue; None: nobody to connect to
    business_id: UUID | None = None
    connect_grace: float = 2.0  # seconds a live person waits for an agent before abandonment
    abandon_prompt: Path | None = None
    machine_message: Path | None = None  # left after the beep; None: hang up on machines
    detect_machines: bool = True
    lead_id: UUID | None = None  # on the live call hash, for the agent's screen pop (DIAL-7)
    attempt_id: UUID | None = None
    message: Path | None = None  # DIAL-8: a notification, played to people and machines
    survey: SurveyPlan | None = None  # asked after the message (people only)
    reserved: bool = False  # the ACD call `call_key` already holds an agent (progressive)
    agent_ring: float = 10.0  # seconds the agent's seat rings for a connected person


@dataclass
class DialOutcome:
    call_key: str
    outcome: Outcome = Outcome.FAILED
    sip_status: int | None = None
    early_verdict: str | None = None
    early_decision_ms: int | None = None
    cpa_verdict: str | None = None
    cpa_decision_ms: int | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    agent_id: UUID | None = None
    talk_seconds: float = 0.0
    bridged_at: datetime | None = None
    notes: list[str] = field(default_factory=list)
    survey_key: str | None = None  # DIAL-8
    survey_label: str | None = None
    message_ms: int | None = None  # how long the message (or machine message) played
    message_started: float | None = None  # loop time
    message_length: float = 0.0  # seconds

    @property
    def verdict(self) -> str | None:
        """What goes in the attempt's `cpa_verdict`: the answer verdict, else the early one."""
        return self.cpa_verdict or self.early_verdict

    @property
    def decision_ms(self) -> int | None:
        return self.cpa_decision_ms if self.cpa_verdict else self.early_decision_ms


def outcome_for_status(status: int, early: CpaResult | None = None) -> Outcome:
    if early is CpaResult.SIT and status >= 300:
        return Outcome.INVALID  # "the number you dialled does not exist"
    if early is CpaResult.BUSY and status >= 300:
        return Outcome.BUSY
    if status in BUSY_STATUSES:
        return Outcome.BUSY
    if status in INVALID_STATUSES:
        return Outcome.INVALID
    if status in NO_ANSWER_STATUSES:
        return Outcome.NO_ANSWER
    return Outcome.FAILED


async def place(b2bua: B2bua, req: OutboundCall) -> DialOutcome:
    """Dial one lead and return how it ended, once the call is over."""
    result = DialOutcome(req.call_key)
    call = Call(
        key=req.call_key,
        tenant_id=req.tenant_id,
        direction="outbound",
        from_number=req.caller_id,
        to_number=req.masked,  # DIAL-6: live hash, screen pop, CDR
        business_id=req.business_id,
        trunk_id=req.trunk.trunk_id,
    )
    session = b2bua._new_session(call)
    await live.save(
        b2bua.redis,
        call,
        call.event("call.arrived", origin="dialer", campaignId=str(req.campaign_id)),
    )
    await b2bua.redis.hset(  # type: ignore[misc]
        live.call_key_name(call.tenant_id, call.key),
        mapping={
            "campaignId": str(req.campaign_id),
            "leadId": str(req.lead_id or ""),
            "attemptId": str(req.attempt_id or ""),
        },
    )
    tap = await CpaTap.open(b2bua.config.sip_host)
    flow = _DialFlow(b2bua, session, req, result, tap)
    session.task = b2bua._spawn(b2bua._guard(session, flow.run()))
    try:
        await session.done.wait()
    finally:
        tap.close()
        await asyncio.shield(flow.release_agent())
    result.ended_at = call.ended_at or now()
    if result.message_started is not None:
        heard = asyncio.get_running_loop().time() - result.message_started
        result.message_ms = round(1000 * min(heard, result.message_length))
    if result.bridged_at is not None:
        result.talk_seconds = (result.ended_at - result.bridged_at).total_seconds()
    return result


class _DialFlow:
    def __init__(
        self,
        b2bua: B2bua,
        session: CallSession,
        req: OutboundCall,
        result: DialOutcome,
        tap: CpaTap,
    ) -> None:
        self.b2bua = b2bua
        self.session = session
        self.req = req
        self.result = result
        self.tap = tap
        self.media = session.media_id
        self.early = EarlyMediaDetector()
        self.detector = AnswerDetector()
        self.early_task: asyncio.Task[Any] | None = None
        self.hopeless = asyncio.Event()  # early media said busy / SIT / announcement
        self.agent_held = req.reserved  # the ACD call holds an agent until released

    async def release_agent(self) -> None:
        """A progressive line that reached nobody frees its reserved agent (idempotent; a
        call the ACD connected is ended by `_connect` instead)."""
        if not self.agent_held:
            return
        self.agent_held = False
        try:
            await Acd(self.b2bua.redis, self.session.call.tenant_id).release(self.req.call_key)
        except AcdError as exc:
            log.warning("call %s: reserved agent not released: %s", self.req.call_key, exc)

    async def run(self) -> None:
        b2bua, req = self.b2bua, self.req
        await b2bua._move(self.session, CallState.RINGING)
        offer = await b2bua.ng.offer(self.media, DIALER_TAG, self.tap.sdp, TOWARD_SIP)
        customer = b2bua._outbound_leg(
            self.session,
            LegRole.CUSTOMER,
            CUSTOMER_TAG,
            SipUri(user=req.number, host=req.trunk.host, port=req.trunk.port),
            req.caller_id,
            req.trunk.host,
        )
        self.session.customer_sdps.append(offer.sdp)
        customer.local_sdp = offer.sdp
        request = b2bua._invite_request(
            self.session, customer, offer.sdp, b2bua.config.trunks_via_proxy
        )
        # DIAL-6: the request carries the real number; the leg (live hash, CDR) the masked one.
        customer.leg.to_uri = str(SipUri(user=req.masked, host=req.trunk.host))
        response = await self._ring_customer(customer, request)
        auth = (req.trunk.username, req.trunk.password) if req.trunk.username else None
        if response.status in (401, 407) and auth is not None:
            retry = authorize_request(request, response, *auth)  # RFC 3261 22.2
            if retry is not None:
                request = retry
                response = await self._ring_customer(customer, request)
        await self._stop_early()
        if self.session.ending:
            return
        if not 200 <= response.status < 300:
            await self._failed(customer, response.status)
            return
        customer.dialog = Dialog.as_uac(request, response)
        customer.remote_sdp = response.body.decode(errors="replace")
        await b2bua._ack(customer, response, None)
        await b2bua._leg_moved(self.session, customer, LegState.ANSWERED, response.status)
        self.session.call.mark_answered()
        self.result.sip_status = response.status
        self.result.answered_at = now()
        await self._after_answer(customer)

    # -- ringing and early media ----------------------------------------------------------

    async def _ring_customer(self, customer: LegRuntime, request: Request) -> Response:
        b2bua = self.b2bua
        tx = await b2bua.endpoint.send_request(request)
        customer.client_tx = tx  # a hang-up meanwhile CANCELs it (B2bua._release)

        def provisional(response: Response) -> None:
            customer.provisional = True
            if response.status in (180, 183):
                b2bua._spawn(b2bua._leg_moved(self.session, customer, LegState.RINGING,
                                              response.status))  # fmt: skip
            if response.body and self.early_task is None:
                sdp = response.body.decode(errors="replace")
                self.early_task = b2bua._spawn(self._early_media(sdp))

        tx.on_provisional = provisional
        final: asyncio.Future[Response] = tx.final
        hopeless: asyncio.Future[Any] = asyncio.ensure_future(self.hopeless.wait())
        try:
            either: list[asyncio.Future[Any]] = [final, hopeless]
            await asyncio.wait(
                either, timeout=self.req.ring_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not final.done() and self.hopeless.is_set():
                # The carrier usually ends the call itself after its tone or announcement.
                await asyncio.wait([final], timeout=HOPELESS_GRACE)
            if not final.done():
                b2bua._cancel(customer)  # RFC 3261 9.1: give up ringing
                self.result.notes.append("cancelled")
            return await asyncio.wait_for(asyncio.shield(final), CANCEL_WAIT)
        finally:
            hopeless.cancel()
            customer.client_tx = None if final.done() else tx

    async def _early_media(self, sdp: str) -> None:
        """183 with SDP: hear the callee's side until the early-media detector decides."""
        await self.b2bua.ng.answer(self.media, DIALER_TAG, CUSTOMER_TAG, sdp, TOWARD_SIP)
        while self.early.verdict is None:
            pcm = await self.tap.read(30.0)
            if pcm is None:
                return
            event = self.early.feed(pcm)
            if event is not None:
                self.result.early_verdict = str(event.result)
                self.result.early_decision_ms = round(event.at * 1000)
                log.info("call %s: early media %s (%s)", self.media, event.result, event.reason)
                if event.result in EARLY_VERDICTS_THAT_END:
                    self.hopeless.set()

    async def _stop_early(self) -> None:
        task, self.early_task = self.early_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RtpengineError):
                await task

    async def _failed(self, customer: LegRuntime, status: int) -> None:
        early = CpaResult(self.result.early_verdict) if self.result.early_verdict else None
        outcome = outcome_for_status(status, early)
        if "cancelled" in self.result.notes and not self.hopeless.is_set():
            outcome = Outcome.NO_ANSWER  # our ring timeout
        self.result.outcome, self.result.sip_status = outcome, status
        await self.release_agent()
        await self.b2bua._leg_moved(self.session, customer, LegState.ENDED, status)
        await self.b2bua.hangup(self.session, str(outcome), "customer")

    # -- after the answer -------------------------------------------------------------------

    async def _after_answer(self, customer: LegRuntime) -> None:
        b2bua, req = self.b2bua, self.req
        self.tap.drain()
        await b2bua.ng.answer(self.media, DIALER_TAG, CUSTOMER_TAG, customer.remote_sdp, TOWARD_SIP)
        # A person who hangs up before the verdict was never reached by an agent either.
        self.result.outcome = Outcome.NO_ANSWER
        verdict = await self._detect_answer() if req.detect_machines else None
        result = verdict.result if verdict is not None else CpaResult.HUMAN
        self.result.cpa_verdict = str(result)
        self.result.cpa_decision_ms = round(verdict.at * 1000) if verdict is not None else 0
        if result is not CpaResult.HUMAN:
            await self.release_agent()
        if result is CpaResult.MACHINE:
            self.result.outcome = Outcome.MACHINE
            message = req.message or req.machine_message
            if message is not None and await self._wait_beep():
                self.result.notes.append("machine message")
                if await self._play(message, measured=True) and req.message is not None:
                    self.result.outcome = Outcome.DELIVERED  # DIAL-8: left as a message
            await b2bua.hangup(self.session, "machine", "system")
        elif result in (CpaResult.FAX, CpaResult.MODEM):
            self.result.outcome = Outcome.INVALID  # never dial a fax line again
            await b2bua.hangup(self.session, str(result), "system")
        elif req.message is not None:
            await self._notify(req.message)
        elif req.queue_id is None:
            self.result.outcome = Outcome.ABANDONED
            await self._abandon()
        else:
            self.result.outcome = Outcome.ABANDONED  # until an agent takes the call
            await self._connect(customer, req.queue_id)

    async def _detect_answer(self) -> CpaEvent | None:
        loop = asyncio.get_running_loop()
        until = loop.time() + ANSWER_LISTEN
        while self.detector.verdict is None and (left := until - loop.time()) > 0:
            pcm = await self.tap.read(left)
            if pcm is None:
                break
            self.detector.feed(pcm)
        return self.detector.verdict

    async def _wait_beep(self) -> bool:
        loop = asyncio.get_running_loop()
        until = loop.time() + BEEP_WAIT
        while self.detector.beep is None and (left := until - loop.time()) > 0:
            pcm = await self.tap.read(left)
            if pcm is None:
                return False
            self.detector.feed(pcm)
        return self.detector.beep is not None

    async def _play(self, path: Path, *, measured: bool = False) -> bool:
        """Play to the customer until the prompt ends; `measured`: its start and length go in
        the result, so a hang-up during it still tells how much was heard."""
        try:
            duration_ms = await self.b2bua.ng.play_media(self.media, CUSTOMER_TAG, file=str(path))
        except RtpengineError as exc:
            log.warning("call %s: prompt %s not played: %s", self.media, path, exc)
            return False
        if measured:
            self.result.message_started = asyncio.get_running_loop().time()
            self.result.message_length = duration_ms / 1000
        await asyncio.sleep(duration_ms / 1000 + 0.2)
        return True

    # -- notifications and surveys (DIAL-8) ---------------------------------------------------

    async def _notify(self, message: Path) -> None:
        """A person: the message, then the survey, then BYE."""
        self.result.outcome = Outcome.NO_ANSWER  # until the message has played to its end
        if not await self._play(message, measured=True):
            self.result.outcome = Outcome.FAILED
            await self.b2bua.hangup(self.session, "message not played", "system")
            return
        self.result.outcome = Outcome.DELIVERED
        if self.req.survey is not None:
            key = await self._survey(self.req.survey)
            if key is not None:
                self.result.survey_key, self.result.survey_label = key, self.req.survey.keys[key]
                self.result.notes.append(f"survey {key}")
        await self.b2bua.hangup(self.session, "notified", "system")

    async def _survey(self, plan: SurveyPlan) -> str | None:
        """The question (a key stops it), up to `repeat` times; the first key it offers."""
        b2bua = self.b2bua
        digits = b2bua.dtmf.subscribe(self.media, source_tag=CUSTOMER_TAG)
        try:
            for _ in range(plan.repeat):
                duration_ms = await b2bua.ng.play_media(
                    self.media, CUSTOMER_TAG, file=str(plan.question)
                )
                loop = asyncio.get_running_loop()
                until = loop.time() + duration_ms / 1000 + plan.timeout
                while (left := until - loop.time()) > 0:
                    try:
                        event = await digits.next_digit(left)
                    except TimeoutError:
                        break
                    with contextlib.suppress(RtpengineError):
                        await b2bua.ng.stop_media(self.media, CUSTOMER_TAG)  # barge-in
                    if event.digit in plan.keys:
                        await self._note_digit(event.digit)
                        return event.digit
                    break  # a key the survey does not offer: ask again
            return None
        finally:
            digits.close()

    async def _note_digit(self, digit: str) -> None:
        call = self.session.call
        call.dtmf = (call.dtmf + digit)[-64:]
        await live.save(self.b2bua.redis, call, call.event("call.dtmf", digit=digit))

    async def _abandon(self) -> None:
        """No agent in time: the campaign's message (Ofcom: who called and why), then BYE."""
        self.result.outcome = Outcome.ABANDONED
        if self.req.abandon_prompt is not None and await self._play(self.req.abandon_prompt):
            self.result.notes.append("abandon message")
        await self.b2bua.hangup(self.session, "abandoned", "system")

    # -- connecting a person to an agent ----------------------------------------------------

    async def _connect(self, customer: LegRuntime, queue_id: str) -> None:
        from app.callcontrol.acd_bridge import OfferWaiter

        b2bua, call = self.b2bua, self.session.call
        acd = Acd(b2bua.redis, call.tenant_id)
        waiter = OfferWaiter(b2bua.redis, call.tenant_id, call.key)
        await waiter.mark()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.req.connect_grace
        node = f"{b2bua.config.sip_host}:{b2bua.config.sip_port}"
        await b2bua._move(self.session, CallState.QUEUED)
        self.agent_held = False  # from here the ACD call ends with `hangup` (finally below)
        try:
            first = AcdCall(call_id=call.key, queue_id=queue_id, caller=self.req.masked, node=node)
            decision: Decision | None = None
            if self.req.reserved:
                decision = await _held_decision(acd, call.key, node)
            if decision is None:
                decision = await acd.offer(first)
            while decision is not None:
                if isinstance(decision, Offered):
                    decision = await self._offered(acd, waiter, customer, decision)
                    if decision is None:
                        await self.session.done.wait()  # bridged: until someone hangs up
                        return
                elif isinstance(decision, Queued):
                    left = deadline - loop.time()
                    decision = None
                    if left > 0:
                        with contextlib.suppress(TimeoutError):
                            decision = await asyncio.wait_for(waiter.next_decision(), left)
                elif isinstance(decision, Overflowed):
                    decision = None
            with contextlib.suppress(AcdError):
                await acd.hangup(call.key)  # leave the queue before the message plays
            await self._abandon()
        finally:
            with contextlib.suppress(AcdError):
                await asyncio.shield(acd.hangup(call.key))  # the agent goes to wrap-up

    async def _offered(
        self, acd: Acd, waiter: Any, customer: LegRuntime, offer: Offered
    ) -> Decision | None:
        """Ring the reserved agent; None once bridged, else the ACD's next decision."""
        from app.callcontrol.acd_bridge import seat_of_agent

        b2bua, call = self.b2bua, self.session.call
        seat = await seat_of_agent(call.tenant_id, UUID(offer.agent_id))
        if seat is None:
            return await self._next(acd, waiter, offer, "no_seat")
        await waiter.mark()
        await b2bua._move(self.session, CallState.RINGING)
        webrtc = b2bua.config.webrtc_seats and seat.seat_type == "webrtc"
        # A re-offer from the customer's side toward "a": rtpengine's SDP for the agent (same
        # customer-facing port, so the customer is not re-INVITEd).
        toward_agent = await b2bua.ng.offer(
            self.media, CUSTOMER_TAG, customer.remote_sdp,
            TOWARD_WEBRTC if webrtc else TOWARD_SIP, to_tag=DIALER_TAG,
        )  # fmt: skip
        ring_for = min(offer.ring_timeout, self.req.agent_ring)
        agent, status = await self._ring_agent(seat.number, toward_agent.sdp, ring_for)
        if agent is None:
            why = "ring_timeout" if status in NO_ANSWER_STATUSES else "rejected"
            return await self._next(acd, waiter, offer, why)
        try:
            await acd.answer(call.key, offer.agent_id)
        except NotOffered:
            await b2bua._bye(agent)
            await b2bua._leg_moved(self.session, agent, LegState.ENDED)
            return await _wait(waiter.next_decision(), 2.0)
        toward_customer = await b2bua.ng.answer(
            self.media, CUSTOMER_TAG, DIALER_TAG, agent.remote_sdp, TOWARD_SIP
        )
        self.session.customer_sdps.append(toward_customer.sdp)
        self.tap.close()  # the agent has the "a" side now
        call.extension, call.agent_user_id = seat.number, seat.user_id or UUID(offer.agent_id)
        self.result.outcome = Outcome.ANSWERED
        self.result.agent_id = call.agent_user_id
        self.result.bridged_at = now()
        await b2bua._bridged(self.session)
        return None

    async def _next(self, acd: Acd, waiter: Any, offer: Offered, why: str) -> Decision | None:
        try:
            if why == "ring_timeout":
                decisions = await acd.ring_timeout(offer.call_id, offer.agent_id)
            else:
                decisions = await acd.reject(offer.call_id, offer.agent_id, why)
        except NotOffered:
            decisions = []
        mine = [d for d in decisions if d.call_id == offer.call_id]
        return mine[0] if mine else await _wait(waiter.next_decision(), 1.0)

    async def _ring_agent(
        self, extension: str, sdp: str, ring_for: float
    ) -> tuple[LegRuntime | None, int]:
        b2bua, session = self.b2bua, self.session
        domain = await routing.sip_domain(session.call.tenant_id)
        leg = b2bua._outbound_leg(
            session, LegRole.AGENT, DIALER_TAG, SipUri(user=extension, host=domain),
            self.req.masked, domain,
        )  # fmt: skip
        leg.local_sdp = sdp
        request = b2bua._invite_request(session, leg, sdp, True)
        tx = await b2bua.endpoint.send_request(request)
        leg.client_tx = tx

        def provisional(response: Response) -> None:
            leg.provisional = True
            if response.status in (180, 183):
                b2bua._spawn(b2bua._leg_moved(session, leg, LegState.RINGING, response.status))

        tx.on_provisional = provisional
        try:
            response = await asyncio.wait_for(asyncio.shield(tx.final), ring_for)
        except TimeoutError:
            b2bua._cancel(leg)
            response = await asyncio.wait_for(asyncio.shield(tx.final), CANCEL_WAIT)
        leg.client_tx = None
        if not 200 <= response.status < 300:
            await b2bua._leg_moved(session, leg, LegState.ENDED, response.status)
            b2bua._dialogs.pop((leg.leg.sip_call_id, leg.local_tag), None)
            return None, response.status
        leg.dialog = Dialog.as_uac(request, response)
        leg.remote_sdp = response.body.decode(errors="replace")
        await b2bua._ack(leg, response, None)
        await b2bua._leg_moved(session, leg, LegState.ANSWERED, response.status)
        return leg, response.status


async def _held_decision(acd: Acd, call_id: str, node: str) -> Decision | None:
    """Where the ACD call of a progressive line stands when its person answers: still ringing
    its reserved agent (or another one, if that agent rejected it meanwhile), waiting in the
    campaign's queue, or gone (None: offer it again)."""
    raw = await acd.redis.hgetall(f"{acd.prefix}:call:{call_id}")  # type: ignore[misc]
    state, agent, queue = raw.get("state"), raw.get("agent", ""), raw.get("queue", "")
    if state == "ringing" and agent:
        return Offered(call_id, agent, queue, float("inf"), node)
    if state == "waiting":
        return Queued(call_id, queue, 0, 0.0)
    return None


async def _wait(awaitable: Awaitable[Decision], within: float) -> Decision | None:
    try:
        return await asyncio.wait_for(awaitable, within)
    except TimeoutError:
        return None
