"""What migrations need for a tenant table: its key columns and its row-level security
statements (every tenant table gets all of them)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

TENANT_EXPR = "nullif(current_setting('app.tenant_id', true), '')::uuid"


def tenant_table_rls(table: str) -> list[str]:
    """ENABLE + FORCE (so even the owner is filtered) and one policy for every command."""
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {TENANT_EXPR}) WITH CHECK (tenant_id = {TENANT_EXPR})",
    ]


def drop_tenant_table_rls(table: str) -> list[str]:
    return [f"DROP POLICY IF EXISTS tenant_isolation ON {table}"]


def tenant_table_columns(table: str) -> list[Any]:
    """The columns and keys every `TenantOwned` table starts with (app/db/base.py): tenant_id
    first in the primary key, cascading with its tenant."""
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
