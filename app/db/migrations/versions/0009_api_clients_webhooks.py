"""API-1, API-2: partner API clients (OAuth 2 client credentials), webhook endpoints, their
deliveries and every delivery attempt. Forced RLS on all four.

Revision ID: 0009_api_clients_webhooks
Revises: 0008_queue_survey
Create Date: 2026-11-25 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from app.db.rls import drop_tenant_table_rls, tenant_table_columns, tenant_table_rls

revision = "0009_api_clients_webhooks"
down_revision = "0008_queue_survey"
branch_labels = None
depends_on = None

TABLES = ("api_client", "webhook_endpoint", "webhook_delivery", "webhook_attempt")


def upgrade() -> None:
    op.create_table(
        "api_client",
        *tenant_table_columns("api_client"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", JSONB(), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "webhook_endpoint",
        *tenant_table_columns("webhook_endpoint"),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("event_types", JSONB(), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "webhook_delivery",
        *tenant_table_columns("webhook_delivery"),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", JSONB(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        # Composite: a delivery can only belong to an endpoint of its own tenant.
        sa.ForeignKeyConstraint(
            ["tenant_id", "endpoint_id"],
            ["webhook_endpoint.tenant_id", "webhook_endpoint.id"],
            name="fk_webhook_delivery_endpoint",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "tenant_id", "endpoint_id", "event_id", name="uq_webhook_delivery_event"
        ),
    )
    op.create_index(
        "ix_webhook_delivery_endpoint_created",
        "webhook_delivery",
        ["tenant_id", "endpoint_id", "created_at"],
    )
    op.create_table(
        "webhook_attempt",
        *tenant_table_columns("webhook_attempt"),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["webhook_delivery.tenant_id", "webhook_delivery.id"],
            name="fk_webhook_attempt_delivery",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_webhook_attempt_delivery", "webhook_attempt", ["tenant_id", "delivery_id", "attempt"]
    )
    for table in TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
        op.drop_table(table)
