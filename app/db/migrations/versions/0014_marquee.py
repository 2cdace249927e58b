"""The agents' motivational marquee (DIAL-9, app/seats/marquee.py).

Revision ID: 0014_marquee
Revises: 0013_trunk_sources
Create Date: 2026-11-25 22:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.db.rls import drop_tenant_table_rls, tenant_table_columns, tenant_table_rls

revision = "0014_marquee"
down_revision = "0013_trunk_sources"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marquee_message",
        *tenant_table_columns("marquee_message"),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    for statement in tenant_table_rls("marquee_message"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_tenant_table_rls("marquee_message"):
        op.execute(statement)
    op.drop_table("marquee_message")
