"""The back-to-back user agent: every call's legs, media through rtpengine, state to Redis.

Three call shapes, each a coroutine run as one task per call:
- inbound (a trunk calls a DID): answer at once for the IVR (rtpengine "IVR, then bridge",
  app/callcontrol/media/README.md), play the welcome prompt, take one digit, ring the target seat
  with the SDP of the first offer, bridge with `answer(to-tag=agent)`;
- internal (a seat calls an extension of its own tenant): offer, ring, answer, no IVR;
- click-to-call (API-3): ring the agent with a late offer (INVITE without SDP; its 200 carries
  the offer), park it on a black hole, dial the customer through the tenant's trunk with the SDP
  rtpengine made for it, bridge with `answer(to-tag=customer)`.
After bridging the far party is NOT re-INVITEd with rtpengine's new SDP: the party keeps
sending to its first port and rtpengine still forwards it (seen with SIPp and rtpengine 10.5).

Hang-up from any side ends the whole call: BYE (answered legs) or CANCEL (ringing legs) to the
others, rtpengine stops recording and deletes the call, the CDR is upserted (retried), and the
recording actor is queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from redis.asyncio import Redis

from app.callcontrol import ivr_runner, live, routing
from app.callcontrol.call import Call, CallState, Leg, LegRole, LegState
from app.callcontrol.cdr import CdrWriter
from app.callcontrol.config import CallcontrolConfig
from app.callcontrol.media.dtmf import DtmfListener
from app.callcontrol.media.ng import TOWARD_SIP, TOWARD_WEBRTC, NgClient, RtpengineError
from app.callcontrol.sip.auth import authorize_request
from app.callcontrol.sip.dialog import (
    Dialog,
    answer_invite,
    create_cancel,
    new_call_id,
    new_request,
)
from app.callcontrol.sip.message import Address, Request, Response, SipUri, new_tag, parse_uri
from app.callcontrol.sip.transaction import ClientTransaction, ServerTransaction, Timers
from app.callcontrol.sip.transport import SipEndpoint

log = logging.getLogger(__name__)

# The IVR answers the caller before any agent exists: rtpengine's other side is a black hole.
BLACK_HOLE_SDP = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 9 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n"
)
CUSTOMER_TAG, AGENT_TAG = "c", "a"
SDP = "application/sdp"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"
BYE_WAIT = 4.0


@dataclass
class LegRuntime:
    """A leg's SIP side: its dialog, and the transaction still open on it, if any."""

    leg: Leg
    dialog: Dialog | None = None
    server_tx: ServerTransaction | None = None  # the INVITE it sent us, until answered
    client_tx: ClientTransaction | None = None  # our INVITE to it, until final
    provisional: bool = False  # a 1xx came back: CANCEL is allowed (RFC 3261 9.1)
    local_tag: str = ""
    remote_sdp: str = ""
    local_sdp: str = ""  # the SDP we last gave it (rtpengine's, for this party)


@dataclass
class CallSession:
    call: Call
    legs: dict[str, LegRuntime] = field(default_factory=dict)  # by media tag
    task: asyncio.Task[None] | None = None
    customer_sdps: list[str] = field(default_factory=list)  # SDPs rtpengine gave the customer
    recording: bool = False
    ending: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def media_id(self) -> str:
        return self.call.key  # rtpengine call-id: ours, safe in file names

    def other(self, rt: LegRuntime) -> LegRuntime | None:
        return next(
            (o for o in self.legs.values() if o is not rt and o.leg.state is LegState.ANSWERED),
            None,
        )


class B2bua:
    def __init__(
        self,
        config: CallcontrolConfig,
        *,
        redis: Redis,
        ng: NgClient,
        dtmf: DtmfListener,
        prompt: Path,
        timers: Timers | None = None,
    ) -> None:
        self.config = config
        self.redis = redis
        self.ng = ng
        self.dtmf = dtmf
        self.prompt = prompt
        self.cdr = CdrWriter()
        self.endpoint = SipEndpoint(
            config.sip_host,
            config.sip_port,
            handler=self._on_request,
            timers=timers,
            user_agent="Fastline callcontrol",
        )
        self.sessions: dict[str, CallSession] = {}
        self._dialogs: dict[tuple[str, str], tuple[CallSession, LegRuntime]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_call_end: Callable[[CallSession], Awaitable[None]] | None = None
        # Call control (control.py): True when the call goes on without a leg that hung up.
        self.on_leg_bye: Callable[[CallSession, LegRuntime], Awaitable[bool]] | None = None
        self.ivr = ivr_runner.LiveIvr()  # published flows, run live (IVR-2), and the ACD

    async def start(self) -> None:
        await self.endpoint.start()

    async def close(self) -> None:
        for session in list(self.sessions.values()):
            await self.hangup(session, "shutdown", "system")
        for task in list(self._tasks):
            task.cancel()
        await self.endpoint.close()

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # ------------------------------------------------------------------ SIP in

    async def _on_request(self, tx: ServerTransaction) -> None:
        req = tx.request
        if req.method == "OPTIONS":
            # Kamailio's dispatcher probes us with OPTIONS (keepalive); RFC 3261 11.2.
            tx.respond(tx.response(200, extra=[("Allow", ALLOW), ("Accept", SDP)]))
        elif req.to.tag:
            await self._in_dialog(tx)
        elif req.method == "INVITE":
            await self._new_invite(tx)
        elif req.method in ("BYE", "INFO", "UPDATE"):
            tx.respond(tx.response(481))  # RFC 3261 12.2.2: no such dialog
        else:
            tx.respond(tx.response(405, extra=[("Allow", ALLOW)]))

    async def _in_dialog(self, tx: ServerTransaction) -> None:
        req = tx.request
        entry = self._dialogs.get((req.call_id, req.to.tag or ""))
        if entry is None or entry[1].dialog is None:
            tx.respond(tx.response(481))
            return
        session, rt = entry
        assert rt.dialog is not None
        status = rt.dialog.receive_request(req)
        if status is not None:
            tx.respond(tx.response(status))
        elif req.method == "BYE":
            tx.respond(tx.response(200))
            rt.leg.move(LegState.ENDED, cause="bye")
            rt.dialog = None
            if self.on_leg_bye is not None and await self.on_leg_bye(session, rt):
                return
            await self.hangup(session, "normal", str(rt.leg.role))
        elif req.method == "INVITE":
            await self._reinvite(session, rt, tx)
        elif req.method == "INFO":
            tx.respond(tx.response(200))  # SIP INFO DTMF is not relayed: RFC 4733 is the way
        else:
            tx.respond(tx.response(405, extra=[("Allow", ALLOW)]))

    async def _new_invite(self, tx: ServerTransaction) -> None:
        req = tx.request
        source = req.top_via.params.get("received") or req.top_via.host
        trusted = source in self.config.trusted_proxies
        tenant_hint = req.headers.get("X-Fastline-Tenant") if trusted else None
        kind = (req.headers.get("X-Fastline-Source") or "trunk") if trusted else "trunk"
        if not req.body:
            # Late offer from a trunk or seat is not supported yet: RFC 3261 13.3.1.4 lets a
            # UAS refuse; 488 tells the peer what we could not accept.
            tx.respond(tx.response(488, "Offer Required"))
            return
        try:
            tenant_id = UUID(tenant_hint) if tenant_hint else None
        except ValueError:
            tenant_id = None
        if kind == "seat" and tenant_id is not None:
            caller_ext = req.headers.get("X-Fastline-Ext") or (req.from_.uri.user or "")
            await self._seat_call(tx, tenant_id, caller_ext)
        else:
            await self._trunk_call(tx, tenant_id)

    # ------------------------------------------------------------------ call set-up

    def _new_session(self, call: Call) -> CallSession:
        session = CallSession(call)
        self.sessions[call.key] = session
        return session

    def _add_leg(
        self,
        session: CallSession,
        role: LegRole,
        tag: str,
        call_id: str,
        from_uri: str,
        to_uri: str,
        local_tag: str,
    ) -> LegRuntime:
        rt = LegRuntime(Leg(role, call_id, from_uri, to_uri, tag), local_tag=local_tag)
        session.call.legs.append(rt.leg)
        session.legs[tag] = rt
        self._dialogs[(call_id, local_tag)] = (session, rt)
        return rt

    def _inbound_leg(
        self, session: CallSession, tx: ServerTransaction, role: LegRole
    ) -> LegRuntime:
        req = tx.request
        rt = self._add_leg(
            session,
            role,
            CUSTOMER_TAG,
            req.call_id,
            str(req.from_.uri),
            str(req.to.uri),
            tx.to_tag,
        )
        rt.server_tx = tx
        rt.remote_sdp = req.body.decode(errors="replace")

        def cancelled() -> None:
            self._spawn(self.hangup(session, "cancelled", str(role)))

        tx.on_cancel = cancelled
        return rt

    async def _trunk_call(self, tx: ServerTransaction, tenant_hint: UUID | None) -> None:
        req = tx.request
        dialed = req.uri.user or req.to.uri.user or ""
        route = await routing.route_for_number(dialed)
        if route is None or (tenant_hint is not None and route.tenant_id != tenant_hint):
            tx.respond(tx.response(404))  # not one of our numbers (or not this tenant's)
            return
        call = Call(
            key=uuid.uuid4().hex,
            tenant_id=route.tenant_id,
            direction="inbound",
            from_number=req.from_.uri.user or "",
            to_number=dialed,
            business_id=route.business_id,
        )
        session = self._new_session(call)
        rt = self._inbound_leg(session, tx, LegRole.CUSTOMER)
        live.post(self.redis, call, call.event("call.arrived"))
        session.task = self._spawn(self._guard(session, self._inbound_flow(session, rt)))

    async def _seat_call(self, tx: ServerTransaction, tenant_id: UUID, caller_ext: str) -> None:
        req = tx.request
        dialed = req.uri.user or ""
        domain = req.uri.host.lower()
        if not routing.is_extension(dialed):
            route = await routing.route_for_number(dialed)
            if route is not None and route.tenant_id == tenant_id:
                # A seat dialing one of its own tenant's numbers reaches that number's flow as
                # a customer would: how an admin tries the IVR from a desk phone.
                await self._trunk_call(tx, tenant_id)
                return
            tx.respond(tx.response(404, "Outbound Dialing Not Enabled"))
            return
        owner = await routing.tenant_for_sip_domain(domain)
        if owner is not None and owner != tenant_id:
            tx.respond(tx.response(403, "Other Tenant"))  # SEAT-6: only one's own tenant
            return
        seat = await routing.find_seat(tenant_id, dialed)
        if seat is None:
            tx.respond(tx.response(404))
            return
        call = Call(
            key=uuid.uuid4().hex,
            tenant_id=tenant_id,
            direction="internal",
            from_number=caller_ext,
            to_number=dialed,
            extension=dialed,
            agent_user_id=seat.user_id,
        )
        session = self._new_session(call)
        rt = self._inbound_leg(session, tx, LegRole.OTHER)
        live.post(self.redis, call, call.event("call.arrived"))
        session.task = self._spawn(self._guard(session, self._internal_flow(session, rt, seat)))

    async def _guard(self, session: CallSession, flow: Awaitable[None]) -> None:
        """Run a call's flow; whatever happens, the call ends and is recorded."""
        try:
            await flow
        except asyncio.CancelledError:
            raise
        except RtpengineError as exc:
            log.error("call %s: media failure: %s", session.call.key, exc)
            await self._fail_pending(session, 503)
            await self.hangup(session, "media failure", "system")
        except Exception:
            log.exception("call %s failed", session.call.key)
            await self._fail_pending(session, 500)
            await self.hangup(session, "internal error", "system")

    async def _fail_pending(self, session: CallSession, status: int) -> None:
        for rt in session.legs.values():
            tx = rt.server_tx
            if tx is not None and (tx.last_response is None or tx.last_response.status < 200):
                tx.respond(tx.response(status))

    # ------------------------------------------------------------------ the three flows

    async def _inbound_flow(self, session: CallSession, customer: LegRuntime) -> None:
        call = session.call
        agent_facing = await self.ng.offer(
            session.media_id, CUSTOMER_TAG, customer.remote_sdp, TOWARD_SIP
        )
        ivr = await self.ng.answer(
            session.media_id, CUSTOMER_TAG, "ivr", BLACK_HOLE_SDP, TOWARD_SIP
        )
        session.customer_sdps.append(ivr.sdp)
        customer.local_sdp = ivr.sdp
        await self._move(session, CallState.IVR)
        # The number's flow answers at its first prompt: a caller it refuses first (black
        # list) is declined without ever being answered, so the call is never billed.
        if await ivr_runner.run_published_flow(self, session, customer, agent_facing.sdp, ivr.sdp):
            return  # the number's flow took the call (menus, queue, voicemail...)
        if not await self._answer(session, customer, ivr.sdp):
            return
        digit = await self._prompt_for_digit(session)
        if digit:
            call.dtmf += digit
            await live.save(self.redis, call, call.event("call.dtmf", digit=digit))
        seat = await routing.target_for_did(
            self.redis, call.tenant_id, call.to_number, call.business_id
        )
        if seat is None:
            await self.hangup(session, "no agent", "system")
            return
        call.extension, call.agent_user_id = seat.number, seat.user_id
        await self._move(session, CallState.RINGING)
        agent = await self._ring_seat(session, seat, agent_facing.sdp, call.from_number)
        if agent is None:
            return
        toward_customer = await self.ng.answer(
            session.media_id, CUSTOMER_TAG, AGENT_TAG, agent.remote_sdp, TOWARD_SIP
        )
        session.customer_sdps.append(toward_customer.sdp)
        await self._bridged(session)

    async def _internal_flow(
        self, session: CallSession, caller: LegRuntime, seat: routing.SeatTarget
    ) -> None:
        agent_facing = await self.ng.offer(
            session.media_id, CUSTOMER_TAG, caller.remote_sdp, TOWARD_SIP
        )
        await self._move(session, CallState.RINGING)
        agent = await self._ring_seat(
            session, seat, agent_facing.sdp, session.call.from_number, relay_to=caller
        )
        if agent is None:
            return
        toward_caller = await self.ng.answer(
            session.media_id, CUSTOMER_TAG, AGENT_TAG, agent.remote_sdp, TOWARD_SIP
        )
        session.customer_sdps.append(toward_caller.sdp)
        caller.local_sdp = toward_caller.sdp
        if await self._answer(session, caller, toward_caller.sdp):
            await self._bridged(session)

    async def _click_to_call_flow(
        self, session: CallSession, seat: routing.SeatTarget, number: str, shown: str = ""
    ) -> None:
        call = session.call
        await self._move(session, CallState.RINGING)
        domain = await routing.sip_domain(call.tenant_id)
        # The agent's phone shows `shown` (a lead's masked number, DIAL-6) when given.
        agent = self._outbound_leg(
            session,
            LegRole.AGENT,
            AGENT_TAG,
            SipUri(user=seat.number, host=domain),
            shown or number,
            domain,
        )
        # Late offer (RFC 3261 13.2.1): the agent's 200 carries the offer, our ACK the answer.
        response = await self._dial(session, agent, None, ack=False)
        if response is None:
            return
        toward_customer = await self.ng.offer(
            session.media_id, AGENT_TAG, agent.remote_sdp, TOWARD_SIP
        )
        parked = await self.ng.answer(
            session.media_id, AGENT_TAG, "hold", BLACK_HOLE_SDP, TOWARD_SIP
        )
        await self._ack(agent, response, parked.sdp)
        agent.local_sdp = parked.sdp
        trunk = await routing.outbound_trunk(call.tenant_id, call.business_id or seat.business_id)
        if trunk is None:
            await self.hangup(session, "no trunk", "system")
            return
        call.trunk_id = trunk.trunk_id
        customer = self._outbound_leg(
            session,
            LegRole.CUSTOMER,
            CUSTOMER_TAG,
            SipUri(user=number, host=trunk.host, port=trunk.port),
            trunk.caller_id or seat.number,
            trunk.host,
        )
        session.customer_sdps.append(toward_customer.sdp)
        auth = (trunk.username, trunk.password) if trunk.username else None
        dialed = await self._dial(
            session,
            customer,
            toward_customer.sdp,
            auth=auth,
            via_proxy=self.config.trunks_via_proxy,
        )
        if dialed is None:
            return
        call.mark_answered()
        await self.ng.answer(
            session.media_id, AGENT_TAG, CUSTOMER_TAG, customer.remote_sdp, TOWARD_SIP
        )
        await self._bridged(session)

    async def click_to_call(
        self,
        tenant_id: UUID,
        extension: str,
        number: str,
        user_id: UUID | None = None,
        *,
        attempt_id: UUID | None = None,
        shown: str = "",
    ) -> str | None:
        """API-3: ring `extension`, then dial `number` through the tenant's trunk. With a
        lead's `attempt_id` (DIAL-2 preview) the attempt is finished when the call ends."""
        seat = await routing.find_seat(tenant_id, extension)
        if seat is None:
            log.warning("click-to-call: no extension %s in tenant %s", extension, tenant_id)
            return None
        call = Call(
            key=uuid.uuid4().hex,
            tenant_id=tenant_id,
            direction="outbound",
            from_number=extension,
            to_number=number,
            extension=extension,
            agent_user_id=seat.user_id or user_id,
        )
        session = self._new_session(call)
        await live.save(self.redis, call, call.event("call.arrived", origin="click-to-call"))
        session.task = self._spawn(
            self._guard(session, self._click_to_call_flow(session, seat, number, shown))
        )
        if attempt_id is not None:
            from app.callcontrol import preview

            self._spawn(preview.finish_when_done(session, attempt_id))
        return call.key

    # ------------------------------------------------------------------ steps

    async def _move(self, session: CallSession, state: CallState) -> None:
        # Posted, not awaited: the set-up path does not wait on Redis (`hangup` awaits the last
        # write, and writes keep their order).
        live.post(self.redis, session.call, session.call.move(state))

    async def _leg_moved(
        self, session: CallSession, rt: LegRuntime, state: LegState, status: int | None = None
    ) -> None:
        if rt.leg.move(state, status=status):
            live.post(
                self.redis,
                session.call,
                session.call.event("leg.state", role=str(rt.leg.role), legState=str(state)),
            )

    async def _answer(self, session: CallSession, rt: LegRuntime, sdp: str) -> bool:
        """200 OK with `sdp` to a leg that INVITEd us; False (call ended) if no ACK came."""
        tx = rt.server_tx
        assert tx is not None
        contact = self.endpoint.contact("cc")
        rt.dialog = Dialog.as_uas(tx.request, tx.to_tag, contact)
        ok = tx.response(
            200,
            body=sdp.encode(),
            content_type=SDP,
            extra=[("Contact", str(contact)), ("Allow", ALLOW)],
        )
        session.call.mark_answered()
        await self._leg_moved(session, rt, LegState.ANSWERED, 200)
        ack = await answer_invite(self.endpoint, tx, ok)
        rt.server_tx = None
        if ack is None:
            # RFC 3261 13.3.1.4: no ACK within 64*T1, end the session with BYE.
            await self.hangup(session, "no ACK", "system")
            return False
        return True

    async def _prompt_for_digit(self, session: CallSession) -> str:
        """Play the welcome prompt to the customer and return the first digit ('' if none)."""
        sub = self.dtmf.subscribe(session.media_id, source_tag=CUSTOMER_TAG)
        try:
            duration_ms = await self.ng.play_media(
                session.media_id, CUSTOMER_TAG, file=str(self.prompt)
            )
            wait = duration_ms / 1000 + self.config.digit_timeout
            try:
                event = await sub.next_digit(wait)
            except TimeoutError:
                return ""
            with contextlib.suppress(RtpengineError):
                await self.ng.stop_media(session.media_id, CUSTOMER_TAG)  # barge-in
            return event.digit
        finally:
            sub.close()

    def _outbound_leg(
        self,
        session: CallSession,
        role: LegRole,
        tag: str,
        uri: SipUri,
        from_user: str,
        from_host: str,
    ) -> LegRuntime:
        call_id = new_call_id(self.config.sip_host)
        from_uri = SipUri(user=from_user or None, host=from_host or self.config.sip_host)
        return self._add_leg(session, role, tag, call_id, str(from_uri), str(uri), new_tag())

    async def _ring_seat(
        self,
        session: CallSession,
        seat: routing.SeatTarget,
        sdp: str,
        caller: str,
        relay_to: LegRuntime | None = None,
    ) -> LegRuntime | None:
        domain = await routing.sip_domain(session.call.tenant_id)
        customer = session.legs.get(CUSTOMER_TAG)
        webrtc = self.config.webrtc_seats and seat.seat_type == "webrtc"
        if webrtc and customer is not None and customer.remote_sdp:
            # A browser takes only ICE + DTLS-SRTP (RFC 8827 6.5): offer the customer's side
            # again, shaped for WebRTC, on the seat's to-tag (the "ivr" branch has other ports);
            # the seat's answer still goes back to the customer as plain RTP.
            reoffer = await self.ng.offer(
                session.media_id, CUSTOMER_TAG, customer.remote_sdp, TOWARD_WEBRTC, to_tag=AGENT_TAG
            )
            sdp = reoffer.sdp
        agent = self._outbound_leg(
            session, LegRole.AGENT, AGENT_TAG, SipUri(user=seat.number, host=domain), caller, domain
        )
        if await self._dial(session, agent, sdp, relay_to=relay_to) is None:
            return None
        return agent

    async def _dial(
        self,
        session: CallSession,
        rt: LegRuntime,
        sdp: str | None,
        *,
        ack: bool = True,
        auth: tuple[str, str] | None = None,
        relay_to: LegRuntime | None = None,
        via_proxy: bool = True,
    ) -> Response | None:
        """INVITE a leg through the outbound proxy; the 2xx, or None once the call has ended.

        A failure (busy, no answer within ring_timeout, rejected) ends the whole call, and a
        caller still waiting for its own INVITE's answer (`relay_to`) gets the same status.
        """
        request = self._invite_request(session, rt, sdp, via_proxy)
        rt.local_sdp = sdp or ""
        response = await self._send_invite(session, rt, request, relay_to)
        if response is not None and response.status in (401, 407) and auth is not None:
            retry = authorize_request(request, response, *auth)  # RFC 3261 22.2
            if retry is not None:
                request = retry
                response = await self._send_invite(session, rt, request, relay_to)
        if response is None or session.ending:
            return None
        if not 200 <= response.status < 300:
            await self._leg_moved(session, rt, LegState.ENDED, response.status)
            if relay_to is not None and relay_to.server_tx is not None:
                relay_to.server_tx.respond(relay_to.server_tx.response(response.status))
            cause = "no answer" if response.status in (408, 480, 487) else f"sip {response.status}"
            await self.hangup(session, cause, str(rt.leg.role))
            return None
        rt.dialog = Dialog.as_uac(request, response)
        rt.remote_sdp = response.body.decode(errors="replace")
        if ack:
            await self._ack(rt, response, None)
        await self._leg_moved(session, rt, LegState.ANSWERED, response.status)
        return response

    def _invite_request(
        self, session: CallSession, rt: LegRuntime, sdp: str | None, via_proxy: bool
    ) -> Request:
        from_ = _address(rt.leg.from_uri, rt.local_tag)
        routes = []
        if self.config.outbound_proxy is not None and via_proxy:
            host, port = self.config.outbound_proxy
            proxy = SipUri(host=host, port=port)
            proxy.params["lr"] = None
            routes.append(Address(proxy))
        return new_request(
            "INVITE",
            _uri(rt.leg.to_uri),
            from_=from_,
            to=Address(_uri(rt.leg.to_uri)),
            call_id=rt.leg.sip_call_id,
            cseq=1,
            contact=self.endpoint.contact("cc"),
            routes=routes,
            body=sdp.encode() if sdp else b"",
            content_type=SDP if sdp else None,
            extra=[
                ("X-Fastline-Tenant", str(session.call.tenant_id)),
                # The edge passes it to seats as X-Call-Key and drops it toward trunks.
                ("X-Fastline-Call", session.call.key),
                ("Allow", ALLOW),
            ],
        )

    async def _send_invite(
        self, session: CallSession, rt: LegRuntime, request: Request, relay_to: LegRuntime | None
    ) -> Response | None:
        tx = await self.endpoint.send_request(request)
        rt.client_tx = tx

        def provisional(response: Response) -> None:
            rt.provisional = True
            if response.status in (180, 183):
                self._spawn(self._leg_moved(session, rt, LegState.RINGING, response.status))
                if relay_to is not None and relay_to.server_tx is not None:
                    relay_to.server_tx.respond(relay_to.server_tx.response(180))

        tx.on_provisional = provisional
        try:
            response = await asyncio.wait_for(asyncio.shield(tx.final), self.config.ring_timeout)
        except TimeoutError:
            self._cancel(rt)
            response = await asyncio.wait_for(asyncio.shield(tx.final), 64 * 0.5)
        finally:
            rt.client_tx = None if tx.final.done() else tx
        if session.ending and 200 <= response.status < 300:
            # The call ended while this leg was ringing and it answered anyway: ACK, then BYE.
            rt.dialog = Dialog.as_uac(request, response)
            await self._ack(rt, response, None)
            await self._bye(rt)
            return None
        return response

    async def _ack(self, rt: LegRuntime, response: Response, sdp: str | None) -> None:
        assert rt.dialog is not None
        ack = rt.dialog.create_ack(
            response.cseq.seq, body=sdp.encode() if sdp else b"", content_type=SDP if sdp else None
        )
        hop = rt.dialog.next_hop()
        await self.endpoint.send_stateless(ack, hop)
        tx = self.endpoint.layer.match_response(response) if self.endpoint.layer else None
        if tx is not None:
            data = ack.to_bytes()
            udp = self.endpoint.udp
            # RFC 3261 13.2.2.4: every retransmitted 2xx gets the same ACK again.
            tx.on_2xx_retransmission = lambda _r: udp.send(data, hop) if udp else None

    def _cancel(self, rt: LegRuntime) -> None:
        tx = rt.client_tx
        if tx is None or tx.final.done() or self.endpoint.layer is None:
            return
        self.endpoint.layer.start_client(create_cancel(tx.request), tx.transport, tx.addr)

    async def _bye(self, rt: LegRuntime) -> None:
        dialog, rt.dialog = rt.dialog, None
        if dialog is None:
            return
        tx = await self.endpoint.send_request(dialog.bye(), dialog.next_hop())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(tx.final), BYE_WAIT)

    async def _bridged(self, session: CallSession) -> None:
        await self._move(session, CallState.BRIDGED)
        if self.config.record_calls and not session.recording:  # again after a transfer
            try:
                await self.ng.start_recording(session.media_id, metadata=session.call.key)
                session.recording = True
            except RtpengineError as exc:
                log.error("call %s: recording did not start: %s", session.call.key, exc)

    async def _reinvite(self, session: CallSession, rt: LegRuntime, tx: ServerTransaction) -> None:
        """Hold/resume and other re-offers, passed to the other leg through rtpengine."""
        other = session.other(rt)
        sdp = tx.request.body.decode(errors="replace")
        if (
            other is None
            or other.dialog is None
            or not sdp
            or session.call.state is not CallState.BRIDGED
        ):
            tx.respond(tx.response(491))  # RFC 3261 14.2: try again later
            return
        media = session.media_id
        offer = await self.ng.offer(
            media, rt.leg.media_tag, sdp, TOWARD_SIP, to_tag=other.leg.media_tag
        )
        forward = other.dialog.reinvite(offer.sdp.encode())
        out = await self.endpoint.send_request(forward, other.dialog.next_hop())
        response = await out.final
        if not 200 <= response.status < 300:
            tx.respond(tx.response(response.status))
            return
        other.dialog.receive_response(response)
        ack = other.dialog.create_ack(forward.cseq.seq)
        await self.endpoint.send_stateless(ack, other.dialog.next_hop())
        answer = await self.ng.answer(
            media,
            rt.leg.media_tag,
            other.leg.media_tag,
            response.body.decode(errors="replace"),
            TOWARD_SIP,
        )
        if rt.leg.role is LegRole.CUSTOMER:
            session.customer_sdps.append(answer.sdp)
        else:
            session.customer_sdps.append(offer.sdp)
        contact = self.endpoint.contact("cc")
        ok = tx.response(
            200, body=answer.sdp.encode(), content_type=SDP, extra=[("Contact", str(contact))]
        )
        await live.save(
            self.redis,
            session.call,
            session.call.event(
                "call.hold" if _is_hold(sdp) else "call.resume", role=str(rt.leg.role)
            ),
        )
        await answer_invite(self.endpoint, tx, ok)

    # ------------------------------------------------------------------ the end

    async def hangup(self, session: CallSession, cause: str, side: str) -> None:
        """End the call once: release every other leg, media, CDR, recording job."""
        if session.ending:
            return
        session.ending = True
        call = session.call
        if session.task is not None and session.task is not asyncio.current_task():
            session.task.cancel()
        for rt in session.legs.values():
            await self._release(rt, cause)
        event = call.end(cause, side)
        await self._stop_media(session)
        for rt in session.legs.values():
            self._dialogs.pop((rt.leg.sip_call_id, rt.local_tag), None)
        self.sessions.pop(call.key, None)
        try:
            await live.save(self.redis, call, event)
            record_id = await self.cdr.save(call.cdr_values())  # batched, see cdr.py
            if session.recording:
                await self._queue_recording(session, record_id)
        finally:
            session.done.set()
            if self.on_call_end is not None:
                await self.on_call_end(session)

    async def _release(self, rt: LegRuntime, cause: str) -> None:
        if rt.leg.state is LegState.ENDED:
            return
        try:
            if rt.dialog is not None and rt.server_tx is None:
                await self._bye(rt)
            elif rt.client_tx is not None:
                self._cancel(rt)
            elif rt.server_tx is not None:
                tx = rt.server_tx
                if tx.last_response is None or tx.last_response.status < 200:
                    tx.respond(tx.response(480 if cause != "cancelled" else 487))
        except OSError as exc:
            log.info("releasing leg %s: %s", rt.leg.role, exc)

    async def _stop_media(self, session: CallSession) -> None:
        with contextlib.suppress(RtpengineError):
            if session.recording:
                await self.ng.stop_recording(session.media_id)
            await self.ng.delete(session.media_id)

    async def _queue_recording(self, session: CallSession, record_id: UUID) -> None:
        from app.recordings.actors import convert_recording  # imports the broker

        ports = sorted(_audio_ports(session.customer_sdps))
        convert_recording.send(str(session.call.tenant_id), session.call.key, ports)


def _audio_ports(sdps: list[str]) -> set[int]:
    ports: set[int] = set()
    for sdp in sdps:
        for line in sdp.splitlines():
            if line.startswith("m=audio "):
                ports.add(int(line.split()[1]))
    return ports


def _is_hold(sdp: str) -> bool:
    """RFC 3264 8.4: sendonly or inactive (or the RFC 2543 0.0.0.0 address) puts on hold."""
    return any(
        line.strip() in ("a=sendonly", "a=inactive") or line.startswith("c=IN IP4 0.0.0.0")
        for line in sdp.splitlines()
    )


def _uri(text: str) -> SipUri:
    return parse_uri(text)


def _address(uri: str, tag: str) -> Address:
    address = Address(_uri(uri))
    address.params["tag"] = tag
    return address
