"""The agent console's actions and events (SEAT-2, SEAT-5, SEAT-6, SEAT-7).

One service for both faces of the CTI: the REST routes and the agent WebSocket call `perform`
with the same action names and arguments, so they cannot drift apart. State actions go to the
Redis ACD; call-control actions go to callcontrol through the command channel
(`cti_commands.py`) and wait for its reply.

An agent acts only on themselves: the agent is always the signed-in user, and a call id, when
given, must be the agent's current call. Supervisors use `force_*` on agents of their tenant.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.callcontrol.live import call_key_name
from app.calls import masking
from app.calls.models import CallRecord, Recording
from app.db.session import tenant_session
from app.dialer.numbers import NumberError
from app.dialer.numbers import normalize as normalize_number_parts
from app.lib.keys import tenant_key
from app.lib.numbers import InvalidNumberError, normalize_number
from app.lib.problems import Problem
from app.seats.acd import (
    Acd,
    AcdError,
    AgentState,
    AgentStatus,
    Decision,
    IllegalTransition,
    NotOffered,
    Offered,
    UnknownAgent,
)
from app.seats.agents import AgentProfile, Reason, reasons, require_profile
from app.seats.cti_commands import (
    CALL_COMMANDS,
    SUPERVISOR_COMMANDS,
    CallcontrolUnavailable,
    call_command,
)
from app.seats.models import Extension
from app.seats.queues import AcdQueue, acd_for, ensure_synced, sync_tenant
from app.tenants.models import Role, User

STATE_ACTIONS = frozenset({"sign_in", "sign_out", "ready", "not_ready", "end_acw"})
ACTIONS = STATE_ACTIONS | CALL_COMMANDS
TARGET_KINDS = frozenset({"agent", "supervisor", "queue", "ivr", "external"})
PREVIOUS_CALLS = 5  # calls of the same number shown on a screen pop


@dataclass
class AgentContext:
    """Who the console belongs to; loaded once per request or per WebSocket."""

    tenant_id: UUID
    profile: AgentProfile
    extension: str | None
    reasons: list[Reason]
    queue_names: dict[str, str] = field(default_factory=dict)

    @property
    def agent_id(self) -> str:
        return self.profile.acd_id


async def load_context(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> AgentContext:
    profile = await require_profile(session, tenant_id, user_id)
    ext = (
        await session.get(Extension, (tenant_id, profile.extension_id))
        if profile.extension_id
        else None
    )
    names = {
        q.acd_id: q.name
        for q in await session.scalars(select(AcdQueue).where(AcdQueue.tenant_id == tenant_id))
    }
    return AgentContext(
        tenant_id,
        profile,
        ext.number if ext is not None and ext.is_active else None,
        await reasons(session, tenant_id),
        names,
    )


def acd_problem(exc: AcdError) -> Problem:
    if isinstance(exc, (IllegalTransition, NotOffered)):
        return Problem(409, str(exc), code="illegal_state")
    return Problem(409, str(exc), code="acd")


async def _acd_call(acd: Acd, work: Callable[[], Awaitable[Any]]) -> Any:
    """Run an ACD operation; an agent missing from Redis (Redis lost) is re-synced once."""
    try:
        try:
            return await work()
        except UnknownAgent:
            await sync_tenant(acd.redis, acd.tenant_id)
            return await work()
    except AcdError as exc:
        raise acd_problem(exc) from exc


def status_out(status: AgentStatus) -> dict[str, Any]:
    return {
        "agent": status.agent_id,
        "state": status.state.value,
        "reason": status.reason,
        "callId": status.call_id,
        "inStateSeconds": round(status.in_state, 3),
        "callsTaken": status.calls_taken,
        "queues": list(status.queues),
    }


def decisions_out(decisions: list[Decision]) -> list[dict[str, Any]]:
    return [
        {"kind": "offered", "callId": d.call_id, "queue": d.queue_id}
        for d in decisions
        if isinstance(d, Offered)
    ]


async def agent_status(redis: Redis, ctx: AgentContext) -> AgentStatus:
    acd = acd_for(redis, ctx.tenant_id)
    await ensure_synced(redis, ctx.tenant_id)
    status: AgentStatus = await _acd_call(acd, lambda: acd.agent_status(ctx.agent_id))
    return status


# ------------------------------------------------------------------------- state actions


async def _state_action(
    redis: Redis, ctx: AgentContext, action: str, args: dict[str, Any]
) -> dict[str, Any]:
    acd = acd_for(redis, ctx.tenant_id)
    await ensure_synced(redis, ctx.tenant_id)
    agent = ctx.agent_id
    decisions: list[Decision] = []
    if action == "sign_in":
        if ctx.extension is None:
            raise Problem(
                409, "You have no seat: an admin must bind an extension to your agent profile."
            )
        ready = bool(args.get("ready", True))
        reason = "" if ready else _reason(ctx, args)
        decisions = await _acd_call(acd, lambda: acd.sign_in(agent, ready=ready, reason=reason))
    elif action == "sign_out":
        await _acd_call(acd, lambda: acd.sign_out(agent))
    elif action == "ready":
        decisions = await _acd_call(acd, lambda: acd.agent_ready(agent))
    elif action == "not_ready":
        reason = _reason(ctx, args)
        await _acd_call(acd, lambda: acd.not_ready(agent, reason))
    elif action == "end_acw":
        status = await _acd_call(acd, lambda: acd.agent_status(agent))
        if status.state is not AgentState.AFTER_CALL_WORK:
            raise Problem(409, f"You are {status.state.value}, not in after-call work.")
        decisions = await _acd_call(acd, lambda: acd.agent_ready(agent, "acw ended"))
    status = await acd.agent_status(agent)
    return status_out(status) | {"offers": decisions_out(decisions)}


def _reason(ctx: AgentContext, args: dict[str, Any]) -> str:
    code = str(args.get("reason") or "")
    codes = [r.code for r in ctx.reasons]
    if code not in codes:
        raise Problem(
            400,
            f"Not ready needs a reason code of this tenant: one of {', '.join(codes)}.",
            code="unknown_reason",
        )
    return code


# ------------------------------------------------------------------------- call commands


async def _call_action(
    redis: Redis, ctx: AgentContext, action: str, args: dict[str, Any]
) -> dict[str, Any]:
    status = await agent_status(redis, ctx)
    call_id = _own_call(status, action, args)
    forward: dict[str, Any] = {
        "agent": ctx.agent_id,
        "extension": ctx.extension or "",
        "callId": call_id,
    }
    forward |= await _command_args(ctx, action, args)
    if action == "answer":
        forward["autoAnswer"] = ctx.profile.auto_answer
    try:
        reply = await call_command(redis, ctx.tenant_id, action, forward)
    except CallcontrolUnavailable as exc:
        raise Problem(
            503,
            f"Callcontrol is not available ({exc}); try again shortly.",
            code="callcontrol_unavailable",
        ) from exc
    if not reply.ok:
        raise Problem(reply.status if 400 <= reply.status < 600 else 409, reply.error or action)
    acd = acd_for(redis, ctx.tenant_id)
    # The ACD follows what callcontrol did to the media (the wallboard shows who is on hold).
    if action == "hold" and status.state is AgentState.TALKING:
        await _acd_call(acd, lambda: acd.hold(ctx.agent_id))
    elif action == "resume" and status.state is AgentState.HOLD:
        await _acd_call(acd, lambda: acd.resume(ctx.agent_id))
    return {"commandId": reply.command_id, "callId": call_id, "result": reply.result}


def _own_call(status: AgentStatus, action: str, args: dict[str, Any]) -> str:
    """The call a command acts on: the agent's own current call, nothing else."""
    given = str(args.get("callId") or "")
    if given and given != status.call_id:
        raise Problem(404, "No such call on your seat.")
    if action == "dial":
        if status.state not in (AgentState.READY, AgentState.NOT_READY):
            raise Problem(409, f"You are {status.state.value}: internal calls need a free seat.")
        return ""
    if action == "answer" and status.state is not AgentState.RINGING:
        raise Problem(409, f"You are {status.state.value}: there is no call ringing for you.")
    if not status.call_id:
        raise Problem(409, "You have no call.")
    return status.call_id


async def _command_args(ctx: AgentContext, action: str, args: dict[str, Any]) -> dict[str, Any]:
    if action == "dtmf":
        digits = str(args.get("digits") or "")
        if not digits or len(digits) > 32 or any(d not in "0123456789*#ABCD" for d in digits):
            raise Problem(400, "DTMF digits are 1 to 32 of 0-9 * # A-D.")
        return {"digits": digits}
    if action == "dial":
        return {"target": await _extension_target(ctx, str(args.get("extension") or ""))}
    if action == "ivr_and_back":  # IVR-7; over REST the flow id is the body's `target`
        flow = str(args.get("flowId") or args.get("target") or "")
        return {"flowId": await _resolve_target(ctx, "ivr", flow)}
    if action in ("transfer", "conference"):
        mode = str(args.get("mode") or "blind")
        if action == "transfer" and mode not in ("blind", "attended"):
            raise Problem(400, "Transfer mode is blind or attended.")
        kind = str(args.get("targetKind") or "")
        target = await _resolve_target(ctx, kind, str(args.get("target") or ""))
        out = {"targetKind": kind, "target": target}
        return out | ({"mode": mode} if action == "transfer" else {})
    return {}


async def transfer_targets(
    session: AsyncSession, ctx: AgentContext
) -> dict[str, list[tuple[str, str]]]:
    """The agent's business's queues and other agents, and the published flows of that
    business or of none: ids as call commands take them, names to show."""
    from app.ivr_builder.models import IvrFlow

    tenant, business = ctx.tenant_id, ctx.profile.business_id
    queues = await session.execute(
        select(AcdQueue.id, AcdQueue.name)
        .where(AcdQueue.tenant_id == tenant, AcdQueue.business_id == business)
        .order_by(AcdQueue.name)
    )
    agents = await session.execute(
        select(AgentProfile.user_id, User.display_name)
        .join(User, (User.tenant_id == tenant) & (User.id == AgentProfile.user_id))
        .where(
            AgentProfile.tenant_id == tenant,
            AgentProfile.business_id == business,
            AgentProfile.user_id != ctx.profile.user_id,
        )
        .order_by(User.display_name)
    )
    flows = await session.execute(
        select(IvrFlow.id, IvrFlow.name)
        .where(
            IvrFlow.tenant_id == tenant,
            IvrFlow.published_version_id.is_not(None),
            (IvrFlow.business_id == business) | IvrFlow.business_id.is_(None),
        )
        .order_by(IvrFlow.name)
    )
    return {
        "queues": [(str(i), n) for i, n in queues.all()],
        "agents": [(str(i), n) for i, n in agents.all()],
        "flows": [(str(i), n) for i, n in flows.all()],
    }


async def _extension_target(ctx: AgentContext, number: str) -> str:
    async with tenant_session(ctx.tenant_id) as session:
        ext = await session.scalar(
            select(Extension).where(
                Extension.tenant_id == ctx.tenant_id, Extension.number == number
            )
        )
    if ext is None or not ext.is_active:
        raise Problem(404, f"No extension {number!r} in your company.")
    return ext.number


async def _resolve_target(ctx: AgentContext, kind: str, target: str) -> str:
    """Transfer/conference targets must exist in the agent's tenant (a forged id is a 404)."""
    if kind not in TARGET_KINDS:
        raise Problem(400, f"targetKind is one of {', '.join(sorted(TARGET_KINDS))}.")
    if kind == "external":
        try:
            return normalize_number(target)
        except InvalidNumberError as exc:
            raise Problem(400, str(exc), code="invalid_number") from exc
    try:
        target_id = UUID(target)
    except ValueError as exc:
        raise Problem(400, f"target of kind {kind} is an id.") from exc
    async with tenant_session(ctx.tenant_id) as session:
        found = await _target_exists(session, ctx.tenant_id, kind, target_id)
    if not found:
        raise Problem(404, f"No such {kind} to transfer to.")
    return str(target_id)


async def _target_exists(session: AsyncSession, tenant_id: UUID, kind: str, target: UUID) -> bool:
    if kind == "queue":
        return await session.get(AcdQueue, (tenant_id, target)) is not None
    if kind == "ivr":
        from app.ivr_builder.models import IvrFlow

        return await session.get(IvrFlow, (tenant_id, target)) is not None
    if kind == "agent":
        stmt = select(AgentProfile.id).where(
            AgentProfile.tenant_id == tenant_id, AgentProfile.user_id == target
        )
        return await session.scalar(stmt) is not None
    user = await session.get(User, (tenant_id, target))  # supervisor
    return user is not None and user.role in (Role.SUPERVISOR, Role.ADMIN) and user.is_active


async def perform(
    redis: Redis, ctx: AgentContext, action: str, args: dict[str, Any]
) -> dict[str, Any]:
    """Run one console action (REST or WebSocket)."""
    if action in STATE_ACTIONS:
        return await _state_action(redis, ctx, action, args)
    if action in CALL_COMMANDS:
        return await _call_action(redis, ctx, action, args)
    raise Problem(400, f"Unknown action {action!r}; one of {', '.join(sorted(ACTIONS))}.")


# ------------------------------------------------------------------------- supervisors


async def force(redis: Redis, tenant_id: UUID, profile: AgentProfile, what: str) -> dict[str, Any]:
    """SEAT-7: a supervisor signs an agent out or makes them ready. The ACD refuses what would
    lose a call (signing out a ringing or talking agent)."""
    acd = acd_for(redis, tenant_id)
    await ensure_synced(redis, tenant_id)
    agent = profile.acd_id
    decisions: list[Decision] = []
    if what == "sign_out":
        await _acd_call(acd, lambda: acd.sign_out(agent, "forced by supervisor"))
    else:
        decisions = await _acd_call(acd, lambda: acd.agent_ready(agent, "forced by supervisor"))
    return status_out(await acd.agent_status(agent)) | {"offers": decisions_out(decisions)}


async def supervise(
    redis: Redis, tenant_id: UUID, profile: AgentProfile, action: str, supervisor_extension: str
) -> dict[str, Any]:
    """SEAT-7: listen to, whisper to or barge in on an agent's current call (through the
    supervisor's own seat), release it, or record it. Again with another mode switches live."""
    if action not in SUPERVISOR_COMMANDS:
        raise Problem(400, f"Unknown supervisor action {action!r}.")
    acd = acd_for(redis, tenant_id)
    await ensure_synced(redis, tenant_id)
    status: AgentStatus = await _acd_call(acd, lambda: acd.agent_status(profile.acd_id))
    # After-call work keeps the finished call's id: only a connected call can be joined.
    if not status.call_id or status.state not in (AgentState.TALKING, AgentState.HOLD):
        raise Problem(409, f"That agent has no call ({status.state.value}).", code="no_call")
    args: dict[str, Any] = {"callId": status.call_id, "agent": profile.acd_id}
    if action in ("listen", "whisper", "barge"):
        if not supervisor_extension:
            raise Problem(409, "You need a seat (an extension) to listen on.", code="no_seat")
        args["supervisorExtension"] = supervisor_extension
    try:
        reply = await call_command(redis, tenant_id, action, args)
    except CallcontrolUnavailable as exc:
        raise Problem(
            503,
            f"Callcontrol is not available ({exc}); try again shortly.",
            code="callcontrol_unavailable",
        ) from exc
    if not reply.ok:
        raise Problem(reply.status if 400 <= reply.status < 600 else 409, reply.error or action)
    return {"commandId": reply.command_id, "callId": status.call_id, "result": reply.result}


# ------------------------------------------------------------------------- events


async def queue_flags(
    redis: Redis, ctx: AgentContext, queues: tuple[str, ...]
) -> list[dict[str, Any]]:
    """SEAT-5: the all-busy indicator of each of the agent's queues."""
    acd = acd_for(redis, ctx.tenant_id)
    out = []
    for q in queues:
        try:
            busy = (await acd.queue_status(q)).all_busy
        except AcdError:
            continue
        out.append({"id": q, "name": ctx.queue_names.get(q, ""), "allBusy": busy})
    return out


AGENT_EVENTS = frozenset({"call_answered", "call_ended", "call_ring_failed"})
MY_DIAL_EVENTS = {
    "call.click_to_call": "click_to_call",
    "dialer.callback.reminder": "reminder",
    "crm.ticket.reminder": "ticket_reminder",  # CRM-5: a ticket assigned to them comes due
}


@dataclass
class AgentFeed:
    """Turns the tenant's event stream into what one agent may see: their own state changes
    and calls, and their queues' all-busy flags. Everything else is dropped."""

    ctx: AgentContext
    queues: set[str]
    calls: set[str] = field(default_factory=set)

    def view(self, fields: dict[str, str]) -> dict[str, Any] | None:
        kind = fields.get("type", "")
        me = self.ctx.agent_id
        if kind == "agent_state" and fields.get("agent") == me:
            return {
                "type": "state",
                "state": fields["to"],
                "from": fields.get("from", ""),
                "reason": fields.get("reason", ""),
                "callId": fields.get("call", ""),
                "at": fields.get("at", ""),
            }
        if kind in AGENT_EVENTS and fields.get("agent") == me:
            return {"type": kind.removeprefix("call_"), "callId": fields.get("call", "")} | {
                k: v for k, v in fields.items() if k in ("queue", "why", "talk_ms", "waited_ms")
            }
        if kind == "queue_busy" and fields.get("queue") in self.queues:
            return {
                "type": "queue_busy",
                "queue": fields["queue"],
                "name": self.ctx.queue_names.get(fields["queue"], ""),
                "allBusy": fields.get("all_busy") == "1",
            }
        if kind == "marquee":  # DIAL-9: the supervisor changed the team's messages
            return {"type": "marquee", "messages": json.loads(fields.get("messages") or "[]")}
        if kind in MY_DIAL_EVENTS and (fields.get("agent") or fields.get("agentId")) == me:
            # DIAL-6/DIAL-5: the click-to-call the agent asked for, the agent's callback reminder.
            out = {k: v for k, v in fields.items() if k not in ("type", "tenant")}
            return {"type": MY_DIAL_EVENTS[kind]} | masking.for_agent(out)
        call = fields.get("callKey") or fields.get("call") or ""
        if call in self.calls and kind not in ("call_offered", "agent_state"):
            # Callcontrol's own events (call.state, leg.state, call.hold...) of the agent's call;
            # any customer number in them masked (DIAL-6).
            return {"type": "call_event", "event": kind, "callId": call} | masking.for_agent(
                {k: v for k, v in fields.items() if k not in ("type", "tenant", "callKey", "call")}
            )
        return None

    def is_my_offer(self, fields: dict[str, str]) -> bool:
        return fields.get("type") == "call_offered" and fields.get("agent") == self.ctx.agent_id


async def screen_pop(redis: Redis, ctx: AgentContext, fields: dict[str, str]) -> dict[str, Any]:
    """What is known of an offered call: caller, queue, IVR path and variables, and the
    previous calls of the same customer (SEAT-8, see `previous_calls`)."""
    call_id = fields.get("call", "")
    acd_call = await redis.hgetall(tenant_key(ctx.tenant_id, "acd", "call", call_id))  # type: ignore[misc]
    live = await redis.hgetall(call_key_name(ctx.tenant_id, call_id))  # type: ignore[misc]
    number = acd_call.get("caller") or live.get("from", "")
    queue = fields.get("queue", "")
    pop: dict[str, Any] = {
        "type": "offer",
        "callId": call_id,
        "queue": {"id": queue, "name": ctx.queue_names.get(queue, "")},
        "caller": {"number": number, "calledNumber": live.get("to", "")},
        "priority": int(acd_call.get("priority") or 0),
        "ringTimeout": int(fields.get("ring_timeout_ms") or 0) / 1000,
        "autoAnswer": ctx.profile.auto_answer,
        "ivr": {
            "path": _json_field(live.get("ivrPath"), []),
            "variables": _json_field(live.get("ivrVars"), {}),
            "dtmf": live.get("dtmf", ""),
        },
        "previousCalls": await previous_calls(
            ctx.tenant_id,
            number,
            call_id,
            viewer=ctx.profile.user_id,
            lead_id=live.get("leadId", ""),
        ),
    }
    if live.get("leadId"):  # DIAL-7: a campaign call; the console fetches record and script
        pop["lead"] = {"id": live["leadId"], "campaignId": live.get("campaignId", "")}
    return pop


def _json_field(raw: str | None, default: Any) -> Any:
    if not raw:
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return default


async def previous_calls(
    tenant_id: UUID,
    number: str,
    current: str,
    *,
    viewer: UUID | None = None,
    lead_id: str = "",
) -> list[dict[str, Any]]:
    """SEAT-8: the last `PREVIOUS_CALLS` calls of the same customer, newest first, in one query:
    when, direction, answered, the agent's name and extension, talk time, the wrap-up (code,
    label, note; else a campaign call's dialer disposition) and, when `viewer` may play it, the
    call's ready recording (REC-2's rule for agents: their own calls only; the others' calls are
    listed without one). No customer number is returned (DIAL-6); numbers in a note are masked.

    The number is matched in its stored forms (as received, E.164, national). A campaign call's
    pop carries a masked number, which matches thousands of customers: then the lead's calls
    (its attempts, and calls from or to its real number, which never leaves the database) are
    listed, and a masked number without a lead lists nothing."""
    from app.calls.wrapup import DEFAULT_CODES, CallWrapup, WrapupCode
    from app.dialer.models import Lead, LeadAttempt

    if not number:
        return []
    t = tenant_id
    if "*" in number:
        try:
            lead = UUID(lead_id)
        except ValueError:
            return []
        phone = select(Lead.phone).where(Lead.tenant_id == t, Lead.id == lead).scalar_subquery()
        national = func.regexp_replace(phone, r"^\+86", "")
        attempts = select(LeadAttempt.call_key).where(
            LeadAttempt.tenant_id == t, LeadAttempt.lead_id == lead
        )
        same_customer = or_(
            CallRecord.call_key.in_(attempts),
            CallRecord.from_number.in_([phone, national]),
            CallRecord.to_number.in_([phone, national]),
        )
    else:
        forms = _number_forms(number)
        same_customer = or_(CallRecord.from_number.in_(forms), CallRecord.to_number.in_(forms))
    attempt_disposition = (
        select(LeadAttempt.disposition)
        .where(LeadAttempt.tenant_id == t, LeadAttempt.call_key == CallRecord.call_key)
        .order_by(LeadAttempt.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    playable = and_(
        Recording.tenant_id == t,
        Recording.call_key == CallRecord.call_key,
        Recording.status == "ready",
        CallRecord.agent_user_id.is_not(None),
        CallRecord.agent_user_id == viewer,
    )
    stmt = (
        select(
            CallRecord,
            User.display_name,
            CallWrapup.code,
            CallWrapup.note,
            WrapupCode.label,
            attempt_disposition,
            Recording.id,
        )
        .outerjoin(User, and_(User.tenant_id == t, User.id == CallRecord.agent_user_id))
        .outerjoin(
            CallWrapup,
            and_(CallWrapup.tenant_id == t, CallWrapup.call_key == CallRecord.call_key),
        )
        .outerjoin(WrapupCode, and_(WrapupCode.tenant_id == t, WrapupCode.code == CallWrapup.code))
        .outerjoin(Recording, playable)
        .where(CallRecord.tenant_id == t, same_customer, CallRecord.call_key != current)
        .order_by(CallRecord.arrived_at.desc(), CallRecord.id)
        .limit(PREVIOUS_CALLS)
    )
    default_labels = {c.code: c.label for c in DEFAULT_CODES}
    async with tenant_session(tenant_id) as session:
        rows = (await session.execute(stmt)).all()
    out = []
    for r, agent_name, code, note, label, attempt, recording_id in rows:
        disposition = code or attempt or None
        out.append(
            {
                "callKey": r.call_key,
                "direction": r.direction,
                "arrivedAt": r.arrived_at.isoformat(),
                "answered": r.answered_at is not None,
                "extension": r.extension,
                "agentUserId": str(r.agent_user_id) if r.agent_user_id else None,
                "agentName": agent_name,
                "durationSeconds": _duration(r),
                "talkSeconds": _talk(r),
                "disposition": disposition,
                "dispositionLabel": (label or default_labels.get(code or "") or disposition)
                if disposition
                else None,
                "note": masking.mask_text(note) if note else None,
                "recordingId": str(recording_id) if recording_id else None,
                "audioUrl": f"/api/v1/recordings/{recording_id}/audio" if recording_id else None,
            }
        )
    return out


def _number_forms(number: str) -> list[str]:
    """The forms a customer's number may be stored in: as received, E.164, national digits
    (and with the trunk 0 for fixed lines)."""
    forms = {number}
    try:
        parsed = normalize_number_parts(number)
    except NumberError:
        return sorted(forms)
    forms |= {parsed.e164, parsed.national}
    if parsed.country_code == "86" and not parsed.national.startswith("1"):
        forms.add("0" + parsed.national)
    return sorted(forms)


def _duration(r: CallRecord) -> float | None:
    """Seconds from answer (by the IVR or an agent) to hang-up."""
    if r.answered_at is None or r.ended_at is None:
        return None
    return round((r.ended_at - r.answered_at).total_seconds(), 1)


def _talk(r: CallRecord) -> float | None:
    """Talk time as the portal counts it (bridged to an agent -> ended); None if never bridged."""
    if r.bridged_at is None or r.ended_at is None:
        return None
    return round(max(0.0, (r.ended_at - r.bridged_at).total_seconds()), 1)
