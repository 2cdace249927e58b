"""Wire shapes of the customers API (CRM-1); camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Company = Annotated[str, msgspec.Meta(max_length=200)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$")]
Category = Annotated[str, msgspec.Meta(max_length=50)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=20)]
FieldName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
FieldValue = Annotated[str, msgspec.Meta(max_length=1000)]
Custom = Annotated[dict[FieldName, FieldValue], msgspec.Meta(max_length=50)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]
Phone = Annotated[str, msgspec.Meta(max_length=40)]
Phones = Annotated[list[Phone], msgspec.Meta(max_length=10)]


class CustomerIn(Camel):
    name: Name
    company: Company = ""
    phones: Phones = []
    email: Email = ""
    category: Category = ""
    tags: Tags = []
    custom: Custom = {}
    notes: Notes = ""


class CustomerFromCallIn(Camel):
    """A record for the caller of a call; the number comes from the call on the server."""

    name: Name
    company: Company = ""
    email: Email = ""
    category: Category = ""
    tags: Tags = []
    custom: Custom = {}
    notes: Notes = ""


class CustomerPatch(Camel):
    """Fields left out are unchanged. `phones` replaces the numbers the caller may see in full;
    numbers shown to them masked (taken from a masked call) are kept."""

    name: Name | None = None
    company: Company | None = None
    phones: Phones | None = None
    email: Email | None = None
    category: Category | None = None
    tags: Tags | None = None
    custom: Custom | None = None
    notes: Notes | None = None


class CustomerPhoneOut(Camel):
    phone: str  # E.164, or masked (`138****8000`) for agents and QA when hidden
    hidden: bool


class CustomerOut(Camel):
    id: UUID
    name: str
    company: str
    phones: list[CustomerPhoneOut]
    email: str
    category: str
    tags: list[str]
    custom: dict[str, str]
    notes: str
    created_by: UUID | None
    created_by_name: str | None
    updated_by: UUID | None
    updated_by_name: str | None
    created_at: datetime
    updated_at: datetime


class CallCustomerOut(Camel):
    """The screen pop: the caller's number as the user may see it and their record, if any."""

    call_key: str
    phone: str
    phone_hidden: bool
    customer: CustomerOut | None
