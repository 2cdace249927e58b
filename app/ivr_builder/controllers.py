"""IVR builder API: node catalogue, flows and versions, number binding, information entries,
simulator. Admins write; supervisors and QA read and simulate."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from advanced_alchemy.filters import OrderBy
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, PathParameter, QueryParameter

from app.db.deps import DbSession
from app.ivr_builder import interpreter as ip
from app.ivr_builder import schemas as s
from app.ivr_builder.flow import FlowDocument, from_json
from app.ivr_builder.models import IvrFlow, IvrFlowVersion, IvrInfoEntry
from app.ivr_builder.nodes import NODE_TYPES, params_schema
from app.ivr_builder.services import FlowService, InfoService, TenantResources
from app.ivr_builder.simulator import CannedHttp, Simulation, SimulationResult
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.tenants.auth import current_principal
from app.tenants.permissions import Perm
from app.tenants.schemas import Page

READ = {"permission": Perm.FLOWS_READ}
WRITE = {"permission": Perm.FLOWS_WRITE, "audit_target": "ivr_flow"}
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
InfoTable = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
InfoKey = Annotated[str, PathParameter(min_length=1, max_length=200)]


def _flows(request: Request[Any, Any, Any], db_session: DbSession) -> FlowService:
    return FlowService(db_session, current_principal(request).tenant_id)


def _user(request: Request[Any, Any, Any]) -> UUID:
    return current_principal(request).user_id


async def flow_out(service: FlowService, flow: IvrFlow) -> s.FlowOut:
    published, draft = await service.numbers_of(flow)
    return s.FlowOut(
        id=flow.id,
        name=flow.name,
        description=flow.description,
        business_id=flow.business_id,
        published_version_id=flow.published_version_id,
        published_version=published,
        draft_version=draft,
        created_at=flow.created_at,
        updated_at=flow.updated_at,
    )


def _summary_fields(v: IvrFlowVersion) -> dict[str, Any]:
    return {
        "id": v.id,
        "flow_id": v.flow_id,
        "number": v.number,
        "status": v.status,
        "created_by": v.created_by,
        "created_at": v.created_at,
        "updated_at": v.updated_at,
        "published_at": v.published_at,
    }


def version_out(v: IvrFlowVersion) -> s.VersionOut:
    return s.VersionOut(**_summary_fields(v), document=from_json(v.document))


class IvrController(Controller):
    path = "/api/v1/ivr"
    tags = ["ivr"]

    @get("/node-types", opt=READ)
    async def node_types(self) -> list[s.NodeTypeOut]:
        """IVR-2: every node type with its parameters as JSON Schema and its exits."""
        return [
            s.NodeTypeOut(
                type=t.name,
                title=t.title,
                description=t.description,
                params_schema=params_schema(t),
                exits=list(t.exits),
                required_exits=list(t.required),
                digit_exits=t.digit_exits,
            )
            for t in NODE_TYPES.values()
        ]

    # --- flows ---------------------------------------------------------------------------------

    @get("/flows", opt=READ)
    async def list_flows(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[s.FlowOut]:
        service = _flows(request, db_session)
        rows, total = await service.flows.page(OrderBy("name", "asc"), limit=limit, offset=offset)
        items = [await flow_out(service, f) for f in rows]
        return Page(items=items, total=total, limit=limit, offset=offset)

    @post("/flows", opt=WRITE | {"audit_action": "ivr_flow.create"})
    async def create_flow(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.FlowIn]
    ) -> s.FlowOut:
        service = _flows(request, db_session)
        await service.check_business(data.business_id)
        flow = IvrFlow(name=data.name, description=data.description, business_id=data.business_id)
        flow, _ = await service.create(flow, data.document, _user(request))
        return await flow_out(service, flow)

    @get("/flows/{flow_id:uuid}", opt=READ)
    async def get_flow(
        self, request: Request[Any, Any, Any], db_session: DbSession, flow_id: FromPath[UUID]
    ) -> s.FlowOut:
        service = _flows(request, db_session)
        return await flow_out(service, await service.get(flow_id))

    @patch("/flows/{flow_id:uuid}", opt=WRITE | {"audit_action": "ivr_flow.update"})
    async def update_flow(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        flow_id: FromPath[UUID],
        data: JSONBody[s.FlowPatch],
    ) -> s.FlowOut:
        service = _flows(request, db_session)
        await service.check_business(data.business_id)
        flow = await service.get(flow_id)
        for name, value in msgspec.structs.asdict(data).items():
            if value is not None:
                setattr(flow, name, value)
        await db_session.flush()
        return await flow_out(service, flow)

    @delete(
        "/flows/{flow_id:uuid}", opt=WRITE | {"audit_action": "ivr_flow.delete"}, status_code=204
    )
    async def delete_flow(
        self, request: Request[Any, Any, Any], db_session: DbSession, flow_id: FromPath[UUID]
    ) -> None:
        await _flows(request, db_session).delete(flow_id)

    # --- versions ------------------------------------------------------------------------------

    @put("/flows/{flow_id:uuid}/draft", opt=WRITE | {"audit_action": "ivr_flow.save_draft"})
    async def save_draft(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        flow_id: FromPath[UUID],
        data: JSONBody[s.DraftIn],
    ) -> s.DraftOut:
        """Save the canvas. A draft may have errors; they come back so the canvas can mark
        the nodes."""
        service = _flows(request, db_session)
        draft = await service.save_draft(flow_id, data.document, _user(request))
        errors = await service.validate(data.document)
        return s.DraftOut(version=version_out(draft), valid=not errors, errors=errors)

    @post("/flows/{flow_id:uuid}/validate", opt=READ, status_code=200)
    async def validate_draft(
        self, request: Request[Any, Any, Any], db_session: DbSession, flow_id: FromPath[UUID]
    ) -> s.ValidationOut:
        service = _flows(request, db_session)
        await service.get(flow_id)
        draft = await service.draft(flow_id)
        if draft is None:
            raise Problem(409, "This flow has no draft; the published version is valid.")
        errors = await service.validate(from_json(draft.document))
        return s.ValidationOut(version=draft.number, valid=not errors, errors=errors)

    @post(
        "/flows/{flow_id:uuid}/publish",
        opt=WRITE | {"audit_action": "ivr_flow.publish"},
        status_code=200,
    )
    async def publish(
        self, request: Request[Any, Any, Any], db_session: DbSession, flow_id: FromPath[UUID]
    ) -> s.VersionOut:
        """Publish the draft (only without errors); new calls run it at once."""
        return version_out(await _flows(request, db_session).publish(flow_id))

    @post(
        "/flows/{flow_id:uuid}/rollback",
        opt=WRITE | {"audit_action": "ivr_flow.rollback"},
        status_code=200,
    )
    async def rollback(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        flow_id: FromPath[UUID],
        data: JSONBody[s.RollbackIn],
    ) -> s.VersionOut:
        """Republish an earlier version."""
        return version_out(await _flows(request, db_session).rollback(flow_id, data.version))

    @get("/flows/{flow_id:uuid}/versions", opt=READ)
    async def list_versions(
        self, request: Request[Any, Any, Any], db_session: DbSession, flow_id: FromPath[UUID]
    ) -> list[s.VersionSummary]:
        rows = await _flows(request, db_session).list_versions(flow_id)
        return [s.VersionSummary(**_summary_fields(v)) for v in rows]

    @get("/flows/{flow_id:uuid}/versions/{number:int}", opt=READ)
    async def get_version(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        flow_id: FromPath[UUID],
        number: FromPath[int],
    ) -> s.VersionOut:
        service = _flows(request, db_session)
        await service.get(flow_id)
        return version_out(await service.version(flow_id, number))

    # --- numbers -------------------------------------------------------------------------------

    @put(
        "/flows/{flow_id:uuid}/numbers/{number_id:uuid}",
        opt=WRITE | {"audit_action": "ivr_flow.bind_number"},
    )
    async def bind_number(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        flow_id: FromPath[UUID],
        number_id: FromPath[UUID],
    ) -> s.NumberBindingOut:
        """Calls to the number run this flow's published version."""
        number = await _flows(request, db_session).bind_number(flow_id, number_id)
        return s.NumberBindingOut(number_id=number.id, number=number.number, flow_id=number.flow_id)

    @delete(
        "/flows/{flow_id:uuid}/numbers/{number_id:uuid}",
        opt=WRITE | {"audit_action": "ivr_flow.unbind_number"},
        status_code=204,
    )
    async def unbind_number(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        flow_id: FromPath[UUID],
        number_id: FromPath[UUID],
    ) -> None:
        await _flows(request, db_session).unbind_number(flow_id, number_id)

    # --- information entries (IVR-6) -----------------------------------------------------------

    @get("/info", opt=READ)
    async def list_info(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        table: Annotated[str | None, QueryParameter(max_length=64)] = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> s.InfoPage:
        service = InfoService(db_session, current_principal(request).tenant_id)
        rows, total = await service.page(table, limit, offset)
        return s.InfoPage(items=[info_out(e) for e in rows], total=total, limit=limit,
                          offset=offset)  # fmt: skip

    @put("/info/{table:str}/{key:str}", opt=WRITE | {"audit_action": "ivr_info.put"})
    async def put_info(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        table: InfoTable,
        key: InfoKey,
        data: JSONBody[s.InfoEntryIn],
    ) -> s.InfoEntryOut:
        """Create or replace an entry; calls in progress hear the new text on their next
        lookup."""
        service = InfoService(db_session, current_principal(request).tenant_id)
        return info_out(await service.put(table, key, data.text))

    @delete(
        "/info/{table:str}/{key:str}",
        opt=WRITE | {"audit_action": "ivr_info.delete"},
        status_code=204,
    )
    async def delete_info(
        self, request: Request[Any, Any, Any], db_session: DbSession, table: InfoTable, key: InfoKey
    ) -> None:
        await InfoService(db_session, current_principal(request).tenant_id).remove(table, key)

    # --- simulator (IVR-3) -----------------------------------------------------------------------

    @post("/simulate", opt=READ | {"audit_action": "ivr_flow.simulate"}, status_code=200)
    async def simulate(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.SimulateIn]
    ) -> s.SimulateOut:
        """Walk a flow with typed digits: the path, what the caller hears, the end."""
        tenant_id = current_principal(request).tenant_id
        service = FlowService(db_session, tenant_id)
        document = await _document_to_simulate(service, data)
        errors = await service.validate(document)
        if errors:
            raise Problem(400, f"The flow has {len(errors)} error(s); fix them to simulate.",
                          code="invalid_flow", errors=msgspec.to_builtins(errors))  # fmt: skip
        at = data.at or datetime.now(UTC)
        if at.tzinfo is None:
            raise Problem(400, "Give `at` with its offset, e.g. 2026-10-01T09:30:00+08:00.")
        canned = {
            k: CannedHttp(v.status, v.body, v.timeout) for k, v in data.http_responses.items()
        }
        sim = Simulation(document, TenantResources(db_session, tenant_id), data.caller_number,
                         at, list(data.digits), canned)  # fmt: skip
        return simulation_out(await sim.run())


async def _document_to_simulate(service: FlowService, data: s.SimulateIn) -> FlowDocument:
    if data.document is not None:
        return data.document
    if data.flow_id is None:
        raise Problem(400, "Give a flowId or a document.")
    await service.get(data.flow_id)
    if data.version is not None:
        return from_json((await service.version(data.flow_id, data.version)).document)
    draft = await service.draft(data.flow_id)
    if draft is not None:
        return from_json(draft.document)
    published = await service.published_document(data.flow_id)
    if published is None:
        raise Problem(409, "This flow has no version to simulate.")
    return published


def info_out(e: IvrInfoEntry) -> s.InfoEntryOut:
    return s.InfoEntryOut(id=e.id, table=e.table_name, key=e.key, text=e.text,
                          updated_at=e.updated_at)  # fmt: skip


_ACTION_NAMES = {
    ip.Hangup: "hangup",
    ip.Transfer: "transfer",
    ip.Enqueue: "enqueue",
    ip.Voicemail: "voicemail",
    ip.CollectDigits: "collect_digits",
}


def final_out(action: ip.Action | None) -> s.FinalOut | None:
    if action is None:
        return None
    detail = msgspec.to_builtins(
        {k: getattr(action, k) for k in action.__dataclass_fields__ if k != "node_id"}
    )
    name = _ACTION_NAMES.get(type(action), type(action).__name__.lower())
    return s.FinalOut(action=name, node_id=action.node_id, detail=detail)


def simulation_out(result: SimulationResult) -> s.SimulateOut:
    return s.SimulateOut(
        ended="left_ivr" if result.ended == "left_ivr" else "needs_input",
        path=[
            s.StepOut(depth=p.depth, node_id=p.node_id, node_type=p.node_type, exit=p.exit)
            for p in result.path
        ],
        heard=[
            s.HeardOut(
                node_id=h.node_id,
                kind="say" if h.kind == "say" else "play",
                prompt=h.prompt,
                text=h.text,
                voice=h.voice,
            )
            for h in result.heard
        ],
        variables=dict(result.variables),
        final=final_out(result.final),
        http_calls=result.http_calls,
    )
