"""Prompts (IVR-4), voicemail boxes and messages (IVR-5), survey answers (REC-6)

Revision ID: 0004_voice
Revises: 0003_ivr
Create Date: 2026-11-27 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from app.db.rls import drop_tenant_table_rls, tenant_table_rls

revision = "0004_voice"
down_revision = "0003_ivr"
branch_labels = None
depends_on = None

TENANT_TABLES = ["ivr_prompt", "voicemail_box", "voicemail_message", "survey_answer"]


def _owned(table: str) -> list[sa.Column | sa.Constraint]:
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


def _at(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "ivr_prompt",
        *_owned("ivr_prompt"),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("object_key", sa.String(length=500), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("original_format", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.UniqueConstraint("tenant_id", "name", name="uq_ivr_prompt_name"),
    )
    op.create_table(
        "voicemail_box",
        *_owned("voicemail_box"),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("business_id", sa.Uuid(), nullable=True),
        sa.Column("queue", sa.String(length=100), nullable=True),
        sa.Column("extension", sa.String(length=6), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("tenant_id", "name", name="uq_voicemail_box_name"),
    )
    op.create_table(
        "voicemail_message",
        *_owned("voicemail_message"),
        sa.Column("box_id", sa.Uuid(), nullable=False),
        sa.Column("call_key", sa.String(length=100), nullable=True),
        sa.Column("caller_number", sa.String(length=64), nullable=False),
        sa.Column("callback_number", sa.String(length=64), nullable=False),
        sa.Column("object_key", sa.String(length=500), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        _at("heard_at"),
        sa.Column("heard_by", sa.Uuid(), nullable=True),
        _at("accepted_at"),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        _at("called_back_at"),
        sa.Column("called_back_by", sa.Uuid(), nullable=True),
        _at("deleted_at"),
        sa.Column("deleted_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "box_id"],
            ["voicemail_box.tenant_id", "voicemail_box.id"],
            name="fk_voicemail_message_box",
            ondelete="RESTRICT",
        ),
    )
    op.create_index(
        "ix_voicemail_message_box",
        "voicemail_message",
        ["tenant_id", "box_id", "status", "created_at"],
    )
    op.create_index(
        "uq_voicemail_message_call",
        "voicemail_message",
        ["tenant_id", "call_key"],
        unique=True,
        postgresql_where=sa.text("call_key IS NOT NULL"),
    )
    op.create_table(
        "survey_answer",
        *_owned("survey_answer"),
        sa.Column("call_key", sa.String(length=100), nullable=False),
        sa.Column("flow_id", sa.Uuid(), nullable=True),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "call_key", "question", name="uq_survey_answer_call"),
    )
    op.create_index(
        "ix_survey_answer_question", "survey_answer", ["tenant_id", "question", "answered_at"]
    )
    for table in TENANT_TABLES:
        for statement in tenant_table_rls(table):
            op.execute(statement)


def downgrade() -> None:
    for table in TENANT_TABLES:
        for statement in drop_tenant_table_rls(table):
            op.execute(statement)
    op.drop_table("survey_answer")
    op.drop_table("voicemail_message")
    op.drop_table("voicemail_box")
    op.drop_table("ivr_prompt")
