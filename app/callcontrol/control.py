"""Call control on live calls: the CTI's commands (SEAT-6, API-3) and supervisors' (SEAT-7).

Every command taken from `t:<t>:callcontrol:commands` gets exactly one reply
(`app/seats/cti_commands.py: send_reply`): `ok` with a result, or an error with a status
(400 bad arguments, 404 no such call/leg/target, 409 not in a state for it, 502 rtpengine
refused). Commands that ring somebody reply as soon as the INVITE is out
(`"state": "ringing"`): the CTI waits 5 s, a phone may ring for 30.

Media paths (rtpengine 10.5; `connect` below is an `offer`(X, to-tag=Y) + `answer`(X, Y) pair
that re-associates party X's monologue with Y; X keeps its old port working, so X is not
re-INVITEd, the same trade-off as the B2BUA's bridge):
- hold: `block media` from the agent, `play media` (music on hold, repeated) TO the customer;
  resume stops both. Mute: `block media` from the agent (or mute it in the mixer room).
- DTMF: `play DTMF` as if the agent pressed it; rtpengine needs `inject DTMF` in the offer and
  answer, so the first DTMF re-negotiates the customer<->agent pair with that flag.
- blind transfer: the agent is released at once (BYE), the customer hears music while the
  target rings, then `connect(customer, target)`. A target that fails ends the call.
- attended transfer: `connect(customer, black hole)` + music; `connect(agent, target)` for the
  consultation; complete = BYE the agent, `connect(customer, target)`; cancel = CANCEL/BYE the
  target, `connect(customer, agent)`.
- transfer to a queue or an IVR flow, IVR-7 `ivr_and_back` and the REC-6 survey after the
  agent hangs up: redirect.py (the live IVR runner and the ACD on the customer leg). Attended
  to a queue: the customer on hold, the queue's agent rings with the agent's media, then
  complete/cancel as above.
- a seat rung with the first offer's SDP (inbound IVR/queue calls) sends its RTP to the port of
  rtpengine's "ivr" monologue, never re-INVITEd: `_ingress` finds the monologue owning the port
  we gave a leg (rtpengine `query`), and blocking or re-associating the agent acts on that one.
- 3-way conference and supervisor listen/whisper/barge: a `Mixer` room per call
  (app/callcontrol/media/mixer.py). The customer and agent legs stay anchored in rtpengine and
  are re-pointed at the room: `connect(X, "m"+X)` with an answer SDP naming the mixer
  participant's port, so rtpengine forwards X's RTP to the room and the room's mix for X back to
  X. The third party and the supervisor get an rtpengine call of their own (`<call>-<tag>`:
  the mixer port on one side, the party on the other, shaped for a browser or a desk phone).
  The hear matrix is the room's mode; switching listen/whisper/barge is `set_mode`, no
  signalling.
- rtpengine flags follow each party: an SDP made for a party is WebRTC-shaped when the party
  offered/answered WebRTC (or is a WebRTC seat), plain RTP/AVP otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from app.callcontrol import acd_bridge, live, redirect, routing
from app.callcontrol.b2bua import (
    AGENT_TAG,
    BLACK_HOLE_SDP,
    CUSTOMER_TAG,
    B2bua,
    CallSession,
    LegRuntime,
)
from app.callcontrol.call import Call, CallState, LegRole, LegState
from app.callcontrol.media.g711 import Law
from app.callcontrol.media.mixer import MixClock, Mixer, Mode, PortAllocator, Role
from app.callcontrol.media.ng import TOWARD_SIP, TOWARD_WEBRTC, MediaFlags, RtpengineError
from app.callcontrol.prompts import write_prompt
from app.callcontrol.sip.dialog import Dialog
from app.callcontrol.sip.message import SipUri
from app.crm.knowledge import article_audio_path
from app.ivr_builder.flow import FlowDocument
from app.seats.queues import AcdQueue

log = logging.getLogger(__name__)

HOLD_MUSIC = "hold.wav"
# A recognisable hold "music" (a slow G4 - E5 alternation): a test can tell it from voices.
HOLD_TONES = ((392.0, 0.5), (659.25, 0.5)) * 4
HOLD_REPEAT = 1000  # rtpengine 10.5 has no "forever"; 1000 x 4 s is over an hour
SUPERVISOR_TAG = "s"
MODES = {"listen": Mode.LISTEN, "whisper": Mode.WHISPER, "barge": Mode.BARGE}
CTI_COMMANDS = frozenset(
    {
        "answer",
        "hangup",
        "hold",
        "resume",
        "mute",
        "unmute",
        "dtmf",
        "transfer",
        "complete_transfer",
        "cancel_transfer",
        "conference",
        "dial",
        "listen",
        "whisper",
        "barge",
        "force_release",
        "record",
        "stop_record",
        "ivr_and_back",
        "play_audio",
        "stop_audio",
    }
)


class CommandFailed(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Outcome:
    ok: bool
    result: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error: str = ""


@dataclass
class CallControlState:
    """What call control changed on one call (the B2BUA's session knows the legs)."""

    agent_tag: str = AGENT_TAG
    held: bool = False
    muted: bool = False
    dtmf_ready: bool = False
    consult: LegRuntime | None = None
    room: Mixer | None = None
    side_calls: set[str] = field(default_factory=set)  # rtpengine calls of room-only legs
    legs_made: int = 0
    # An attended transfer to a queue: the ACD's search for an agent, and who that agent is
    # (extension, user id) once they answer the consultation.
    queue_consult: asyncio.Task[None] | None = None
    consult_owner: tuple[str, UUID | None] | None = None
    ingress: dict[str, str] = field(default_factory=dict)  # leg tag -> monologue (_ingress)
    # CRM-4: a knowledge-base recording playing to the customer; the task ends it on time
    playing: asyncio.Task[None] | None = None

    def stop_playing(self) -> bool:
        task, self.playing = self.playing, None
        if task is not None and not task.done():
            task.cancel()
            return True
        return False

    def drop_queue_consult(self) -> None:
        task, self.queue_consult, self.consult_owner = self.queue_consult, None, None
        if task is not None and not task.done():
            task.cancel()  # its ACD entry ends (the queue agent, if any, to wrap-up)

    def took_over(self, tag: str) -> None:
        """A transfer target is the call's agent now, with none of the old agent's states."""
        self.agent_tag, self.held, self.muted, self.dtmf_ready = tag, False, False, False

    def next_tag(self, prefix: str) -> str:
        self.legs_made += 1
        return f"{prefix}{self.legs_made}"


@dataclass(frozen=True)
class Target:
    uri: SipUri
    role: LegRole
    external: bool = False
    webrtc: bool = False  # a browser seat: ICE + DTLS-SRTP toward it (RFC 8827)
    auth: tuple[str, str] | None = None


Handler = Callable[[UUID, dict[str, Any]], Awaitable[dict[str, Any]]]


class CallControl:
    def __init__(
        self, b2bua: B2bua, *, hold_music: Path | None = None, ports: PortAllocator | None = None
    ) -> None:
        self.b2bua = b2bua
        self.ng = b2bua.ng
        self.hold_music = hold_music or _hold_music(b2bua.config.prompt_dir)
        self.ports = ports
        self.clock = MixClock()
        self.states: dict[str, CallControlState] = {}
        self.handlers: dict[str, Handler] = {
            "answer": self.answer,
            "hangup": self.hangup,
            "force_release": self.force_release,
            "hold": self.hold,
            "resume": self.resume,
            "mute": self.mute,
            "unmute": self.unmute,
            "dtmf": self.dtmf,
            "transfer": self.transfer,
            "complete_transfer": self.complete_transfer,
            "cancel_transfer": self.cancel_transfer,
            "conference": self.conference,
            "dial": self.dial,
            "listen": self.supervise,
            "whisper": self.supervise,
            "barge": self.supervise,
            "record": self.record,
            "stop_record": self.stop_record,
            "ivr_and_back": self.ivr_and_back,
            "play_audio": self.play_audio,
            "stop_audio": self.stop_audio,
        }
        b2bua.on_leg_bye = self._leg_bye

    async def handle(self, tenant_id: UUID, command: dict[str, Any]) -> Outcome:
        name = str(command.get("name") or "")
        handler = self.handlers.get(name)
        if handler is None:
            return Outcome(False, status=400, error=f"unknown command {name!r}")
        args = dict(command.get("args") or {})
        args["_name"] = name
        try:
            return Outcome(True, await handler(tenant_id, args))
        except CommandFailed as exc:
            return Outcome(False, status=exc.status, error=exc.message)
        except RtpengineError as exc:
            log.warning("command %s: rtpengine: %s", name, exc)
            return Outcome(False, status=502, error=f"the media server refused: {exc.reason}")
        except Exception:
            log.exception("command %s failed", name)
            return Outcome(False, status=500, error=f"{name} failed inside callcontrol")

    async def close(self) -> None:
        for state in self.states.values():
            for side in list(state.side_calls):
                with contextlib.suppress(RtpengineError):
                    await self.ng.delete(side)
            state.side_calls.clear()
            room, state.room = state.room, None
            if room is not None:
                await room.close()
        if self.clock.running:
            await self.clock.stop()

    # ------------------------------------------------------------------ finding things

    def owns(self, tenant_id: UUID, command: dict[str, Any]) -> bool:
        """Whether this node holds the call a command is about (any node can `dial`)."""
        if command.get("name") == "dial":
            return True
        args = command.get("args") or {}
        key = str(args.get("callId") or "")
        if key:
            return key in self.b2bua.sessions
        ext = str(args.get("agentExtension") or args.get("extension") or "")
        return bool(self._calls_of(tenant_id, ext))

    def _session(self, tenant_id: UUID, args: dict[str, Any]) -> CallSession:
        key = str(args.get("callId") or "")
        session = self.b2bua.sessions.get(key) if key else None
        if session is None and not key:
            ext = str(args.get("agentExtension") or args.get("extension") or "")
            session = next((s for s in self._calls_of(tenant_id, ext)), None)
        # The tenant is the command list's: another tenant's call key is "no such call".
        if session is None or session.call.tenant_id != tenant_id or session.ending:
            raise CommandFailed(404, "No such live call.")
        return session

    def _calls_of(self, tenant_id: UUID, extension: str) -> list[CallSession]:
        return [
            s
            for s in self.b2bua.sessions.values()
            if s.call.tenant_id == tenant_id
            and not s.ending
            and extension
            and (s.call.extension == extension or s.call.from_number == extension)
        ]

    def _state(self, session: CallSession) -> CallControlState:
        state = self.states.get(session.call.key)
        if state is None:
            state = self.states[session.call.key] = CallControlState()
            self.b2bua._spawn(self._forget(session))
        return state

    async def _forget(self, session: CallSession) -> None:
        await session.done.wait()
        state = self.states.pop(session.call.key, None)
        if state is None:
            return
        state.drop_queue_consult()  # a queue still searching for the consultation: it stops
        # The room first: its sockets are ours, and the B2BUA's shutdown may cancel this task
        # while it waits on rtpengine below (an unclosed socket outlives the call otherwise).
        room, state.room = state.room, None
        if room is not None:
            await room.close()
        if self.clock.running and not any(s.room for s in self.states.values()):
            await self.clock.stop()  # no room left: no 50 Hz wake-ups for nothing
        for side in list(state.side_calls):
            with contextlib.suppress(RtpengineError):
                await self.ng.delete(side)

    def _bridged(self, session: CallSession) -> tuple[CallControlState, LegRuntime, LegRuntime]:
        if session.call.state is not CallState.BRIDGED:
            raise CommandFailed(409, f"The call is {session.call.state}, not connected.")
        state = self._state(session)
        customer = session.legs.get(CUSTOMER_TAG)
        agent = session.legs.get(state.agent_tag)
        if not _up(customer) or not _up(agent):
            raise CommandFailed(409, "The call has no connected agent and customer.")
        assert customer is not None and agent is not None
        return state, customer, agent

    async def _target(
        self, tenant_id: UUID, args: dict[str, Any], business_id: UUID | None = None
    ) -> Target:
        kind = str(args.get("targetKind") or "extension")
        target = str(args.get("target") or "")
        domain = await routing.sip_domain(tenant_id)
        if kind == "extension":
            seat = await routing.find_seat(tenant_id, target)
        elif kind in ("agent", "supervisor"):
            try:
                seat = await routing.seat_for_user(tenant_id, UUID(target))
            except ValueError as exc:
                raise CommandFailed(400, f"target of kind {kind} is a user id") from exc
        elif kind == "external":
            return await self._external(tenant_id, target, business_id)
        elif kind in ("queue", "ivr"):
            # A transfer takes them (redirect.py); a queue or a flow is nobody to talk to.
            raise CommandFailed(400, f"A {kind} cannot join a conference: transfer to it.")
        else:
            raise CommandFailed(400, f"Unknown target kind {kind!r}.")
        if seat is None:
            raise CommandFailed(404, f"No seat for {kind} {target!r}.")
        return Target(
            SipUri(user=seat.number, host=domain), LegRole.AGENT, webrtc=self._webrtc(seat)
        )

    def _webrtc(self, seat: routing.SeatTarget) -> bool:
        # The B2BUA's own rule for ringing a seat (config flag while SIPp stands in for seats).
        return self.b2bua.config.webrtc_seats and seat.seat_type == "webrtc"

    async def _external(
        self, tenant_id: UUID, number: str, business_id: UUID | None = None
    ) -> Target:
        if not re.fullmatch(r"\+?[0-9]{3,20}", number):
            raise CommandFailed(400, "An external target is a phone number.")
        trunk = await routing.outbound_trunk(tenant_id, business_id)  # the call's business
        if trunk is None:
            raise CommandFailed(409, "Your company has no outbound trunk.")
        auth = (trunk.username, trunk.password) if trunk.username else None
        uri = SipUri(user=number, host=trunk.host, port=trunk.port)
        return Target(uri, LegRole.OTHER, external=True, auth=auth)

    # ------------------------------------------------------------------ simple commands

    async def answer(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        agent = session.legs.get(self._state(session).agent_tag)
        if _up(agent):
            return {"answered": True}
        # A SIP seat answers with its own 200 OK: from the handset, or by itself when it is
        # set to auto-answer. Callcontrol cannot take a phone off the hook (RFC 3261 has no
        # remote answer), so a ringing seat is told where to answer rather than lied to.
        raise CommandFailed(409, "Answer on your phone (auto-answer seats answer by themselves).")

    async def hangup(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        agent = session.legs.get(self._state(session).agent_tag)
        if agent is not None and await self._survey(session, agent):
            return {"ended": True, "survey": True}
        await self.b2bua.hangup(session, "agent hangup", "agent")
        return {"ended": True}

    async def force_release(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        await self.b2bua.hangup(session, "released by supervisor", "supervisor")
        return {"ended": True}

    async def hold(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state, _, agent = self._bridged(session)
        if state.held:
            return {"held": True}
        state.stop_playing()  # the music takes the customer's player over
        await self._music_on(session, await self._ingress(session, agent), state)
        state.held = True
        await self._event(session, "call.hold", role="agent")
        return {"held": True}

    async def resume(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state, _, agent = self._bridged(session)
        if not state.held:
            return {"held": False}
        await self._music_off(session, await self._ingress(session, agent), state)
        state.held = False
        await self._event(session, "call.resume", role="agent")
        return {"held": False}

    async def _music_on(
        self, session: CallSession, agent_tag: str, state: CallControlState
    ) -> None:
        # play media ADDS a stream beside the live audio: the agent is blocked meanwhile.
        if not state.muted:
            await self.ng.block_media(session.media_id, agent_tag)
        await self.ng.play_media(
            session.media_id, CUSTOMER_TAG, file=str(self.hold_music), repeat_times=HOLD_REPEAT
        )

    async def _music_off(
        self, session: CallSession, agent_tag: str, state: CallControlState
    ) -> None:
        with contextlib.suppress(RtpengineError):  # it may have played out
            await self.ng.stop_media(session.media_id, CUSTOMER_TAG)
        if not state.muted:
            await self.ng.unblock_media(session.media_id, agent_tag)

    async def mute(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        return await self._set_mute(tenant_id, args, True)

    async def unmute(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        return await self._set_mute(tenant_id, args, False)

    async def _set_mute(self, tenant_id: UUID, args: dict[str, Any], muted: bool) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state, _, agent = self._bridged(session)
        if state.muted != muted:
            if state.room is not None:
                state.room.set_muted(agent.leg.media_tag, muted)
            elif not state.held and state.playing is None:  # else blocked already
                block = self.ng.block_media if muted else self.ng.unblock_media
                await block(session.media_id, await self._ingress(session, agent))
            state.muted = muted
        return {"muted": muted}

    async def dtmf(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        digits = str(args.get("digits") or "")
        if not re.fullmatch(r"[0-9*#A-D]{1,32}", digits):
            raise CommandFailed(400, "DTMF digits are 1 to 32 of 0-9 * # A-D.")
        session = self._session(tenant_id, args)
        state, customer, agent = self._bridged(session)
        if not state.dtmf_ready:
            await self._enable_dtmf(session, customer, agent)
            state.dtmf_ready = True
        for digit in digits:
            # RFC 4733 events, as if the agent pressed the key: the customer hears them.
            await self.ng.play_dtmf(session.media_id, agent.leg.media_tag, digit)
            await asyncio.sleep(0.15)  # 100 ms tone + gap: one event after the other
        return {"sent": digits}

    async def _enable_dtmf(
        self, session: CallSession, customer: LegRuntime, agent: LegRuntime
    ) -> None:
        media, a_tag = session.media_id, agent.leg.media_tag
        to_agent, to_customer = _toward(agent), _toward(customer)
        await self.ng.offer(
            media,
            CUSTOMER_TAG,
            customer.remote_sdp,
            to_agent.with_flags("inject DTMF"),
            to_tag=a_tag,
        )
        reply = await self.ng.answer(
            media, CUSTOMER_TAG, a_tag, agent.remote_sdp, to_customer.with_flags("inject DTMF")
        )
        session.customer_sdps.append(reply.sdp)

    async def record(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        """SEAT-7: record a chosen agent: every live call of their seat, from now on."""
        if args.get("callId"):
            sessions = [self._session(tenant_id, args)]
        else:
            sessions = self._calls_of(tenant_id, str(args.get("agentExtension") or ""))
        if not sessions:
            raise CommandFailed(404, "That agent has no live call.")
        for session in sessions:
            if not session.recording:
                await self.ng.start_recording(session.media_id, metadata=session.call.key)
                session.recording = True
        return {"recording": [s.call.key for s in sessions]}

    async def stop_record(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        """SEAT-7: stop recording the agent's live calls (what was recorded so far is kept
        and converted at the call's end)."""
        if args.get("callId"):
            sessions = [self._session(tenant_id, args)]
        else:
            sessions = self._calls_of(tenant_id, str(args.get("agentExtension") or ""))
        if not sessions:
            raise CommandFailed(404, "That agent has no live call.")
        for session in sessions:
            if session.recording:
                await self.ng.stop_recording(session.media_id)
                session.recording = False
        return {"stopped": [s.call.key for s in sessions]}

    # ------------------------------------------------------------------ knowledge audio

    async def play_audio(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        """CRM-4: a knowledge-base article's recording TO the customer. `play media` adds a
        second stream beside the agent's voice (rtpengine 10.5 does not mix), so the agent is
        blocked toward the customer while it plays; they still hear the customer, not the
        recording. The agent is heard again when it ends, on `stop_audio`, or on resume
        from hold (hold music replaces it)."""
        session = self._session(tenant_id, args)
        state, _, agent = self._bridged(session)
        if state.held:
            raise CommandFailed(409, "The caller is on hold: resume the call first.")
        if state.room is not None or state.consult is not None or state.queue_consult:
            raise CommandFailed(409, "Not during a conference, a transfer or listen-in.")
        try:
            article_id = UUID(str(args.get("articleId") or ""))
        except ValueError as exc:
            raise CommandFailed(400, "articleId is a knowledge-base article's id.") from exc
        path = await article_audio_path(tenant_id, article_id)  # this tenant's, or None
        if path is None:
            raise CommandFailed(404, "That article has no audio.")
        ingress = await self._ingress(session, agent)
        state.stop_playing()
        if not state.muted:
            await self.ng.block_media(session.media_id, ingress)
        try:
            ms = await self.ng.play_media(session.media_id, CUSTOMER_TAG, file=str(path))
        except RtpengineError:
            if not state.muted:
                await self.ng.unblock_media(session.media_id, ingress)
            raise
        state.playing = self.b2bua._spawn(
            self._played(session, state, state.agent_tag, ingress, ms / 1000)
        )
        await self._event(session, "call.audio", articleId=str(article_id), durationMs=ms)
        return {"articleId": str(article_id), "durationSeconds": ms / 1000}

    async def stop_audio(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state, _, _ = self._bridged(session)
        return {"stopped": await self._audio_off(session, state)}

    async def _audio_off(self, session: CallSession, state: CallControlState) -> bool:
        """Stop a knowledge-base recording, the agent heard again: on request, and before a
        transfer, conference or listen-in re-points the call's media."""
        if not state.stop_playing():
            return False
        with contextlib.suppress(RtpengineError):  # it may have just played out
            await self.ng.stop_media(session.media_id, CUSTOMER_TAG)
        agent = session.legs.get(state.agent_tag)
        if agent is not None and not state.muted and not state.held:
            await self.ng.unblock_media(session.media_id, await self._ingress(session, agent))
        await self._event(session, "call.audio_ended", stopped="1")
        return True

    async def _played(self, session: CallSession, state: CallControlState, agent_tag: str,
                      ingress: str, seconds: float) -> None:  # fmt: skip
        await asyncio.sleep(seconds)
        state.playing = None
        # Still the same agent, not held or muted meanwhile: their voice goes back on.
        if agent_tag == state.agent_tag and not state.held and not state.muted:
            with contextlib.suppress(RtpengineError):  # the call may have ended
                await self.ng.unblock_media(session.media_id, ingress)
        if not session.ending:
            await self._event(session, "call.audio_ended", stopped="0")

    # ------------------------------------------------------------------ new legs

    def _new_leg(
        self, session: CallSession, tag: str, target: Target, from_user: str
    ) -> LegRuntime:
        return self.b2bua._outbound_leg(
            session, target.role, tag, target.uri, from_user, target.uri.host
        )

    async def _ring(self, session: CallSession, rt: LegRuntime, sdp: str, target: Target) -> bool:
        """INVITE one more leg; unlike the B2BUA's `_dial`, a failure ends only this leg."""
        b2bua = self.b2bua
        via_proxy = b2bua.config.trunks_via_proxy if target.external else True
        request = b2bua._invite_request(session, rt, sdp, via_proxy)
        rt.local_sdp = sdp
        response = await b2bua._send_invite(session, rt, request, None)
        if response is not None and response.status in (401, 407) and target.auth:
            from app.callcontrol.sip.auth import authorize_request

            retry = authorize_request(request, response, *target.auth)  # RFC 3261 22.2
            if retry is not None:
                request = retry
                response = await b2bua._send_invite(session, rt, request, None)
        if response is None or session.ending or not 200 <= response.status < 300:
            status = response.status if response is not None else None
            await self._leg_ended(session, rt, status)
            return False
        rt.dialog = Dialog.as_uac(request, response)
        rt.remote_sdp = response.body.decode(errors="replace")
        await b2bua._ack(rt, response, None)
        await b2bua._leg_moved(session, rt, LegState.ANSWERED, response.status)
        return True

    async def _leg_ended(self, session: CallSession, rt: LegRuntime, status: int | None) -> None:
        if rt.leg.state is not LegState.ENDED:
            await self.b2bua._leg_moved(session, rt, LegState.ENDED, status)
        self.b2bua._dialogs.pop((rt.leg.sip_call_id, rt.local_tag), None)

    async def _release(self, session: CallSession, rt: LegRuntime) -> None:
        """BYE (or CANCEL) one leg and forget it; the rest of the call goes on."""
        if rt.client_tx is not None:
            self.b2bua._cancel(rt)
        # Forgotten first: its 200 to our BYE must not look like a dialog we still own.
        self.b2bua._dialogs.pop((rt.leg.sip_call_id, rt.local_tag), None)
        await self.b2bua._bye(rt)
        await self._leg_ended(session, rt, None)
        with contextlib.suppress(RtpengineError):
            # A phone that keeps sending after our BYE must not be heard (legs that talk to
            # the mixer directly are unknown to rtpengine: nothing to block).
            await self.ng.block_media(session.media_id, await self._ingress(session, rt))

    async def _connect(
        self,
        session: CallSession,
        x: LegRuntime,
        y_tag: str,
        y_sdp: str,
        toward_y: MediaFlags = TOWARD_SIP,
    ) -> str:
        """Re-associate party x with monologue y_tag (y's SDP known); x's new SDP."""
        media = session.media_id
        await self.ng.offer(media, x.leg.media_tag, x.remote_sdp, toward_y, to_tag=y_tag)
        reply = await self.ng.answer(media, x.leg.media_tag, y_tag, y_sdp, _toward(x))
        if x.leg.media_tag == CUSTOMER_TAG:
            session.customer_sdps.append(reply.sdp)
        return reply.sdp

    async def _ingress(self, session: CallSession, rt: LegRuntime) -> str:
        """The rtpengine monologue whose port `rt`'s RTP arrives on: the one owning the port
        in the SDP we gave it. A seat rung with the first offer's SDP (inbound IVR and queue
        calls) sends to the "ivr" side's port, not its own tag's, as it is never re-INVITEd:
        blocking or re-associating its own tag would leave its voice going to the customer."""
        state = self._state(session)
        tag = rt.leg.media_tag
        if tag not in state.ingress:
            owner = None
            with contextlib.suppress(ValueError, RtpengineError):
                port = _media_address(rt.local_sdp)[1]
                owner = _port_owner(await self.ng.query(session.media_id), port)
            state.ingress[tag] = owner or tag
        return state.ingress[tag]

    async def _leg_bye(self, session: CallSession, rt: LegRuntime) -> bool:
        """A leg hung up. True when the call goes on without it (supervisor, third party,
        consultation target); False lets the B2BUA end the whole call."""
        state = self.states.get(session.call.key)
        if state is None:  # no command touched the call: only the survey may go on with it
            return rt.leg.role is LegRole.AGENT and await self._survey(session, rt)
        tag = rt.leg.media_tag
        self.b2bua._dialogs.pop((rt.leg.sip_call_id, rt.local_tag), None)
        if state.consult is rt:
            state.consult = None
            state.drop_queue_consult()
            await self._back_to_customer(session, state)
            return True
        if tag == state.agent_tag and state.consult is not None and _up(state.consult):
            # The agent hangs up while the target is on the line: as on any PBX, that
            # completes the transfer.
            await self._leg_ended(session, rt, None)
            await self._hand_over(session, state, state.consult)
            return True
        if tag == state.agent_tag and await self._survey(session, rt):
            return True
        joined = state.room is not None and tag in state.room.participants
        if joined and state.room is not None and tag not in (CUSTOMER_TAG, state.agent_tag):
            state.room.remove_participant(tag)
            await self._drop_side(session, f"{session.media_id}-{tag}")
            return True
        return False

    # ------------------------------------------------------------------ transfers

    async def transfer(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state, customer, agent = self._bridged(session)
        if state.consult is not None or state.room is not None or state.queue_consult:
            raise CommandFailed(409, "Finish the transfer or conference in progress first.")
        await self._audio_off(session, state)
        mode = str(args.get("mode") or "blind")
        if str(args.get("targetKind") or "") in ("queue", "ivr"):
            return await self._transfer_on(session, state, customer, agent, args, mode)
        target = await self._target(tenant_id, args, session.call.business_id)
        tag = state.next_tag("x")
        if mode == "blind":
            await self._release(session, agent)
            await self._music_on(session, agent.leg.media_tag, CallControlState(muted=True))
            leg = self._new_leg(session, tag, target, session.call.from_number)
            self.b2bua._spawn(self._blind(session, state, customer, leg, target))
            return {"state": "ringing", "leg": tag}
        if mode != "attended":
            raise CommandFailed(400, "Transfer mode is blind or attended.")
        await self._connect(session, customer, "held", BLACK_HOLE_SDP)
        await self.ng.play_media(
            session.media_id, CUSTOMER_TAG, file=str(self.hold_music), repeat_times=HOLD_REPEAT
        )
        leg = self._new_leg(session, tag, target, session.call.extension or "")
        state.consult = leg
        self.b2bua._spawn(self._consult(session, state, agent, leg, target))
        await self._event(session, "call.hold", role="agent", reason="consultation")
        return {"state": "ringing", "leg": tag}

    async def _blind(
        self,
        session: CallSession,
        state: CallControlState,
        customer: LegRuntime,
        leg: LegRuntime,
        target: Target,
    ) -> None:
        media = session.media_id
        offer = await self.ng.offer(
            media, CUSTOMER_TAG, customer.remote_sdp, _flags(target), to_tag=leg.leg.media_tag
        )
        if not await self._ring(session, leg, offer.sdp, target):
            await self.b2bua.hangup(session, "transfer failed", "system")
            return
        answer = await self.ng.answer(
            media, CUSTOMER_TAG, leg.leg.media_tag, leg.remote_sdp, _toward(customer)
        )
        session.customer_sdps.append(answer.sdp)
        with contextlib.suppress(RtpengineError):
            await self.ng.stop_media(media, CUSTOMER_TAG)
        state.took_over(leg.leg.media_tag)
        await self._event(session, "call.transferred", leg=leg.leg.media_tag, mode="blind")

    async def _consult(
        self,
        session: CallSession,
        state: CallControlState,
        agent: LegRuntime,
        leg: LegRuntime,
        target: Target,
    ) -> None:
        media, ingress = session.media_id, await self._ingress(session, agent)
        offer = await self.ng.offer(
            media, ingress, agent.remote_sdp, _flags(target), to_tag=leg.leg.media_tag
        )
        if not await self._ring(session, leg, offer.sdp, target):
            if state.consult is leg:
                state.consult = None
                await self._back_to_customer(session, state)
            return
        await self.ng.answer(media, ingress, leg.leg.media_tag, leg.remote_sdp, _toward(agent))

    async def complete_transfer(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state = self._state(session)
        leg, agent = state.consult, session.legs.get(state.agent_tag)
        if leg is None or agent is None:
            raise CommandFailed(409, "No transfer in progress.")
        if not _up(leg):
            raise CommandFailed(409, "The transfer target has not answered yet.")
        await self._release(session, agent)  # first: nothing of the agent leaks to the pair
        await self._hand_over(session, state, leg)
        return {"transferred": True, "leg": leg.leg.media_tag}

    async def _hand_over(
        self, session: CallSession, state: CallControlState, leg: LegRuntime
    ) -> None:
        """The consultation target takes the customer; the agent is gone already."""
        customer = session.legs[CUSTOMER_TAG]
        state.consult = None
        if state.consult_owner is not None:  # a queue's agent: the call is theirs now
            session.call.extension, session.call.agent_user_id = state.consult_owner
            state.consult_owner = None
        await self._connect(session, customer, leg.leg.media_tag, leg.remote_sdp, _toward(leg))
        with contextlib.suppress(RtpengineError):
            await self.ng.stop_media(session.media_id, CUSTOMER_TAG)
        state.took_over(leg.leg.media_tag)
        await self._event(session, "call.transferred", leg=leg.leg.media_tag, mode="attended")

    async def cancel_transfer(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state = self._state(session)
        leg = state.consult
        if leg is None and state.queue_consult is None:
            raise CommandFailed(409, "No transfer in progress.")
        state.consult = None
        state.drop_queue_consult()
        if leg is not None:
            await self._release(session, leg)
        await self._back_to_customer(session, state)
        return {"transferred": False}

    async def _back_to_customer(self, session: CallSession, state: CallControlState) -> None:
        customer, agent = session.legs.get(CUSTOMER_TAG), session.legs.get(state.agent_tag)
        if not _up(customer) or not _up(agent):
            return
        assert customer is not None and agent is not None
        ingress = await self._ingress(session, agent)
        await self._connect(session, customer, ingress, agent.remote_sdp, _toward(agent))
        with contextlib.suppress(RtpengineError):
            await self.ng.stop_media(session.media_id, CUSTOMER_TAG)
        await self._event(session, "call.resume", role="agent", reason="consultation ended")

    # ------------------------------------------------------------------ queues and flows

    async def _transfer_on(
        self,
        session: CallSession,
        state: CallControlState,
        customer: LegRuntime,
        agent: LegRuntime,
        args: dict[str, Any],
        mode: str,
    ) -> dict[str, Any]:
        """SEAT-6: transfer to a queue (the ACD, as a transferred call) or into a published
        IVR flow (redirect.py). Blind: the agent is released at once."""
        tenant_id, kind = session.call.tenant_id, str(args["targetKind"])
        ref = str(args.get("target") or "")
        if mode not in ("blind", "attended"):
            raise CommandFailed(400, "Transfer mode is blind or attended.")
        by = str(args.get("agent") or session.call.agent_user_id or "")
        queue: AcdQueue | None = None
        if kind == "queue":
            queue = await acd_bridge.find_queue(tenant_id, ref)
            if queue is None:
                raise CommandFailed(404, f"No queue {ref!r} in your company.")
            if mode == "attended":
                return await self._consult_queue(session, state, customer, agent, queue, by)
        else:
            if mode == "attended":
                raise CommandFailed(
                    400, "Nobody answers in a flow to consult: transfer blind, or use "
                    "ivr_and_back to get the caller back."
                )  # fmt: skip
            flow_id, document = await self._flow(tenant_id, ref)
        await self._release(session, agent)
        await self._music_on(session, agent.leg.media_tag, CallControlState(muted=True))
        tag = state.next_tag("q")

        async def took_over(leg: LegRuntime) -> None:
            state.took_over(leg.leg.media_tag)
            await self._event(session, "call.transferred", leg=leg.leg.media_tag,
                              mode="blind", targetKind=kind, target=ref)  # fmt: skip

        if queue is not None:
            work = redirect.to_queue(self.b2bua, session, queue, tag, by, took_over)
        else:
            work = redirect.to_flow(self.b2bua, session, flow_id, document, tag, by, took_over)
        redirect.take_over(self.b2bua, session, work)
        return {"state": "queued" if kind == "queue" else "ivr", "target": ref}

    async def _consult_queue(
        self,
        session: CallSession,
        state: CallControlState,
        customer: LegRuntime,
        agent: LegRuntime,
        queue: AcdQueue,
        by: str,
    ) -> dict[str, Any]:
        """Attended transfer to a queue: the customer on hold (music) while the ACD finds an
        agent; that agent rings with the transferring agent's media and they consult; then
        complete_transfer / cancel_transfer as for a person."""
        media, tag = session.media_id, state.next_tag("q")
        ingress = await self._ingress(session, agent)
        await self._connect(session, customer, "held", BLACK_HOLE_SDP)
        await self.ng.play_media(
            media, CUSTOMER_TAG, file=str(self.hold_music), repeat_times=HOLD_REPEAT
        )
        offer = await self.ng.offer(media, ingress, agent.remote_sdp, TOWARD_SIP, to_tag=tag)

        async def consult(leg: LegRuntime, extension: str, user_id: UUID | None) -> None:
            await self.ng.answer(media, ingress, tag, leg.remote_sdp, _toward(agent))
            state.consult, state.consult_owner = leg, (extension, user_id)
            await self._event(session, "call.consult", leg=tag, targetKind="queue")

        async def search() -> None:
            found = await redirect.consult_queue(
                self.b2bua, session, queue, tag, offer.sdp, by, consult
            )
            if found:
                await session.done.wait()  # the ACD entry lives as long as the call
            elif state.consult is None:
                state.queue_consult = None
                await self._back_to_customer(session, state)

        state.queue_consult = self.b2bua._spawn(search())
        await self._event(session, "call.hold", role="agent", reason="consultation")
        return {"state": "queued", "target": str(queue.id)}

    async def _flow(self, tenant_id: UUID, ref: str) -> tuple[UUID, FlowDocument]:
        try:
            flow_id = UUID(ref)
        except ValueError as exc:
            raise CommandFailed(400, "An IVR flow is named by its id.") from exc
        document = await redirect.published(tenant_id, flow_id)
        if document is None:
            raise CommandFailed(404, "No such published IVR flow in your company.")
        return flow_id, document

    async def ivr_and_back(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        """IVR-7: the caller goes into a flow (a PIN, the terms) and comes back to this agent,
        who waits with music, with the digits and variables the flow collected."""
        session = self._session(tenant_id, args)
        state, customer, agent = self._bridged(session)
        if state.consult is not None or state.room is not None or state.held:
            raise CommandFailed(409, "Finish the hold, transfer or conference first.")
        await self._audio_off(session, state)
        flow_id, document = await self._flow(tenant_id, str(args.get("flowId") or ""))
        tag = state.next_tag("v")
        # The caller hears only the flow; the agent, blocked (rtpengine still forwards an
        # agent re-associated elsewhere to the caller), hears music.
        ingress = await self._ingress(session, agent)
        await self._connect(session, customer, "ivr" + tag, BLACK_HOLE_SDP)
        await self.ng.block_media(session.media_id, ingress)
        await self.ng.play_media(
            session.media_id, agent.leg.media_tag, file=str(self.hold_music),
            repeat_times=HOLD_REPEAT,
        )  # fmt: skip

        async def reconnect() -> None:
            with contextlib.suppress(RtpengineError):
                await self.ng.stop_media(session.media_id, agent.leg.media_tag)
            await self.ng.unblock_media(session.media_id, ingress)
            await self._connect(session, customer, ingress, agent.remote_sdp, _toward(agent))

        work = redirect.and_back(self.b2bua, session, agent, flow_id, document, reconnect)
        redirect.take_over(self.b2bua, session, work)
        return {"state": "ivr", "flowId": str(flow_id)}

    async def _survey(self, session: CallSession, agent: LegRuntime) -> bool:
        """REC-6: the agent has hung up (or is hanging up) first; True when the customer is
        sent into the queue's survey flow (the call ends after it)."""
        state = self.states.get(session.call.key)
        if session.call.state is not CallState.BRIDGED or session.ending:
            return False
        if state is not None and (state.consult is not None or state.room is not None):
            return False
        if agent.leg.media_tag != (state.agent_tag if state is not None else AGENT_TAG):
            return False
        found = await redirect.survey_flow(self.b2bua, session)
        if found is None:
            return False
        flow_id, document = found
        if agent.leg.state is not LegState.ENDED:
            await self._release(session, agent)
        else:
            await self._leg_ended(session, agent, None)
        work = redirect.survey(self.b2bua, session, agent, flow_id, document)
        redirect.take_over(self.b2bua, session, work)
        return True

    # ------------------------------------------------------------------ mixer rooms

    async def conference(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        session = self._session(tenant_id, args)
        state, _, _ = self._bridged(session)
        if state.held or state.consult is not None:
            raise CommandFailed(409, "Take the customer off hold first.")
        await self._audio_off(session, state)
        target = await self._target(tenant_id, args, session.call.business_id)
        room = await self._room(session, state, Mode.CONFERENCE)
        tag = state.next_tag("p")
        await self._invite_into_room(session, room, tag, Role.CUSTOMER, target)
        return {"state": "ringing", "leg": tag}

    async def supervise(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        """SEAT-7: listen, whisper or barge; a second command switches the mode live."""
        mode = MODES[str(args["_name"])]
        session = self._session(tenant_id, args)
        state, _, _ = self._bridged(session)
        if state.room is not None and state.room.mode is Mode.CONFERENCE:
            raise CommandFailed(409, "The call is a conference: join it instead.")
        await self._audio_off(session, state)
        if state.room is not None and SUPERVISOR_TAG in state.room.participants:
            state.room.set_mode(mode)
            return {"mode": mode.value, "state": "connected"}
        ext = str(args.get("supervisorExtension") or args.get("extension") or "")
        seat = await routing.find_seat(tenant_id, ext)
        if seat is None:
            raise CommandFailed(404, f"No seat {ext!r} to bring the supervisor in on.")
        domain = await routing.sip_domain(tenant_id)
        uri = SipUri(user=seat.number, host=domain)
        target = Target(uri, LegRole.OTHER, webrtc=self._webrtc(seat))
        room = await self._room(session, state, mode)
        await self._invite_into_room(session, room, SUPERVISOR_TAG, Role.SUPERVISOR, target)
        return {"mode": mode.value, "state": "ringing"}

    async def _room(self, session: CallSession, state: CallControlState, mode: Mode) -> Mixer:
        if state.room is not None:
            return state.room
        room = Mixer(clock=self.clock, ports=self.ports, mode=mode)
        await room.start()
        if not self.clock.running:
            self.clock.start()
        state.room = room
        for tag, role in ((CUSTOMER_TAG, Role.CUSTOMER), (state.agent_tag, Role.AGENT)):
            await self._into_room(session, room, session.legs[tag], role)
            if self.states.get(session.call.key) is not state:
                # The call ended while we talked to rtpengine: `_forget` has been and gone.
                state.room = None
                await room.close()
                raise CommandFailed(404, "No such live call.")
        if state.muted:
            room.set_muted(state.agent_tag, True)
        return room

    async def _into_room(
        self, session: CallSession, room: Mixer, rt: LegRuntime, role: Role
    ) -> None:
        """Point rtpengine's side of `rt` at a mixer port (its SDP says where)."""
        media, tag = session.media_id, rt.leg.media_tag
        mono = await self._ingress(session, rt)  # where its RTP really arrives (queued calls)
        toward_room = await self.ng.offer(media, mono, rt.remote_sdp, TOWARD_SIP, to_tag="m" + tag)
        law = _law(toward_room.sdp)
        host, port = _media_address(toward_room.sdp)
        member = await room.add_participant(tag, remote=(host, port), law=law, role=role)
        reply = await self.ng.answer(
            media, mono, "m" + tag, _mixer_sdp(member.local, law), _toward(rt)
        )
        if tag == CUSTOMER_TAG:
            session.customer_sdps.append(reply.sdp)

    async def _invite_into_room(
        self, session: CallSession, room: Mixer, tag: str, role: Role, target: Target
    ) -> None:
        """Ring a party into the room. Its leg is anchored in rtpengine too, as a call of its
        own (`<call>-<tag>`: mixer port <-> party), so a browser seat gets ICE + DTLS-SRTP
        and the mixer still sees plain G.711 from one known address."""
        member = await room.add_participant(tag, remote=("127.0.0.1", 9), law=Law.PCMU, role=role)
        leg = self._new_leg(session, tag, target, session.call.extension or "")
        side = f"{session.media_id}-{tag}"
        self._state(session).side_calls.add(side)
        toward_mixer = _mixer_sdp(member.local, Law.PCMU)

        async def ring() -> None:
            try:
                offer = await self.ng.offer(side, "mix", toward_mixer, _flags(target))
                if await self._ring(session, leg, offer.sdp, target):
                    reply = await self.ng.answer(side, "mix", tag, leg.remote_sdp, TOWARD_SIP)
                    # rtpengine sends the party's audio from the port it gave the mixer.
                    room.set_remote(tag, _media_address(reply.sdp))
                    await self._event(session, "call.joined", leg=tag, role=role.value)
                    return
            except (RtpengineError, ValueError) as exc:
                log.warning("call %s: %s did not join: %s", session.call.key, tag, exc)
                await self._release(session, leg)
            if tag in room.participants:
                room.remove_participant(tag)
            await self._drop_side(session, side)

        self.b2bua._spawn(ring())

    async def _drop_side(self, session: CallSession, side: str) -> None:
        self._state(session).side_calls.discard(side)
        with contextlib.suppress(RtpengineError):
            await self.ng.delete(side)

    # ------------------------------------------------------------------ dial (internal call)

    async def dial(self, tenant_id: UUID, args: dict[str, Any]) -> dict[str, Any]:
        """SEAT-6: an internal call from the agent's seat to another extension, started from
        the CTI: ring the agent first (late offer, as click-to-call), then the extension."""
        own, other = str(args.get("extension") or ""), str(args.get("target") or "")
        seat = await routing.find_seat(tenant_id, own)
        callee = await routing.find_seat(tenant_id, other)
        if seat is None or callee is None:
            raise CommandFailed(404, "No such extension in your company.")
        import uuid

        agent_user = args.get("agent")
        call = Call(
            key=uuid.uuid4().hex,
            tenant_id=tenant_id,
            direction="internal",
            from_number=own,
            to_number=other,
            extension=own,
            agent_user_id=seat.user_id or (UUID(str(agent_user)) if agent_user else None),
        )
        session = self.b2bua._new_session(call)
        await live.save(self.b2bua.redis, call, call.event("call.arrived", origin="cti-dial"))
        flow = self._dial_flow(session, seat, callee)
        session.task = self.b2bua._spawn(self.b2bua._guard(session, flow))
        return {"callId": call.key, "state": "ringing"}

    async def _dial_flow(
        self, session: CallSession, seat: routing.SeatTarget, callee: routing.SeatTarget
    ) -> None:
        b2bua, media = self.b2bua, session.media_id
        await b2bua._move(session, CallState.RINGING)
        domain = await routing.sip_domain(session.call.tenant_id)
        agent = b2bua._outbound_leg(
            session,
            LegRole.AGENT,
            AGENT_TAG,
            SipUri(user=seat.number, host=domain),
            callee.number,
            domain,
        )
        # Late offer (RFC 3261 13.2.1): the agent's 200 carries the offer, our ACK the answer.
        response = await b2bua._dial(session, agent, None, ack=False)
        if response is None:
            return
        to_callee = TOWARD_WEBRTC if self._webrtc(callee) else TOWARD_SIP
        toward_callee = await self.ng.offer(media, AGENT_TAG, agent.remote_sdp, to_callee)
        parked = await self.ng.answer(media, AGENT_TAG, "ringback", BLACK_HOLE_SDP, _toward(agent))
        await b2bua._ack(agent, response, parked.sdp)
        agent.local_sdp = parked.sdp
        other = b2bua._outbound_leg(
            session,
            LegRole.OTHER,
            CUSTOMER_TAG,
            SipUri(user=callee.number, host=domain),
            seat.number,
            domain,
        )
        session.customer_sdps.append(toward_callee.sdp)
        if await b2bua._dial(session, other, toward_callee.sdp) is None:
            return
        session.call.mark_answered()
        await self.ng.answer(media, AGENT_TAG, CUSTOMER_TAG, other.remote_sdp, _toward(agent))
        await b2bua._bridged(session)

    # ------------------------------------------------------------------ events

    async def _event(self, session: CallSession, kind: str, **extra: Any) -> None:
        await live.save(self.b2bua.redis, session.call, session.call.event(kind, **extra))


def _toward(rt: LegRuntime) -> MediaFlags:
    """Flags for an SDP rtpengine makes for party `rt`: shaped like what the party offered."""
    sdp = rt.remote_sdp
    webrtc = "UDP/TLS/RTP/SAVPF" in sdp or "a=fingerprint" in sdp
    return TOWARD_WEBRTC if webrtc else TOWARD_SIP


def _flags(target: Target) -> MediaFlags:
    return TOWARD_WEBRTC if target.webrtc else TOWARD_SIP


def _up(rt: LegRuntime | None) -> bool:
    return rt is not None and rt.leg.state is LegState.ANSWERED and rt.dialog is not None


def _hold_music(prompt_dir: Path) -> Path:
    path = prompt_dir / HOLD_MUSIC
    if not path.exists():
        write_prompt(path, HOLD_TONES)
    return path.resolve()


def _port_owner(query: dict[str, Any], port: int) -> str | None:
    """The tag of the monologue with a stream on local `port` in an rtpengine `query`."""
    tags = query.get("tags")
    for tag, mono in tags.items() if isinstance(tags, dict) else ():
        for media in mono.get("medias", []) if isinstance(mono, dict) else ():
            for stream in media.get("streams", []) if isinstance(media, dict) else ():
                if isinstance(stream, dict) and stream.get("local port") == port:
                    return str(tag)
    return None


def _media_address(sdp: str) -> tuple[str, int]:
    conn = re.search(r"^c=IN IP4 (\S+)", sdp, re.M)
    media = re.search(r"^m=audio (\d+) ", sdp, re.M)
    if conn is None or media is None:
        raise ValueError("SDP without an IPv4 audio stream")
    return conn.group(1), int(media.group(1))


def _law(sdp: str) -> Law:
    """The first G.711 payload type the offer lists (RFC 3264 5.1: preference order)."""
    media = re.search(r"^m=audio \d+ \S+ ([\d ]+)", sdp, re.M)
    for pt in media.group(1).split() if media else []:
        if pt in ("0", "8"):
            return Law(int(pt))
    raise CommandFailed(409, "The call's codec is not G.711: the mixer cannot join it.")


def _mixer_sdp(address: tuple[str, int], law: Law) -> str:
    host, port = address
    name = "PCMU" if law is Law.PCMU else "PCMA"
    return (
        f"v=0\r\no=- 1 1 IN IP4 {host}\r\ns=fastline mixer\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP {law.value}\r\na=rtpmap:{law.value} {name}/8000\r\n"
        "a=ptime:20\r\na=sendrecv\r\n"
    )
