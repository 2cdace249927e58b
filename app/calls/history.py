"""REC-2 / REC-5: call history search on any combination of fields, tenant-scoped.

One SELECT joins each CDR with its ready recording, the requesting user's listened mark, the
agent's name, the queue's name and the dialer disposition of the call (the newest lead attempt
with the same call key). `CallFilters` is also what an Excel export job carries, as JSON.

Numbers (DIAL-6): admins and supervisors see E.164; everyone else a masked number. Agents only
ever see their own calls (`CallScope.agent_user_id`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.models import CallRecord, Recording
from app.calls.wrapup import CallWrapup
from app.dialer.leads import mask_number
from app.dialer.models import LeadAttempt
from app.dialer.numbers import NumberError, normalize
from app.ivr_builder.models import SurveyAnswer
from app.lib.problems import Problem
from app.recordings.models import RecordingListen
from app.seats.queues import AcdQueue
from app.tenants.models import Role, User

# Excel exports stop here: a bigger one is a data dump, not a search (narrow the dates).
EXPORT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class CallFilters:
    since: datetime | None = None
    until: datetime | None = None
    agent_user_id: UUID | None = None
    extension: str | None = None
    number: str | None = None  # digits matched anywhere in the calling or called number
    direction: str | None = None
    min_duration: float | None = None  # talk seconds (bridged -> ended)
    queue_id: UUID | None = None
    disposition: str | None = None
    has_recording: bool | None = None
    listened: bool | None = None  # by the requesting user; needs a user
    satisfaction_at_most: int | None = None  # REC-2/REC-6: the call's mean survey score

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, UUID):
                value = str(value)
            out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallFilters:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = data.get(f.name)
            if raw is not None and f.name in ("since", "until"):
                raw = datetime.fromisoformat(raw)
            elif raw is not None and f.name in ("agent_user_id", "queue_id"):
                raw = UUID(raw)
            values[f.name] = raw
        return cls(**values)


@dataclass(frozen=True)
class CallScope:
    """Who is asking: the tenant, the user (listened marks), whether numbers are shown in
    full, and for agents the only agent whose calls they may see."""

    tenant_id: UUID
    user_id: UUID
    reveal_numbers: bool
    agent_user_id: UUID | None = None

    @classmethod
    def for_principal(cls, tenant_id: UUID, user_id: UUID, role: str) -> CallScope:
        return cls(
            tenant_id=tenant_id,
            user_id=user_id,
            reveal_numbers=role in (Role.ADMIN, Role.SUPERVISOR),
            agent_user_id=user_id if role == Role.AGENT else None,
        )


@dataclass
class CallRow:
    record: CallRecord
    recording: Recording | None
    listen: RecordingListen | None
    agent_name: str | None
    queue_name: str | None
    disposition: str | None
    satisfaction: float | None = None  # mean of the call's survey scores (REC-6)


def talk_seconds(record: CallRecord) -> float:
    if record.bridged_at is None or record.ended_at is None:
        return 0.0
    return max(0.0, (record.ended_at - record.bridged_at).total_seconds())


def call_seconds(record: CallRecord) -> float:
    if record.ended_at is None:
        return 0.0
    return max(0.0, (record.ended_at - record.arrived_at).total_seconds())


def shown_number(raw: str, *, reveal: bool) -> str:
    """E.164 when it can be told (else as received) for those who may see it; masked else."""
    if not raw:
        return raw
    try:
        e164 = normalize(raw).e164
    except NumberError:
        e164 = raw
    return e164 if reveal else mask_number(e164)


MASKED_SEARCH_DIGITS = 4  # the digits a masked number shows at its end (mask_number)


def number_digits(typed: str) -> str:
    """What to look for in the stored numbers: the national digits of what was typed."""
    digits = re.sub(r"\D", "", typed)
    if typed.strip().startswith("+86") or (digits.startswith("86") and len(digits) >= 13):
        digits = digits[2:]
    return digits


def _disposition_column() -> Any:
    """The agent's wrap-up of the call (app/calls/wrapup.py), else the dialer's disposition of
    the call's newest lead attempt."""
    wrapped = (
        select(CallWrapup.code)
        .where(
            CallWrapup.tenant_id == CallRecord.tenant_id,
            CallWrapup.call_key == CallRecord.call_key,
        )
        .scalar_subquery()
    )
    attempt = (
        select(LeadAttempt.disposition)
        .where(
            LeadAttempt.tenant_id == CallRecord.tenant_id,
            LeadAttempt.call_key == CallRecord.call_key,
        )
        .order_by(LeadAttempt.started_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(wrapped, attempt)


def _satisfaction_column() -> Any:
    """The mean score of the caller's answers to the post-call survey (REC-6), or NULL."""
    return (
        select(func.avg(SurveyAnswer.score))
        .where(
            SurveyAnswer.tenant_id == CallRecord.tenant_id,
            SurveyAnswer.call_key == CallRecord.call_key,
        )
        .scalar_subquery()
    )


def call_query(scope: CallScope, f: CallFilters) -> Select[Any]:
    t = scope.tenant_id
    disposition = _disposition_column().label("disposition")
    satisfaction = _satisfaction_column().label("satisfaction")
    stmt = (
        select(
            CallRecord,
            Recording,
            RecordingListen,
            User.display_name,
            AcdQueue.name,
            disposition,
            satisfaction,
        )
        .outerjoin(
            Recording,
            and_(
                Recording.tenant_id == t,
                Recording.call_key == CallRecord.call_key,
                Recording.status == "ready",
            ),
        )
        .outerjoin(
            RecordingListen,
            and_(
                RecordingListen.tenant_id == t,
                RecordingListen.recording_id == Recording.id,
                RecordingListen.user_id == scope.user_id,
            ),
        )
        .outerjoin(User, and_(User.tenant_id == t, User.id == CallRecord.agent_user_id))
        .outerjoin(AcdQueue, and_(AcdQueue.tenant_id == t, AcdQueue.id == CallRecord.queue_id))
        .where(CallRecord.tenant_id == t)
    )
    if scope.agent_user_id is not None:
        stmt = stmt.where(CallRecord.agent_user_id == scope.agent_user_id)
    check_number_search(scope, f)
    return _filtered(stmt, f, masked=not scope.reveal_numbers)


def check_number_search(scope: CallScope, f: CallFilters) -> None:
    """DIAL-6: who sees numbers masked (`138****8000`) may search only what they see, the last
    digits: a search on a full number (or on hidden middle digits) would tell them whether a
    customer's real number is the one they guessed. 403 with what is allowed."""
    if scope.reveal_numbers or not f.number:
        return
    if len(number_digits(f.number)) > MASKED_SEARCH_DIGITS:
        raise Problem(
            403,
            f"Numbers are masked for your role: search by their last {MASKED_SEARCH_DIGITS} "
            "digits only.",
            code="number_masked",
        )


def _filtered(stmt: Select[Any], f: CallFilters, *, masked: bool = False) -> Select[Any]:
    if f.since:
        stmt = stmt.where(CallRecord.arrived_at >= f.since)
    if f.until:
        stmt = stmt.where(CallRecord.arrived_at < f.until)
    if f.agent_user_id:
        stmt = stmt.where(CallRecord.agent_user_id == f.agent_user_id)
    if f.extension:
        stmt = stmt.where(CallRecord.extension == f.extension)
    if f.number and (digits := number_digits(f.number)):
        like = f"%{digits}" if masked else f"%{digits}%"  # masked: the visible end only
        stmt = stmt.where(CallRecord.from_number.like(like) | CallRecord.to_number.like(like))
    if f.direction:
        stmt = stmt.where(CallRecord.direction == f.direction)
    if f.min_duration:
        talk = func.extract("epoch", CallRecord.ended_at - CallRecord.bridged_at)
        stmt = stmt.where(talk >= f.min_duration)
    if f.queue_id:
        stmt = stmt.where(CallRecord.queue_id == f.queue_id)
    if f.disposition:
        stmt = stmt.where(_disposition_column() == f.disposition)
    if f.satisfaction_at_most is not None:
        stmt = stmt.where(_satisfaction_column() <= f.satisfaction_at_most)
    if f.has_recording is not None:
        stmt = stmt.where(Recording.id.is_not(None) if f.has_recording else Recording.id.is_(None))
    if f.listened is not None:
        mark = RecordingListen.id.is_not(None)
        stmt = stmt.where(mark if f.listened else (~mark & Recording.id.is_not(None)))
    return stmt


def _row(values: Any) -> CallRow:
    record, recording, listen, agent_name, queue_name, disposition, satisfaction = values
    score = round(float(satisfaction), 2) if satisfaction is not None else None
    return CallRow(record, recording, listen, agent_name, queue_name, disposition, score)


async def search_calls(
    session: AsyncSession, scope: CallScope, f: CallFilters, *, limit: int, offset: int
) -> tuple[list[CallRow], int]:
    stmt = call_query(scope, f)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(CallRecord.arrived_at.desc(), CallRecord.id).limit(limit).offset(offset)
    return [_row(v) for v in (await session.execute(page)).all()], int(total)


async def find_call(session: AsyncSession, scope: CallScope, call_id: UUID) -> CallRow | None:
    """One call of the scope's tenant (and, for an agent, their own), else None (a 404)."""
    stmt = call_query(scope, CallFilters()).where(CallRecord.id == call_id)
    values = (await session.execute(stmt)).first()
    return _row(values) if values is not None else None


async def find_recording_call(
    session: AsyncSession, scope: CallScope, recording_id: UUID
) -> CallRow | None:
    stmt = call_query(scope, CallFilters()).where(Recording.id == recording_id)
    values = (await session.execute(stmt)).first()
    return _row(values) if values is not None else None


async def export_rows(session: AsyncSession, scope: CallScope, f: CallFilters) -> list[CallRow]:
    stmt = call_query(scope, f).order_by(CallRecord.arrived_at, CallRecord.id)
    return [_row(v) for v in (await session.execute(stmt.limit(EXPORT_MAX_ROWS))).all()]
