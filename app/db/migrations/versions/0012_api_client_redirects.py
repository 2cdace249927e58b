"""API-1: an API client's registered redirect URIs (authorization code + PKCE).

Revision ID: 0012_api_client_redirects
Revises: 0011_call_wrapup
Create Date: 2026-11-25 22:30:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012_api_client_redirects"
down_revision = "0011_call_wrapup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_client",
        sa.Column("redirect_uris", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")),
    )


def downgrade() -> None:
    op.drop_column("api_client", "redirect_uris")
