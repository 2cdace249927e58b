"""Row-level security statements for migrations. Every tenant table gets all of them."""

from __future__ import annotations

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
