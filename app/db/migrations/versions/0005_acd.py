"""ACD configuration: queues, agent profiles, queue membership, not-ready reasons
(SEAT-2..8, TEN-5). Postgres is the truth; the Redis ACD is rebuilt from these tables.

Revision ID: 0005_acd
Revises: 0004_voice
Create Date: 2026-11-28 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table_rls, tenant_table_rls

revision = "0005_acd"
down_revision = "0004_voice"
branch_labels = None
depends_on = None

TENANT_TABLES = ["acd_queue", "agent_profile", "acd_queue_member", "not_ready_reason"]


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


def _ref(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    # Composite (tenant_id, id) keys: a row can only point at a row of its own tenant.
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{target}.tenant_id", f"{target}.id"],
        name=f"fk_{table}_{column}",
        ondelete=ondelete,
    )


def _json(name: str) -> sa.Column:
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), nullable=False)


def upgrade() -> None:
    op.create_table(
        "acd_queue",
        *_owned("acd_queue"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=False),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("ring_timeout", sa.Float(), nullable=False),
        sa.Column("max_wait", sa.Float(), nullable=False),
        sa.Column("overflow_kind", sa.String(length=20), nullable=False),
        sa.Column("overflow_target", sa.String(length=64), nullable=False),
        _json("skills"),
        sa.Column("wrap_up", sa.Boolean(), nullable=False),
        sa.Column("acw_timeout", sa.Float(), nullable=False),
        sa.Column("no_answer", sa.String(length=20), nullable=False),
        sa.Column("moh_prompt_id", sa.Uuid(), nullable=True),
        sa.Column("announce_position", sa.Boolean(), nullable=False),
        sa.Column("announce_wait", sa.Boolean(), nullable=False),
        sa.Column("service_level_seconds", sa.Integer(), nullable=False),
        _ref("acd_queue", "business_id", "business", "RESTRICT"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_acd_queue_name"),
    )
    op.create_table(
        "agent_profile",
        *_owned("agent_profile"),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("extension_id", sa.Uuid(), nullable=True),
        sa.Column("business_id", sa.Uuid(), nullable=False),
        _json("skills"),
        sa.Column("auto_answer", sa.Boolean(), nullable=False),
        sa.Column("max_acw", sa.Float(), nullable=True),
        _ref("agent_profile", "user_id", "user_account", "CASCADE"),
        _ref("agent_profile", "extension_id", "extension", "SET NULL (extension_id)"),
        _ref("agent_profile", "business_id", "business", "RESTRICT"),
        sa.UniqueConstraint("tenant_id", "user_id", name="uq_agent_profile_user"),
        sa.UniqueConstraint("tenant_id", "extension_id", name="uq_agent_profile_extension"),
    )
    op.create_table(
        "acd_queue_member",
        *_owned("acd_queue_member"),
        sa.Column("queue_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        _ref("acd_queue_member", "queue_id", "acd_queue", "CASCADE"),
        _ref("acd_queue_member", "agent_id", "agent_profile", "CASCADE"),
        sa.UniqueConstraint("tenant_id", "queue_id", "agent_id", name="uq_acd_queue_member"),
    )
    op.create_table(
        "not_ready_reason",
        *_owned("not_ready_reason"),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_not_ready_reason_code"),
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
    op.drop_table("not_ready_reason")
    op.drop_table("acd_queue_member")
    op.drop_table("agent_profile")
    op.drop_table("acd_queue")
