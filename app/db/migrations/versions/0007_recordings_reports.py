"""Recordings and reports: per-user listened status (REC-2), the queue a call waited in and
since when (REC-4 queue report), indexes for the call search (REC-5) and the reports.

Revision ID: 0007_recordings_reports
Revises: 0006_dialer
Create Date: 2026-11-25 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.db.rls import drop_tenant_table_rls, tenant_table_rls

revision = "0007_recordings_reports"
down_revision = "0006_dialer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("call_record", sa.Column("queue_id", sa.Uuid(), nullable=True))
    op.add_column("call_record", sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_call_record_agent_arrived", "call_record", ["tenant_id", "agent_user_id", "arrived_at"]
    )
    op.create_index(
        "ix_call_record_queue_arrived", "call_record", ["tenant_id", "queue_id", "arrived_at"]
    )
    op.create_index("ix_lead_attempt_call_key", "lead_attempt", ["tenant_id", "call_key"])
    op.create_table(
        "recording_listen",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recording_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("first_listened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_listened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenant.id"], name="fk_recording_listen_tenant_id_tenant",
            ondelete="CASCADE",
        ),
        # Composite keys: a listen can only point at a recording and a user of its own tenant.
        sa.ForeignKeyConstraint(
            ["tenant_id", "recording_id"], ["recording.tenant_id", "recording.id"],
            name="fk_recording_listen_recording_id_recording", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"], ["user_account.tenant_id", "user_account.id"],
            name="fk_recording_listen_user_id_user_account", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_recording_listen"),
        sa.UniqueConstraint(
            "tenant_id", "recording_id", "user_id", name="uq_recording_listen_user"
        ),
    )
    for statement in tenant_table_rls("recording_listen"):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_tenant_table_rls("recording_listen"):
        op.execute(statement)
    op.drop_table("recording_listen")
    op.drop_index("ix_lead_attempt_call_key", "lead_attempt")
    op.drop_index("ix_call_record_queue_arrived", "call_record")
    op.drop_index("ix_call_record_agent_arrived", "call_record")
    op.drop_column("call_record", "queued_at")
    op.drop_column("call_record", "queue_id")
