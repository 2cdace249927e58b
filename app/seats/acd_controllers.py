"""ACD configuration API (SEAT-3..5, SEAT-7, TEN-5): queues, agent profiles and their queues,
not-ready reasons. Admins write; supervisors read and move agents between queues.

Each write goes to Postgres (the truth) and, in the same request, to the Redis ACD; if Redis
refuses (e.g. a business mismatch) the database change is rolled back with the request.
Ids in bodies are checked to belong to the caller's tenant: a forged one is a 404.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody
from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.deps import DbSession
from app.lib.numbers import InvalidNumberError, normalize_number
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.seats.acd import AcdError, AgentState, BusinessMismatch, OverflowKind, Strategy
from app.seats.agents import (
    AgentProfile,
    AgentRepository,
    NotReadyReason,
    Reason,
    reasons,
)
from app.seats.models import Extension
from app.seats.queues import (
    AcdQueue,
    MemberRepository,
    QueueMember,
    QueueRepository,
    acd_for,
    drop_queue,
    queue_has_live_calls,
)
from app.seats.services import ExtensionRepository
from app.tenants.auth import current_principal
from app.tenants.controllers.settings import BusinessRepository
from app.tenants.permissions import Perm
from app.tenants.schemas import Camel
from app.tenants.services import UserRepository

READ = {"permission": Perm.ACD_READ}
WRITE = {"permission": Perm.ACD_WRITE}

Skills = dict[str, Annotated[int, msgspec.Meta(ge=0, le=10)]]
SKILL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
Seconds = Annotated[float, msgspec.Meta(ge=0, le=86400)]
QueueName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class QueueIn(Camel):
    name: QueueName
    business_id: UUID
    strategy: Strategy = Strategy.LONGEST_IDLE
    ring_timeout: Annotated[float, msgspec.Meta(gt=0, le=300)] = 20.0
    max_wait: Seconds = 0.0
    overflow_kind: OverflowKind = OverflowKind.NONE
    overflow_target: Annotated[str, msgspec.Meta(max_length=64)] = ""
    skills: Skills = {}
    wrap_up: bool = True
    acw_timeout: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 30.0
    no_answer: Literal["not_ready", "ready"] = "not_ready"
    moh_prompt_id: UUID | None = None
    announce_position: bool = True
    announce_wait: bool = True
    service_level_seconds: Annotated[int, msgspec.Meta(ge=1, le=600)] = 20
    # REC-6: a published IVR flow of the tenant run when the agent hangs up first.
    survey_flow_id: UUID | None = None


class QueueOut(QueueIn):
    id: UUID = msgspec.field(default_factory=lambda: UUID(int=0))


class AgentIn(Camel):
    user_id: UUID
    business_id: UUID
    extension_id: UUID | None = None
    skills: Skills = {}
    auto_answer: bool = False
    max_acw: Annotated[float, msgspec.Meta(ge=0, le=3600)] | None = None


class AgentPatch(Camel):
    business_id: UUID | None = None
    extension_id: UUID | None = None
    skills: Skills | None = None
    auto_answer: bool | None = None
    max_acw: Annotated[float, msgspec.Meta(ge=0, le=3600)] | None = None


class Membership(Camel):
    queue_id: UUID
    priority: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class AgentOut(Camel):
    id: UUID
    user_id: UUID
    business_id: UUID
    extension_id: UUID | None
    extension: str | None
    skills: dict[str, int]
    auto_answer: bool
    max_acw: float | None
    queues: list[Membership]


class ReasonIO(Camel):
    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


def _tenant(request: Request[Any, Any, Any]) -> UUID:
    return current_principal(request).tenant_id


def _check_skills(skills: dict[str, int]) -> None:
    bad = [name for name in skills if not SKILL_NAME.match(name)]
    if bad:
        raise Problem(400, f"Skill names are lower-case letters, digits, - and _: {bad}.")


def _business_conflict(what: str) -> Problem:
    return Problem(409, what, code="business_mismatch")


async def _apply(work: Any) -> None:
    """Run an ACD write; its refusals become the API's 409."""
    try:
        await work
    except BusinessMismatch as exc:
        raise _business_conflict(str(exc)) from exc
    except AcdError as exc:
        raise Problem(409, str(exc)) from exc


# ------------------------------------------------------------------------------ queues


def queue_out(q: AcdQueue) -> QueueOut:
    return QueueOut(
        id=q.id,
        name=q.name,
        business_id=q.business_id,
        strategy=Strategy(q.strategy),
        ring_timeout=q.ring_timeout,
        max_wait=q.max_wait,
        overflow_kind=OverflowKind(q.overflow_kind),
        overflow_target=q.overflow_target,
        skills=dict(q.skills),
        wrap_up=q.wrap_up,
        acw_timeout=q.acw_timeout,
        no_answer="ready" if q.no_answer == "ready" else "not_ready",
        moh_prompt_id=q.moh_prompt_id,
        announce_position=q.announce_position,
        announce_wait=q.announce_wait,
        service_level_seconds=q.service_level_seconds,
        survey_flow_id=q.survey_flow_id,
    )


async def _check_queue(
    db: AsyncSession, tenant_id: UUID, data: QueueIn, self_id: UUID | None
) -> str:
    """Validate references; returns the normalized overflow target."""
    if not await BusinessRepository(session=db, tenant_id=tenant_id).find_by_id(data.business_id):
        raise Problem(404, "No such business.")
    _check_skills(data.skills)
    if data.survey_flow_id is not None:
        from app.ivr_builder.models import IvrFlow

        if await db.get(IvrFlow, (tenant_id, data.survey_flow_id)) is None:
            raise Problem(404, "No such IVR flow for the survey.")
    target = data.overflow_target.strip()
    kind = data.overflow_kind
    if kind is OverflowKind.NONE:
        return ""
    if not target:
        raise Problem(400, f"Overflow to {kind.value} needs an overflowTarget.")
    if kind is OverflowKind.EXTERNAL:
        try:
            return normalize_number(target)
        except InvalidNumberError as exc:
            raise Problem(400, f"Overflow number: {exc}", code="invalid_number") from exc
    if kind is OverflowKind.QUEUE:
        try:
            target_id = UUID(target)
        except ValueError as exc:
            raise Problem(400, "overflowTarget of kind queue is a queue id.") from exc
        if target_id == self_id:
            raise Problem(400, "A queue cannot overflow into itself.")
        other = await QueueRepository(session=db, tenant_id=tenant_id).find_by_id(target_id)
        if other is None:
            raise Problem(404, "No such overflow queue.")
        if other.business_id != data.business_id:
            raise _business_conflict(
                f"Queue {other.name!r} belongs to another business; a queue overflows only "
                "into queues of its own business (TEN-5)."
            )
        return str(target_id)
    return target  # voicemail box


def _fill_queue(q: AcdQueue, data: QueueIn, target: str) -> None:
    for name in (
        "name",
        "business_id",
        "ring_timeout",
        "max_wait",
        "wrap_up",
        "acw_timeout",
        "no_answer",
        "moh_prompt_id",
        "announce_position",
        "announce_wait",
        "service_level_seconds",
        "survey_flow_id",
    ):
        setattr(q, name, getattr(data, name))
    q.strategy = data.strategy.value
    q.overflow_kind = data.overflow_kind.value
    q.overflow_target = target
    q.skills = dict(data.skills)


class QueueController(Controller):
    path = "/api/v1/acd/queues"
    tags = ["acd"]

    @get("/", opt=READ)
    async def list_queues(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[QueueOut]:
        repo = QueueRepository(session=db_session, tenant_id=_tenant(request))
        return [queue_out(q) for q in sorted(await repo.get_many(), key=lambda q: q.name)]

    @get("/{queue_id:uuid}", opt=READ)
    async def get_queue(
        self, request: Request[Any, Any, Any], db_session: DbSession, queue_id: FromPath[UUID]
    ) -> QueueOut:
        repo = QueueRepository(session=db_session, tenant_id=_tenant(request))
        return queue_out(await repo.get_one_by_id(queue_id))

    @post("/", opt=WRITE | {"audit_action": "acd.queue.create", "audit_target": "acd_queue"})
    async def create_queue(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[QueueIn]
    ) -> QueueOut:
        tenant_id = _tenant(request)
        repo = QueueRepository(session=db_session, tenant_id=tenant_id)
        if await repo.get_one_or_none(AcdQueue.name == data.name):
            raise Problem(409, f"A queue named {data.name!r} exists already.")
        target = await _check_queue(db_session, tenant_id, data, None)
        queue = AcdQueue()
        _fill_queue(queue, data, target)
        queue = await repo.add_owned(queue)
        await _apply(acd_for(get_redis(), tenant_id).put_queue(queue.to_config()))
        return queue_out(queue)

    @put(
        "/{queue_id:uuid}",
        opt=WRITE | {"audit_action": "acd.queue.update", "audit_target": "acd_queue"},
    )
    async def update_queue(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        queue_id: FromPath[UUID],
        data: JSONBody[QueueIn],
    ) -> QueueOut:
        """Replace the queue's settings (every field; the portal sends the whole form)."""
        tenant_id = _tenant(request)
        repo = QueueRepository(session=db_session, tenant_id=tenant_id)
        queue = await repo.get_one_by_id(queue_id)
        target = await _check_queue(db_session, tenant_id, data, queue.id)
        if data.business_id != queue.business_id and await _members(db_session, queue.id):
            raise _business_conflict(
                "The queue has agents of its current business: take them out of the queue "
                "before moving it to another business (TEN-5)."
            )
        clash = await repo.get_one_or_none(AcdQueue.name == data.name)
        if clash is not None and clash.id != queue.id:
            raise Problem(409, f"A queue named {data.name!r} exists already.")
        _fill_queue(queue, data, target)
        await db_session.flush()
        await _apply(acd_for(get_redis(), tenant_id).put_queue(queue.to_config()))
        return queue_out(queue)

    @delete(
        "/{queue_id:uuid}",
        opt=WRITE | {"audit_action": "acd.queue.delete", "audit_target": "acd_queue"},
        status_code=204,
    )
    async def delete_queue(
        self, request: Request[Any, Any, Any], db_session: DbSession, queue_id: FromPath[UUID]
    ) -> None:
        tenant_id = _tenant(request)
        repo = QueueRepository(session=db_session, tenant_id=tenant_id)
        queue = await repo.get_one_by_id(queue_id)
        feeder = await repo.get_one_or_none(
            AcdQueue.overflow_kind == OverflowKind.QUEUE.value,
            AcdQueue.overflow_target == queue.acd_id,
        )
        if feeder is not None:
            raise Problem(409, f"Queue {feeder.name!r} overflows into this queue; change it first.")
        acd = acd_for(get_redis(), tenant_id)
        if await queue_has_live_calls(acd, queue.acd_id):
            raise Problem(409, "Calls are waiting in this queue; delete it when it is empty.")
        agents = await _member_agents(db_session, queue.id)
        await repo.delete_by_id(queue_id)  # memberships go with it (ON DELETE CASCADE)
        await db_session.flush()
        await drop_queue(acd, queue.acd_id, agents)


async def _members(db: AsyncSession, queue_id: UUID) -> list[QueueMember]:
    return list(await db.scalars(select(QueueMember).where(QueueMember.queue_id == queue_id)))


async def _member_agents(db: AsyncSession, queue_id: UUID) -> list[str]:
    rows = await db.execute(
        select(AgentProfile.user_id)
        .join(
            QueueMember,
            (QueueMember.agent_id == AgentProfile.id)
            & (QueueMember.tenant_id == AgentProfile.tenant_id),
        )
        .where(QueueMember.queue_id == queue_id)
    )
    return [str(user_id) for (user_id,) in rows]


# ------------------------------------------------------------------------------ agents


async def agent_out(db: AsyncSession, a: AgentProfile) -> AgentOut:
    members = await db.scalars(
        select(QueueMember).where(QueueMember.agent_id == a.id).order_by(QueueMember.priority)
    )
    ext = await db.get(Extension, (a.tenant_id, a.extension_id)) if a.extension_id else None
    return AgentOut(
        id=a.id,
        user_id=a.user_id,
        business_id=a.business_id,
        extension_id=a.extension_id,
        extension=ext.number if ext else None,
        skills=dict(a.skills),
        auto_answer=a.auto_answer,
        max_acw=a.max_acw,
        queues=[Membership(queue_id=m.queue_id, priority=m.priority) for m in members],
    )


async def _check_seat(
    db: AsyncSession, tenant_id: UUID, profile: AgentProfile, extension_id: UUID | None
) -> None:
    """SEAT-10: the agent's seat is an extension of the tenant, of their business, not bound
    to another user or agent. Binding it records the user on the extension."""
    if extension_id is None:
        return
    ext = await ExtensionRepository(session=db, tenant_id=tenant_id).find_by_id(extension_id)
    if ext is None:
        raise Problem(404, "No such extension.")
    if ext.user_id is not None and ext.user_id != profile.user_id:
        raise Problem(409, f"Extension {ext.number} is bound to another user.")
    if ext.business_id is not None and ext.business_id != profile.business_id:
        raise _business_conflict(f"Extension {ext.number} belongs to another business (TEN-5).")
    taken = await db.scalar(
        select(AgentProfile).where(
            AgentProfile.tenant_id == tenant_id,
            AgentProfile.extension_id == extension_id,
            AgentProfile.id != profile.id,
        )
    )
    if taken is not None:
        raise Problem(409, f"Extension {ext.number} is the seat of another agent.")
    ext.user_id = profile.user_id


async def _push_agent(db: AsyncSession, tenant_id: UUID, profile: AgentProfile) -> None:
    await db.flush()
    acd = acd_for(get_redis(), tenant_id)
    await _apply(
        acd.put_agent(
            profile.acd_id, str(profile.business_id), profile.skills, max_acw=profile.max_acw
        )
    )


class AgentController(Controller):
    path = "/api/v1/acd/agents"
    tags = ["acd"]

    @get("/", opt=READ)
    async def list_agents(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[AgentOut]:
        repo = AgentRepository(session=db_session, tenant_id=_tenant(request))
        return [await agent_out(db_session, a) for a in await repo.get_many()]

    @get("/{agent_id:uuid}", opt=READ)
    async def get_agent(
        self, request: Request[Any, Any, Any], db_session: DbSession, agent_id: FromPath[UUID]
    ) -> AgentOut:
        repo = AgentRepository(session=db_session, tenant_id=_tenant(request))
        return await agent_out(db_session, await repo.get_one_by_id(agent_id))

    @post("/", opt=WRITE | {"audit_action": "acd.agent.create", "audit_target": "agent_profile"})
    async def create_agent(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[AgentIn]
    ) -> AgentOut:
        tenant_id = _tenant(request)
        if not await UserRepository(session=db_session, tenant_id=tenant_id).find_by_id(
            data.user_id
        ):
            raise Problem(404, "No such user.")
        if not await BusinessRepository(session=db_session, tenant_id=tenant_id).find_by_id(
            data.business_id
        ):
            raise Problem(404, "No such business.")
        _check_skills(data.skills)
        repo = AgentRepository(session=db_session, tenant_id=tenant_id)
        if await repo.get_one_or_none(AgentProfile.user_id == data.user_id):
            raise Problem(409, "This user is an agent already.")
        profile = AgentProfile(
            user_id=data.user_id,
            business_id=data.business_id,
            skills=dict(data.skills),
            auto_answer=data.auto_answer,
            max_acw=data.max_acw,
        )
        await _check_seat(db_session, tenant_id, profile, data.extension_id)
        profile.extension_id = data.extension_id
        profile = await repo.add_owned(profile)
        await _push_agent(db_session, tenant_id, profile)
        return await agent_out(db_session, profile)

    @patch(
        "/{agent_id:uuid}",
        opt=WRITE | {"audit_action": "acd.agent.update", "audit_target": "agent_profile"},
    )
    async def update_agent(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        agent_id: FromPath[UUID],
        data: JSONBody[AgentPatch],
    ) -> AgentOut:
        tenant_id = _tenant(request)
        profile = await AgentRepository(session=db_session, tenant_id=tenant_id).get_one_by_id(
            agent_id
        )
        if data.business_id is not None and data.business_id != profile.business_id:
            if not await BusinessRepository(session=db_session, tenant_id=tenant_id).find_by_id(
                data.business_id
            ):
                raise Problem(404, "No such business.")
            if await db_session.scalar(
                select(QueueMember.id).where(QueueMember.agent_id == profile.id).limit(1)
            ):
                raise _business_conflict(
                    "The agent is in queues of their current business: take them out of those "
                    "queues before moving them to another business (TEN-5)."
                )
            profile.business_id = data.business_id
        if data.skills is not None:
            _check_skills(data.skills)
            profile.skills = dict(data.skills)
        if data.extension_id is not None:
            await _check_seat(db_session, tenant_id, profile, data.extension_id)
            profile.extension_id = data.extension_id
        if data.auto_answer is not None:
            profile.auto_answer = data.auto_answer
        if data.max_acw is not None:
            profile.max_acw = data.max_acw
        await _push_agent(db_session, tenant_id, profile)
        return await agent_out(db_session, profile)

    @put(
        "/{agent_id:uuid}/queues",
        opt={
            "permission": Perm.ACD_ASSIGN,
            "audit_action": "acd.agent.queues",
            "audit_target": "agent_profile",
        },
    )
    async def set_queues(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        agent_id: FromPath[UUID],
        data: JSONBody[list[Membership]],
    ) -> AgentOut:
        """The agent's queues with their priorities (replaces the list). Supervisors may move
        agents between queues (SEAT-7); only queues of the agent's business (TEN-5)."""
        tenant_id = _tenant(request)
        profile = await AgentRepository(session=db_session, tenant_id=tenant_id).get_one_by_id(
            agent_id
        )
        wanted = {m.queue_id: m.priority for m in data}
        queues = QueueRepository(session=db_session, tenant_id=tenant_id)
        for queue_id in wanted:
            queue = await queues.find_by_id(queue_id)
            if queue is None:
                raise Problem(404, f"No such queue: {queue_id}.")
            if queue.business_id != profile.business_id:
                raise _business_conflict(
                    f"Queue {queue.name!r} belongs to another business than the agent; an agent "
                    "serves only queues of their own business (TEN-5)."
                )
        await _replace_members(db_session, tenant_id, profile, wanted)
        return await agent_out(db_session, profile)

    @delete(
        "/{agent_id:uuid}",
        opt=WRITE | {"audit_action": "acd.agent.delete", "audit_target": "agent_profile"},
        status_code=204,
    )
    async def delete_agent(
        self, request: Request[Any, Any, Any], db_session: DbSession, agent_id: FromPath[UUID]
    ) -> None:
        tenant_id = _tenant(request)
        repo = AgentRepository(session=db_session, tenant_id=tenant_id)
        profile = await repo.get_one_by_id(agent_id)
        acd = acd_for(get_redis(), tenant_id)
        try:
            status = await acd.agent_status(profile.acd_id)
        except AcdError:
            status = None
        if status is not None and status.call_id:
            raise Problem(409, "The agent is on a call; delete the profile after it.")
        await _replace_members(db_session, tenant_id, profile, {})
        if status is not None and status.state is not AgentState.SIGNED_OUT:
            await _apply(acd.sign_out(profile.acd_id, "profile deleted"))
        await repo.delete_by_id(agent_id)


async def _replace_members(
    db: AsyncSession, tenant_id: UUID, profile: AgentProfile, wanted: dict[UUID, int]
) -> None:
    members = MemberRepository(session=db, tenant_id=tenant_id)
    current = {m.queue_id: m for m in await _agent_members(db, profile.id)}
    acd = acd_for(get_redis(), tenant_id)
    for queue_id, old in current.items():
        if queue_id not in wanted:
            await db.execute(
                sql_delete(QueueMember).where(
                    QueueMember.tenant_id == tenant_id, QueueMember.id == old.id
                )
            )
            await _apply(acd.remove_member(str(queue_id), profile.acd_id))
    for queue_id, priority in wanted.items():
        kept = current.get(queue_id)
        if kept is None:
            await members.add_owned(
                QueueMember(queue_id=queue_id, agent_id=profile.id, priority=priority)
            )
        else:
            kept.priority = priority
        await db.flush()
        await _apply(acd.add_member(str(queue_id), profile.acd_id, priority))


async def _agent_members(db: AsyncSession, profile_id: UUID) -> list[QueueMember]:
    return list(await db.scalars(select(QueueMember).where(QueueMember.agent_id == profile_id)))


# ------------------------------------------------------------------------------ reasons


class ReasonController(Controller):
    path = "/api/v1/acd/reasons"
    tags = ["acd"]

    @get("/", opt={"permission": Perm.CTI})
    async def list_reasons(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[ReasonIO]:
        """The not-ready reason codes agents choose from (the defaults until set)."""
        found = await reasons(db_session, _tenant(request))
        return [ReasonIO(code=r.code, label=r.label) for r in found]

    @put("/", opt=WRITE | {"audit_action": "acd.reasons.update"})
    async def set_reasons(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        data: JSONBody[Annotated[list[ReasonIO], msgspec.Meta(min_length=1, max_length=50)]],
    ) -> list[ReasonIO]:
        """Replace the tenant's reason list (order kept)."""
        tenant_id = _tenant(request)
        codes = [r.code for r in data]
        if len(set(codes)) != len(codes):
            raise Problem(400, "Reason codes must be unique.")
        await db_session.execute(
            sql_delete(NotReadyReason).where(NotReadyReason.tenant_id == tenant_id)
        )
        for i, r in enumerate(data):
            db_session.add(
                NotReadyReason(tenant_id=tenant_id, code=r.code, label=r.label, position=i)
            )
        await db_session.flush()
        return [ReasonIO(code=r.code, label=r.label) for r in data]


__all__ = ["AgentController", "QueueController", "Reason", "ReasonController"]
