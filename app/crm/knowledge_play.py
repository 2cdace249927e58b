"""CRM-4: an agent plays a knowledge-base recording to the caller on their current call.

The command goes to callcontrol over the CTI command channel (app/seats/cti_commands.py) as
`play_audio` (args `callId`, `articleId`) or `stop_audio`; callcontrol (control.py) finds the
file itself from the tenant of the command list and the article id, so a request can never
name another tenant's file or an arbitrary path.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from app.crm.knowledge import KnowledgeArticle
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats import cti
from app.seats.acd import AgentState
from app.seats.cti_commands import CallcontrolUnavailable, call_command

CONNECTED = (AgentState.TALKING,)


async def _agent_call(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> tuple[Any, str]:
    ctx = await cti.load_context(session, tenant_id, user_id)
    status = await cti.agent_status(get_redis(), ctx)
    if status.state is AgentState.HOLD:
        raise Problem(409, "Your caller is on hold: resume the call first.", code="on_hold")
    if status.state not in CONNECTED or not status.call_id:
        raise Problem(409, f"You are {status.state.value}: there is no caller to play to.",
                      code="no_call")  # fmt: skip
    return ctx, status.call_id


async def _send(ctx: Any, name: str, call_id: str, **args: Any) -> dict[str, Any]:
    forward = {"agent": ctx.agent_id, "extension": ctx.extension or "", "callId": call_id}
    try:
        reply = await call_command(get_redis(), ctx.tenant_id, name, forward | args)
    except CallcontrolUnavailable as exc:
        raise Problem(503, f"Callcontrol is not available ({exc}); try again shortly.",
                      code="callcontrol_unavailable") from exc  # fmt: skip
    if not reply.ok:
        raise Problem(reply.status if 400 <= reply.status < 600 else 409, reply.error or name)
    return reply.result


async def play(session: AsyncSession, tenant_id: UUID, user_id: UUID,
               article: KnowledgeArticle) -> tuple[str, dict[str, Any]]:  # fmt: skip
    if not article.audio_key:
        raise Problem(409, "This article has no audio to play.", code="no_audio")
    ctx, call_id = await _agent_call(session, tenant_id, user_id)
    return call_id, await _send(ctx, "play_audio", call_id, articleId=str(article.id))


async def stop(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> tuple[str, dict[str, Any]]:
    ctx, call_id = await _agent_call(session, tenant_id, user_id)
    return call_id, await _send(ctx, "stop_audio", call_id)
