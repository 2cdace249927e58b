"""Trunk passwords and webhook signing secrets sealed at rest (app/lib/sealed.py): the columns
become text (a sealed value is longer) and the values already stored are sealed with the key
derived from FASTLINE_SECRET_KEY.

Both tables have forced RLS; the migration lifts FORCE for its own transaction (the owner then
reads every tenant's rows), seals, and forces it again before committing.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 01:20:00.000000
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from app.lib.sealed import seal, unseal

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = (("trunk", "password", 200), ("webhook_endpoint", "secret", 100))


def _rewrite(table: str, column: str, change: Callable[[str], str]) -> None:
    conn = op.get_bind()
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table}")).all()  # noqa: S608
    for row_id, value in rows:
        new = change(value or "")
        if new != value:
            conn.execute(
                sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                {"v": new, "id": row_id},
            )
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def upgrade() -> None:
    for table, column, _ in COLUMNS:
        op.alter_column(table, column, type_=sa.Text())
        _rewrite(table, column, seal)


def downgrade() -> None:
    for table, column, length in COLUMNS:
        _rewrite(table, column, unseal)
        op.alter_column(table, column, type_=sa.String(length))
