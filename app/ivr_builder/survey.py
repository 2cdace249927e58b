"""REC-6: satisfaction survey answers (a survey_question node's key press) and their tallies.

callcontrol (and anything else that runs a flow for a real call) stores an answer with

    await store_survey_answer(tenant_id, call_key=..., flow_id=..., node_id=..,
                              question="satisfaction", answer="5")

One answer per (call, question): a caller asked again, or a retried store, keeps the last one.
The answers are keyed by the call key, which is the CDR's (`call_record.call_key`) and the
recording's: `satisfaction(...)` gives them per call for reports and recordings search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.session import tenant_session
from app.ivr_builder.models import SurveyAnswer


@dataclass(frozen=True, slots=True)
class AnswerFilter:
    question: str | None = None
    flow_id: UUID | None = None
    call_key: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def clauses(self, tenant_id: UUID) -> list[Any]:
        out: list[Any] = [SurveyAnswer.tenant_id == tenant_id]
        if self.question is not None:
            out.append(SurveyAnswer.question == self.question)
        if self.flow_id is not None:
            out.append(SurveyAnswer.flow_id == self.flow_id)
        if self.call_key is not None:
            out.append(SurveyAnswer.call_key == self.call_key)
        if self.since is not None:
            out.append(SurveyAnswer.answered_at >= self.since)
        if self.until is not None:
            out.append(SurveyAnswer.answered_at < self.until)
        return out


@dataclass(slots=True)
class Tally:
    question: str
    total: int = 0
    average: float | None = None  # of the numeric answers
    answers: dict[str, int] = field(default_factory=dict)  # answer -> count


def _score(answer: str) -> int | None:
    return int(answer) if answer.isdigit() and len(answer) <= 6 else None


async def store_survey_answer(tenant_id: UUID, *, call_key: str, node_id: str, question: str,
                              answer: str, flow_id: UUID | None = None,
                              answered_at: datetime | None = None) -> None:  # fmt: skip
    if not call_key or not question or len(answer) > 32:
        raise ValueError("a survey answer needs a call key, a question and an answer <= 32 chars")
    values = {"flow_id": flow_id, "node_id": node_id[:64], "answer": answer,
              "score": _score(answer), "answered_at": answered_at or datetime.now(UTC),
              "updated_at": datetime.now(UTC)}  # fmt: skip
    stmt = insert(SurveyAnswer).values(tenant_id=tenant_id, call_key=call_key,
                                       question=question, created_at=datetime.now(UTC),
                                       **values)  # fmt: skip
    async with tenant_session(tenant_id) as session:
        await session.execute(
            stmt.on_conflict_do_update(constraint="uq_survey_answer_call", set_=values)
        )


async def list_answers(session: AsyncSession, tenant_id: UUID, f: AnswerFilter, *,
                       limit: int, offset: int) -> tuple[list[SurveyAnswer], int]:  # fmt: skip
    where = f.clauses(tenant_id)
    total = await session.scalar(select(func.count()).select_from(SurveyAnswer).where(*where))
    rows = await session.scalars(
        select(SurveyAnswer).where(*where)
        .order_by(SurveyAnswer.answered_at.desc(), SurveyAnswer.id)
        .limit(limit).offset(offset)
    )  # fmt: skip
    return list(rows), total or 0


async def tallies(session: AsyncSession, tenant_id: UUID, f: AnswerFilter) -> list[Tally]:
    """Per question: how many answered, the average score, and the count of each answer."""
    rows = await session.execute(
        select(SurveyAnswer.question, SurveyAnswer.answer, func.count(),
               func.avg(SurveyAnswer.score))
        .where(*f.clauses(tenant_id))
        .group_by(SurveyAnswer.question, SurveyAnswer.answer)
        .order_by(SurveyAnswer.question, SurveyAnswer.answer)
    )  # fmt: skip
    out: dict[str, Tally] = {}
    weighted: dict[str, tuple[float, int]] = {}
    for question, answer, count, avg in rows.tuples():
        tally = out.setdefault(question, Tally(question))
        tally.total += count
        tally.answers[answer] = count
        if avg is not None:
            total, n = weighted.get(question, (0.0, 0))
            weighted[question] = (total + float(avg) * count, n + count)
    for question, (total, n) in weighted.items():
        out[question].average = round(total / n, 2) if n else None
    return list(out.values())


async def satisfaction(session: AsyncSession, tenant_id: UUID,
                       call_keys: Sequence[str]) -> dict[str, dict[str, str]]:  # fmt: skip
    """Each call's survey answers (question -> answer), for the calls' CDRs and recordings."""
    if not call_keys:
        return {}
    rows = await session.execute(
        select(SurveyAnswer.call_key, SurveyAnswer.question, SurveyAnswer.answer).where(
            SurveyAnswer.tenant_id == tenant_id, SurveyAnswer.call_key.in_(list(call_keys))
        )
    )
    out: dict[str, dict[str, str]] = {}
    for key, question, answer in rows.tuples():
        out.setdefault(key, {})[question] = answer
    return out
