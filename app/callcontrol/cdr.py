"""CDRs written in batches, off the call's set-up path.

`app.calls.services.save_call_record` opens an ORM session per call; at a few hundred calls a
second that session was a large part of callcontrol's CPU (bench/sip_setup.py --profile). Here
the CDRs of calls ending at about the same time go in one transaction per tenant: one
`set_config('app.tenant_id')` (RLS still applies, as in `tenant_session`) and one multi-row
INSERT ... ON CONFLICT (tenant_id, call_key) DO UPDATE, so a retried write updates the same row.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any
from uuid import UUID

from sqlalchemy import func, text
from sqlalchemy.dialects.postgresql import insert

from app.calls.models import CallRecord
from app.calls.services import with_retries
from app.db.session import get_engine

# Columns a retried write may change; the id and created_at of the first write stay.
NOT_UPDATED = frozenset({"tenant_id", "call_key", "id", "created_at"})
MAX_BATCH = 200

_Pending = tuple[dict[str, Any], "asyncio.Future[UUID]"]


class CdrWriter:
    """Queue CDRs (`save` waits for its row id); one flush runs at a time per process loop."""

    def __init__(self) -> None:
        self.pending: list[_Pending] = []
        self.flushing: asyncio.Task[None] | None = None

    async def save(self, values: dict[str, Any]) -> UUID:
        done: asyncio.Future[UUID] = asyncio.get_running_loop().create_future()
        self.pending.append((values, done))
        if self.flushing is None:
            self.flushing = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                by_tenant: dict[UUID, list[_Pending]] = defaultdict(list)
                for item in batch:
                    by_tenant[item[0]["tenant_id"]].append(item)
                for tenant_id, items in by_tenant.items():
                    await self._write_tenant(tenant_id, items)
        finally:
            self.flushing = None

    async def _write_tenant(self, tenant_id: UUID, items: list[_Pending]) -> None:
        # A call's CDR is written once, but keep the last values should a key come twice:
        # one statement may not update the same row twice.
        rows = {values["call_key"]: values for values, _ in items}
        try:
            ids = await with_retries(lambda: _upsert(tenant_id, list(rows.values())))
        except Exception as exc:
            for _, done in items:
                if not done.done():
                    done.set_exception(exc)
            return
        for values, done in items:
            if not done.done():
                done.set_result(ids[values["call_key"]])


def _upsert_statement(columns: list[str]) -> Any:
    base = insert(CallRecord)
    return base.on_conflict_do_update(
        constraint="uq_call_record_key",
        set_={k: base.excluded[k] for k in columns if k not in NOT_UPDATED}
        | {"updated_at": func.now()},
    ).returning(CallRecord.call_key, CallRecord.id)


# One statement per set of columns (`Call.cdr_values` always gives the same): executed with a
# list of rows (SQLAlchemy's "insertmanyvalues"), it compiles once whatever the batch size.
_upserts: dict[tuple[str, ...], Any] = {}


async def _upsert(tenant_id: UUID, rows: list[dict[str, Any]]) -> dict[str, UUID]:
    async with get_engine().begin() as conn:
        await conn.execute(
            text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)}
        )
        columns = tuple(rows[0])
        stmt = _upserts.get(columns)
        if stmt is None:
            stmt = _upserts[columns] = _upsert_statement(list(columns))
        result = await conn.execute(stmt, rows)
        return {row.call_key: row.id for row in result}
