"""Call wrap-up (SEAT-6, DIAL-7 for inbound and internal calls): the agent's disposition code and
note on a call, set from the seat console during or after the call.

Kept beside the call record rather than in it: the agent may wrap up before callcontrol has
written the record (it is written at the call's end, in batches), and the record's writes stay
idempotent and callcontrol's alone. Campaign calls keep their dispositions on the lead attempt
(app/dialer); the call search shows whichever the call has.

Codes are the tenant's (`wrapup_code`, managed by admins); a tenant that has defined none gets
DEFAULT_CODES, so a new tenant's agents can wrap up from the first call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.callcontrol.live import call_key_name
from app.calls.models import CallRecord
from app.db.base import TenantOwned, utcnow
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats.models import Extension
from app.tenants.sessions import Principal

MAX_NOTE = 2000


class WrapupCode(TenantOwned):
    __tablename__ = "wrapup_code"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_wrapup_code_code"),)

    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class CallWrapup(TenantOwned):
    """One per call (`call_key` is callcontrol's id, the call record's `call_key`)."""

    __tablename__ = "call_wrapup"
    __table_args__ = (UniqueConstraint("tenant_id", "call_key", name="uq_call_wrapup_call"),)

    call_key: Mapped[str] = mapped_column(String(100))
    code: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    agent_user_id: Mapped[UUID | None] = mapped_column(nullable=True)
    wrapped_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), default=utcnow)


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    label: str


DEFAULT_CODES = (
    Code("resolved", "Resolved"),
    Code("follow_up", "Follow-up needed"),
    Code("sale", "Sale"),
    Code("complaint", "Complaint"),
    Code("wrong_number", "Wrong number"),
)


async def codes(session: AsyncSession, tenant_id: UUID) -> list[Code]:
    """The tenant's active codes in order, or the defaults when it has defined none."""
    rows = (
        await session.scalars(
            select(WrapupCode)
            .where(WrapupCode.tenant_id == tenant_id)
            .order_by(WrapupCode.position, WrapupCode.code)
        )
    ).all()
    if not rows:
        return list(DEFAULT_CODES)
    return [Code(r.code, r.label) for r in rows if r.active]


async def _call_agent(session: AsyncSession, tenant_id: UUID, call_key: str) -> UUID | None:
    """Who handled the call: the call record when written, else the live call in Redis.
    Problem 404 when neither knows the call (another tenant's key is unknown here too)."""
    record = await session.scalar(
        select(CallRecord.agent_user_id).where(
            CallRecord.tenant_id == tenant_id, CallRecord.call_key == call_key
        )
    )
    if record is not None:
        return record
    exists = await session.scalar(
        select(CallRecord.id).where(
            CallRecord.tenant_id == tenant_id, CallRecord.call_key == call_key
        )
    )
    if exists is not None:
        return None
    live = await get_redis().hgetall(call_key_name(tenant_id, call_key))  # type: ignore[misc]
    if not live:
        raise Problem(404, "No such call.")
    # The live view names the agent's extension; the extension names its user.
    extension = live.get("extension") or ""
    if not extension:
        return None
    user: UUID | None = await session.scalar(
        select(Extension.user_id).where(
            Extension.tenant_id == tenant_id, Extension.number == extension
        )
    )
    return user


async def set_wrapup(
    session: AsyncSession, principal: Principal, call_key: str, code: str, note: str
) -> CallWrapup:
    """Agents wrap up their own calls; supervisors and admins any call of the tenant.
    Again on the same call replaces the code and note (the agent corrected themselves)."""
    tenant_id = principal.tenant_id
    if len(note) > MAX_NOTE:
        raise Problem(400, f"The note is longer than {MAX_NOTE} characters.")
    allowed = {c.code for c in await codes(session, tenant_id)}
    if code not in allowed:
        raise Problem(400, f"Unknown wrap-up code {code!r}; use one of {sorted(allowed)}.")
    agent = await _call_agent(session, tenant_id, call_key)
    if principal.role == "agent" and agent != principal.user_id:
        raise Problem(404, "No such call.")  # not theirs: as if it did not exist
    now = utcnow()
    values = {
        "tenant_id": tenant_id,
        "call_key": call_key,
        "code": code,
        "note": note,
        "agent_user_id": agent or principal.user_id,
        "wrapped_at": now,
        "created_at": now,
        "updated_at": now,
    }
    statement = (
        insert(CallWrapup)
        .values(**values)
        .on_conflict_do_update(
            constraint="uq_call_wrapup_call",
            set_={"code": code, "note": note, "wrapped_at": now, "updated_at": now},
        )
        .returning(CallWrapup)
    )
    wrapup = (await session.scalars(statement)).one()
    await session.commit()
    return wrapup


async def get_wrapup(session: AsyncSession, principal: Principal, call_key: str) -> CallWrapup:
    wrapup = await session.scalar(
        select(CallWrapup).where(
            CallWrapup.tenant_id == principal.tenant_id, CallWrapup.call_key == call_key
        )
    )
    if wrapup is None or (
        principal.role == "agent" and wrapup.agent_user_id != principal.user_id
    ):
        raise Problem(404, "This call has no wrap-up.")
    return wrapup
