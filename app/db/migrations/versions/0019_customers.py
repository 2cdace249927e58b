"""Customer records (CRM-1, app/crm/customers.py): `customer` and its numbers `customer_phone`
(E.164, unique per tenant: one customer per number).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from app.db.rls import drop_tenant_table_rls, tenant_table_columns, tenant_table_rls

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

TABLES = ("customer", "customer_phone")


def upgrade() -> None:
    op.create_table(
        "customer",
        *tenant_table_columns("customer"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("tags", ARRAY(sa.String(50)), nullable=False),
        sa.Column("custom", JSONB(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
    )
    op.create_index("ix_customer_name", "customer", ["tenant_id", "name"])
    op.create_index("ix_customer_company", "customer", ["tenant_id", "company"])
    op.create_index("ix_customer_category", "customer", ["tenant_id", "category"])
    op.create_table(
        "customer_phone",
        *tenant_table_columns("customer_phone"),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "customer_id"],
            ["customer.tenant_id", "customer.id"],
            name="fk_customer_phone_customer",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("tenant_id", "phone", name="uq_customer_phone_number"),
    )
    op.create_index("ix_customer_phone_customer", "customer_phone", ["tenant_id", "customer_id"])
    for table in TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in reversed(TABLES):
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
        op.drop_table(table)
