"""IVR flows, flow versions and information entries (IVR-1, IVR-3, IVR-6)

Revision ID: 0003_ivr
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import drop_tenant_table_rls, tenant_table_rls

revision = "0003_ivr"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_TABLES = ["ivr_flow", "ivr_flow_version", "ivr_info_entry"]


def _owned() -> list[sa.Column]:
    return [
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
    ]


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["tenant.id"], name=f"fk_{table}_tenant_id_tenant", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "ivr_flow",
        *_owned(),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        sa.Column("published_version_id", sa.Uuid(), nullable=True),
        *_stamps(),
        _tenant_fk("ivr_flow"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ivr_flow"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_ivr_flow_name"),
    )
    op.create_table(
        "ivr_flow_version",
        *_owned(),
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        *_stamps(),
        _tenant_fk("ivr_flow_version"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "flow_id"],
            ["ivr_flow.tenant_id", "ivr_flow.id"],
            name="fk_ivr_flow_version_flow",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ivr_flow_version"),
        sa.UniqueConstraint("tenant_id", "flow_id", "number", name="uq_ivr_flow_version_number"),
    )
    op.create_table(
        "ivr_info_entry",
        *_owned(),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *_stamps(),
        _tenant_fk("ivr_info_entry"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_ivr_info_entry"),
        sa.UniqueConstraint("tenant_id", "table_name", "key", name="uq_ivr_info_entry_key"),
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
    op.drop_table("ivr_info_entry")
    op.drop_table("ivr_flow_version")
    op.drop_table("ivr_flow")
