"""Agent profiles (SEAT-2, SEAT-3, SEAT-10, TEN-5) and the tenant's not-ready reasons (SEAT-2).

A profile makes a user an ACD agent: their business, their seat (extension), skills with levels,
auto-answer and a cap on after-call work. The agent's ACD id is `str(user_id)`, so the CTI finds
an agent from the signed-in principal without a lookup, and events name the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Boolean, Float, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned
from app.db.repository import TenantRepository
from app.lib.problems import Problem
from app.seats.models import Extension


class AgentProfile(TenantOwned):
    __tablename__ = "agent_profile"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", name="uq_agent_profile_user"),
        UniqueConstraint("tenant_id", "extension_id", name="uq_agent_profile_extension"),
    )

    user_id: Mapped[UUID] = mapped_column()
    extension_id: Mapped[UUID | None] = mapped_column(nullable=True)  # the seat (SEAT-10)
    business_id: Mapped[UUID] = mapped_column()
    skills: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)  # skill -> level 1..10
    auto_answer: Mapped[bool] = mapped_column(Boolean, default=False)
    max_acw: Mapped[float | None] = mapped_column(Float, nullable=True)  # seconds

    @property
    def acd_id(self) -> str:
        return str(self.user_id)


class NotReadyReason(TenantOwned):
    """A reason code an agent picks when going not ready (break, lunch, training...)."""

    __tablename__ = "not_ready_reason"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_not_ready_reason_code"),)

    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)


class AgentRepository(TenantRepository[AgentProfile]):
    model_type = AgentProfile


class ReasonRepository(TenantRepository[NotReadyReason]):
    model_type = NotReadyReason


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    label: str


# Used until the tenant configures its own list. "no answer" is set by the ACD itself.
DEFAULT_REASONS = (
    Reason("break", "Break"),
    Reason("lunch", "Lunch"),
    Reason("meeting", "Meeting"),
    Reason("training", "Training"),
    Reason("after_call", "Finishing paperwork"),
)


async def reasons(session: AsyncSession, tenant_id: UUID) -> list[Reason]:
    rows = await session.scalars(
        select(NotReadyReason)
        .where(NotReadyReason.tenant_id == tenant_id)
        .order_by(NotReadyReason.position, NotReadyReason.code)
    )
    configured = [Reason(r.code, r.label) for r in rows]
    return configured or list(DEFAULT_REASONS)


async def check_reason(session: AsyncSession, tenant_id: UUID, code: str) -> None:
    codes = [r.code for r in await reasons(session, tenant_id)]
    if code not in codes:
        raise Problem(
            400,
            f"{code!r} is not a not-ready reason of this tenant; use one of: {', '.join(codes)}.",
            code="unknown_reason",
        )


async def profile_of_user(
    session: AsyncSession, tenant_id: UUID, user_id: UUID
) -> AgentProfile | None:
    return await session.scalar(
        select(AgentProfile).where(
            AgentProfile.tenant_id == tenant_id, AgentProfile.user_id == user_id
        )
    )


async def seat_of_user(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> str | None:
    """The number of the active extension a user works on (SEAT-7: where a supervisor listens):
    their agent profile's seat, else an extension bound to them; None when they have none."""
    profile = await profile_of_user(session, tenant_id, user_id)
    if profile is not None and profile.extension_id is not None:
        ext = await session.get(Extension, (tenant_id, profile.extension_id))
        if ext is not None and ext.is_active:
            return ext.number
    number = await session.scalar(
        select(Extension.number)
        .where(
            Extension.tenant_id == tenant_id,
            Extension.user_id == user_id,
            Extension.is_active.is_(True),
        )
        .order_by(Extension.number)
        .limit(1)
    )
    return str(number) if number is not None else None


async def require_profile(session: AsyncSession, tenant_id: UUID, user_id: UUID) -> AgentProfile:
    """The agent profile of a user of this tenant; anything else (another tenant's user, a
    user who is no agent, a made-up id) is the same 404."""
    profile = await profile_of_user(session, tenant_id, user_id)
    if profile is None:
        raise Problem(404, "No such agent: this user has no agent profile.")
    return profile
