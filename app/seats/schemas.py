"""Wire formats of seats/extensions (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

ExtNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{3,6}$")]
SipPassword = Annotated[str, msgspec.Meta(min_length=8, max_length=128)]
SeatType = Literal["webrtc", "sip", "gateway"]


class ExtensionIn(Camel):
    number: ExtNumber
    password: SipPassword
    display_name: Annotated[str, msgspec.Meta(max_length=100)] = ""
    seat_type: SeatType = "webrtc"
    user_id: UUID | None = None
    business_id: UUID | None = None
    bound_ip: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class ExtensionPatch(Camel):
    display_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    seat_type: SeatType | None = None
    user_id: UUID | None = None
    business_id: UUID | None = None
    bound_ip: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    is_active: bool | None = None


class ExtensionPasswordIn(Camel):
    password: SipPassword


class ExtensionOut(Camel):
    id: UUID
    number: str
    sip_uri: str
    display_name: str
    seat_type: str
    user_id: UUID | None
    business_id: UUID | None
    bound_ip: str | None
    is_active: bool
    created_at: datetime
