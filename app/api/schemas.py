"""Wire formats of the partner API domain (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel, Page

__all__ = ["Page"]

ScopeName = Literal[
    "calls:read", "calls:write", "recordings:read", "agents:read", "webhooks:manage", "leads:write"
]
# The tenant event stream's types (app/seats/README.md, app/callcontrol/README.md,
# app/dialer/README.md), "webhook.test" (the send-test action) and "*" (every event).
EventType = Literal[
    "*",
    "agent_state",
    "call_offered",
    "call_queued",
    "call_answered",
    "call_ring_failed",
    "call_ended",
    "call_abandoned",
    "call_overflowed",
    "queue_busy",
    "call.arrived",
    "call.state",
    "leg.state",
    "call.dtmf",
    "call.hold",
    "call.resume",
    "ivr.step",
    "dialer.import.progress",
    "dialer.import.finished",
    "dialer.campaign.status",
    "dialer.callback.reminder",
    "webhook.test",
]
ClientName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Url = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s]+$", max_length=2000)]


class ApiClientIn(Camel):
    name: ClientName
    scopes: Annotated[list[ScopeName], msgspec.Meta(min_length=1)]
    rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 600
    # Authorization code + PKCE only: exact URIs the user's browser may be sent back to.
    redirect_uris: Annotated[list[Url], msgspec.Meta(max_length=10)] = msgspec.field(
        default_factory=list
    )


class ApiClientOut(Camel):
    id: UUID
    client_id: str
    name: str
    scopes: list[str]
    rate_limit_per_minute: int
    created_at: datetime
    created_by: UUID
    revoked_at: datetime | None
    last_used_at: datetime | None
    redirect_uris: list[str] = msgspec.field(default_factory=list)


class ApiClientCreated(ApiClientOut):
    """The only response that carries the secret: it is kept hashed and never shown again."""

    client_secret: str = ""


class WebhookIn(Camel):
    url: Url
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1)]
    description: Annotated[str, msgspec.Meta(max_length=200)] = ""
    enabled: bool = True


class WebhookPatch(Camel):
    url: Url | None = None
    event_types: Annotated[list[EventType], msgspec.Meta(min_length=1)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    enabled: bool | None = None


class WebhookOut(Camel):
    id: UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    created_at: datetime


class WebhookCreated(WebhookOut):
    """The only response that carries the signing secret."""

    secret: str = ""


class AttemptOut(Camel):
    attempt: int
    outcome: str
    status_code: int | None
    latency_ms: int
    error: str | None
    at: datetime


class DeliveryOut(Camel):
    id: UUID
    endpoint_id: UUID
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[AttemptOut]


class TestEventOut(Camel):
    delivery_id: UUID
    event_id: str


class TokenOut(msgspec.Struct):
    """RFC 6749 section 5.1 (snake_case, as OAuth clients expect)."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str


class AuthorizeIn(Camel):
    """The authorization request (RFC 6749 4.1.1 + RFC 7636 4.3) the consent screen relays."""

    client_id: Annotated[str, msgspec.Meta(max_length=100)]
    redirect_uri: Annotated[str, msgspec.Meta(max_length=2000)]
    code_challenge: Annotated[str, msgspec.Meta(min_length=43, max_length=128)]
    response_type: Literal["code"] = "code"
    code_challenge_method: Literal["S256"] = "S256"
    scope: Annotated[str, msgspec.Meta(max_length=500)] = ""
    state: Annotated[str, msgspec.Meta(max_length=500)] = ""
    approve: bool | None = None  # None: only check the request and describe it


class AuthorizeOut(Camel):
    client_name: str
    scopes: list[str]
    redirect_to: str | None = None  # set when approved or denied: send the browser there
