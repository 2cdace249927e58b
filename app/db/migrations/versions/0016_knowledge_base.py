"""The knowledge base (CRM-4, app/crm/knowledge.py): articles shared with the tenant or one
business, with an optional audio recording, searched through an n-gram tsvector (Chinese too,
app/crm/search_text.py) with a GIN index.

Search runs through `kb_article_search(tsquery)`, a SECURITY DEFINER function owned by
fastline_router (as the routing functions of 0002 are): under forced RLS Postgres will not use an
index for a non-leakproof operator such as `@@` (measured: a sequential scan, ~290 ms on 20,000
articles); the function reads only the caller's tenant (`app.tenant_id`, as the RLS policy does)
with the GIN index, and returns ids the app then reads under RLS.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from app.db.rls import (
    TENANT_EXPR,
    drop_tenant_table_rls,
    tenant_table_columns,
    tenant_table_rls,
)

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


SEARCH_SQL = [
    "GRANT SELECT (tenant_id, id, search_vector) ON kb_article TO fastline_router",
    "CREATE POLICY router_read ON kb_article FOR SELECT TO fastline_router USING (true)",
    f"""
    CREATE FUNCTION kb_article_search(p_query tsquery) RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
      SELECT id FROM kb_article
      WHERE tenant_id = {TENANT_EXPR} AND search_vector @@ p_query
    $$
    """,  # noqa: S608 (a constant expression, no input)
    "ALTER FUNCTION kb_article_search(tsquery) OWNER TO fastline_router",
]


def upgrade() -> None:
    op.create_table(
        "kb_article",
        *tenant_table_columns("kb_article"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("keywords", postgresql.ARRAY(sa.String(50)), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("audio_key", sa.String(300), nullable=True),
        sa.Column("audio_seconds", sa.Float(), nullable=True),
        sa.Column("audio_bytes", sa.Integer(), nullable=True),
        sa.Column("audio_filename", sa.String(255), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        # A business of the same tenant only; deleting it shares its articles tenant-wide.
        sa.ForeignKeyConstraint(
            ["tenant_id", "business_id"],
            ["business.tenant_id", "business.id"],
            name="fk_kb_article_business_id",
            ondelete="SET NULL (business_id)",
        ),
    )
    op.create_index("ix_kb_article_search", "kb_article", ["search_vector"], postgresql_using="gin")
    op.create_index("ix_kb_article_category", "kb_article", ["tenant_id", "category"])
    for statement in tenant_table_rls("kb_article") + SEARCH_SQL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS kb_article_search(tsquery)")
    op.execute("DROP POLICY IF EXISTS router_read ON kb_article")
    for statement in drop_tenant_table_rls("kb_article"):
        op.execute(statement)
    op.drop_table("kb_article")
