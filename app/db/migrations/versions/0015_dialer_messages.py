"""Dialer: voice-notification messages and DTMF surveys (DIAL-8), a message for answering
machines in agent campaigns, and the survey answer stored with each attempt.

campaign:
- `message_prompt_id` / `message_text` + `message_voice`: what a notification campaign plays
  (an uploaded prompt, else TTS text rendered once per campaign through the TTS cache);
- `survey`: `{"promptId"|"text", "keys": [{"key": "1", "label": "..."}], "repeat", "timeoutSeconds"}`
  asked after the message (`{}`: no survey);
- `machine_prompt_id` / `machine_text`: left after the beep on answering machines (agent
  campaigns; notification campaigns leave their message).

lead_attempt: `survey_key` + `survey_label` (the key pressed and its label at the time),
`message_ms` (how long the message played to the callee).

Revision ID: 0015
Revises: 0014_marquee
Create Date: 2026-11-26 00:45:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014_marquee"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaign", sa.Column("message_prompt_id", sa.Uuid(), nullable=True))
    op.add_column(
        "campaign", sa.Column("message_text", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "campaign",
        sa.Column("message_voice", sa.String(8), nullable=False, server_default="zh"),
    )
    op.add_column(
        "campaign",
        sa.Column(
            "survey",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'{}'::jsonb"),
        ),
    )
    op.add_column("campaign", sa.Column("machine_prompt_id", sa.Uuid(), nullable=True))
    op.add_column(
        "campaign", sa.Column("machine_text", sa.Text(), nullable=False, server_default="")
    )
    op.add_column("lead_attempt", sa.Column("survey_key", sa.String(1), nullable=True))
    op.add_column("lead_attempt", sa.Column("survey_label", sa.String(100), nullable=True))
    op.add_column("lead_attempt", sa.Column("message_ms", sa.Integer(), nullable=True))
    op.create_index(
        "ix_lead_attempt_campaign_survey",
        "lead_attempt",
        ["tenant_id", "campaign_id", "survey_key"],
    )


def downgrade() -> None:
    op.drop_index("ix_lead_attempt_campaign_survey", table_name="lead_attempt")
    for column in ("message_ms", "survey_label", "survey_key"):
        op.drop_column("lead_attempt", column)
    for column in (
        "machine_text",
        "machine_prompt_id",
        "survey",
        "message_voice",
        "message_text",
        "message_prompt_id",
    ):
        op.drop_column("campaign", column)
