"""REC-5: a call search exported to Excel (.xlsx, openpyxl write-only), run by a worker.

The export applies the requester's scope: masked numbers for those who may not see them,
an agent's own calls only. Headers in the requester's language (zh-CN or en).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from app.calls.history import (
    CallFilters,
    CallRow,
    CallScope,
    call_seconds,
    export_rows,
    shown_number,
    talk_seconds,
)
from app.db.session import tenant_session

COLUMNS: list[tuple[str, str, str]] = [
    ("arrivedAt", "Arrived (UTC)", "呼入/呼出时间 (UTC)"),
    ("direction", "Direction", "方向"),
    ("from", "From", "主叫"),
    ("to", "To", "被叫"),
    ("agent", "Agent", "坐席"),
    ("extension", "Extension", "分机"),
    ("queue", "Queue", "队列"),
    ("disposition", "Disposition", "处理结果"),
    ("duration", "Duration (s)", "时长 (秒)"),
    ("talk", "Talk (s)", "通话时长 (秒)"),
    ("hangup", "Hang-up", "挂机原因"),
    ("recording", "Recording", "录音"),
    ("callKey", "Call id", "通话编号"),
]


def row_values(row: CallRow, reveal: bool) -> list[Any]:
    r = row.record
    return [
        r.arrived_at.replace(tzinfo=None),  # Excel has no time zones: UTC, said in the header
        r.direction,
        shown_number(r.from_number, reveal=reveal),
        shown_number(r.to_number, reveal=reveal),
        row.agent_name or "",
        r.extension or "",
        row.queue_name or "",
        row.disposition or "",
        round(call_seconds(r), 1),
        round(talk_seconds(r), 1),
        f"{r.hangup_cause} ({r.hangup_side})" if r.hangup_side else r.hangup_cause,
        "yes" if row.recording is not None else "",
        r.call_key,
    ]


def workbook_bytes(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for values in rows:
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def build_calls_xlsx(scope: CallScope, filters: CallFilters, lang: str) -> tuple[bytes, int]:
    async with tenant_session(scope.tenant_id) as session:
        rows = await export_rows(session, scope, filters)
    zh = lang.lower().startswith("zh")
    header = [zh_name if zh else en for _, en, zh_name in COLUMNS]
    data = [row_values(row, scope.reveal_numbers) for row in rows]
    return workbook_bytes("通话记录" if zh else "Calls", header, data), len(rows)
