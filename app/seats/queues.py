"""ACD queues in Postgres (the durable truth) and their sync into the Redis ACD (SEAT-3..5, TEN-5).

Postgres holds the configuration; Redis holds what the ACD runs on (ARCHITECTURE "State and
truth"). Every change made through the API is written to both in the same request, and
`sync_tenant` rebuilds the whole tenant's ACD configuration from Postgres: callcontrol or a worker
calls it after a Redis loss, and the CTI and wallboard call `ensure_synced`, which runs it when
the marker key `t:<tenant>:acd:synced` is missing (Redis was flushed or restarted empty).
"""

from __future__ import annotations

from uuid import UUID

from redis.asyncio import Redis
from sqlalchemy import Boolean, Float, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned
from app.db.repository import TenantRepository
from app.db.session import tenant_session
from app.lib.keys import tenant_key
from app.seats.acd import (
    Acd,
    AcdError,
    NoAnswer,
    Overflow,
    OverflowKind,
    QueueConfig,
    Strategy,
)


class AcdQueue(TenantOwned):
    """A queue of one business. Its ACD id is `str(id)`."""

    __tablename__ = "acd_queue"
    __table_args__ = (UniqueConstraint("tenant_id", "name", name="uq_acd_queue_name"),)

    name: Mapped[str] = mapped_column(String(100))
    business_id: Mapped[UUID] = mapped_column()
    strategy: Mapped[str] = mapped_column(String(20), default=Strategy.LONGEST_IDLE.value)
    ring_timeout: Mapped[float] = mapped_column(Float, default=20.0)
    max_wait: Mapped[float] = mapped_column(Float, default=0.0)
    overflow_kind: Mapped[str] = mapped_column(String(20), default=OverflowKind.NONE.value)
    # Queue id (kind queue), voicemail box id or E.164 number (kind external).
    overflow_target: Mapped[str] = mapped_column(String(64), default="")
    skills: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)  # skill -> minimum level
    wrap_up: Mapped[bool] = mapped_column(Boolean, default=True)
    acw_timeout: Mapped[float] = mapped_column(Float, default=30.0)
    no_answer: Mapped[str] = mapped_column(String(20), default=NoAnswer.NOT_READY.value)
    moh_prompt_id: Mapped[UUID | None] = mapped_column(nullable=True)  # music on hold
    announce_position: Mapped[bool] = mapped_column(Boolean, default=True)
    announce_wait: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wallboard service level: the share of calls answered within this many seconds.
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=20)
    # REC-6: the flow a customer is sent into when the agent hangs up first (migration 0008).
    survey_flow_id: Mapped[UUID | None] = mapped_column(nullable=True)

    @property
    def acd_id(self) -> str:
        return str(self.id)

    def to_config(self) -> QueueConfig:
        return QueueConfig(
            queue_id=self.acd_id,
            business_id=str(self.business_id),
            strategy=Strategy(self.strategy),
            ring_timeout=self.ring_timeout,
            max_wait=self.max_wait,
            overflow=Overflow(OverflowKind(self.overflow_kind), self.overflow_target),
            skills=dict(self.skills),
            wrap_up=self.wrap_up,
            acw_timeout=self.acw_timeout,
            no_answer=NoAnswer(self.no_answer),
        )


class QueueMember(TenantOwned):
    """An agent (profile) in a queue; `priority` orders agents for the priority strategy."""

    __tablename__ = "acd_queue_member"
    __table_args__ = (
        UniqueConstraint("tenant_id", "queue_id", "agent_id", name="uq_acd_queue_member"),
    )

    queue_id: Mapped[UUID] = mapped_column()
    agent_id: Mapped[UUID] = mapped_column()  # agent_profile.id
    priority: Mapped[int] = mapped_column(Integer, default=0)


class QueueRepository(TenantRepository[AcdQueue]):
    model_type = AcdQueue


class MemberRepository(TenantRepository[QueueMember]):
    model_type = QueueMember


def acd_for(redis: Redis, tenant_id: UUID) -> Acd:
    return Acd(redis, tenant_id)


def synced_marker(tenant_id: UUID) -> str:
    return tenant_key(tenant_id, "acd", "synced")


async def drop_queue(acd: Acd, queue_id: str, members: list[str]) -> None:
    """Take a deleted queue out of Redis: members first, then its keys.

    The engine has no delete operation; with no members and no waiting calls (the API checks
    that first) nothing else refers to these keys.
    """
    for agent in members:
        await acd.remove_member(queue_id, agent)
    base = tenant_key(acd.tenant_id, "acd", "queue", queue_id)
    await acd.redis.delete(base, f"{base}:members", f"{base}:stats", f"{base}:ready")


def _overflow_order(queues: list[AcdQueue]) -> list[AcdQueue]:
    """Queues that others overflow into first: the ACD checks an overflow target exists."""
    by_id = {q.acd_id: q for q in queues}
    done: dict[str, AcdQueue] = {}

    def visit(q: AcdQueue, depth: int) -> None:
        if q.acd_id in done or depth > len(queues):
            return
        target = by_id.get(q.overflow_target) if q.overflow_kind == OverflowKind.QUEUE else None
        if target is not None:
            visit(target, depth + 1)
        done[q.acd_id] = q

    for q in queues:
        visit(q, 0)
    return list(done.values())


async def sync_tenant(redis: Redis, tenant_id: UUID) -> dict[str, int]:
    """Load the tenant's queues, agents and memberships from Postgres into the Redis ACD.

    Idempotent; live state (agent states, waiting calls) is kept. Memberships found in Redis
    but not in Postgres are removed. Returns counts, for logs and tests.
    """
    from app.seats.agents import AgentProfile  # the agents module imports this one

    async with tenant_session(tenant_id) as session:
        queues = list(await session.scalars(select(AcdQueue)))
        agents = list(await session.scalars(select(AgentProfile)))
        members = list(await session.scalars(select(QueueMember)))
    acd = acd_for(redis, tenant_id)
    for queue in _overflow_order(queues):
        await acd.put_queue(queue.to_config())
    wanted: dict[str, dict[str, int]] = {str(a.user_id): {} for a in agents}
    agent_of = {a.id: str(a.user_id) for a in agents}
    queue_of = {q.id: q.acd_id for q in queues}
    for m in members:
        wanted[agent_of[m.agent_id]][queue_of[m.queue_id]] = m.priority
    for profile in agents:
        agent = str(profile.user_id)
        await _sync_agent(
            acd, agent, str(profile.business_id), profile.skills, wanted[agent], profile.max_acw
        )
    await redis.set(synced_marker(tenant_id), "1")
    return {"queues": len(queues), "agents": len(agents), "members": len(members)}


async def _sync_agent(
    acd: Acd,
    agent: str,
    business: str,
    skills: dict[str, int],
    queues: dict[str, int],
    max_acw: float | None = None,
) -> None:
    # Leave the old business's queues before moving the agent (the ACD refuses otherwise).
    current: tuple[str, ...] = ()
    try:
        current = (await acd.agent_status(agent)).queues
    except AcdError:
        pass
    for q in current:
        if q not in queues:
            await acd.remove_member(q, agent)
    await acd.put_agent(agent, business, skills, max_acw=max_acw)
    for q, priority in queues.items():
        await acd.add_member(q, agent, priority)


async def ensure_synced(redis: Redis, tenant_id: UUID) -> None:
    """Rebuild the tenant's ACD configuration if Redis lost it."""
    if not await redis.exists(synced_marker(tenant_id)):
        await sync_tenant(redis, tenant_id)


async def queue_has_live_calls(acd: Acd, queue_id: str) -> bool:
    try:
        status = await acd.queue_status(queue_id)
    except AcdError:
        return False
    return status.waiting > 0
