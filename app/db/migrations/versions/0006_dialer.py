"""Dialer: agent groups, campaigns, DNC, dispositions, lead lists, leads, attempts, callbacks
(DIAL-1, DIAL-5, DIAL-6, DIAL-7, DIAL-9, DIAL-10)

Revision ID: 0006_dialer
Revises: 0005_acd
Create Date: 2026-11-28 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table_rls, tenant_table_rls

revision = "0006_dialer"
down_revision = "0005_acd"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "dialer_agent_group",
    "dialer_agent_group_member",
    "campaign",
    "campaign_dnc",
    "campaign_disposition",
    "lead_list",
    "lead",
    "lead_attempt",
    "lead_callback",
]


def _owned(table: str) -> list[sa.Column | sa.Constraint]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{table}"),
    ]


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    # Composite (tenant_id, id) keys: a row can only point at a row of its own tenant.
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
        ondelete="CASCADE",
    )


def _json(name: str) -> sa.Column:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=False)


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _groups() -> None:
    op.create_table(
        "dialer_agent_group",
        *_owned("dialer_agent_group"),
        _str("name", 100),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        sa.UniqueConstraint("tenant_id", "name", name="uq_dialer_agent_group_name"),
    )
    op.create_table(
        "dialer_agent_group_member",
        *_owned("dialer_agent_group_member"),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _ref("dialer_agent_group_member", "group_id", "dialer_agent_group"),
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_dialer_agent_group_member_user"),
    )


def _campaigns() -> None:
    op.create_table(
        "campaign",
        *_owned("campaign"),
        _str("name", 100),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        _str("mode", 20),
        _str("status", 20),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        _json("windows"),
        _str("timezone", 64),
        sa.Column("trunk_id", sa.Uuid(), nullable=True),
        _str("caller_id", 32),
        sa.Column("max_channels", sa.Integer(), nullable=False),
        sa.Column("agent_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("group_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        _json("retry_rules"),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("target_abandon_rate", sa.Float(), nullable=False),
        sa.Column("manual_ratio", sa.Float(), nullable=True),
        sa.Column("max_ratio", sa.Float(), nullable=False),
        sa.Column("abandon_prompt_id", sa.Uuid(), nullable=True),
        sa.Column("min_ring_seconds", sa.Float(), nullable=False),
        sa.Column("script", sa.Text(), nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_campaign_name"),
    )
    op.create_table(
        "campaign_dnc",
        *_owned("campaign_dnc"),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        _str("number", 32),
        _ref("campaign_dnc", "campaign_id", "campaign"),
        sa.UniqueConstraint("tenant_id", "campaign_id", "number", name="uq_campaign_dnc_number"),
    )
    op.create_table(
        "campaign_disposition",
        *_owned("campaign_disposition"),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        _str("code", 40),
        _str("label", 100),
        sa.Column("is_success", sa.Boolean(), nullable=False),
        sa.Column("is_final", sa.Boolean(), nullable=False),
        _ref("campaign_disposition", "campaign_id", "campaign"),
        sa.UniqueConstraint(
            "tenant_id", "campaign_id", "code", name="uq_campaign_disposition_code"
        ),
    )


def _leads() -> None:
    op.create_table(
        "lead_list",
        *_owned("lead_list"),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        _str("name", 200),
        _str("file_format", 10),
        _json("mapping"),
        _str("status", 20),
        _str("object_key", 500),
        _str("errors_key", 500),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        _json("counts"),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        _ts("finished_at"),
        _ref("lead_list", "campaign_id", "campaign"),
    )
    op.create_table(
        "lead",
        *_owned("lead"),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        _str("phone", 32),
        _str("name", 200),
        _json("fields"),
        _str("timezone", 64),
        _str("status", 20),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _json("outcome_counts"),
        _str("last_outcome", 20, nullable=True),
        _str("disposition", 40, nullable=True),
        _ts("next_attempt_at"),
        _ts("reserved_until"),
        sa.Column("assigned_agent_id", sa.Uuid(), nullable=True),
        sa.Column("assigned_group_id", sa.Uuid(), nullable=True),
        _ref("lead", "campaign_id", "campaign"),
        _ref("lead", "list_id", "lead_list"),
        sa.UniqueConstraint("tenant_id", "campaign_id", "phone", name="uq_lead_campaign_phone"),
    )
    op.create_index(
        "ix_lead_dialable", "lead", ["tenant_id", "campaign_id", "status", "next_attempt_at"]
    )
    op.create_index("ix_lead_agent", "lead", ["tenant_id", "assigned_agent_id", "status"])
    op.create_index("ix_lead_list_line", "lead", ["tenant_id", "list_id", "line"])


def _attempts() -> None:
    op.create_table(
        "lead_attempt",
        *_owned("lead_attempt"),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("list_id", sa.Uuid(), nullable=False),
        _str("call_key", 100, nullable=True),
        _ts("started_at", nullable=False),
        _ts("answered_at"),
        _ts("ended_at"),
        sa.Column("sip_status", sa.Integer(), nullable=True),
        _str("outcome", 20, nullable=True),
        _str("cpa_verdict", 20, nullable=True),
        sa.Column("cpa_decision_ms", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        _str("disposition", 40, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _ref("lead_attempt", "lead_id", "lead"),
    )
    op.create_index(
        "ix_lead_attempt_campaign_started",
        "lead_attempt",
        ["tenant_id", "campaign_id", "started_at"],
    )
    op.create_table(
        "lead_callback",
        *_owned("lead_callback"),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        _ts("due_at", nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _str("status", 20),
        _ts("reminded_at"),
        _ref("lead_callback", "lead_id", "lead"),
    )
    op.create_index("ix_lead_callback_due", "lead_callback", ["tenant_id", "status", "due_at"])


def upgrade() -> None:
    _groups()
    _campaigns()
    _leads()
    _attempts()
    for table in TENANT_TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TENANT_TABLES):
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
        op.drop_table(table)
