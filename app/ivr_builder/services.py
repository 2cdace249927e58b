"""Flows and their versions (IVR-3), number binding, information entries (IVR-6), and the
tenant data the interpreter reads at run time. Every function takes the tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from advanced_alchemy.filters import OrderBy
from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.repository import TenantRepository
from app.ivr_builder import validation
from app.ivr_builder.flow import FlowDocument, Node, from_json, to_json
from app.ivr_builder.models import IvrFlow, IvrFlowVersion, IvrInfoEntry
from app.lib.numbers import InvalidNumberError, normalize_number
from app.lib.problems import Problem
from app.tenants.calendar import CalendarError, CalendarSpec

# The tenants domain has no service API for these reads yet; its tenant-scoped repositories
# are the way in (never its tables directly).
from app.tenants.controllers.settings import (
    BusinessRepository,
    CalendarRepository,
    CallerListRepository,
    NumberRepository,
    calendar_spec,
)
from app.tenants.models import CallerListEntry, PhoneNumber

EMPTY_FLOW = FlowDocument(start="start", nodes=[Node(id="start", type="hang_up")])


class FlowRepository(TenantRepository[IvrFlow]):
    model_type = IvrFlow


class VersionRepository(TenantRepository[IvrFlowVersion]):
    model_type = IvrFlowVersion


class InfoRepository(TenantRepository[IvrInfoEntry]):
    model_type = IvrInfoEntry


def _now() -> datetime:
    return datetime.now(UTC)


class FlowService:
    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id
        self.flows = FlowRepository(session=session, tenant_id=tenant_id)
        self.versions = VersionRepository(session=session, tenant_id=tenant_id)

    # --- flows ---------------------------------------------------------------------------------

    async def create(
        self, flow: IvrFlow, document: FlowDocument | None, user_id: UUID | None
    ) -> tuple[IvrFlow, IvrFlowVersion]:
        flow = await self.flows.add_owned(flow)
        draft = await self._new_version(flow.id, 1, document or EMPTY_FLOW, user_id)
        return flow, draft

    async def check_business(self, business_id: UUID | None) -> None:
        """A business id in a body must be this tenant's (a forged one is a 404)."""
        repo = BusinessRepository(session=self.session, tenant_id=self.tenant_id)
        if business_id and not await repo.find_by_id(business_id):
            raise Problem(404, "No such business.")

    async def get(self, flow_id: UUID) -> IvrFlow:
        flow = await self.flows.find_by_id(flow_id)
        if flow is None:
            raise Problem(404, "No such flow.")
        return flow

    async def delete(self, flow_id: UUID) -> None:
        await self.get(flow_id)
        numbers = await NumberRepository(session=self.session, tenant_id=self.tenant_id).count(
            PhoneNumber.flow_id == flow_id
        )
        if numbers:
            raise Problem(409, f"{numbers} number(s) still route to this flow; point them at "
                          "another flow first.")  # fmt: skip
        callers = await self.versions.count(
            IvrFlowVersion.status == "published",
            IvrFlowVersion.flow_id != flow_id,
            cast(IvrFlowVersion.document, Text).contains(str(flow_id)),
        )
        if callers:
            raise Problem(409, "A published flow runs this one as a sub-flow.")
        await self.flows.delete_by_id(flow_id)

    # --- versions ------------------------------------------------------------------------------

    async def _new_version(
        self, flow_id: UUID, number: int, document: FlowDocument, user_id: UUID | None
    ) -> IvrFlowVersion:
        version = IvrFlowVersion(
            flow_id=flow_id, number=number, document=to_json(document), created_by=user_id
        )
        version.status = "draft"
        return await self.versions.add_owned(version)

    async def list_versions(self, flow_id: UUID) -> list[IvrFlowVersion]:
        await self.get(flow_id)
        rows = await self.versions.get_many(IvrFlowVersion.flow_id == flow_id)
        return sorted(rows, key=lambda v: v.number, reverse=True)

    async def version(self, flow_id: UUID, number: int) -> IvrFlowVersion:
        found = await self.versions.get_one_or_none(
            IvrFlowVersion.flow_id == flow_id, IvrFlowVersion.number == number
        )
        if found is None:
            raise Problem(404, f"This flow has no version {number}.")
        return found

    async def draft(self, flow_id: UUID) -> IvrFlowVersion | None:
        return await self.versions.get_one_or_none(
            IvrFlowVersion.flow_id == flow_id, IvrFlowVersion.status == "draft"
        )

    async def numbers_of(self, flow: IvrFlow) -> tuple[int | None, int | None]:
        """(published version number, draft version number)."""
        draft = await self.draft(flow.id)
        published = None
        if flow.published_version_id:
            published_row = await self.versions.find_by_id(flow.published_version_id)
            published = published_row.number if published_row else None
        return published, draft.number if draft else None

    async def save_draft(
        self, flow_id: UUID, document: FlowDocument, user_id: UUID | None
    ) -> IvrFlowVersion:
        """Replace the draft, or start a new one numbered after the last version."""
        await self.get(flow_id)
        draft = await self.draft(flow_id)
        if draft is not None:
            draft.document = to_json(document)
            draft.created_by = user_id
            await self.session.flush()
            return draft
        last = await self.session.scalar(
            select(func.max(IvrFlowVersion.number)).where(
                IvrFlowVersion.tenant_id == self.tenant_id, IvrFlowVersion.flow_id == flow_id
            )
        )
        return await self._new_version(flow_id, (last or 0) + 1, document, user_id)

    async def context(self) -> validation.Context:
        """What sub-flows and time branches may refer to: this tenant's published flows and
        calendars."""
        published = await self.flows.get_many(IvrFlow.published_version_id.is_not(None))
        calendars = await CalendarRepository(
            session=self.session, tenant_id=self.tenant_id
        ).get_many()
        return validation.Context(
            published_flows={f.id for f in published}, calendars={c.id for c in calendars}
        )

    async def validate(self, document: FlowDocument) -> list[validation.FlowError]:
        return validation.validate(document, await self.context())

    async def publish(self, flow_id: UUID) -> IvrFlowVersion:
        flow = await self.get(flow_id)
        draft = await self.draft(flow_id)
        if draft is None:
            raise Problem(409, "There is no draft to publish: save one first.")
        await self._make_published(flow, draft)
        return draft

    async def rollback(self, flow_id: UUID, number: int) -> IvrFlowVersion:
        """Republish an earlier version; the draft, if any, is kept for further editing."""
        flow = await self.get(flow_id)
        target = await self.version(flow_id, number)
        if target.status == "draft":
            raise Problem(409, "That version is the draft: publish it instead.")
        if target.id != flow.published_version_id:
            await self._make_published(flow, target)
        return target

    async def _make_published(self, flow: IvrFlow, version: IvrFlowVersion) -> None:
        # Re-checked at publish time: a sub-flow or calendar may have gone since it was saved.
        errors = await self.validate(from_json(version.document))
        if errors:
            raise Problem(
                400,
                f"Version {version.number} has {len(errors)} error(s) and cannot be published.",
                code="invalid_flow",
                errors=msgspec.to_builtins(errors),
            )
        if flow.published_version_id:
            current = await self.versions.find_by_id(flow.published_version_id)
            if current is not None:
                current.status = "archived"
        version.status = "published"
        version.published_at = _now()
        flow.published_version_id = version.id
        flow.updated_at = _now()
        await self.session.flush()

    async def published_document(self, flow_id: UUID) -> FlowDocument | None:
        flow = await self.flows.find_by_id(flow_id)
        if flow is None or flow.published_version_id is None:
            return None
        version = await self.versions.find_by_id(flow.published_version_id)
        return from_json(version.document) if version else None

    # --- numbers -------------------------------------------------------------------------------

    async def bind_number(self, flow_id: UUID, number_id: UUID) -> PhoneNumber:
        """Calls to the number run this flow; only a published flow of the same tenant."""
        flow = await self.get(flow_id)
        number = await self._number(number_id)
        if flow.published_version_id is None:
            raise Problem(409, "Publish the flow before pointing a number at it.")
        number.flow_id = flow.id
        await self.session.flush()
        return number

    async def unbind_number(self, flow_id: UUID, number_id: UUID) -> PhoneNumber:
        await self.get(flow_id)
        number = await self._number(number_id)
        if number.flow_id != flow_id:
            raise Problem(409, "That number does not route to this flow.")
        number.flow_id = None
        await self.session.flush()
        return number

    async def _number(self, number_id: UUID) -> PhoneNumber:
        repo = NumberRepository(session=self.session, tenant_id=self.tenant_id)
        number = await repo.find_by_id(number_id)
        if number is None:
            raise Problem(404, "No such number.")
        return number


class InfoService:
    """IVR-6: information entries; the interpreter reads them on every lookup (live)."""

    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.repo = InfoRepository(session=session, tenant_id=tenant_id)

    async def page(
        self, table: str | None, limit: int, offset: int
    ) -> tuple[list[IvrInfoEntry], int]:
        filters: list[Any] = [OrderBy("table_name", "asc"), OrderBy("key", "asc")]
        if table:
            filters.append(IvrInfoEntry.table_name == table)
        return await self.repo.page(*filters, limit=limit, offset=offset)

    async def find(self, table: str, key: str) -> IvrInfoEntry | None:
        return await self.repo.get_one_or_none(
            IvrInfoEntry.table_name == table, IvrInfoEntry.key == key
        )

    async def put(self, table: str, key: str, text: str) -> IvrInfoEntry:
        entry = await self.find(table, key)
        if entry is None:
            return await self.repo.add_owned(IvrInfoEntry(table_name=table, key=key, text=text))
        entry.text = text
        entry.updated_at = _now()
        await self.session.flush()
        return entry

    async def remove(self, table: str, key: str) -> None:
        entry = await self.find(table, key)
        if entry is None:
            raise Problem(404, "No such entry.")
        await self.repo.delete_by_id(entry.id)


class TenantResources:
    """The simulator's (and later callcontrol's) view of the tenant's data, read per lookup."""

    def __init__(self, session: AsyncSession, tenant_id: UUID) -> None:
        self.session = session
        self.tenant_id = tenant_id

    async def calendar(self, calendar_id: UUID) -> CalendarSpec | None:
        repo = CalendarRepository(session=self.session, tenant_id=self.tenant_id)
        found = await repo.find_by_id(calendar_id)
        try:
            return calendar_spec(found) if found else None
        except CalendarError:
            return None

    async def caller_lists(self, number: str) -> frozenset[str]:
        try:
            normalized = normalize_number(number)
        except InvalidNumberError:
            return frozenset()  # anonymous or odd caller ids are on no list
        repo = CallerListRepository(session=self.session, tenant_id=self.tenant_id)
        rows = await repo.get_many(CallerListEntry.number == normalized)
        now = _now()
        return frozenset(e.list_kind for e in rows if e.expires_at is None or e.expires_at > now)

    async def info(self, table: str, key: str) -> str | None:
        entry = await InfoService(self.session, self.tenant_id).find(table, key)
        return entry.text if entry else None

    async def published_flow(self, flow_id: UUID) -> FlowDocument | None:
        return await FlowService(self.session, self.tenant_id).published_document(flow_id)
