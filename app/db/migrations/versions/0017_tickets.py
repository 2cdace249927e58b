"""Tickets / work orders (CRM-5, app/crm/tickets.py): `ticket` and its append-only history
`ticket_event` (the app role may insert and read history rows, never change or delete them).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.db.rls import drop_tenant_table_rls, tenant_table_columns, tenant_table_rls

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = ("ticket", "ticket_event")
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket",
        *tenant_table_columns("ticket"),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("phone_hidden", sa.Boolean(), nullable=False),
        sa.Column("call_key", sa.String(100), nullable=True),
        sa.Column("call_record_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("due_at", WHEN, nullable=True),
        sa.Column("reminded_at", WHEN, nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", WHEN, nullable=True),
        sa.Column("closed_at", WHEN, nullable=True),
    )
    op.create_index("ix_ticket_status", "ticket", ["tenant_id", "status", "created_at"])
    op.create_index("ix_ticket_assignee", "ticket", ["tenant_id", "assignee_id", "status"])
    op.create_index("ix_ticket_phone", "ticket", ["tenant_id", "phone"])
    op.create_index("ix_ticket_call", "ticket", ["tenant_id", "call_key"])
    op.create_index("ix_ticket_due", "ticket", ["tenant_id", "due_at"])
    op.create_table(
        "ticket_event",
        *tenant_table_columns("ticket_event"),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("old", sa.String(100), nullable=False),
        sa.Column("new", sa.String(100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["ticket.tenant_id", "ticket.id"],
            name="fk_ticket_event_ticket",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_ticket_event_ticket", "ticket_event", ["tenant_id", "ticket_id", "at"])
    for table in TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)
    # The history is append-only for the app (like the audit trail, migration 0001).
    op.execute("REVOKE UPDATE, DELETE ON ticket_event FROM PUBLIC")
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fastline_app') THEN "
        "REVOKE UPDATE, DELETE ON ticket_event FROM fastline_app; END IF; END $$"
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
        op.drop_table(table)
