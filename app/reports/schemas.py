"""Wire formats of the reports API (REC-4), camelCase JSON, shaped for charts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

Period = Literal["day", "week", "month", "year"]
ReportKind = Literal["agents", "queues"]


class AgentFiguresOut(Camel):
    agent_id: UUID
    agent_name: str
    bucket: date | None  # first day of the day/week/month/year; None in totals
    calls: int
    answered: int
    answered_outbound: int
    sales: int  # calls with a success disposition (DIAL-7)
    talk_seconds: float
    avg_handle_seconds: float


class QueueFiguresOut(Camel):
    queue_id: UUID
    queue_name: str
    bucket: date | None
    offered: int
    answered: int
    abandoned: int
    answered_in_sl: int
    service_level: float  # 0..1
    avg_wait_seconds: float
    avg_answer_seconds: float
    longest_wait_seconds: float


class ReportRange(Camel):
    since: datetime
    until: datetime
    period: Period
    tz: str
    sl_seconds: float


class AgentReportOut(Camel):
    range: ReportRange
    totals: list[AgentFiguresOut]
    series: list[AgentFiguresOut]


class QueueReportOut(Camel):
    range: ReportRange
    totals: list[QueueFiguresOut]
    series: list[QueueFiguresOut]


class ReportExportIn(Camel):
    kind: ReportKind
    since: datetime | None = None
    until: datetime | None = None
    period: Period = "day"
    tz: Annotated[str, msgspec.Meta(max_length=64)] = "Asia/Shanghai"
    sl_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 20.0
