"""Wrap-up API (app/calls/wrapup.py): the agent's disposition and note on a call.

- `GET /api/v1/calls/wrapup-codes` (cti): the codes the seat console offers;
- `PUT /api/v1/calls/{call_key}/wrapup` (cti): set or correct a call's wrap-up; agents only on
  their own calls (another's is 404), supervisors and admins on any;
- `GET /api/v1/calls/{call_key}/wrapup` (cti);
- `PUT /api/v1/wrapup-codes` (settings.write): replace the tenant's list of codes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import delete

from app.calls import wrapup
from app.db.deps import DbSession
from app.lib.problems import Problem
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm
from app.tenants.schemas import Camel

CALL_KEY = re.compile(r"^[A-Za-z0-9_.@-]{1,100}$")
CodeName = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]


class WrapupIn(Camel):
    code: CodeName
    note: Annotated[str, msgspec.Meta(max_length=wrapup.MAX_NOTE)] = ""


class WrapupOut(Camel):
    call_key: str
    code: str
    note: str
    agent_user_id: str | None
    wrapped_at: str


class CodeIn(Camel):
    code: CodeName
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    active: bool = True


class CodeOut(Camel):
    code: str
    label: str


def _wrapup_out(row: wrapup.CallWrapup) -> WrapupOut:
    return WrapupOut(
        call_key=row.call_key,
        code=row.code,
        note=row.note,
        agent_user_id=str(row.agent_user_id) if row.agent_user_id else None,
        wrapped_at=row.wrapped_at.isoformat(),
    )


class WrapupController(Controller):
    path = "/api/v1"
    tags = ["calls"]

    @get("/calls/wrapup-codes", opt={"permission": Perm.CTI})
    async def list_codes(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[CodeOut]:
        tenant_id = current_principal(request).tenant_id
        return [CodeOut(c.code, c.label) for c in await wrapup.codes(db_session, tenant_id)]

    @put("/wrapup-codes", opt={"permission": Perm.SETTINGS_WRITE})
    async def replace_codes(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[list[CodeIn]]
    ) -> list[CodeOut]:
        """The whole list, in the order the console shows it. An empty list brings the
        built-in defaults back."""
        tenant_id = current_principal(request).tenant_id
        if len({c.code for c in data}) != len(data):
            raise Problem(400, "Each code may appear once.")
        await db_session.execute(
            delete(wrapup.WrapupCode).where(wrapup.WrapupCode.tenant_id == tenant_id)
        )
        for position, c in enumerate(data):
            db_session.add(
                wrapup.WrapupCode(
                    tenant_id=tenant_id,
                    code=c.code,
                    label=c.label,
                    position=position,
                    active=c.active,
                )
            )
        await db_session.flush()
        found = await wrapup.codes(db_session, tenant_id)
        await db_session.commit()
        return [CodeOut(c.code, c.label) for c in found]

    @put("/calls/{call_key:str}/wrapup", opt={"permission": Perm.CTI})
    async def set_wrapup(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        call_key: FromPath[str],
        data: JSONBody[WrapupIn],
    ) -> WrapupOut:
        if not CALL_KEY.match(call_key):
            raise Problem(404, "No such call.")
        row = await wrapup.set_wrapup(
            db_session, current_principal(request), call_key, data.code, data.note
        )
        return _wrapup_out(row)

    @get("/calls/{call_key:str}/wrapup", opt={"permission": Perm.CTI})
    async def get_wrapup(
        self, request: Request[Any, Any, Any], db_session: DbSession, call_key: FromPath[str]
    ) -> WrapupOut:
        row = await wrapup.get_wrapup(db_session, current_principal(request), call_key)
        return _wrapup_out(row)
