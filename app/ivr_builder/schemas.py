"""Wire formats of the IVR builder API (camelCase JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from app.ivr_builder.flow import FlowDocument
from app.ivr_builder.validation import FlowError

FlowName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
VersionStatus = Literal["draft", "published", "archived"]


class Camel(msgspec.Struct, rename="camel", kw_only=True):
    pass


class NodeTypeOut(Camel):
    type: str
    title: str
    description: str
    params_schema: dict[str, Any]
    exits: list[str]
    required_exits: list[str]
    # Menus also take one exit per DTMF key ("0"-"9", "*", "#").
    digit_exits: bool


class FlowIn(Camel):
    name: FlowName
    description: Text = ""
    business_id: UUID | None = None
    # The first draft; without one the flow starts as a single hang-up node.
    document: FlowDocument | None = None


class FlowPatch(Camel):
    name: FlowName | None = None
    description: Text | None = None
    business_id: UUID | None = None


class FlowOut(Camel):
    id: UUID
    name: str
    description: str
    business_id: UUID | None
    published_version_id: UUID | None
    published_version: int | None
    draft_version: int | None
    created_at: datetime
    updated_at: datetime


class DraftIn(Camel):
    document: FlowDocument


class VersionSummary(Camel):
    id: UUID
    flow_id: UUID
    number: int
    status: VersionStatus
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class VersionOut(VersionSummary):
    document: FlowDocument


class DraftOut(Camel):
    """A saved draft and what still stands between it and publishing."""

    version: VersionOut
    valid: bool
    errors: list[FlowError]


class ValidationOut(Camel):
    version: int
    valid: bool
    errors: list[FlowError]


class RollbackIn(Camel):
    version: Annotated[int, msgspec.Meta(ge=1)]


class NumberBindingOut(Camel):
    number_id: UUID
    number: str
    flow_id: UUID | None


class InfoEntryIn(Camel):
    text: Annotated[str, msgspec.Meta(max_length=4000)]


class InfoEntryOut(Camel):
    id: UUID
    table: str
    key: str
    text: str
    updated_at: datetime


class InfoPage(Camel):
    items: list[InfoEntryOut]
    total: int
    limit: int
    offset: int


class CannedHttpIn(Camel):
    status: Annotated[int, msgspec.Meta(ge=100, le=599)] = 200
    body: Any = None
    timeout: bool = False


DigitsTyped = Annotated[str, msgspec.Meta(pattern=r"^[0-9*#]*$", max_length=32)]


class SimulateIn(Camel):
    """Walk a saved flow (its draft, or `version`) or an unsaved `document`."""

    flow_id: UUID | None = None
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    document: FlowDocument | None = None
    caller_number: Annotated[str, msgspec.Meta(max_length=40)] = ""
    at: datetime | None = None  # with its offset; default now
    # One entry per time the flow listens: the keys typed, "" = silence until the timeout.
    digits: Annotated[list[DigitsTyped], msgspec.Meta(max_length=200)] = []
    # Canned answers for http_lookup nodes, by node id or URL; others call the real URL.
    http_responses: dict[Annotated[str, msgspec.Meta(max_length=2000)], CannedHttpIn] = {}


class StepOut(Camel):
    depth: int  # 0 = the flow itself, 1+ = inside sub-flows
    node_id: str
    node_type: str
    exit: str | None


class HeardOut(Camel):
    node_id: str
    kind: Literal["play", "say"]
    prompt: str
    text: str
    voice: str


class FinalOut(Camel):
    action: str  # hangup | transfer | enqueue | voicemail | collect_digits (out of digits)
    node_id: str
    detail: dict[str, Any]


class SimulateOut(Camel):
    ended: Literal["left_ivr", "needs_input"]
    path: list[StepOut]
    heard: list[HeardOut]
    variables: dict[str, str]
    final: FinalOut | None
    http_calls: list[str]
