"""Wire formats of the tenants domain (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Generic, Literal, TypeVar
from uuid import UUID

import msgspec

T = TypeVar("T")

RoleName = Literal["admin", "supervisor", "qa", "agent"]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class Camel(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    pass


class Page(Camel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class SignupIn(Camel):
    company_name: Name
    slug: Slug
    admin_email: Email
    admin_name: Name
    password: Password


class LoginIn(Camel):
    tenant: Annotated[str, msgspec.Meta(min_length=1, max_length=63)]
    email: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    password: Password
    totp_code: Annotated[str, msgspec.Meta(max_length=12)] | None = None


class UserOut(Camel):
    id: UUID
    tenant_id: UUID
    email: str
    display_name: str
    role: str
    is_active: bool
    totp_enabled: bool
    locked_until: datetime | None
    created_at: datetime


class SessionOut(Camel):
    token: str
    expires_in: int
    password_expired: bool
    user: UserOut


class SignupOut(Camel):
    tenant_id: UUID
    slug: str
    token: str
    user: UserOut


class PasswordChangeIn(Camel):
    current_password: Password
    new_password: Password


class TotpSetupOut(Camel):
    secret: str
    uri: str


class TotpCodeIn(Camel):
    code: Annotated[str, msgspec.Meta(min_length=6, max_length=12)]


class UserCreateIn(Camel):
    email: Email
    display_name: Name
    role: RoleName
    password: Password


class UserUpdateIn(Camel):
    display_name: Name | None = None
    role: RoleName | None = None
    is_active: bool | None = None


class TenantOut(Camel):
    id: UUID
    slug: str
    name: str
    status: str
    password_max_age_days: int | None
    require_totp_for_admins: bool
    created_at: datetime


class TenantUpdateIn(Camel):
    name: Name | None = None
    password_max_age_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | None = None
    clear_password_max_age: bool = False
    require_totp_for_admins: bool | None = None


class AuditOut(Camel):
    id: UUID
    at: datetime
    actor_id: UUID | None
    actor_email: str | None
    action: str
    outcome: str
    method: str | None
    path: str | None
    target_type: str | None
    target_id: str | None
    status_code: int | None
    source_ip: str | None
    detail: dict[str, object]


class AuditExportIn(Camel):
    since: datetime | None = None
    until: datetime | None = None


class JobOut(Camel):
    key: str
    status: str
    result: dict[str, object]


# --- tenant settings: businesses (TEN-5), calendars (TEN-6), caller lists (TEN-7), numbers (TEN-9)

Text = Annotated[str, msgspec.Meta(max_length=2000)]
HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]
IsoDate = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
PhoneText = Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
ListKind = Literal["black", "white", "outbound_white"]
NumberKind = Literal["did", "400", "800", "mobile"]


class BusinessIn(Camel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    description: Text = ""
    calendar_id: UUID | None = None
    is_active: bool = True


class BusinessPatch(Camel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    description: Text | None = None
    calendar_id: UUID | None = None
    is_active: bool | None = None


class BusinessOut(Camel):
    id: UUID
    name: str
    description: str
    calendar_id: UUID | None
    is_active: bool
    created_at: datetime


class WeeklyHours(Camel):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)]
    start: HHMM
    end: HHMM


class Holiday(Camel):
    date: IsoDate
    name: Annotated[str, msgspec.Meta(max_length=100)] = "holiday"


class SpecialDay(Camel):
    date: IsoDate
    start: HHMM
    end: HHMM
    name: Annotated[str, msgspec.Meta(max_length=100)] = "special work day"


class CalendarIn(Camel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    timezone: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "Asia/Shanghai"
    weekly_hours: list[WeeklyHours] = []
    holidays: list[Holiday] = []
    special_days: list[SpecialDay] = []


class CalendarOut(Camel):
    id: UUID
    name: str
    timezone: str
    weekly_hours: list[WeeklyHours]
    holidays: list[Holiday]
    special_days: list[SpecialDay]
    created_at: datetime


class OpenOut(Camel):
    open: bool
    rule: str
    local_time: str


class CallerListIn(Camel):
    list_kind: ListKind
    number: PhoneText
    note: Text = ""
    business_id: UUID | None = None
    expires_at: datetime | None = None


class CallerListPatch(Camel):
    note: Text | None = None
    business_id: UUID | None = None
    expires_at: datetime | None = None


class CallerListOut(Camel):
    id: UUID
    list_kind: str
    number: str
    note: str
    business_id: UUID | None
    expires_at: datetime | None
    created_at: datetime


class ListCheckOut(Camel):
    number: str
    lists: list[str]


class NumberIn(Camel):
    number: PhoneText
    kind: NumberKind = "did"
    label: Annotated[str, msgspec.Meta(max_length=100)] = ""
    business_id: UUID | None = None
    is_active: bool = True


class NumberPatch(Camel):
    kind: NumberKind | None = None
    label: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    business_id: UUID | None = None
    is_active: bool | None = None


class NumberOut(Camel):
    id: UUID
    number: str
    kind: str
    label: str
    business_id: UUID | None
    flow_id: UUID | None
    is_active: bool
    created_at: datetime
