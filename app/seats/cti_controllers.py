"""CTI API for agents (SEAT-2, SEAT-5, SEAT-6) and supervisors' force functions (SEAT-7):
REST routes and the per-agent WebSocket `/api/v1/cti/ws`, both running `cti.perform`."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any
from uuid import UUID

import msgspec
import structlog
from litestar import Controller, Request, WebSocket, get, post, websocket
from litestar.exceptions import HTTPException, WebSocketDisconnect
from litestar.params import FromPath, JSONBody

from app.db.deps import DbSession
from app.db.session import tenant_session
from app.lib.events import events_stream, read_events
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats import cti
from app.seats.agents import require_profile, seat_of_user
from app.seats.cti_commands import CALL_COMMANDS
from app.tenants import sessions
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm, allowed
from app.tenants.schemas import Camel

log = structlog.get_logger(__name__)

# Agents' own state changes are in the event stream already; an audit row per click of
# "ready" would flood the audit trail. Supervisors' force functions are audited.
SELF = {"permission": Perm.CTI, "audit": False}
FORCE = {"permission": Perm.AGENTS_FORCE, "audit_target": "agent"}
MONITOR = {"permission": Perm.AGENTS_MONITOR, "audit_target": "agent"}
BLOCK_MS = 15_000  # XREAD BLOCK per round; the loop re-reads, so this only bounds idle reads

WS_UNAUTHENTICATED = 4401
WS_FORBIDDEN = 4403
WS_NOT_AGENT = 4404


class SignInIn(Camel):
    ready: bool = True
    reason: str = ""


class NotReadyIn(Camel):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class CallCommandIn(Camel):
    call_id: str = ""
    digits: str = ""
    mode: str = "blind"
    target_kind: str = ""
    target: str = ""
    extension: str = ""


class TargetOut(Camel):
    id: str  # a queue id, an agent's user id or a flow id: the `target` of a call command
    name: str


class TransferTargetsOut(Camel):
    queues: list[TargetOut]
    agents: list[TargetOut]
    flows: list[TargetOut]


def _args(data: msgspec.Struct) -> dict[str, Any]:
    return dict(msgspec.to_builtins(data))


async def _context(request: Request[Any, Any, Any], db: DbSession) -> cti.AgentContext:
    p = current_principal(request)
    return await cti.load_context(db, p.tenant_id, p.user_id)


class CtiController(Controller):
    path = "/api/v1/cti"
    tags = ["cti"]

    @get("/me", opt={"permission": Perm.CTI})
    async def me(self, request: Request[Any, Any, Any], db_session: DbSession) -> dict[str, Any]:
        """The console's start: your state, seat, reason codes and your queues' all-busy flags."""
        ctx = await _context(request, db_session)
        return await hello(ctx)

    @post("/sign-in", opt=SELF, status_code=200)
    async def sign_in(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[SignInIn]
    ) -> dict[str, Any]:
        ctx = await _context(request, db_session)
        return await cti.perform(get_redis(), ctx, "sign_in", _args(data))

    @post("/sign-out", opt=SELF, status_code=200)
    async def sign_out(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> dict[str, Any]:
        return await cti.perform(get_redis(), await _context(request, db_session), "sign_out", {})

    @post("/ready", opt=SELF, status_code=200)
    async def ready(self, request: Request[Any, Any, Any], db_session: DbSession) -> dict[str, Any]:
        return await cti.perform(get_redis(), await _context(request, db_session), "ready", {})

    @post("/not-ready", opt=SELF, status_code=200)
    async def not_ready(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[NotReadyIn]
    ) -> dict[str, Any]:
        ctx = await _context(request, db_session)
        return await cti.perform(get_redis(), ctx, "not_ready", _args(data))

    @post("/end-acw", opt=SELF, status_code=200)
    async def end_acw(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> dict[str, Any]:
        return await cti.perform(get_redis(), await _context(request, db_session), "end_acw", {})

    @get("/transfer-targets", opt={"permission": Perm.CTI})
    async def transfer_targets(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> TransferTargetsOut:
        """SEAT-6, IVR-7: where the agent may send the customer (transfer, conference, IVR
        and back): the queues, the other agents of the agent's business, and the tenant's
        published flows of that business (or of none)."""
        ctx = await _context(request, db_session)
        found = await cti.transfer_targets(db_session, ctx)
        return TransferTargetsOut(
            queues=[TargetOut(id=q, name=n) for q, n in found["queues"]],
            agents=[TargetOut(id=a, name=n) for a, n in found["agents"]],
            flows=[TargetOut(id=f, name=n) for f, n in found["flows"]],
        )

    @post("/calls/{action:str}", opt=SELF, status_code=200)
    async def call_command(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        action: FromPath[str],
        data: JSONBody[CallCommandIn],
    ) -> dict[str, Any]:
        """Call control on your own call: answer, hangup, hold, resume, mute, unmute, dtmf,
        transfer, complete_transfer, cancel_transfer, conference, dial. Forwarded to
        callcontrol; 503 when it does not answer."""
        if action not in CALL_COMMANDS:
            raise Problem(404, f"No call command {action!r}.")
        ctx = await _context(request, db_session)
        await db_session.commit()  # do not hold a transaction open while callcontrol works
        return await cti.perform(get_redis(), ctx, action, _args(data))

    @post(
        "/agents/{user_id:uuid}/force-sign-out",
        opt=FORCE | {"audit_action": "agent.force_sign_out"},
        status_code=200,
    )
    async def force_sign_out(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        tenant_id = current_principal(request).tenant_id
        profile = await require_profile(db_session, tenant_id, user_id)
        return await cti.force(get_redis(), tenant_id, profile, "sign_out")

    @post(
        "/agents/{user_id:uuid}/force-ready",
        opt=FORCE | {"audit_action": "agent.force_ready"},
        status_code=200,
    )
    async def force_ready(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        tenant_id = current_principal(request).tenant_id
        profile = await require_profile(db_session, tenant_id, user_id)
        return await cti.force(get_redis(), tenant_id, profile, "ready")

    # SEAT-7: listen / whisper / barge through the supervisor's own seat (again with another
    # mode switches live), force release, record. 409 when the agent has no call or the
    # supervisor no seat, 503 when callcontrol does not answer, 404 for an agent not of yours.
    @post(
        "/agents/{user_id:uuid}/listen",
        opt=MONITOR | {"audit_action": "agent.listen"},
        status_code=200,
    )
    async def listen(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """Hear the agent and the customer; neither hears you."""
        return await _supervise(request, db_session, user_id, "listen")

    @post(
        "/agents/{user_id:uuid}/whisper",
        opt=MONITOR | {"audit_action": "agent.whisper"},
        status_code=200,
    )
    async def whisper(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """Hear both; only the agent hears you (coaching)."""
        return await _supervise(request, db_session, user_id, "whisper")

    @post(
        "/agents/{user_id:uuid}/barge",
        opt=MONITOR | {"audit_action": "agent.barge"},
        status_code=200,
    )
    async def barge(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """Join the call: everyone hears everyone."""
        return await _supervise(request, db_session, user_id, "barge")

    @post(
        "/agents/{user_id:uuid}/release",
        opt=FORCE | {"audit_action": "agent.force_release"},
        status_code=200,
    )
    async def release(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """Hang up the agent's current call (both sides)."""
        return await _supervise(request, db_session, user_id, "force_release")

    @post(
        "/agents/{user_id:uuid}/record",
        opt=MONITOR | {"audit_action": "agent.record"},
        status_code=200,
    )
    async def record(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """Start recording the agent's current call (from now to its end)."""
        return await _supervise(request, db_session, user_id, "record")

    @post(
        "/agents/{user_id:uuid}/stop-record",
        opt=MONITOR | {"audit_action": "agent.stop_record"},
        status_code=200,
    )
    async def stop_record(
        self, request: Request[Any, Any, Any], db_session: DbSession, user_id: FromPath[UUID]
    ) -> dict[str, Any]:
        """Stop recording the agent's current call; what was recorded is kept."""
        return await _supervise(request, db_session, user_id, "stop_record")


async def _supervise(
    request: Request[Any, Any, Any], db: DbSession, user_id: UUID, action: str
) -> dict[str, Any]:
    p = current_principal(request)
    profile = await require_profile(db, p.tenant_id, user_id)  # another tenant's agent: 404
    if profile.user_id == p.user_id:
        raise Problem(409, "That is your own call.", code="own_call")
    seat = await seat_of_user(db, p.tenant_id, p.user_id) or ""
    await db.commit()  # do not hold a transaction open while callcontrol works
    return await cti.supervise(get_redis(), p.tenant_id, profile, action, seat)


async def hello(ctx: cti.AgentContext) -> dict[str, Any]:
    redis = get_redis()
    status = await cti.agent_status(redis, ctx)
    return {
        "type": "hello",
        "agent": ctx.agent_id,
        "extension": ctx.extension,
        "autoAnswer": ctx.profile.auto_answer,
        "maxAcw": ctx.profile.max_acw,
        "reasons": [{"code": r.code, "label": r.label} for r in ctx.reasons],
        "status": cti.status_out(status),
        "queues": await cti.queue_flags(redis, ctx, status.queues),
    }


# ------------------------------------------------------------------------------ WebSockets


async def socket_principal(
    socket: WebSocket[Any, Any, Any], perm: Perm
) -> sessions.Principal | None:
    """Cookie or bearer (resolved by the middleware), or `?token=` (browsers cannot set headers
    on a WebSocket). Closes the socket with a 44xx code when refused."""
    principal: sessions.Principal | None = socket.scope.get("user")
    token = socket.query_params.get("token")
    if principal is None and token:
        principal = await sessions.resolve(get_redis(), token)
    await socket.accept()
    if principal is None:
        await socket.close(code=WS_UNAUTHENTICATED, reason="sign in first")
        return None
    if principal.password_expired or not allowed(principal.role, perm):
        await socket.close(code=WS_FORBIDDEN, reason=f"your role may not use {perm.value}")
        return None
    return principal


class SocketSender:
    """Two tasks write to one socket (events and replies): one at a time."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self.socket = socket
        self.lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            await self.socket.send_json(message)


async def stream_tail(tenant_id: UUID) -> str:
    tail = await get_redis().xrevrange(events_stream(tenant_id), count=1)
    return str(tail[0][0]) if tail else "0-0"


@websocket("/api/v1/cti/ws", opt={"public": True})
async def cti_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """The agent's live feed and command channel. Public route: it authenticates itself
    (a WebSocket cannot receive a problem+json), and closes with 4401/4403/4404."""
    principal = await socket_principal(socket, Perm.CTI)
    if principal is None:
        return
    try:
        async with tenant_session(principal.tenant_id) as session:
            ctx = await cti.load_context(session, principal.tenant_id, principal.user_id)
    except HTTPException:
        await socket.close(code=WS_NOT_AGENT, reason="you have no agent profile")
        return
    after = await stream_tail(ctx.tenant_id)
    sender = SocketSender(socket)
    first = await hello(ctx)
    feed = cti.AgentFeed(ctx, set(first["status"]["queues"]))
    if first["status"]["callId"]:
        feed.calls.add(first["status"]["callId"])
    await sender.send(first)
    pump = asyncio.create_task(_agent_pump(sender, ctx, feed, after))
    try:
        while True:
            message = await socket.receive_json()
            await sender.send(await _answer(ctx, message))
    except WebSocketDisconnect:
        pass
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


async def _answer(ctx: cti.AgentContext, message: Any) -> dict[str, Any]:
    """One command message -> its reply, `{"type": "reply", "id", "ok", ...}`."""
    if not isinstance(message, dict):
        return {
            "type": "reply",
            "id": None,
            "ok": False,
            "status": 400,
            "detail": 'Send JSON objects: {"id": ..., "action": ..., ...}.',
        }
    request_id = message.get("id")
    action = str(message.get("action") or "")
    reply: dict[str, Any] = {"type": "reply", "id": request_id}
    try:
        if action == "status":
            result = await hello(ctx)
        else:
            result = await cti.perform(get_redis(), ctx, action, message)
    except HTTPException as exc:
        return reply | {"ok": False, "status": exc.status_code, "detail": exc.detail}
    return reply | {"ok": True, "result": result}


async def _agent_pump(
    sender: SocketSender, ctx: cti.AgentContext, feed: cti.AgentFeed, after: str
) -> None:
    redis = get_redis()
    try:
        while True:
            for entry_id, fields in await read_events(
                redis, ctx.tenant_id, after, block_ms=BLOCK_MS
            ):
                after = entry_id
                out = await _agent_message(ctx, feed, fields)
                if out is not None:
                    await sender.send(out | {"eventId": entry_id})
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("cti socket feed failed", agent=ctx.agent_id)
        with contextlib.suppress(Exception):
            await sender.socket.close(code=1011, reason="event feed failed")


async def _agent_message(
    ctx: cti.AgentContext, feed: cti.AgentFeed, fields: dict[str, str]
) -> dict[str, Any] | None:
    redis = get_redis()
    if feed.is_my_offer(fields):
        feed.calls.add(fields.get("call", ""))
        return await cti.screen_pop(redis, ctx, fields)
    if fields.get("type") == "queue_busy" and fields.get("queue") not in feed.queues:
        # Supervisors may have moved the agent into a queue since the socket opened.
        status = await cti.agent_status(redis, ctx)
        feed.queues = set(status.queues)
    return feed.view(fields)
