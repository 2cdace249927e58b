"""BILL-1, BILL-2: rate tables and rates, the rated cost of each call, the tenant's billing
account (Stripe ids, seats, credit limit, status) and the usage sent to Stripe. Forced RLS on
every table.

Revision ID: 0010_billing
Revises: 0009_api_clients_webhooks
Create Date: 2026-11-25 22:10:00.000000
"""


import sqlalchemy as sa
from alembic import op

from app.db.rls import drop_tenant_table_rls, tenant_table_columns, tenant_table_rls

revision = "0010_billing"
down_revision = "0009_api_clients_webhooks"
branch_labels = None
depends_on = None

TABLES = ("rate_table", "rate", "call_charge", "billing_account", "usage_item")
PRICE = sa.Numeric(14, 6)


def upgrade() -> None:
    op.create_table(
        "rate_table",
        *tenant_table_columns("rate_table"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.UniqueConstraint("tenant_id", "direction", name="uq_rate_table_direction"),
    )
    op.create_table(
        "rate",
        *tenant_table_columns("rate"),
        sa.Column("rate_table_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(20), nullable=False),
        sa.Column("description", sa.String(100), nullable=False),
        sa.Column("price_per_minute", PRICE, nullable=False),
        sa.Column("initial_increment", sa.Integer(), nullable=False),
        sa.Column("increment", sa.Integer(), nullable=False),
        sa.Column("connection_fee", PRICE, nullable=False),
        sa.UniqueConstraint("tenant_id", "rate_table_id", "prefix", name="uq_rate_prefix"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rate_table_id"], ["rate_table.tenant_id", "rate_table.id"],
            name="fk_rate_rate_table", ondelete="CASCADE",
        ),
        sa.CheckConstraint("initial_increment > 0 AND increment > 0", name="ck_rate_increments"),
    )
    op.create_table(
        "call_charge",
        *tenant_table_columns("call_charge"),
        sa.Column("call_record_id", sa.Uuid(), nullable=False),
        sa.Column("call_key", sa.String(100), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent_user_id", sa.Uuid(), nullable=True),
        sa.Column("queue_id", sa.Uuid(), nullable=True),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("rate_id", sa.Uuid(), nullable=True),
        sa.Column("prefix", sa.String(20), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("billable_seconds", sa.Integer(), nullable=False),
        sa.Column("cost", sa.Numeric(16, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.UniqueConstraint("tenant_id", "call_record_id", name="uq_call_charge_call"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "call_record_id"], ["call_record.tenant_id", "call_record.id"],
            name="fk_call_charge_call_record", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_call_charge_ended", "call_charge", ["tenant_id", "ended_at"])
    op.create_table(
        "billing_account",
        *tenant_table_columns("billing_account"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("seat_price_minor", sa.Integer(), nullable=False),
        sa.Column("stripe_customer_id", sa.String(64), nullable=True),
        sa.Column("stripe_plan_id", sa.String(64), nullable=True),
        sa.Column("stripe_subscription_id", sa.String(64), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("credit_limit", PRICE, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("last_invoice_id", sa.String(64), nullable=True),
        sa.UniqueConstraint("tenant_id", name="uq_billing_account_tenant"),
    )
    op.create_table(
        "usage_item",
        *tenant_table_columns("usage_item"),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("stripe_item_id", sa.String(64), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("billable_seconds", sa.Integer(), nullable=False),
        sa.Column("paid", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("tenant_id", "stripe_item_id", name="uq_usage_item_stripe"),
    )
    op.create_index("ix_usage_item_period", "usage_item", ["tenant_id", "period"])
    for table in TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
        op.drop_table(table)
