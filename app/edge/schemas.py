"""Wire formats of the edge domain: a tenant's carrier trunks and site gateways (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel, Page

__all__ = ["Page", "TrunkIn", "TrunkOut", "TrunkPatch"]

TrunkKind = Literal["carrier", "gateway"]
Transport = Literal["udp", "tcp", "tls"]
TrunkName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
# A host name or an IP address; checked further in services.check_host.
Host = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
# Addresses or CIDR blocks; checked and normalised in services.normalise_sources.
Sources = Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=32)]
Username = Annotated[str, msgspec.Meta(max_length=100)]
Secret = Annotated[str, msgspec.Meta(max_length=200)]
CallerId = Annotated[str, msgspec.Meta(pattern=r"^(\+?[0-9]{3,20})?$")]
Channels = Annotated[int, msgspec.Meta(ge=1, le=10000)]


class TrunkIn(Camel):
    name: TrunkName
    host: Host
    port: Port = 5060
    transport: Transport = "udp"
    kind: TrunkKind = "carrier"
    # TEN-5: a trunk assigned to a business serves only that business.
    business_id: UUID | None = None
    source_ips: Sources = msgspec.field(default_factory=list)
    # Outbound registration / digest credentials; the password is kept to answer the carrier's
    # challenge and is never returned.
    username: Username = ""
    password: Secret = ""
    caller_id: CallerId = ""
    max_channels: Channels = 30
    is_active: bool = True


class TrunkPatch(Camel):
    """Fields left out (or null) stay as they are; `password: ""` clears the password,
    `businessId: null` cannot be told from "unchanged": clear it with `clearBusiness`."""

    name: TrunkName | None = None
    host: Host | None = None
    port: Port | None = None
    transport: Transport | None = None
    kind: TrunkKind | None = None
    business_id: UUID | None = None
    clear_business: bool = False
    source_ips: Sources | None = None
    username: Username | None = None
    password: Secret | None = None
    caller_id: CallerId | None = None
    max_channels: Channels | None = None
    is_active: bool | None = None


class TrunkOut(Camel):
    id: UUID
    name: str
    kind: str
    host: str
    port: int
    transport: str
    business_id: UUID | None
    source_ips: list[str]
    username: str
    has_password: bool
    caller_id: str
    max_channels: int
    is_active: bool
    created_at: datetime
    updated_at: datetime
