"""Wire formats of the billing API (BILL-1, BILL-2), camelCase JSON. Money travels as
decimal strings (msgspec encodes `Decimal` as a string), never as floats."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from app.tenants.schemas import Camel

Direction = Literal["outbound", "inbound"]
GroupBy = Literal["seat", "queue", "campaign", "tenant"]
Prefix = Annotated[str, msgspec.Meta(max_length=20, pattern=r"^[0-9]*$")]
Currency = Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]
Money = Decimal  # checked >= 0 in __post_init__ (msgspec has no bounds on Decimal)
Increment = Annotated[int, msgspec.Meta(ge=1, le=3600)]


def non_negative(value: Decimal, name: str) -> None:
    if not value.is_finite() or value < 0 or value > Decimal("1000000"):
        raise ValueError(f"`{name}` must be a number from 0 to 1000000")


class RateIO(Camel):
    prefix: Prefix
    price_per_minute: Money
    initial_increment: Increment = 60
    increment: Increment = 60
    connection_fee: Money | None = None  # none: 0 (no Decimal default: the OpenAPI dump)
    description: Annotated[str, msgspec.Meta(max_length=100)] = ""

    def __post_init__(self) -> None:
        non_negative(self.price_per_minute, "pricePerMinute")
        if self.connection_fee is not None:
            non_negative(self.connection_fee, "connectionFee")


class RateTableIn(Camel):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    currency: Currency
    rates: Annotated[list[RateIO], msgspec.Meta(max_length=20000)]


class RateTableOut(Camel):
    id: UUID
    direction: Direction
    name: str
    currency: str
    rates: list[RateIO]


class RateMatchOut(Camel):
    number: str
    matched: bool
    prefix: str | None = None
    description: str = ""
    price_per_minute: Decimal | None = None
    initial_increment: int | None = None
    increment: int | None = None
    connection_fee: Decimal | None = None
    # cost of a call of `seconds` talk time, when asked
    seconds: int | None = None
    billable_seconds: int | None = None
    cost: Decimal | None = None


class RateRunIn(Camel):
    rerate: bool = False
    since: datetime | None = None
    until: datetime | None = None


class RateRunOut(Camel):
    rated: int


class UsageRowOut(Camel):
    key: UUID | None
    name: str
    calls: int
    billable_seconds: int
    cost: Decimal


class UsageOut(Camel):
    by: GroupBy
    since: datetime
    until: datetime
    currency: str
    rows: list[UsageRowOut]
    total: Decimal


class AccountOut(Camel):
    currency: str
    seat_price_minor: int
    seats: int
    agent_seats: int
    stripe_customer_id: str | None
    stripe_subscription_id: str | None
    credit_limit: Decimal | None
    unpaid: Decimal
    may_dial: bool
    dial_refused_reason: str
    status: str
    last_invoice_id: str | None


class AccountIn(Camel):
    currency: Currency | None = None
    seat_price_minor: Annotated[int, msgspec.Meta(ge=0, le=100_000_000)] | None = None
    credit_limit: Money | None = None
    clear_credit_limit: bool = False

    def __post_init__(self) -> None:
        if self.credit_limit is not None:
            non_negative(self.credit_limit, "creditLimit")


class UsageReportOut(Camel):
    stripe_item_id: str | None
    amount_minor: int


class InvoiceOut(Camel):
    id: str
    number: str
    status: str
    currency: str
    total: int
    amount_due: int
    amount_paid: int
    created: datetime | None


class WebhookOut(Camel):
    result: str
