"""Billing tables (BILL-1, BILL-2). Every table is tenant-owned, forced RLS (migration
0010_billing). Money is `Decimal` (Numeric columns) in the rate table's currency, or integer
minor units where Stripe wants them; never floats.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import TenantOwned

PRICE = Numeric(14, 6)  # a price per minute or a fee, in currency units
COST = Numeric(16, 4)  # a call's cost, rounded half-up to 4 places


class RateTable(TenantOwned):
    """One per tenant and direction: `outbound` rates the dialed number, `inbound` (trunk
    calls in) the caller's number."""

    __tablename__ = "rate_table"
    __table_args__ = (UniqueConstraint("tenant_id", "direction", name="uq_rate_table_direction"),)

    name: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))  # outbound | inbound
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217, e.g. CNY


class Rate(TenantOwned):
    """Destination prefix (E.164 digits, no '+'; '' matches everything) and its price."""

    __tablename__ = "rate"
    __table_args__ = (
        UniqueConstraint("tenant_id", "rate_table_id", "prefix", name="uq_rate_prefix"),
        ForeignKeyConstraint(
            ["tenant_id", "rate_table_id"],
            ["rate_table.tenant_id", "rate_table.id"],
            name="fk_rate_rate_table",
            ondelete="CASCADE",
        ),
    )

    rate_table_id: Mapped[UUID] = mapped_column(Uuid)
    prefix: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(100), default="")
    price_per_minute: Mapped[Decimal] = mapped_column(PRICE)
    initial_increment: Mapped[int] = mapped_column(Integer, default=60)  # seconds
    increment: Mapped[int] = mapped_column(Integer, default=60)  # seconds
    connection_fee: Mapped[Decimal] = mapped_column(PRICE, default=Decimal(0))


class CallCharge(TenantOwned):
    """The rated cost of one CDR (1:1 with `call_record`). Re-rating updates the same row.
    Seat, queue and campaign are copied from the call so totals need no joins."""

    __tablename__ = "call_charge"
    __table_args__ = (
        UniqueConstraint("tenant_id", "call_record_id", name="uq_call_charge_call"),
        ForeignKeyConstraint(
            ["tenant_id", "call_record_id"],
            ["call_record.tenant_id", "call_record.id"],
            name="fk_call_charge_call_record",
            ondelete="CASCADE",
        ),
        Index("ix_call_charge_ended", "tenant_id", "ended_at"),
    )

    call_record_id: Mapped[UUID] = mapped_column(Uuid)
    call_key: Mapped[str] = mapped_column(String(100))
    direction: Mapped[str] = mapped_column(String(10))
    number: Mapped[str] = mapped_column(String(64), default="")  # the number that was rated
    ended_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    agent_user_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)
    queue_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)
    campaign_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)
    rate_id: Mapped[UUID | None] = mapped_column(Uuid, nullable=True)
    prefix: Mapped[str | None] = mapped_column(String(20), nullable=True)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    billable_seconds: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[Decimal] = mapped_column(COST, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="")
    status: Mapped[str] = mapped_column(String(12))  # rated | unanswered | no_rate


class BillingAccount(TenantOwned):
    """The tenant's Stripe side (BILL-2) and its credit limit; one row per tenant."""

    __tablename__ = "billing_account"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_billing_account_tenant"),)

    currency: Mapped[str] = mapped_column(String(3), default="cny")
    seat_price_minor: Mapped[int] = mapped_column(Integer, default=0)  # per seat per month
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stripe_plan_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    seats: Mapped[int] = mapped_column(Integer, default=0)  # last quantity sent to Stripe
    # None: no limit. Unpaid rated cost above it refuses outbound calls.
    credit_limit: Mapped[Decimal | None] = mapped_column(PRICE, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | past_due
    last_invoice_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class UsageItem(TenantOwned):
    """Call usage sent to Stripe as a pending invoice item (localstripe has no usage records);
    `paid` once the invoice that carried it is paid (webhook)."""

    __tablename__ = "usage_item"
    __table_args__ = (
        UniqueConstraint("tenant_id", "stripe_item_id", name="uq_usage_item_stripe"),
        Index("ix_usage_item_period", "tenant_id", "period"),
    )

    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM (UTC)
    stripe_item_id: Mapped[str] = mapped_column(String(64))
    amount_minor: Mapped[int] = mapped_column(Integer)
    billable_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
