"""Call wrap-up: the agent's disposition code and note on any call, and the tenant's codes
(app/calls/wrapup.py).

Revision ID: 0011_call_wrapup
Revises: 0010_billing
Create Date: 2026-11-25 22:30:00.000000
"""


import sqlalchemy as sa
from alembic import op

from app.db.rls import drop_tenant_table_rls, tenant_table_columns, tenant_table_rls

revision = "0011_call_wrapup"
down_revision = "0010_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wrapup_code",
        *tenant_table_columns("wrapup_code"),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("tenant_id", "code", name="uq_wrapup_code_code"),
    )
    op.create_table(
        "call_wrapup",
        *tenant_table_columns("call_wrapup"),
        sa.Column("call_key", sa.String(100), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("agent_user_id", sa.Uuid(), nullable=True),
        sa.Column("wrapped_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "call_key", name="uq_call_wrapup_call"),
    )
    for table in ("wrapup_code", "call_wrapup"):
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("call_wrapup", "wrapup_code"):
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
        op.drop_table(table)
