"""Actors run at most once per (tenant, key): a retried or duplicated message finds the job
already done and returns its stored result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.db.session import tenant_session
from app.tenants.models import JobRun


async def register_job(tenant_id: UUID, key: str, actor: str) -> JobRun:
    """Create the job row (status queued) unless it exists; return the row."""
    async with tenant_session(tenant_id) as session:
        await session.execute(
            insert(JobRun)
            .values(tenant_id=tenant_id, key=key, actor=actor, status="queued", result={})
            .on_conflict_do_nothing(constraint="uq_job_run_key")
        )
        return (
            await session.scalars(
                select(JobRun).where(JobRun.tenant_id == tenant_id, JobRun.key == key)
            )
        ).one()


async def run_once(
    tenant_id: UUID, key: str, actor: str, work: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    job = await register_job(tenant_id, key, actor)
    if job.status == "done":
        return job.result
    result = await work()
    async with tenant_session(tenant_id) as session:
        row = (
            await session.scalars(
                select(JobRun)
                .where(JobRun.tenant_id == tenant_id, JobRun.key == key)
                .with_for_update()
            )
        ).one()
        if row.status == "done":  # a concurrent duplicate finished first: keep its result
            return row.result
        row.status, row.result, row.finished_at = "done", result, datetime.now(UTC)
    return result


async def job_status(tenant_id: UUID, key: str) -> JobRun | None:
    async with tenant_session(tenant_id) as session:
        return await session.scalar(
            select(JobRun).where(JobRun.tenant_id == tenant_id, JobRun.key == key)
        )
