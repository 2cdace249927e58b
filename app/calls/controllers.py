"""Calls API: CDR search, live calls, click-to-call (API-3, SEAT-6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter
from sqlalchemy import select

from app.billing.credit import may_dial
from app.callcontrol.live import live_calls
from app.calls import masking
from app.calls import schemas as s
from app.calls.models import CallRecord
from app.calls.services import search_call_records, send_command
from app.db.deps import DbSession
from app.lib.numbers import InvalidNumberError, normalize_number
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats.models import Extension
from app.tenants.auth import current_principal
from app.tenants.models import Role
from app.tenants.permissions import Perm
from app.tenants.schemas import Page

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Text = Annotated[str | None, QueryParameter(max_length=64)]
When = Annotated[datetime | None, QueryParameter()]
Dir = Annotated[s.Direction | None, QueryParameter()]


def record_out(r: CallRecord) -> s.CallRecordOut:
    return s.CallRecordOut(
        id=r.id,
        call_key=r.call_key,
        direction=r.direction,
        from_number=r.from_number,
        to_number=r.to_number,
        extension=r.extension,
        agent_user_id=r.agent_user_id,
        arrived_at=r.arrived_at,
        answered_at=r.answered_at,
        bridged_at=r.bridged_at,
        ended_at=r.ended_at,
        hangup_cause=r.hangup_cause,
        hangup_side=r.hangup_side,
        dtmf=r.dtmf,
        legs=r.legs,
    )


def live_out(data: dict[str, Any]) -> s.LiveCallOut:
    return s.LiveCallOut(
        key=data.get("key", ""),
        direction=data.get("direction", ""),
        state=data.get("state", ""),
        from_number=data.get("from", ""),
        to_number=data.get("to", ""),
        extension=data.get("extension", ""),
        arrived_at=data.get("arrivedAt", ""),
        bridged_at=data.get("bridgedAt", ""),
        legs=data.get("legs", []),
    )


class CallController(Controller):
    path = "/api/v1/calls"
    tags = ["calls"]

    @get("/", opt={"permission": Perm.CALLS_READ})
    async def search(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        direction: Dir = None,
        number: Text = None,
        extension: Text = None,
        since: When = None,
        until: When = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.CallRecordOut]:
        """Call records, newest first; `number` matches the calling or called number."""
        tenant_id = current_principal(request).tenant_id
        rows, total = await search_call_records(
            db_session,
            tenant_id,
            limit=limit,
            offset=offset,
            direction=direction,
            number=number,
            extension=extension,
            since=since,
            until=until,
        )
        return Page(items=[record_out(r) for r in rows], total=total, limit=limit, offset=offset)

    @get("/live", opt={"permission": Perm.CALLS_READ})
    async def live(self, request: Request[Any, Any, Any]) -> list[s.LiveCallOut]:
        """Calls in progress (from callcontrol's live state in Redis)."""
        tenant_id = current_principal(request).tenant_id
        return [live_out(c) for c in await live_calls(get_redis(), tenant_id)]

    @post(
        "/click-to-call",
        opt={"permission": Perm.CALLS_CONTROL, "audit_action": "call.click_to_call"},
        status_code=202,
    )
    async def click_to_call(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: JSONBody[s.ClickToCallIn],
    ) -> s.ClickToCallOut:
        """Ring the extension's seat, then dial the number through the tenant's trunk.

        Agents may only use their own extension; supervisors and admins any.
        """
        principal = current_principal(request)
        try:
            number = normalize_number(data.number)
        except InvalidNumberError as exc:
            raise Problem(400, str(exc), code="invalid_number") from exc
        if not (credit := await may_dial(principal.tenant_id)):  # BILL-2 credit limit
            raise Problem(402, credit.reason, code="credit_limit")
        ext = await db_session.scalar(
            select(Extension).where(
                Extension.tenant_id == principal.tenant_id, Extension.number == data.extension
            )
        )
        if ext is None or not ext.is_active:
            raise Problem(404, "No such extension.")
        if principal.role == Role.AGENT and ext.user_id != principal.user_id:
            raise Problem(403, "Agents may only place calls from their own extension.")
        command_id = await send_command(
            get_redis(),
            principal.tenant_id,
            "click_to_call",
            extension=ext.number,
            number=number,
            userId=str(principal.user_id),
        )
        # DIAL-6: agents get the number back masked; admins and supervisors as normalized.
        shown = masking.shown(number, principal.role)
        return s.ClickToCallOut(command_id=command_id, extension=ext.number, number=shown)
