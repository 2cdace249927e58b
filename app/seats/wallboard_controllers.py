"""Supervisor wallboard (SEAT-8): `GET /api/v1/wallboard` and the live `/api/v1/wallboard/ws`."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog
from litestar import Request, WebSocket, get, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.params import QueryParameter

from app.db.deps import DbSession
from app.db.session import tenant_session
from app.lib.events import read_events
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats.cti_controllers import BLOCK_MS, SocketSender, socket_principal
from app.seats.wallboard import Wallboard, load_directory
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm

log = structlog.get_logger(__name__)

DEFAULT_TZ = "Asia/Shanghai"  # where "today" starts, unless the wallboard asks otherwise
Tz = Annotated[str, QueryParameter(max_length=64, description="IANA zone that defines 'today'")]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Problem(400, f"Unknown time zone {name!r}.") from exc


async def _board(tenant_id: UUID, db: Any, tz: ZoneInfo) -> Wallboard:
    board = Wallboard(get_redis(), tenant_id, await load_directory(db, tenant_id), tz)
    await board.load()
    return board


@get("/api/v1/wallboard", opt={"permission": Perm.WALLBOARD}, tags=["wallboard"])
async def wallboard_snapshot(
    request: Request[Any, Any, Any], db_session: DbSession, tz: Tz = DEFAULT_TZ
) -> dict[str, Any]:
    """Every agent (state, reason, time in state, calls today) and every queue (waiting,
    longest wait, answered/abandoned today, service level)."""
    tenant_id = current_principal(request).tenant_id
    board = await _board(tenant_id, db_session, _zone(tz))
    return await board.snapshot()


@websocket("/api/v1/wallboard/ws", opt={"public": True})
async def wallboard_socket(socket: WebSocket[Any, Any, Any]) -> None:
    """A snapshot, then one `agent` or `queue` row per change, from the event stream.
    Authenticates itself (cookie, bearer or `?token=`); supervisors and admins only."""
    principal = await socket_principal(socket, Perm.WALLBOARD)
    if principal is None:
        return
    try:
        tz = _zone(socket.query_params.get("tz") or DEFAULT_TZ)
    except Problem:
        await socket.close(code=4400, reason="unknown time zone")
        return
    async with tenant_session(principal.tenant_id) as session:
        board = await _board(principal.tenant_id, session, tz)
    sender = SocketSender(socket)
    await sender.send(await board.snapshot())
    pump = asyncio.create_task(_board_pump(sender, board))
    try:
        while True:
            message = await socket.receive_json()
            if isinstance(message, dict) and message.get("action") == "snapshot":
                await sender.send(await board.snapshot() | {"id": message.get("id")})
    except WebSocketDisconnect:
        pass
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pump


async def _board_pump(sender: SocketSender, board: Wallboard) -> None:
    try:
        while True:
            entries = await read_events(
                board.redis, board.tenant_id, board.last_id, block_ms=BLOCK_MS
            )
            for entry_id, fields in entries:
                board.last_id = entry_id
                for update in await board.on_event(fields):
                    await sender.send(update | {"eventId": entry_id})
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("wallboard feed failed", tenant=str(board.tenant_id))
        with contextlib.suppress(Exception):
            await sender.socket.close(code=1011, reason="event feed failed")
