"""Wire formats of the dialer API (camelCase JSON). `phone` in anything an agent receives is
masked (DIAL-6); admins and supervisors get E.164."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Mode = Literal["preview", "progressive", "predictive", "notification"]
Number = Annotated[str, msgspec.Meta(max_length=40)]
Column = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class WindowIn(Camel):
    start: HHMM
    end: HHMM
    days: list[Annotated[int, msgspec.Meta(ge=1, le=7)]] | None = None


class RetryRuleIn(Camel):
    delay_minutes: Annotated[int, msgspec.Meta(ge=0, le=60 * 24 * 60)]
    max_attempts: Annotated[int, msgspec.Meta(ge=0, le=50)]


Voice = Literal["zh", "en"]
SpokenText = Annotated[str, msgspec.Meta(max_length=2000)]


class SurveyKeyIn(Camel):
    key: Annotated[str, msgspec.Meta(pattern=r"^[0-9*#]$")]
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class SurveyIn(Camel):
    """DIAL-8: asked after the notification message; one key per answer."""

    keys: Annotated[list[SurveyKeyIn], msgspec.Meta(min_length=1, max_length=12)]
    prompt_id: UUID | None = None  # the question as an uploaded prompt, else `text` spoken
    text: SpokenText = ""
    repeat: Annotated[int, msgspec.Meta(ge=1, le=5)] = 2
    timeout_seconds: Annotated[float, msgspec.Meta(ge=1, le=30)] = 5.0


class CampaignIn(Camel):
    name: Name
    mode: Mode = "preview"
    business_id: UUID | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    windows: list[WindowIn] = []
    timezone: Annotated[str, msgspec.Meta(max_length=64)] = "Asia/Shanghai"
    trunk_id: UUID | None = None
    caller_id: Annotated[str, msgspec.Meta(max_length=32)] = ""
    max_channels: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 10
    agent_ids: list[UUID] = []
    group_ids: list[UUID] = []
    retry_rules: dict[str, RetryRuleIn] = {}
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5
    target_abandon_rate: Annotated[float, msgspec.Meta(gt=0, le=0.2)] = 0.02  # as benched
    manual_ratio: Annotated[float, msgspec.Meta(ge=1, le=20)] | None = None
    max_ratio: Annotated[float, msgspec.Meta(ge=1, le=20)] = 6.0
    abandon_prompt_id: UUID | None = None
    min_ring_seconds: Annotated[float, msgspec.Meta(ge=0, le=120)] = 15.0
    script: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    # DIAL-8 notification: an uploaded prompt, else the text spoken in `message_voice`
    message_prompt_id: UUID | None = None
    message_text: SpokenText = ""
    message_voice: Voice = "zh"
    survey: SurveyIn | None = None
    # Progressive/predictive: left after an answering machine's beep (prompt, else text)
    machine_prompt_id: UUID | None = None
    machine_text: SpokenText = ""


class CampaignOut(CampaignIn):
    id: UUID | None = None
    status: str = "draft"
    created_at: datetime | None = None


class SurveyKeyCount(Camel):
    key: str
    label: str
    count: int


class SurveyTallyOut(Camel):
    """DIAL-8: what a notification campaign reached and the keys people pressed."""

    campaign_id: UUID
    attempts: int
    delivered: int  # the message played to its end
    delivered_to_people: int
    left_on_machines: int
    not_delivered: int
    not_answered: int  # busy, no answer, failed, invalid
    by_outcome: dict[str, int]
    answered: int  # people who pressed one of the survey's keys
    no_key: int  # people who heard the message and pressed none
    keys: list[SurveyKeyCount]


class DispositionIn(Camel):
    code: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,40}$")]
    label: Name
    is_success: bool = False
    is_final: bool = True


class DispositionOut(DispositionIn):
    id: UUID | None = None


class DncIn(Camel):
    numbers: Annotated[list[Number], msgspec.Meta(max_length=10_000)]


class DncOut(Camel):
    added: int
    invalid: list[str]


class GroupIn(Camel):
    name: Name
    business_id: UUID | None = None


class GroupOut(Camel):
    id: UUID
    name: str
    business_id: UUID | None = None
    user_ids: list[UUID] = []


class MoveAgentsIn(Camel):
    user_ids: Annotated[list[UUID], msgspec.Meta(min_length=1, max_length=1000)]


class MappingIn(Camel):
    phone: Column
    name: Column | None = None
    timezone: Column | None = None
    fields: dict[str, Column] = {}


class LeadListIn(Camel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    mapping: MappingIn
    format: Literal["csv", "xlsx"] = "csv"


class LeadListOut(Camel):
    id: UUID
    campaign_id: UUID
    name: str
    format: str
    mapping: dict[str, Any]
    status: str
    rows: int
    imported: int
    rejected: int
    counts: dict[str, Any]
    error: str
    created_at: datetime
    finished_at: datetime | None


class ImportStatusOut(Camel):
    id: UUID
    status: str
    phase: str
    percent: float
    rows: int
    rows_per_second: int
    imported: int
    rejected: int
    counts: dict[str, Any]
    error: str


class LeadOut(Camel):
    id: UUID
    campaign_id: UUID
    list_id: UUID
    line: int
    phone: str  # masked for agents (DIAL-6)
    name: str
    fields: dict[str, Any]
    timezone: str
    status: str
    attempts: int
    last_outcome: str | None
    disposition: str | None
    next_attempt_at: datetime | None
    assigned_agent_id: UUID | None
    assigned_group_id: UUID | None


class ScreenPopOut(Camel):
    """DIAL-7: what the agent's screen shows for a lead (masked number, the call script)."""

    lead: LeadOut
    campaign_name: str
    script: str
    dispositions: list[DispositionOut]


class PlanOut(Camel):
    """DIAL-9: the agent's day."""

    day: date
    done: int
    remaining: int
    callbacks_due: int
    items: list[LeadOut]


class DialIn(Camel):
    extension: Annotated[str, msgspec.Meta(max_length=6)] | None = None


class DialOut(Camel):
    attempt_id: UUID
    lead_id: UUID
    phone: str  # masked
    extension: str
    command_id: str


class SetDispositionIn(Camel):
    code: Annotated[str, msgspec.Meta(max_length=40)]
    note: Annotated[str, msgspec.Meta(max_length=5000)] = ""


class AttemptOut(Camel):
    id: UUID
    lead_id: UUID
    phone: str  # masked for agents
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    disposition: str | None
    note: str


class CallbackIn(Camel):
    """ "Call again in N days" (same time of day) or at a given time."""

    in_days: Annotated[int, msgspec.Meta(ge=0, le=365)] | None = None
    at: datetime | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class CallbackOut(Camel):
    id: UUID
    lead_id: UUID
    phone: str  # masked for agents
    name: str
    due_at: datetime
    status: str
    note: str


class RuleIn(Camel):
    field: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    value: Annotated[str, msgspec.Meta(max_length=200)]
    agent_id: UUID | None = None
    group_id: UUID | None = None


class DistributeIn(Camel):
    strategy: Literal["even", "rule"] = "even"
    agent_ids: list[UUID] | None = None
    group_ids: list[UUID] | None = None
    rules: list[RuleIn] = []
    reassign: bool = False


class ExportIn(Camel):
    since: datetime | None = None
    until: datetime | None = None


class JobOut(Camel):
    key: str
    status: str
    result: dict[str, Any]
