"""CRUD of the tenant settings that later domains read: businesses (TEN-5), calendars (TEN-6),
caller lists (TEN-7) and numbers (TEN-9). Ids in bodies are checked to belong to the caller's
tenant: a forged id is a 404, exactly like a forged id in the URL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from advanced_alchemy.filters import OrderBy
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.deps import DbSession
from app.db.repository import TenantRepository
from app.lib.numbers import InvalidNumberError, normalize_number
from app.lib.pagination import Offset
from app.lib.problems import Problem
from app.tenants import schemas as s
from app.tenants.auth import current_principal
from app.tenants.calendar import CalendarError, CalendarSpec
from app.tenants.models import Business, Calendar, CallerListEntry, PhoneNumber
from app.tenants.permissions import Perm

Limit = Annotated[int, QueryParameter(ge=1, le=200)]
Search = Annotated[str | None, QueryParameter(max_length=100)]


class BusinessRepository(TenantRepository[Business]):
    model_type = Business


class CalendarRepository(TenantRepository[Calendar]):
    model_type = Calendar


class CallerListRepository(TenantRepository[CallerListEntry]):
    model_type = CallerListEntry


class NumberRepository(TenantRepository[PhoneNumber]):
    model_type = PhoneNumber


def _tenant(request: Request[Any, Any, Any]) -> UUID:
    return current_principal(request).tenant_id


def _number(raw: str) -> str:
    try:
        return normalize_number(raw)
    except InvalidNumberError as exc:
        raise Problem(400, str(exc), code="invalid_number") from exc


async def _check_business(session: AsyncSession, tenant_id: UUID, business_id: UUID | None) -> None:
    if business_id and not await BusinessRepository(
        session=session, tenant_id=tenant_id
    ).find_by_id(business_id):
        raise Problem(404, "No such business.")


async def _check_calendar(session: AsyncSession, tenant_id: UUID, calendar_id: UUID | None) -> None:
    if calendar_id and not await CalendarRepository(
        session=session, tenant_id=tenant_id
    ).find_by_id(calendar_id):
        raise Problem(404, "No such calendar.")


# --- businesses -----------------------------------------------------------------------------


def business_out(b: Business) -> s.BusinessOut:
    return s.BusinessOut(
        id=b.id,
        name=b.name,
        description=b.description,
        calendar_id=b.calendar_id,
        is_active=b.is_active,
        created_at=b.created_at,
    )


class BusinessController(Controller):
    path = "/api/v1/businesses"
    tags = ["businesses"]
    READ = {"permission": Perm.SETTINGS_READ}
    WRITE = {"permission": Perm.SETTINGS_WRITE, "audit_target": "business"}

    @get("/", opt=READ)
    async def list_businesses(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        search: Search = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> s.Page[s.BusinessOut]:
        filters: list[Any] = [OrderBy("name", "asc")]
        if search:
            filters.append(func.lower(Business.name).contains(search.lower(), autoescape=True))
        repo = BusinessRepository(session=db_session, tenant_id=_tenant(request))
        rows, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(
            items=[business_out(b) for b in rows], total=total, limit=limit, offset=offset
        )

    @post("/", opt=WRITE | {"audit_action": "business.create"})
    async def create_business(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.BusinessIn]
    ) -> s.BusinessOut:
        await _check_calendar(db_session, _tenant(request), data.calendar_id)
        repo = BusinessRepository(session=db_session, tenant_id=_tenant(request))
        return business_out(await repo.add_owned(Business(**msgspec.structs.asdict(data))))

    @get("/{business_id:uuid}", opt=READ)
    async def get_business(
        self, request: Request[Any, Any, Any], db_session: DbSession, business_id: FromPath[UUID]
    ) -> s.BusinessOut:
        repo = BusinessRepository(session=db_session, tenant_id=_tenant(request))
        return business_out(await repo.get_one_by_id(business_id))

    @patch("/{business_id:uuid}", opt=WRITE | {"audit_action": "business.update"})
    async def update_business(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        business_id: FromPath[UUID],
        data: JSONBody[s.BusinessPatch],
    ) -> s.BusinessOut:
        await _check_calendar(db_session, _tenant(request), data.calendar_id)
        repo = BusinessRepository(session=db_session, tenant_id=_tenant(request))
        business = await repo.get_one_by_id(business_id)
        _apply(business, data)
        await db_session.flush()
        return business_out(business)

    @delete("/{business_id:uuid}", opt=WRITE | {"audit_action": "business.delete"}, status_code=204)
    async def delete_business(
        self, request: Request[Any, Any, Any], db_session: DbSession, business_id: FromPath[UUID]
    ) -> None:
        await BusinessRepository(session=db_session, tenant_id=_tenant(request)).delete_by_id(
            business_id
        )


def _apply(item: Any, patch_data: msgspec.Struct) -> None:
    """Apply the fields a PATCH body sets (None means: leave as is)."""
    for name, value in msgspec.structs.asdict(patch_data).items():
        if value is not None:
            setattr(item, name, value)


# --- calendars ------------------------------------------------------------------------------


def calendar_out(c: Calendar) -> s.CalendarOut:
    return s.CalendarOut(
        id=c.id,
        name=c.name,
        timezone=c.timezone,
        weekly_hours=msgspec.convert(c.weekly_hours, list[s.WeeklyHours]),
        holidays=msgspec.convert(c.holidays, list[s.Holiday]),
        special_days=msgspec.convert(c.special_days, list[s.SpecialDay]),
        created_at=c.created_at,
    )


def _calendar_columns(data: JSONBody[s.CalendarIn]) -> dict[str, Any]:
    columns = {
        "name": data.name,
        "timezone": data.timezone,
        "weekly_hours": msgspec.to_builtins(data.weekly_hours),
        "holidays": msgspec.to_builtins(data.holidays),
        "special_days": msgspec.to_builtins(data.special_days),
    }
    try:
        CalendarSpec.from_json(
            columns["timezone"],
            columns["weekly_hours"],
            columns["holidays"],
            columns["special_days"],
        )
    except CalendarError as exc:
        raise Problem(400, f"Calendar not valid: {exc}", code="invalid_calendar") from exc
    return columns


def calendar_spec(c: Calendar) -> CalendarSpec:
    return CalendarSpec.from_json(c.timezone, c.weekly_hours, c.holidays, c.special_days)


class CalendarController(Controller):
    path = "/api/v1/calendars"
    tags = ["calendars"]
    READ = {"permission": Perm.SETTINGS_READ}
    WRITE = {"permission": Perm.SETTINGS_WRITE, "audit_target": "calendar"}

    @get("/", opt=READ)
    async def list_calendars(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        search: Search = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> s.Page[s.CalendarOut]:
        filters: list[Any] = [OrderBy("name", "asc")]
        if search:
            filters.append(func.lower(Calendar.name).contains(search.lower(), autoescape=True))
        repo = CalendarRepository(session=db_session, tenant_id=_tenant(request))
        rows, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(
            items=[calendar_out(c) for c in rows], total=total, limit=limit, offset=offset
        )

    @post("/", opt=WRITE | {"audit_action": "calendar.create"})
    async def create_calendar(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.CalendarIn]
    ) -> s.CalendarOut:
        repo = CalendarRepository(session=db_session, tenant_id=_tenant(request))
        return calendar_out(await repo.add_owned(Calendar(**_calendar_columns(data))))

    @get("/{calendar_id:uuid}", opt=READ)
    async def get_calendar(
        self, request: Request[Any, Any, Any], db_session: DbSession, calendar_id: FromPath[UUID]
    ) -> s.CalendarOut:
        repo = CalendarRepository(session=db_session, tenant_id=_tenant(request))
        return calendar_out(await repo.get_one_by_id(calendar_id))

    @put("/{calendar_id:uuid}", opt=WRITE | {"audit_action": "calendar.update"})
    async def replace_calendar(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        calendar_id: FromPath[UUID],
        data: JSONBody[s.CalendarIn],
    ) -> s.CalendarOut:
        repo = CalendarRepository(session=db_session, tenant_id=_tenant(request))
        calendar = await repo.get_one_by_id(calendar_id)
        for name, value in _calendar_columns(data).items():
            setattr(calendar, name, value)
        await db_session.flush()
        return calendar_out(calendar)

    @delete("/{calendar_id:uuid}", opt=WRITE | {"audit_action": "calendar.delete"}, status_code=204)
    async def delete_calendar(
        self, request: Request[Any, Any, Any], db_session: DbSession, calendar_id: FromPath[UUID]
    ) -> None:
        await CalendarRepository(session=db_session, tenant_id=_tenant(request)).delete_by_id(
            calendar_id
        )

    @get("/{calendar_id:uuid}/open", opt=READ)
    async def is_open(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        calendar_id: FromPath[UUID],
        at: FromQuery[datetime | None] = None,
    ) -> s.OpenOut:
        """Is it open at `at` (default: now), and which rule decided."""
        repo = CalendarRepository(session=db_session, tenant_id=_tenant(request))
        calendar = await repo.get_one_by_id(calendar_id)
        when = at or datetime.now(UTC)
        if when.tzinfo is None:
            raise Problem(400, "Give the time with its offset, e.g. 2026-10-01T09:30:00+08:00.")
        verdict = calendar_spec(calendar).is_open(when)
        return s.OpenOut(
            open=verdict.open, rule=verdict.rule, local_time=verdict.local_time.isoformat()
        )


# --- caller lists ---------------------------------------------------------------------------


def caller_list_out(e: CallerListEntry) -> s.CallerListOut:
    return s.CallerListOut(
        id=e.id,
        list_kind=e.list_kind,
        number=e.number,
        note=e.note,
        business_id=e.business_id,
        expires_at=e.expires_at,
        created_at=e.created_at,
    )


class CallerListController(Controller):
    path = "/api/v1/caller-lists"
    tags = ["caller-lists"]
    READ = {"permission": Perm.LISTS_READ}
    WRITE = {"permission": Perm.LISTS_WRITE, "audit_target": "caller_list_entry"}

    @get("/", opt=READ)
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        list_kind: Annotated[s.ListKind | None, QueryParameter(name="listKind")] = None,
        number: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> s.Page[s.CallerListOut]:
        filters: list[Any] = [OrderBy("created_at", "desc")]
        if list_kind:
            filters.append(CallerListEntry.list_kind == list_kind)
        if number:
            filters.append(CallerListEntry.number.contains(number.strip(), autoescape=True))
        repo = CallerListRepository(session=db_session, tenant_id=_tenant(request))
        rows, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(
            items=[caller_list_out(e) for e in rows], total=total, limit=limit, offset=offset
        )

    @post("/", opt=WRITE | {"audit_action": "caller_list.add"})
    async def add_entry(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.CallerListIn]
    ) -> s.CallerListOut:
        await _check_business(db_session, _tenant(request), data.business_id)
        repo = CallerListRepository(session=db_session, tenant_id=_tenant(request))
        entry = CallerListEntry(**msgspec.structs.asdict(data))
        entry.number = _number(data.number)
        return caller_list_out(await repo.add_owned(entry))

    @get("/check", opt=READ)
    async def check_number(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        number: Annotated[str, QueryParameter(min_length=3, max_length=40)],
    ) -> s.ListCheckOut:
        """Which lists a number is on now (expired entries do not count)."""
        normalized = _number(number)
        repo = CallerListRepository(session=db_session, tenant_id=_tenant(request))
        rows = await repo.get_many(CallerListEntry.number == normalized)
        now = datetime.now(UTC)
        kinds = sorted({e.list_kind for e in rows if e.expires_at is None or e.expires_at > now})
        return s.ListCheckOut(number=normalized, lists=kinds)

    @get("/{entry_id:uuid}", opt=READ)
    async def get_entry(
        self, request: Request[Any, Any, Any], db_session: DbSession, entry_id: FromPath[UUID]
    ) -> s.CallerListOut:
        repo = CallerListRepository(session=db_session, tenant_id=_tenant(request))
        return caller_list_out(await repo.get_one_by_id(entry_id))

    @patch("/{entry_id:uuid}", opt=WRITE | {"audit_action": "caller_list.update"})
    async def update_entry(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        entry_id: FromPath[UUID],
        data: JSONBody[s.CallerListPatch],
    ) -> s.CallerListOut:
        await _check_business(db_session, _tenant(request), data.business_id)
        repo = CallerListRepository(session=db_session, tenant_id=_tenant(request))
        entry = await repo.get_one_by_id(entry_id)
        _apply(entry, data)
        await db_session.flush()
        return caller_list_out(entry)

    @delete("/{entry_id:uuid}", opt=WRITE | {"audit_action": "caller_list.remove"}, status_code=204)
    async def remove_entry(
        self, request: Request[Any, Any, Any], db_session: DbSession, entry_id: FromPath[UUID]
    ) -> None:
        await CallerListRepository(session=db_session, tenant_id=_tenant(request)).delete_by_id(
            entry_id
        )


# --- numbers --------------------------------------------------------------------------------


def number_out(n: PhoneNumber) -> s.NumberOut:
    return s.NumberOut(
        id=n.id,
        number=n.number,
        kind=n.kind,
        label=n.label,
        business_id=n.business_id,
        flow_id=n.flow_id,
        is_active=n.is_active,
        created_at=n.created_at,
    )


class NumberController(Controller):
    path = "/api/v1/numbers"
    tags = ["numbers"]
    READ = {"permission": Perm.SETTINGS_READ}
    WRITE = {"permission": Perm.SETTINGS_WRITE, "audit_target": "phone_number"}

    @get("/", opt=READ)
    async def list_numbers(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        kind: FromQuery[s.NumberKind | None] = None,
        business_id: Annotated[UUID | None, QueryParameter(name="businessId")] = None,
        search: Search = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> s.Page[s.NumberOut]:
        filters: list[Any] = [OrderBy("number", "asc")]
        if kind:
            filters.append(PhoneNumber.kind == kind)
        if business_id:
            filters.append(PhoneNumber.business_id == business_id)
        if search:
            filters.append(PhoneNumber.number.contains(search.strip(), autoescape=True))
        repo = NumberRepository(session=db_session, tenant_id=_tenant(request))
        rows, total = await repo.page(*filters, limit=limit, offset=offset)
        return s.Page(items=[number_out(n) for n in rows], total=total, limit=limit, offset=offset)

    @post("/", opt=WRITE | {"audit_action": "number.add"})
    async def add_number(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[s.NumberIn]
    ) -> s.NumberOut:
        await _check_business(db_session, _tenant(request), data.business_id)
        repo = NumberRepository(session=db_session, tenant_id=_tenant(request))
        number = PhoneNumber(**msgspec.structs.asdict(data))
        number.number = _number(data.number)
        return number_out(await repo.add_owned(number))

    @get("/{number_id:uuid}", opt=READ)
    async def get_number(
        self, request: Request[Any, Any, Any], db_session: DbSession, number_id: FromPath[UUID]
    ) -> s.NumberOut:
        repo = NumberRepository(session=db_session, tenant_id=_tenant(request))
        return number_out(await repo.get_one_by_id(number_id))

    @patch("/{number_id:uuid}", opt=WRITE | {"audit_action": "number.update"})
    async def update_number(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        number_id: FromPath[UUID],
        data: JSONBody[s.NumberPatch],
    ) -> s.NumberOut:
        await _check_business(db_session, _tenant(request), data.business_id)
        repo = NumberRepository(session=db_session, tenant_id=_tenant(request))
        number = await repo.get_one_by_id(number_id)
        _apply(number, data)
        await db_session.flush()
        return number_out(number)

    @delete("/{number_id:uuid}", opt=WRITE | {"audit_action": "number.remove"}, status_code=204)
    async def remove_number(
        self, request: Request[Any, Any, Any], db_session: DbSession, number_id: FromPath[UUID]
    ) -> None:
        await NumberRepository(session=db_session, tenant_id=_tenant(request)).delete_by_id(
            number_id
        )
