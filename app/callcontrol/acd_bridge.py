"""SEAT-3/4/5: a caller the IVR sends to a queue gets an agent through the ACD, live.

`enqueue` asks the ACD (`Acd.offer`) and acts on its decisions until the call is bridged,
overflows, or the caller hangs up:
- Offered: INVITE the agent's seat (the extension on their agent profile) for the offer's
  ring_timeout; a 2xx is `Acd.answer` + rtpengine `answer(to-tag agent)` (the bridge); no
  answer in time (CANCEL) or a refusal is `ring_timeout`/`reject`, whose decision is the next
  agent or the queue again;
- Queued: music on hold in a loop, position and expected-wait announcements, while waiting for
  the ACD to offer the call to an agent who becomes ready. That offer can be made on any node
  (an agent's CTI "ready", a hang-up elsewhere, the AcdTimer): it is a `call_offered` event on
  the tenant stream, so the waiting call blocks on the stream (XREAD BLOCK) and never polls;
- Overflowed: voicemail (the target is a mailbox) or the flow's `overflow` exit.
Whatever happens, `Acd.hangup` is called when the call ends (idempotent): an abandoned call
leaves the queue, and an agent who talked goes to after-call work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy import select

from app.callcontrol import routing
from app.callcontrol.call import CallState, LegRole, LegState
from app.callcontrol.call import now as call_clock
from app.callcontrol.media.ng import TOWARD_SIP, RtpengineError
from app.callcontrol.prompts import write_prompt
from app.callcontrol.sip.auth import authorize_request
from app.callcontrol.sip.dialog import Dialog
from app.callcontrol.sip.message import Request, Response, SipUri
from app.db.session import tenant_session
from app.ivr_builder import interpreter as ip
from app.lib.events import events_stream
from app.seats.acd import (
    Acd,
    AcdError,
    AcdTimer,
    Decision,
    NotOffered,
    Offered,
    Overflowed,
    OverflowKind,
    Queued,
)
from app.seats.acd import Call as AcdCall
from app.seats.queues import AcdQueue, ensure_synced

if TYPE_CHECKING:
    from app.callcontrol.b2bua import LegRuntime
    from app.callcontrol.ivr_runner import IvrRunner

log = logging.getLogger(__name__)

AGENT_TAG = "a"  # b2bua.AGENT_TAG
CANCEL_WAIT = 32.0  # 64*T1: the 487 after our CANCEL (RFC 3261 9.1)
ANNOUNCE_EVERY = 45.0  # seconds between position announcements while queued
# A hold-music loop: soft alternating notes, made once with the stdlib (tenants set their own
# music-on-hold prompt on the queue).
MOH_FILE = "moh.wav"
MOH_NOTES = ((392.0, 0.5), (440.0, 0.5), (493.88, 0.5), (440.0, 0.5)) * 2


# --- ringing one seat ---------------------------------------------------------------------


async def ring(
    runner: IvrRunner, seat: routing.SeatTarget, ring_for: float
) -> tuple[LegRuntime | None, int]:
    """INVITE a seat (through the outbound proxy) for `ring_for` seconds; a browser seat gets
    ICE + DTLS-SRTP (EDGE-2)."""
    domain = await routing.sip_domain(runner.tenant_id)
    target = SipUri(user=seat.number, host=domain)
    webrtc = runner.b2bua.config.webrtc_seats and seat.seat_type == "webrtc"
    return await invite_leg(runner, LegRole.AGENT, target, runner.session.call.from_number,
                            domain, ring_for, webrtc=webrtc)  # fmt: skip


async def dial_external(runner: IvrRunner, number: str) -> tuple[LegRuntime | None, int]:
    """SEAT-4: an external number (a manager's mobile) through the tenant's carrier trunk,
    with the trunk's caller id and digest credentials."""
    trunk = await routing.outbound_trunk(runner.tenant_id, runner.session.call.business_id)
    if trunk is None:
        return None, 404
    runner.session.call.trunk_id = trunk.trunk_id
    target = SipUri(user=number, host=trunk.host, port=trunk.port)
    auth = (trunk.username, trunk.password) if trunk.username else None
    return await invite_leg(
        runner, LegRole.OTHER, target, trunk.caller_id or runner.session.call.to_number,
        trunk.host, runner.b2bua.config.ring_timeout,
        via_proxy=runner.b2bua.config.trunks_via_proxy, auth=auth,
    )  # fmt: skip


async def invite_leg(
    runner: IvrRunner, role: LegRole, target: SipUri, from_user: str, from_host: str,
    ring_for: float, *, via_proxy: bool = True, auth: tuple[str, str] | None = None,
    webrtc: bool = False,
) -> tuple[LegRuntime | None, int]:  # fmt: skip
    """INVITE a new leg with rtpengine's SDP for the far side; (the answered leg, 2xx) or
    (None, final status) — unlike B2bua._dial, a failure does NOT end the customer's call."""
    b2bua, session = runner.b2bua, runner.session
    leg = b2bua._outbound_leg(session, role, runner.agent_tag, target, from_user, from_host)
    leg.local_sdp = sdp = await runner.sdp_for_agent(webrtc=webrtc)
    request = b2bua._invite_request(session, leg, sdp, via_proxy)
    response = await _ring_once(runner, leg, request, ring_for)
    if response.status in (401, 407) and auth is not None:
        retry = authorize_request(request, response, *auth)  # RFC 3261 22.2
        if retry is not None:
            request = retry
            response = await _ring_once(runner, leg, request, ring_for)
    if not 200 <= response.status < 300:
        await b2bua._leg_moved(session, leg, LegState.ENDED, response.status)
        return None, response.status
    leg.dialog = Dialog.as_uac(request, response)
    leg.remote_sdp = response.body.decode(errors="replace")
    await b2bua._ack(leg, response, None)
    await b2bua._leg_moved(session, leg, LegState.ANSWERED, response.status)
    return leg, response.status


async def _ring_once(runner: IvrRunner, leg: LegRuntime, request: Request,
                     ring_for: float) -> Response:  # fmt: skip
    b2bua, session = runner.b2bua, runner.session
    tx = await b2bua.endpoint.send_request(request)
    leg.client_tx = tx  # a hang-up meanwhile CANCELs it (B2bua._release)

    def provisional(response: Response) -> None:
        leg.provisional = True
        if response.status in (180, 183):
            b2bua._spawn(b2bua._leg_moved(session, leg, LegState.RINGING, response.status))

    tx.on_provisional = provisional
    try:
        response = await asyncio.wait_for(asyncio.shield(tx.final), ring_for)
    except TimeoutError:
        b2bua._cancel(leg)  # RFC 3261 9.1: no answer within the ring timeout
        response = await asyncio.wait_for(asyncio.shield(tx.final), CANCEL_WAIT)
    leg.client_tx = None
    return response


async def bridge(runner: IvrRunner, agent: LegRuntime, extension: str,
                 user_id: UUID | None) -> None:  # fmt: skip
    """rtpengine answer(to-tag agent): the caller and the agent hear each other."""
    b2bua, session = runner.b2bua, runner.session
    if runner.consult is not None:
        # SEAT-6 attended transfer to a queue: the transferring agent talks to them first.
        await runner.consult(agent, extension, user_id)
        return
    await stop_music(runner)
    toward_customer = await b2bua.ng.answer(
        session.media_id, "c", runner.agent_tag, agent.remote_sdp, TOWARD_SIP
    )
    session.customer_sdps.append(toward_customer.sdp)
    if extension:
        session.call.extension, session.call.agent_user_id = extension, user_id
    await b2bua._bridged(session)
    if runner.on_bridged is not None:
        await runner.on_bridged(agent)  # a transferred call: call control's agent changes


async def move(runner: IvrRunner, state: CallState) -> None:
    if runner.consult is not None:
        return  # an attended transfer: the call stays bridged with its agent meanwhile
    if runner.session.call.state is not state:
        await runner.b2bua._move(runner.session, state)


# --- transfer node ------------------------------------------------------------------------


async def transfer(runner: IvrRunner, kind: str, target: str) -> bool:
    """The IVR's transfer node: ring an extension (or an agent's seat) and bridge; False when
    nobody answers (the flow's `failed` exit). External numbers go out through the trunk."""
    tenant_id = runner.tenant_id
    if kind == "external":
        return await connect_external(runner, target)
    if kind == "extension":
        seat = await routing.find_seat(tenant_id, target)
    elif kind == "agent":
        try:
            seat = await seat_of_agent(tenant_id, UUID(target))
        except ValueError:
            seat = None
    else:
        seat = None
    if seat is None:
        return False
    await move(runner, CallState.RINGING)
    agent, _status = await ring(runner, seat, runner.b2bua.config.ring_timeout)
    if agent is None:
        return False
    await bridge(runner, agent, seat.number, seat.user_id)
    await runner.session.done.wait()  # the call's task lives until the call ends
    return True


async def connect_external(runner: IvrRunner, number: str) -> bool:
    await move(runner, CallState.RINGING)
    leg, _status = await dial_external(runner, number)
    if leg is None:
        return False
    await bridge(runner, leg, "", None)
    await runner.session.done.wait()
    return True


async def seat_of_agent(tenant_id: UUID, user_id: UUID) -> routing.SeatTarget | None:
    """The extension bound to the agent's profile (SEAT-10), else one owned by the user."""
    from app.seats.agents import profile_of_user
    from app.seats.models import Extension

    async with tenant_session(tenant_id) as db:
        profile = await profile_of_user(db, tenant_id, user_id)
        ext = None
        if profile is not None and profile.extension_id is not None:
            ext = await db.scalar(select(Extension).where(
                Extension.tenant_id == tenant_id, Extension.id == profile.extension_id,
                Extension.is_active.is_(True)))  # fmt: skip
    if ext is not None:
        return routing.SeatTarget(ext.number, user_id, ext.seat_type)
    return await routing.seat_for_user(tenant_id, user_id)


# --- queue node ---------------------------------------------------------------------------


async def find_queue(tenant_id: UUID, ref: str) -> AcdQueue | None:
    """A queue node names its queue by id (the builder's choice) or by name."""
    async with tenant_session(tenant_id) as db:
        try:
            found = await db.scalar(select(AcdQueue).where(
                AcdQueue.tenant_id == tenant_id, AcdQueue.id == UUID(ref)))  # fmt: skip
        except ValueError:
            found = None
        if found is None:
            found = await db.scalar(select(AcdQueue).where(
                AcdQueue.tenant_id == tenant_id, AcdQueue.name == ref))  # fmt: skip
        if found is not None:
            db.expunge(found)
        return found


async def enqueue(runner: IvrRunner, action: ip.Enqueue) -> bool:
    """True once the call was handled (bridged and ended, voicemail, or abandoned); False to
    take the flow's `overflow` exit."""
    b2bua, call = runner.b2bua, runner.session.call
    queue = await find_queue(call.tenant_id, action.queue)
    if queue is None:
        log.warning("call %s: queue %r not found", call.key, action.queue)
        return False
    redis: Redis = b2bua.redis
    await ensure_synced(redis, call.tenant_id)
    ensure_timer(runner)
    acd = Acd(redis, call.tenant_id)
    waiter = OfferWaiter(redis, call.tenant_id, call.key)
    await waiter.mark()
    node = f"{b2bua.config.sip_host}:{b2bua.config.sip_port}"
    call.queue_id, call.queued_at = queue.id, call.queued_at or call_clock()  # REC-4 queue report
    try:
        decision = await acd.offer(AcdCall(
            call_id=call.key, queue_id=str(queue.id), caller=call.from_number,
            priority=action.priority, vip=action.vip, node=node,
            transferred=runner.transferred))  # fmt: skip
        handled = await serve(runner, acd, queue, waiter, decision)
        if handled:
            await runner.session.done.wait()
        return handled
    finally:
        # The caller hung up (this task is cancelled), the call ended after talking, or it
        # overflowed: the ACD frees the agent (to wrap-up) or drops the waiting entry.
        with contextlib.suppress(AcdError):
            await asyncio.shield(acd.hangup(call.key))


def ensure_timer(runner: IvrRunner) -> None:
    """The tenant's AcdTimer in this process (max wait, wrap-up end, lapsed offers).

    It blocks on the tenant's event stream between deadlines, so it costs one Redis
    connection per tenant and no polling; a second node running one too is harmless.
    """
    b2bua, tenant_id = runner.b2bua, runner.tenant_id
    timers = b2bua.ivr.acd_timers
    if tenant_id in timers and not timers[tenant_id].done():
        return
    timer = AcdTimer([Acd(b2bua.redis, tenant_id)])
    timers[tenant_id] = b2bua._spawn(timer.run())


async def serve(runner: IvrRunner, acd: Acd, queue: AcdQueue, waiter: OfferWaiter,
                decision: Decision) -> bool:  # fmt: skip
    call = runner.session.call
    while True:
        if isinstance(decision, Offered):
            next_decision = await offered(runner, acd, waiter, decision)
            if next_decision is None:
                return True  # bridged
            decision = next_decision
        elif isinstance(decision, Queued):
            await move(runner, CallState.QUEUED)
            decision = await wait_in_queue(runner, acd, queue, waiter, decision)
        elif isinstance(decision, Overflowed):
            await stop_music(runner)
            return await overflowed(runner, decision)
        else:  # pragma: no cover - the ACD has three decisions
            raise AssertionError(decision)
        log.info("call %s: next ACD decision %s", call.key, decision)


async def offered(runner: IvrRunner, acd: Acd, waiter: OfferWaiter,
                  offer: Offered) -> Decision | None:  # fmt: skip
    """Ring the offered agent; None once bridged, else what the ACD decides next."""
    call = runner.session.call
    seat = await seat_of_agent(call.tenant_id, UUID(offer.agent_id))
    if seat is None:
        log.warning("call %s: agent %s has no seat", call.key, offer.agent_id)
        return await after_failure(acd, waiter, offer, "no_seat")
    await waiter.mark()
    await move(runner, CallState.RINGING)
    agent, status = await ring(runner, seat, offer.ring_timeout)
    if agent is None:
        why = "ring_timeout" if status in (408, 480, 487) else "rejected"
        return await after_failure(acd, waiter, offer, why)
    try:
        await acd.answer(call.key, offer.agent_id)
    except NotOffered:
        # The offer lapsed (another node's timer fired) while the phone was picked up.
        await runner.b2bua._bye(agent)
        await runner.b2bua._leg_moved(runner.session, agent, LegState.ENDED)
        return await waiter.next_decision()
    await bridge(runner, agent, seat.number, seat.user_id)
    return None


async def after_failure(acd: Acd, waiter: OfferWaiter, offer: Offered, why: str) -> Decision:
    try:
        if why == "ring_timeout":
            decisions = await acd.ring_timeout(offer.call_id, offer.agent_id)
        else:
            decisions = await acd.reject(offer.call_id, offer.agent_id, why)
    except NotOffered:
        decisions = []  # the AcdTimer fired first: its decision is on the stream
    mine = [d for d in decisions if d.call_id == offer.call_id]
    return mine[0] if mine else await waiter.next_decision()


async def overflowed(runner: IvrRunner, decision: Overflowed) -> bool:
    if decision.kind is OverflowKind.VOICEMAIL:
        from app.callcontrol import voicemail_capture

        await voicemail_capture.record(runner, decision.target, by_id=True)
        return True
    if decision.kind is OverflowKind.EXTERNAL:
        return await connect_external(runner, decision.target)
    log.info("call %s: overflow %s to %s", runner.session.call.key, decision.kind, decision.target)
    return False  # the flow's overflow exit decides


# --- waiting ------------------------------------------------------------------------------


class OfferWaiter:
    """The ACD's next decision about one call, read from the tenant's event stream."""

    def __init__(self, redis: Redis, tenant_id: UUID, call_key: str) -> None:
        self.redis = redis
        self.stream = events_stream(tenant_id)
        self.call_key = call_key
        self.last_id = "0-0"

    async def mark(self) -> None:
        """Start from the stream's end as of now: later decisions are the ones we want."""
        newest = await self.redis.xrevrange(self.stream, count=1)
        self.last_id = newest[0][0] if newest else "0-0"

    async def next_decision(self) -> Decision:
        while True:
            replies = await self.redis.xread({self.stream: self.last_id}, block=30_000, count=100)
            for _stream, entries in replies or []:
                for entry_id, fields in entries:
                    self.last_id = entry_id
                    decision = self._decision(fields)
                    if decision is not None:
                        return decision

    def _decision(self, f: dict[str, str]) -> Decision | None:
        if f.get("call") != self.call_key:
            return None
        if f.get("type") == "call_offered":
            return Offered(self.call_key, f["agent"], f["queue"],
                           int(f["ring_timeout_ms"]) / 1000, f.get("node", ""))  # fmt: skip
        if f.get("type") == "call_overflowed" and f.get("target_kind") != "queue":
            return Overflowed(
                self.call_key, f["queue"], OverflowKind(f["target_kind"]),
                f.get("target", ""), f.get("reason", ""), f.get("node", ""),
            )  # fmt: skip
        return None


async def wait_in_queue(runner: IvrRunner, acd: Acd, queue: AcdQueue, waiter: OfferWaiter,
                        queued: Queued) -> Decision:  # fmt: skip
    """Music and announcements until the ACD decides (an agent became ready, max wait)."""
    music = asyncio.ensure_future(hold_music(runner, acd, queue, queued))
    try:
        return await waiter.next_decision()
    finally:
        music.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await music


async def hold_music(runner: IvrRunner, acd: Acd, queue: AcdQueue, queued: Queued) -> None:
    """SEAT-5: position and expected wait, then the queue's music in a loop; again and again."""
    moh = await music_file(runner, queue)
    position, wait = queued.position, queued.expected_wait
    while True:
        if queue.announce_position or queue.announce_wait:
            await announce(runner, queue, position, wait)
        until = asyncio.get_running_loop().time() + ANNOUNCE_EVERY
        while asyncio.get_running_loop().time() < until:
            await runner.play_file(moh, barge_in=False)
        now = await acd.position(runner.session.call.key)
        position, wait = now.position, now.expected_wait


async def announce(runner: IvrRunner, queue: AcdQueue, position: int, wait: float) -> None:
    english = runner.interp.variables.get("language") == "en"
    minutes = max(1, round(wait / 60))
    parts = []
    if queue.announce_position and position > 0:
        parts.append(f"You are caller number {position}." if english
                     else f"您前面还有{position - 1}位客户。")  # fmt: skip
    if queue.announce_wait:
        parts.append(f"Expected wait about {minutes} minutes." if english
                     else f"预计等待约{minutes}分钟。")  # fmt: skip
    if not parts:
        return
    path = await runner.prompt_file("", " ".join(parts), "en" if english else "zh")
    if path is not None:
        await runner.play_file(path, barge_in=False)


async def music_file(runner: IvrRunner, queue: AcdQueue) -> Path:
    if queue.moh_prompt_id is not None:
        from app.ivr_builder.models import IvrPrompt
        from app.lib.storage import get_storage, local_file

        async with tenant_session(runner.tenant_id) as db:
            prompt = await db.scalar(
                select(IvrPrompt).where(
                    IvrPrompt.tenant_id == runner.tenant_id, IvrPrompt.id == queue.moh_prompt_id
                )
            )
        if prompt is not None and (path := await local_file(get_storage(), prompt.object_key)):
            return path
    path = runner.b2bua.config.prompt_dir / MOH_FILE
    if not path.exists():
        write_prompt(path, MOH_NOTES)
    return path.resolve()


async def stop_music(runner: IvrRunner) -> None:
    with contextlib.suppress(RtpengineError):
        await runner.b2bua.ng.stop_media(runner.media_id, "c")
