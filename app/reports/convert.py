"""Report figures -> wire format and spreadsheet rows."""

from __future__ import annotations

from typing import Any

from app.reports import schemas as s
from app.reports.services import AgentFigures, QueueFigures, Report, ReportQuery


def range_out(q: ReportQuery) -> s.ReportRange:
    return s.ReportRange(
        since=q.since, until=q.until, period=q.period, tz=q.tz, sl_seconds=q.sl_seconds
    )


def agent_out(f: AgentFigures) -> s.AgentFiguresOut:
    return s.AgentFiguresOut(
        agent_id=f.agent_id,
        agent_name=f.agent_name,
        bucket=f.bucket,
        calls=f.calls,
        answered=f.answered,
        answered_outbound=f.answered_outbound,
        sales=f.sales,
        talk_seconds=round(f.talk_seconds, 3),
        avg_handle_seconds=round(f.avg_handle_seconds, 3),
    )


def queue_out(f: QueueFigures) -> s.QueueFiguresOut:
    return s.QueueFiguresOut(
        queue_id=f.queue_id,
        queue_name=f.queue_name,
        bucket=f.bucket,
        offered=f.offered,
        answered=f.answered,
        abandoned=f.abandoned,
        answered_in_sl=f.answered_in_sl,
        service_level=round(f.service_level, 4),
        avg_wait_seconds=round(f.avg_wait_seconds, 3),
        avg_answer_seconds=round(f.avg_answer_seconds, 3),
        longest_wait_seconds=round(f.longest_wait_seconds, 3),
    )


def agent_report_out(r: Report[AgentFigures]) -> s.AgentReportOut:
    return s.AgentReportOut(
        range=range_out(r.query),
        totals=[agent_out(f) for f in r.totals],
        series=[agent_out(f) for f in r.series],
    )


def queue_report_out(r: Report[QueueFigures]) -> s.QueueReportOut:
    return s.QueueReportOut(
        range=range_out(r.query),
        totals=[queue_out(f) for f in r.totals],
        series=[queue_out(f) for f in r.series],
    )


AGENT_HEADER = {
    "en": [
        "Period",
        "Agent",
        "Calls",
        "Answered",
        "Answered outbound",
        "Sales",
        "Talk (s)",
        "AHT (s)",
    ],
    "zh": [
        "周期",
        "坐席",
        "呼叫数",
        "接通数",
        "外呼接通数",
        "成交数",
        "通话时长 (秒)",
        "平均处理时长 (秒)",
    ],
}
QUEUE_HEADER = {
    "en": [
        "Period",
        "Queue",
        "Offered",
        "Answered",
        "Abandoned",
        "Service level",
        "Avg wait (s)",
        "Avg answer (s)",
        "Longest wait (s)",
    ],
    "zh": [
        "周期",
        "队列",
        "进线数",
        "接通数",
        "放弃数",
        "服务水平",
        "平均等待 (秒)",
        "平均应答 (秒)",
        "最长等待 (秒)",
    ],
}


def agent_rows(r: Report[AgentFigures], total_label: str) -> list[list[Any]]:
    def row(f: AgentFigures) -> list[Any]:
        period = f.bucket.isoformat() if f.bucket else total_label
        return [period, f.agent_name, f.calls, f.answered, f.answered_outbound, f.sales,
                round(f.talk_seconds, 1), round(f.avg_handle_seconds, 1)]  # fmt: skip

    return [row(f) for f in r.series] + [row(f) for f in r.totals]


def queue_rows(r: Report[QueueFigures], total_label: str) -> list[list[Any]]:
    def row(f: QueueFigures) -> list[Any]:
        period = f.bucket.isoformat() if f.bucket else total_label
        return [period, f.queue_name, f.offered, f.answered, f.abandoned,
                round(f.service_level, 4), round(f.avg_wait_seconds, 1),
                round(f.avg_answer_seconds, 1), round(f.longest_wait_seconds, 1)]  # fmt: skip

    return [row(f) for f in r.series] + [row(f) for f in r.totals]
