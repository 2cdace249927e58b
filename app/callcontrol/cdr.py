"""CDRs written in batches, off the call's set-up path.

`app.calls.services.save_call_record` opens an ORM session per call; at a few hundred calls a
second that session was a large part of callcontrol's CPU (bench/sip_setup.py --profile). Here
the CDRs of calls ending at about the same time go in one transaction per tenant: one
`set_config('app.tenant_id')` (RLS still applies, as in `tenant_session`) and one multi-row
INSERT ... ON CONFLICT (tenant_id, call_key) DO UPDATE, so a retried write updates the same row.
The statement goes straight to asyncpg (see `_upsert_sql`).
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import defaultdict
from typing import Any
from uuid import UUID

from advanced_alchemy.types import GUID, DateTimeUTC
from sqlalchemy import DateTime, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.sql.sqltypes import NullType

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


def _pg_type(column: KeyedColumnElement[Any]) -> str:
    """The Postgres array element type a column's values are sent as (see `_upsert_sql`)."""
    kind = column.type
    if isinstance(kind, (DateTime, DateTimeUTC)):
        return "timestamptz"
    if isinstance(kind, (JSONB, String)):
        return "text"  # JSON goes as text, cast to jsonb in the statement
    if isinstance(kind, (GUID, NullType)):  # ids; tenant_id's type comes from its foreign key
        return "uuid"
    raise ValueError(f"no array type for call_record.{column.key} ({kind})")


@functools.lru_cache(maxsize=8)
def _upsert_sql(columns: tuple[str, ...]) -> str:
    """One INSERT ... SELECT FROM unnest(...) ON CONFLICT DO UPDATE for a batch of any size.

    Built from the table's metadata once per column set and sent to asyncpg as is: asyncpg
    prepares it once per connection. (SQLAlchemy cannot cache a PostgreSQL `insert()` with ON
    CONFLICT: it compiled the statement again for every batch, most of the CDR's CPU cost.)
    """
    table = CallRecord.__table__
    for name in columns:
        if name not in table.c:
            raise ValueError(f"call_record has no column {name!r}")
    casts = {name: "::jsonb" if isinstance(table.c[name].type, JSONB) else "" for name in columns}
    arrays = ", ".join(
        f"${i}::{_pg_type(table.c[name])}[]" for i, name in enumerate(columns, start=1)
    )
    names = ", ".join(columns)
    values = ", ".join(f"r.{name}{casts[name]}" for name in columns)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in columns if name not in NOT_UPDATED)
    return (
        # Names come from the table's metadata (checked above), never from input.
        f"INSERT INTO call_record (id, created_at, updated_at, {names}) "  # noqa: S608
        f"SELECT gen_random_uuid(), now(), now(), {values} FROM unnest({arrays}) AS r({names}) "
        f"ON CONFLICT ON CONSTRAINT uq_call_record_key DO UPDATE SET {updates}, "
        "updated_at = now() RETURNING call_key, id"
    )


def _column_arrays(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> list[list[Any]]:
    table = CallRecord.__table__
    arrays: list[list[Any]] = []
    for name in columns:
        values = [row[name] for row in rows]
        if isinstance(table.c[name].type, JSONB):
            values = [json.dumps(v, separators=(",", ":")) for v in values]
        arrays.append(values)
    return arrays


async def _upsert(tenant_id: UUID, rows: list[dict[str, Any]]) -> dict[str, UUID]:
    columns = tuple(rows[0])
    sql = _upsert_sql(columns)
    async with get_engine().connect() as conn:
        raw = await conn.get_raw_connection()
        pg: Any = raw.driver_connection  # the asyncpg connection
        async with pg.transaction():
            # RLS as in `tenant_session`: the rows must belong to the tenant set here.
            await pg.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))
            result = await pg.fetch(sql, *_column_arrays(columns, rows))
        return {row["call_key"]: row["id"] for row in result}
