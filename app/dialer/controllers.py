"""Dialer API: campaigns (DIAL-1, DIAL-10), agent groups, lead lists and imports (DIAL-1),
leads, compliance (abandonment, evidence export) and reports; the agent's side: daily plan
(DIAL-9), screen pop and dispositions (DIAL-7), click-to-dial by lead id and callbacks (DIAL-5).

DIAL-6: an agent never receives a customer's number. Everything agent-facing goes through
`_lead_out(..., reveal=False)`; only admins and supervisors get E.164.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.calls.services import send_command
from app.db.base import utcnow
from app.db.deps import DbSession
from app.dialer import campaigns as svc
from app.dialer import leads as lead_svc
from app.dialer import schemas as s
from app.dialer.actors import export_evidence, import_key, import_lead_list
from app.dialer.models import (
    AgentGroup,
    AgentGroupMember,
    Callback,
    Campaign,
    CampaignDnc,
    CampaignStatus,
    Disposition,
    Lead,
    LeadAttempt,
    LeadList,
    LeadStatus,
)
from app.dialer.numbers import NumberError, normalize
from app.lib.events import add_event
from app.lib.keys import tenant_object_key
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.lib.redis import get_redis
from app.lib.storage import get_storage
from app.seats.models import Extension
from app.tenants.auth import current_principal
from app.tenants.models import Role
from app.tenants.permissions import Perm
from app.tenants.schemas import Page
from app.tenants.sessions import Principal
from app.worker.idempotency import job_status, register_job

READ = {"permission": Perm.DIALER_READ}
WRITE = {"permission": Perm.DIALER_WRITE}
WORK = {"permission": Perm.DIALER_WORK}
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
MAX_UPLOAD = 512 * 1024 * 1024  # a million-row CSV is ~40 MB; XLSX of the same ~30 MB


def _who(request: Request[Any, Any, Any]) -> Principal:
    return current_principal(request)


def _reveals(principal: Principal) -> bool:
    """DIAL-6: only admins and supervisors see real numbers."""
    return principal.role in {Role.ADMIN, Role.SUPERVISOR}


def _bad(exc: Exception) -> Problem:
    return Problem(400, str(exc), code="invalid_campaign")


async def _campaign(session: AsyncSession, tenant_id: UUID, campaign_id: UUID) -> Campaign:
    campaign = await session.get(Campaign, (tenant_id, campaign_id))
    if campaign is None:
        raise Problem(404, "No such campaign.")
    return campaign


async def _list(session: AsyncSession, tenant_id: UUID, list_id: UUID) -> LeadList:
    lead_list = await session.get(LeadList, (tenant_id, list_id))
    if lead_list is None:
        raise Problem(404, "No such lead list.")
    return lead_list


def _campaign_values(data: s.CampaignIn) -> dict[str, Any]:
    values = msgspec.to_builtins(data)  # camelCase keys for the nested JSON documents
    fields = msgspec.structs.asdict(data)
    fields["windows"] = values["windows"]
    fields["retry_rules"] = values["retryRules"]
    fields["survey"] = values["survey"] or {}
    return fields


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def campaign_out(c: Campaign) -> s.CampaignOut:
    fields = [*s.CampaignIn.__struct_fields__, "id", "status", "created_at"]
    values = {_camel(f): getattr(c, f) for f in fields}
    values["survey"] = c.survey or None
    return msgspec.convert(values, s.CampaignOut)


def _lead_out(lead: Lead, *, reveal: bool) -> s.LeadOut:
    return s.LeadOut(
        id=lead.id,
        campaign_id=lead.campaign_id,
        list_id=lead.list_id,
        line=lead.line,
        phone=lead_svc.shown_number(lead.phone, reveal=reveal),
        name=lead.name,
        fields=lead.fields,
        timezone=lead.timezone,
        status=lead.status,
        attempts=lead.attempts,
        last_outcome=lead.last_outcome,
        disposition=lead.disposition,
        next_attempt_at=lead.next_attempt_at,
        assigned_agent_id=lead.assigned_agent_id,
        assigned_group_id=lead.assigned_group_id,
    )


def _disposition_out(d: Disposition) -> s.DispositionOut:
    return s.DispositionOut(
        id=d.id, code=d.code, label=d.label, is_success=d.is_success, is_final=d.is_final
    )


class CampaignController(Controller):
    path = "/api/v1/dialer/campaigns"
    tags = ["dialer"]

    @get("/", opt=READ)
    async def list_campaigns(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[s.CampaignOut]:
        rows = await db_session.scalars(
            select(Campaign)
            .where(Campaign.tenant_id == _who(request).tenant_id)
            .order_by(Campaign.name)
        )
        return [campaign_out(c) for c in rows]

    @post("/", opt=WRITE | {"audit_action": "campaign.create", "audit_target": "campaign"})
    async def create_campaign(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.CampaignIn]
    ) -> s.CampaignOut:
        campaign = Campaign(tenant_id=_who(request).tenant_id, **_campaign_values(data))
        await _validated(db_session, campaign)
        db_session.add(campaign)
        await db_session.flush()
        return campaign_out(campaign)

    @get("/{campaign_id:uuid}", opt=READ)
    async def get_campaign(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> s.CampaignOut:
        return campaign_out(await _campaign(db_session, _who(request).tenant_id, campaign_id))

    @put("/{campaign_id:uuid}", opt=WRITE | {"audit_action": "campaign.update"})
    async def update_campaign(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        data: JSONBody[s.CampaignIn],
    ) -> s.CampaignOut:
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        for name, value in _campaign_values(data).items():
            setattr(campaign, name, value)
        await _validated(db_session, campaign)
        if campaign.status == CampaignStatus.RUNNING:
            try:
                await svc.check_trunk_budget(db_session, campaign)
            except svc.CampaignError as exc:
                raise _bad(exc) from exc
        await db_session.flush()
        return campaign_out(campaign)

    @delete("/{campaign_id:uuid}", opt=WRITE | {"audit_action": "campaign.delete"}, status_code=204)
    async def delete_campaign(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> None:
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        if campaign.status == CampaignStatus.RUNNING:
            raise Problem(409, "Pause the campaign before deleting it.")
        await db_session.delete(campaign)

    @post("/{campaign_id:uuid}/start", opt=WRITE | {"audit_action": "campaign.start"})
    async def start_campaign(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> s.CampaignOut:
        return await _transition(request, db_session, campaign_id, CampaignStatus.RUNNING)

    @post("/{campaign_id:uuid}/pause", opt=WRITE | {"audit_action": "campaign.pause"})
    async def pause_campaign(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> s.CampaignOut:
        return await _transition(request, db_session, campaign_id, CampaignStatus.PAUSED)

    @post("/{campaign_id:uuid}/finish", opt=WRITE | {"audit_action": "campaign.finish"})
    async def finish_campaign(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> s.CampaignOut:
        return await _transition(request, db_session, campaign_id, CampaignStatus.FINISHED)

    @post("/{campaign_id:uuid}/dispositions", opt=WRITE | {"audit_action": "campaign.disposition"})
    async def add_disposition(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        data: JSONBody[s.DispositionIn],
    ) -> s.DispositionOut:
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        disposition = Disposition(
            tenant_id=campaign.tenant_id, campaign_id=campaign.id, **msgspec.structs.asdict(data)
        )
        db_session.add(disposition)
        await db_session.flush()
        return _disposition_out(disposition)

    @get("/{campaign_id:uuid}/dispositions", opt=READ)
    async def list_dispositions(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> list[s.DispositionOut]:
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        return [_disposition_out(d) for d in await _dispositions(db_session, campaign)]

    @post("/{campaign_id:uuid}/dnc", opt=WRITE | {"audit_action": "campaign.dnc_add"})
    async def add_dnc(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        data: JSONBody[s.DncIn],
    ) -> s.DncOut:
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        good, invalid = [], []
        for raw in data.numbers:
            try:
                good.append(normalize(raw).e164)
            except NumberError:
                invalid.append(raw)
        if good:
            now = utcnow()
            await db_session.execute(
                insert(CampaignDnc)
                .values(
                    [
                        {
                            "tenant_id": campaign.tenant_id,
                            "id": uuid4(),
                            "campaign_id": campaign.id,
                            "number": n,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n in dict.fromkeys(good)
                    ]
                )
                .on_conflict_do_nothing(constraint="uq_campaign_dnc_number")
            )
        return s.DncOut(added=len(set(good)), invalid=invalid)

    @post("/{campaign_id:uuid}/distribute", opt=WRITE | {"audit_action": "campaign.distribute"})
    async def distribute(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        data: JSONBody[s.DistributeIn],
    ) -> dict[str, int]:
        """DIAL-1: share the campaign's leads evenly between agents (or groups), or by rule."""
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        try:
            if data.strategy == "rule":
                rules = [msgspec.to_builtins(r) for r in data.rules]
                return await svc.distribute_by_rule(db_session, campaign, rules)
            agents = data.agent_ids
            groups = data.group_ids or []
            if agents is None and not groups:
                agents = await svc.campaign_agents(db_session, campaign)
            return await svc.distribute_evenly(
                db_session, campaign, agents=agents or [], groups=groups, reassign=data.reassign
            )
        except svc.CampaignError as exc:
            raise _bad(exc) from exc

    @get("/{campaign_id:uuid}/leads", opt=READ)
    async def list_leads(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.LeadOut]:
        principal = _who(request)
        where = [Lead.tenant_id == principal.tenant_id, Lead.campaign_id == campaign_id]
        if status:
            where.append(Lead.status == status)
        total = await db_session.scalar(select(func.count()).where(*where)) or 0
        rows = await db_session.scalars(
            select(Lead).where(*where).order_by(Lead.line).limit(limit).offset(offset)
        )
        reveal = _reveals(principal)
        return Page(
            items=[_lead_out(x, reveal=reveal) for x in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{campaign_id:uuid}/abandonment", opt=READ)
    async def abandonment(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> dict[str, Any]:
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        return await svc.abandonment(db_session, campaign, datetime.now(UTC))

    @get("/{campaign_id:uuid}/survey-tally", opt=READ)
    async def survey_tally(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> s.SurveyTallyOut:
        """DIAL-8: delivered / not answered counts and the survey's answers per key."""
        campaign = await _campaign(db_session, _who(request).tenant_id, campaign_id)
        return msgspec.convert(await svc.survey_tally(db_session, campaign), s.SurveyTallyOut)

    @post(
        "/{campaign_id:uuid}/evidence-exports",
        opt=WRITE | {"audit_action": "campaign.evidence_export"},
        status_code=202,
    )
    async def start_evidence_export(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        data: JSONBody[s.ExportIn],
    ) -> s.JobOut:
        """Compliance evidence: every attempt with timestamps, outcome and abandonment flag."""
        tenant_id = _who(request).tenant_id
        await _campaign(db_session, tenant_id, campaign_id)
        key = str(uuid4())
        job = await register_job(tenant_id, key, "export_evidence")
        export_evidence.send(
            str(tenant_id),
            key,
            str(campaign_id),
            data.since.isoformat() if data.since else None,
            data.until.isoformat() if data.until else None,
        )
        return s.JobOut(key=key, status=job.status, result=job.result)

    @get("/evidence-exports/{key:str}", opt=WRITE)
    async def evidence_status(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> s.JobOut:
        job = await job_status(_who(request).tenant_id, key)
        if job is None or job.actor != "export_evidence":
            raise Problem(404, "No such export.")
        return s.JobOut(key=job.key, status=job.status, result=job.result)

    @get("/evidence-exports/{key:str}/file", opt=WRITE, media_type="text/csv")
    async def evidence_file(
        self, request: Request[Any, Any, Any], key: FromPath[str]
    ) -> Response[bytes]:
        job = await job_status(_who(request).tenant_id, key)
        if job is None or job.actor != "export_evidence" or job.status != "done":
            raise Problem(404, "This export is not ready (or does not exist).")
        return _csv(get_storage().get(str(job.result["objectKey"])), f"evidence-{key}.csv")

    @post("/{campaign_id:uuid}/lists", opt=WRITE | {"audit_action": "lead_list.create"})
    async def create_list(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        campaign_id: FromPath[UUID],
        data: JSONBody[s.LeadListIn],
    ) -> s.LeadListOut:
        """Step 1 of an import: name the list and map its columns; then PUT the file."""
        principal = _who(request)
        campaign = await _campaign(db_session, principal.tenant_id, campaign_id)
        lead_list = LeadList(
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            name=data.name,
            file_format=data.format,
            mapping=msgspec.to_builtins(data.mapping),
            status="awaiting_file",
            created_by=principal.user_id,
            rows=0,
            imported=0,
            rejected=0,
            counts={},
            error="",
            object_key="",
            errors_key="",
        )
        db_session.add(lead_list)
        await db_session.flush()
        return _list_out(lead_list)

    @get("/{campaign_id:uuid}/lists", opt=READ)
    async def list_lists(
        self, request: Request[Any, Any, Any], db_session: DbSession, campaign_id: FromPath[UUID]
    ) -> list[s.LeadListOut]:
        rows = await db_session.scalars(
            select(LeadList)
            .where(
                LeadList.tenant_id == _who(request).tenant_id, LeadList.campaign_id == campaign_id
            )
            .order_by(LeadList.created_at)
        )
        return [_list_out(x) for x in rows]


async def _validated(session: AsyncSession, campaign: Campaign) -> None:
    try:
        svc.check_settings(campaign)
        await svc.check_references(session, campaign)
    except svc.CampaignError as exc:
        raise _bad(exc) from exc


async def _transition(
    request: Request[Any, Any, Any], session: AsyncSession, campaign_id: UUID, to: CampaignStatus
) -> s.CampaignOut:
    principal = _who(request)
    campaign = await _campaign(session, principal.tenant_id, campaign_id)
    try:
        await svc.change_status(session, campaign, to)
    except svc.CampaignError as exc:
        raise Problem(409, str(exc), code="campaign_state") from exc
    await add_event(
        get_redis(),
        principal.tenant_id,
        "dialer.campaign.status",
        campaignId=str(campaign.id),
        status=campaign.status,
    )
    return campaign_out(campaign)


async def _dispositions(session: AsyncSession, campaign: Campaign) -> list[Disposition]:
    rows = await session.scalars(
        select(Disposition)
        .where(Disposition.tenant_id == campaign.tenant_id, Disposition.campaign_id == campaign.id)
        .order_by(Disposition.code)
    )
    return list(rows)


def _list_out(x: LeadList) -> s.LeadListOut:
    return s.LeadListOut(
        id=x.id,
        campaign_id=x.campaign_id,
        name=x.name,
        format=x.file_format,
        mapping=x.mapping,
        status=x.status,
        rows=x.rows,
        imported=x.imported,
        rejected=x.rejected,
        counts=x.counts,
        error=x.error,
        created_at=x.created_at,
        finished_at=x.finished_at,
    )


def _csv(data: bytes, filename: str) -> Response[bytes]:
    return Response(
        data,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- lists and imports --------------------------------------------------------------------------


class LeadListController(Controller):
    path = "/api/v1/dialer"
    tags = ["dialer"]

    @put(
        "/lists/{list_id:uuid}/file",
        opt=WRITE | {"audit_action": "lead_list.upload"},
        status_code=202,
        request_max_body_size=MAX_UPLOAD,
    )
    async def upload_file(
        self, request: Request[Any, Any, Any], db_session: DbSession, list_id: FromPath[UUID]
    ) -> s.ImportStatusOut:
        """Step 2: the file itself (the request body, CSV or XLSX); the import runs in a worker."""
        tenant_id = _who(request).tenant_id
        lead_list = await _list(db_session, tenant_id, list_id)
        if lead_list.status != "awaiting_file":
            raise Problem(409, "This list already has its file; create a new list.")
        body = await request.body()
        if not body:
            raise Problem(400, "The request body is empty: send the CSV or XLSX file.")
        ext = lead_list.file_format
        lead_list.object_key = tenant_object_key(tenant_id, "dialer", "imports", f"{list_id}.{ext}")
        get_storage().put(lead_list.object_key, body)
        lead_list.status = "queued"
        await db_session.commit()  # the worker must find the row and the file
        await register_job(tenant_id, f"lead-import:{list_id}", "import_lead_list")
        import_lead_list.send(str(tenant_id), str(list_id))
        return await _import_status(db_session, tenant_id, lead_list)

    @get("/imports/{list_id:uuid}", opt=READ)
    async def import_status(
        self, request: Request[Any, Any, Any], db_session: DbSession, list_id: FromPath[UUID]
    ) -> s.ImportStatusOut:
        tenant_id = _who(request).tenant_id
        lead_list = await _list(db_session, tenant_id, list_id)
        return await _import_status(db_session, tenant_id, lead_list)

    @get("/imports/{list_id:uuid}/errors", opt=WRITE, media_type="text/csv")
    async def import_errors(
        self, request: Request[Any, Any, Any], db_session: DbSession, list_id: FromPath[UUID]
    ) -> Response[bytes]:
        """The rejected lines of the file, by line number, as CSV."""
        lead_list = await _list(db_session, _who(request).tenant_id, list_id)
        if not lead_list.errors_key:
            raise Problem(404, "The import has not finished.")
        return _csv(get_storage().get(lead_list.errors_key), f"import-errors-{list_id}.csv")

    @get("/lists/{list_id:uuid}/report", opt=READ)
    async def list_report(
        self, request: Request[Any, Any, Any], db_session: DbSession, list_id: FromPath[UUID]
    ) -> dict[str, Any]:
        lead_list = await _list(db_session, _who(request).tenant_id, list_id)
        return await svc.list_report(db_session, lead_list)


async def _import_status(
    session: AsyncSession, tenant_id: UUID, lead_list: LeadList
) -> s.ImportStatusOut:
    live: dict[str, str] = await get_redis().hgetall(import_key(tenant_id, lead_list.id))  # type: ignore[misc]
    finished = lead_list.status in {"done", "failed"}
    return s.ImportStatusOut(
        id=lead_list.id,
        status=lead_list.status if finished or not live else live.get("status", lead_list.status),
        phase=live.get("phase", lead_list.status),
        percent=100.0 if lead_list.status == "done" else float(live.get("percent", 0)),
        rows=lead_list.rows if finished else int(live.get("rows", 0)),
        rows_per_second=int(live.get("rowsPerSecond", 0)),
        imported=lead_list.imported,
        rejected=lead_list.rejected if finished else int(live.get("rejected", 0)),
        counts=lead_list.counts,
        error=lead_list.error,
    )


# --- agent groups ---------------------------------------------------------------------------------


class AgentGroupController(Controller):
    path = "/api/v1/dialer/groups"
    tags = ["dialer"]

    @get("/", opt=READ)
    async def list_groups(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[s.GroupOut]:
        tenant_id = _who(request).tenant_id
        groups = await db_session.scalars(
            select(AgentGroup).where(AgentGroup.tenant_id == tenant_id).order_by(AgentGroup.name)
        )
        members = (
            await db_session.execute(
                select(AgentGroupMember.group_id, AgentGroupMember.user_id).where(
                    AgentGroupMember.tenant_id == tenant_id
                )
            )
        ).all()
        return [
            s.GroupOut(
                id=g.id,
                name=g.name,
                business_id=g.business_id,
                user_ids=[u for gid, u in members if gid == g.id],
            )
            for g in groups
        ]

    @post("/", opt=WRITE | {"audit_action": "dialer_group.create"})
    async def create_group(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.GroupIn]
    ) -> s.GroupOut:
        group = AgentGroup(tenant_id=_who(request).tenant_id, **msgspec.structs.asdict(data))
        db_session.add(group)
        await db_session.flush()
        return s.GroupOut(id=group.id, name=group.name, business_id=group.business_id)

    @post("/{group_id:uuid}/members", opt=WRITE | {"audit_action": "dialer_group.move_agents"})
    async def move_agents(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        group_id: FromPath[UUID],
        data: JSONBody[s.MoveAgentsIn],
    ) -> dict[str, int]:
        """DIAL-1 batch move: these agents now belong to this group (and leave their old one)."""
        tenant_id = _who(request).tenant_id
        if await db_session.get(AgentGroup, (tenant_id, group_id)) is None:
            raise Problem(404, "No such group.")
        try:
            moved = await svc.move_agents(db_session, tenant_id, group_id, data.user_ids)
        except svc.CampaignError as exc:
            raise _bad(exc) from exc
        return {"moved": moved}


# --- the agent's side (DIAL-5, 6, 7, 9) ----------------------------------------------------


async def _agent_lead(session: AsyncSession, principal: Principal, lead_id: UUID) -> Lead:
    """A lead the caller may work: agents only their own (DIAL-1 distribution); a forged or
    foreign id is a 404 either way."""
    where = [Lead.tenant_id == principal.tenant_id, Lead.id == lead_id]
    if principal.role == Role.AGENT:
        group = await lead_svc.group_of(session, principal.tenant_id, principal.user_id)
        where.append(lead_svc.agent_scope(principal.tenant_id, principal.user_id, group))
    lead = await session.scalar(select(Lead).where(*where))
    if lead is None:
        raise Problem(404, "No such lead.")
    return lead


class AgentDialerController(Controller):
    path = "/api/v1/dialer"
    tags = ["dialer"]

    @get("/my/plan", opt=WORK)
    async def my_plan(
        self, request: Request[Any, Any, Any], db_session: DbSession, limit: Limit = 50
    ) -> s.PlanOut:
        """DIAL-9: today's to-call list with done/remaining counters (masked numbers)."""
        principal = _who(request)
        tid, uid = principal.tenant_id, principal.user_id
        group = await lead_svc.group_of(db_session, tid, uid)
        now = datetime.now(UTC)
        start, end = svc.local_day_bounds(now, "Asia/Shanghai")
        live = select(Campaign.id).where(
            Campaign.tenant_id == tid, Campaign.status == CampaignStatus.RUNNING
        )
        todo = and_(
            lead_svc.agent_scope(tid, uid, group),
            Lead.campaign_id.in_(live),
            Lead.status.in_([LeadStatus.NEW, LeadStatus.RETRY, LeadStatus.CALLBACK]),
            or_(Lead.next_attempt_at.is_(None), Lead.next_attempt_at < end),
        )
        remaining = await db_session.scalar(select(func.count()).where(todo)) or 0
        done = await db_session.scalar(
            select(func.count(func.distinct(LeadAttempt.lead_id))).where(
                LeadAttempt.tenant_id == tid,
                LeadAttempt.agent_id == uid,
                LeadAttempt.started_at >= start,
                LeadAttempt.started_at < end,
            )
        )
        callbacks = await db_session.scalar(
            select(func.count()).where(
                Callback.tenant_id == tid,
                Callback.agent_id == uid,
                Callback.status == "pending",
                Callback.due_at < end,
            )
        )
        rows = await db_session.scalars(
            select(Lead)
            .where(todo)
            .order_by(
                (Lead.status == LeadStatus.CALLBACK).desc(),
                Lead.next_attempt_at.asc().nulls_last(),
                Lead.line,
            )
            .limit(limit)
        )
        return s.PlanOut(
            day=start.date(),
            done=int(done or 0),
            remaining=int(remaining),
            callbacks_due=int(callbacks or 0),
            items=[_lead_out(x, reveal=False) for x in rows],
        )

    @get("/leads/{lead_id:uuid}", opt=WORK)
    async def screen_pop(
        self, request: Request[Any, Any, Any], db_session: DbSession, lead_id: FromPath[UUID]
    ) -> s.ScreenPopOut:
        """DIAL-7: the record, the campaign's script and its dispositions."""
        principal = _who(request)
        lead = await _agent_lead(db_session, principal, lead_id)
        campaign = await _campaign(db_session, principal.tenant_id, lead.campaign_id)
        return s.ScreenPopOut(
            lead=_lead_out(lead, reveal=_reveals(principal)),
            campaign_name=campaign.name,
            script=campaign.script,
            dispositions=[_disposition_out(d) for d in await _dispositions(db_session, campaign)],
        )

    @post("/leads/{lead_id:uuid}/dial", opt=WORK | {"audit_action": "lead.dial"}, status_code=202)
    async def dial_lead(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        lead_id: FromPath[UUID],
        data: JSONBody[s.DialIn],
    ) -> s.DialOut:
        """Click-to-dial by lead id (DIAL-2 preview, DIAL-6): the number goes from the database
        to callcontrol's command queue, never through the agent."""
        principal = _who(request)
        lead = await _agent_lead(db_session, principal, lead_id)
        ext = await _extension(db_session, principal, data.extension)
        if lead.status in {LeadStatus.DNC, LeadStatus.EXHAUSTED}:
            raise Problem(409, f"This lead is {lead.status}; it may not be dialled.")
        attempt = await lead_svc.start_attempt(
            db_session, lead, utcnow(), agent_id=principal.user_id
        )
        await db_session.commit()
        command_id = await send_command(
            get_redis(),
            principal.tenant_id,
            "click_to_call",
            extension=ext.number,
            number=lead.phone,
            userId=str(principal.user_id),
            leadId=str(lead.id),
            attemptId=str(attempt.id),
            campaignId=str(lead.campaign_id),
            shown=lead_svc.mask_number(lead.phone),  # what the agent's phone displays
        )
        return s.DialOut(
            attempt_id=attempt.id,
            lead_id=lead.id,
            phone=lead_svc.mask_number(lead.phone),
            extension=ext.number,
            command_id=command_id,
        )

    @post(
        "/attempts/{attempt_id:uuid}/disposition",
        opt=WORK | {"audit_action": "lead.disposition"},
    )
    async def set_disposition(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        attempt_id: FromPath[UUID],
        data: JSONBody[s.SetDispositionIn],
    ) -> s.AttemptOut:
        principal = _who(request)
        attempt = await db_session.get(LeadAttempt, (principal.tenant_id, attempt_id))
        if attempt is None or (
            principal.role == Role.AGENT and attempt.agent_id != principal.user_id
        ):
            raise Problem(404, "No such attempt.")
        try:
            await lead_svc.set_disposition(
                db_session, principal.tenant_id, attempt, data.code, data.note
            )
        except LookupError as exc:
            raise Problem(400, str(exc), code="unknown_disposition") from exc
        lead = await db_session.get(Lead, (principal.tenant_id, attempt.lead_id))
        assert lead is not None
        return _attempt_out(attempt, lead, reveal=_reveals(principal))

    @post("/leads/{lead_id:uuid}/callbacks", opt=WORK | {"audit_action": "lead.callback"})
    async def schedule_callback(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        lead_id: FromPath[UUID],
        data: JSONBody[s.CallbackIn],
    ) -> s.CallbackOut:
        """DIAL-5: "call again in N days" (same time of day) or at a time."""
        principal = _who(request)
        lead = await _agent_lead(db_session, principal, lead_id)
        now = datetime.now(UTC)
        if (data.in_days is None) == (data.at is None):
            raise Problem(400, "Give either inDays or at.")
        due = data.at if data.at is not None else now + timedelta(days=data.in_days or 0)
        if due.tzinfo is None:
            raise Problem(400, "The callback time needs a time zone (e.g. 2026-12-01T15:00+08:00).")
        if due < now - timedelta(minutes=1):
            raise Problem(400, "The callback time is in the past.")
        callback = await lead_svc.schedule_callback(
            db_session,
            principal.tenant_id,
            lead.id,
            due,
            agent_id=principal.user_id,
            note=data.note,
        )
        return _callback_out(callback, lead, reveal=_reveals(principal))

    @get("/my/callbacks", opt=WORK)
    async def my_callbacks(
        self, request: Request[Any, Any, Any], db_session: DbSession
    ) -> list[s.CallbackOut]:
        principal = _who(request)
        rows = (
            await db_session.execute(
                select(Callback, Lead)
                .join(Lead, and_(Lead.tenant_id == Callback.tenant_id, Lead.id == Callback.lead_id))
                .where(
                    Callback.tenant_id == principal.tenant_id,
                    Callback.agent_id == principal.user_id,
                    Callback.status == "pending",
                )
                .order_by(Callback.due_at)
            )
        ).all()
        return [_callback_out(c, lead, reveal=_reveals(principal)) for c, lead in rows]


async def _extension(session: AsyncSession, principal: Principal, number: str | None) -> Extension:
    where = [Extension.tenant_id == principal.tenant_id, Extension.is_active]
    if number:
        where.append(Extension.number == number)
    if principal.role == Role.AGENT or not number:
        where.append(Extension.user_id == principal.user_id)
    ext = await session.scalar(select(Extension).where(*where).limit(1))
    if ext is None:
        raise Problem(404, "No extension of yours to place the call from.")
    return ext


def _attempt_out(a: LeadAttempt, lead: Lead, *, reveal: bool) -> s.AttemptOut:
    return s.AttemptOut(
        id=a.id,
        lead_id=a.lead_id,
        phone=lead_svc.shown_number(lead.phone, reveal=reveal),
        started_at=a.started_at,
        answered_at=a.answered_at,
        ended_at=a.ended_at,
        outcome=a.outcome,
        disposition=a.disposition,
        note=a.note,
    )


def _callback_out(c: Callback, lead: Lead, *, reveal: bool) -> s.CallbackOut:
    return s.CallbackOut(
        id=c.id,
        lead_id=c.lead_id,
        phone=lead_svc.shown_number(lead.phone, reveal=reveal),
        name=lead.name,
        due_at=c.due_at,
        status=c.status,
        note=c.note,
    )


ROUTE_HANDLERS = [
    CampaignController,
    LeadListController,
    AgentGroupController,
    AgentDialerController,
]
