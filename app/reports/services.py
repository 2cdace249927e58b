"""REC-4: agent and queue reports, aggregated in SQL from the CDRs (one query each).

Buckets are calendar days / ISO weeks (Monday) / months / years in the report's time zone
(`date_trunc` on the local time of `arrived_at`). Definitions:

- agent report, per agent: `calls` = CDRs with the agent; `answered` = bridged to them;
  `answeredOutbound` = of those, outbound; `sales` = calls whose dialer disposition (the lead
  attempt with the same call key) is a success one; `talkSeconds` = sum of bridged -> end;
  `avgHandleSeconds` = talkSeconds / answered (wrap-up is not in the CDR yet).
- queue report, per queue: `offered` = calls that entered it (`queue_id` set);
  `answered` = bridged; `abandoned` = not bridged and the caller hung up;
  wait = queued -> bridged (answered) or queued -> end (not answered);
  `avgWaitSeconds` over every offered call, `avgAnswerSeconds` over answered calls,
  `longestWaitSeconds`; `serviceLevel` = answered within `slSeconds` / offered (0..1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, Float, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.models import CallRecord
from app.dialer.models import Disposition, LeadAttempt
from app.seats.queues import AcdQueue
from app.tenants.models import User

Period = Literal["day", "week", "month", "year"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "year")
DEFAULT_SL_SECONDS = 20.0
T = TypeVar("T")


class ReportRangeError(ValueError):
    pass


@dataclass(frozen=True)
class ReportQuery:
    tenant_id: UUID
    since: datetime
    until: datetime
    period: Period = "day"
    tz: str = "Asia/Shanghai"
    sl_seconds: float = DEFAULT_SL_SECONDS

    def check(self) -> None:
        if self.until <= self.since:
            raise ReportRangeError("`until` must be after `since`.")
        if (self.until - self.since).days > 366 * 5:
            raise ReportRangeError("A report covers at most five years.")
        if self.period not in PERIODS:
            raise ReportRangeError(f"period must be one of {', '.join(PERIODS)}.")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ReportRangeError(f"unknown time zone {self.tz!r}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "period": self.period,
            "tz": self.tz,
            "slSeconds": self.sl_seconds,
        }

    @classmethod
    def from_json(cls, tenant_id: UUID, data: dict[str, Any]) -> ReportQuery:
        return cls(
            tenant_id=tenant_id,
            since=datetime.fromisoformat(data["since"]),
            until=datetime.fromisoformat(data["until"]),
            period=data.get("period", "day"),
            tz=data.get("tz", "Asia/Shanghai"),
            sl_seconds=float(data.get("slSeconds", DEFAULT_SL_SECONDS)),
        )


@dataclass
class AgentFigures:
    agent_id: UUID
    agent_name: str
    bucket: date | None  # None: the whole range
    calls: int
    answered: int
    answered_outbound: int
    talk_seconds: float
    sales: int = 0

    @property
    def avg_handle_seconds(self) -> float:
        return self.talk_seconds / self.answered if self.answered else 0.0


@dataclass
class QueueFigures:
    queue_id: UUID
    queue_name: str
    bucket: date | None
    offered: int
    answered: int
    abandoned: int
    answered_in_sl: int
    avg_wait_seconds: float
    avg_answer_seconds: float
    longest_wait_seconds: float

    @property
    def service_level(self) -> float:
        return self.answered_in_sl / self.offered if self.offered else 0.0


@dataclass
class Report(Generic[T]):
    query: ReportQuery
    totals: list[T] = field(default_factory=list)
    series: list[T] = field(default_factory=list)


def _bucket(q: ReportQuery) -> Any:
    local = func.timezone(q.tz, CallRecord.arrived_at)
    return cast(func.date_trunc(literal(q.period), local), Date).label("bucket")


def _epoch(interval: Any) -> Any:
    return cast(func.extract("epoch", interval), Float)


def _in_range(q: ReportQuery) -> Any:
    return and_(
        CallRecord.tenant_id == q.tenant_id,
        CallRecord.arrived_at >= q.since,
        CallRecord.arrived_at < q.until,
    )


def _sold_calls(q: ReportQuery) -> Any:
    """Call keys whose lead attempt got a success disposition (DIAL-7 `is_success`)."""
    return (
        select(LeadAttempt.call_key)
        .join(
            Disposition,
            and_(
                Disposition.tenant_id == q.tenant_id,
                Disposition.campaign_id == LeadAttempt.campaign_id,
                Disposition.code == LeadAttempt.disposition,
            ),
        )
        .where(
            LeadAttempt.tenant_id == q.tenant_id,
            LeadAttempt.call_key.is_not(None),
            Disposition.is_success.is_(True),
        )
        .distinct()
        .subquery("sold")
    )


async def agent_report(session: AsyncSession, q: ReportQuery) -> Report[AgentFigures]:
    q.check()
    sold = _sold_calls(q)
    bridged = CallRecord.bridged_at.is_not(None)
    talk = _epoch(CallRecord.ended_at - CallRecord.bridged_at)
    measures = (
        func.count().label("calls"),
        func.count(CallRecord.bridged_at).label("answered"),
        func.count().filter(bridged, CallRecord.direction == "outbound").label("answered_out"),
        func.coalesce(func.sum(talk).filter(bridged, CallRecord.ended_at.is_not(None)), 0.0).label(
            "talk"
        ),
        func.count(sold.c.call_key).label("sales"),
    )
    name = func.coalesce(User.display_name, "").label("name")
    base = (
        select(CallRecord.agent_user_id, name)
        .outerjoin(User, and_(User.tenant_id == q.tenant_id, User.id == CallRecord.agent_user_id))
        .outerjoin(sold, sold.c.call_key == CallRecord.call_key)
        .where(_in_range(q), CallRecord.agent_user_id.is_not(None))
    )
    totals = await session.execute(
        base.add_columns(*measures).group_by(CallRecord.agent_user_id, name).order_by(name)
    )
    bucket = _bucket(q)
    series = await session.execute(
        base.add_columns(bucket, *measures)
        .group_by(CallRecord.agent_user_id, name, bucket)
        .order_by(bucket, name)
    )

    def figures(r: Any, bucket_value: date | None) -> AgentFigures:
        return AgentFigures(
            r.agent_user_id, r.name, bucket_value, r.calls, r.answered, r.answered_out,
            float(r.talk), r.sales,
        )  # fmt: skip

    return Report(
        q,
        totals=[figures(r, None) for r in totals],
        series=[figures(r, r.bucket) for r in series],
    )


async def queue_report(session: AsyncSession, q: ReportQuery) -> Report[QueueFigures]:
    q.check()
    bridged = CallRecord.bridged_at.is_not(None)
    wait = _epoch(func.coalesce(CallRecord.bridged_at, CallRecord.ended_at) - CallRecord.queued_at)
    measures = (
        func.count().label("offered"),
        func.count(CallRecord.bridged_at).label("answered"),
        func.count().filter(~bridged, CallRecord.hangup_side == "customer").label("abandoned"),
        func.count().filter(bridged, wait <= q.sl_seconds).label("in_sl"),
        func.coalesce(func.avg(wait), 0.0).label("avg_wait"),
        func.coalesce(func.avg(wait).filter(bridged), 0.0).label("avg_answer"),
        func.coalesce(func.max(wait), 0.0).label("longest"),
    )
    name = func.coalesce(AcdQueue.name, "").label("name")
    base = (
        select(CallRecord.queue_id, name)
        .outerjoin(
            AcdQueue, and_(AcdQueue.tenant_id == q.tenant_id, AcdQueue.id == CallRecord.queue_id)
        )
        .where(_in_range(q), CallRecord.queue_id.is_not(None), CallRecord.queued_at.is_not(None))
    )
    totals = await session.execute(
        base.add_columns(*measures).group_by(CallRecord.queue_id, name).order_by(name)
    )
    bucket = _bucket(q)
    series = await session.execute(
        base.add_columns(bucket, *measures)
        .group_by(CallRecord.queue_id, name, bucket)
        .order_by(bucket, name)
    )

    def figures(r: Any, bucket_value: date | None) -> QueueFigures:
        return QueueFigures(
            r.queue_id, r.name, bucket_value, r.offered, r.answered, r.abandoned, r.in_sl,
            float(r.avg_wait), float(r.avg_answer), float(r.longest),
        )  # fmt: skip

    return Report(
        q,
        totals=[figures(r, None) for r in totals],
        series=[figures(r, r.bucket) for r in series],
    )
