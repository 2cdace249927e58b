"""REC-6: a queue's post-call satisfaction survey flow (acd_queue.survey_flow_id)

Revision ID: 0008_queue_survey
Revises: 0007_recordings_reports
Create Date: 2026-11-25 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_queue_survey"
down_revision = "0007_recordings_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A flow of the same tenant (composite key): never another tenant's; deleting the flow
    # turns the survey off (SET NULL of that column only, PostgreSQL 15).
    op.add_column("acd_queue", sa.Column("survey_flow_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_acd_queue_survey_flow",
        "acd_queue",
        "ivr_flow",
        ["tenant_id", "survey_flow_id"],
        ["tenant_id", "id"],
        ondelete="SET NULL (survey_flow_id)",
    )


def downgrade() -> None:
    op.drop_constraint("fk_acd_queue_survey_flow", "acd_queue", type_="foreignkey")
    op.drop_column("acd_queue", "survey_flow_id")
