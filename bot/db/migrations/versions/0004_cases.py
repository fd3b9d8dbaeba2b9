"""Cases (reports and consultations) and their audit trail.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(7), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("client", sa.String(64), nullable=True, index=True),
        sa.Column("client_chat", sa.LargeBinary(), nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("city", sa.String(200), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("violations", sa.JSON(), nullable=False),
        sa.Column("perpetrators", sa.JSON(), nullable=False),
        sa.Column("happened", sa.String(16), nullable=True),
        sa.Column("happened_on", sa.Date(), nullable=True),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("gender", sa.String(16), nullable=True),
        sa.Column("age_band", sa.String(8), nullable=True),
        sa.Column("story", sa.LargeBinary(), nullable=True),
        sa.Column("evidence", sa.LargeBinary(), nullable=True),
        sa.Column("contact", sa.String(8), nullable=False),
        sa.Column("phone", sa.LargeBinary(), nullable=True),
        sa.Column("consent_contact", sa.Boolean(), nullable=False),
        sa.Column("consent_advocacy", sa.Boolean(), nullable=False),
        sa.Column("workspace", sa.BigInteger(), nullable=True),
        sa.Column("topic", sa.BigInteger(), nullable=True),
        sa.Column("card_message", sa.BigInteger(), nullable=True),
        sa.Column("taken_by", sa.BigInteger(), nullable=True),
        sa.Column("taken_by_name", sa.String(100), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("qualified", sa.Boolean(), nullable=True),
        sa.Column("services_given", sa.JSON(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("submission", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_cases_workspace_topic", "cases", ["workspace", "topic"])
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id",
            sa.Integer(),
            sa.ForeignKey("cases.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.LargeBinary(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("case_events")
    op.drop_table("cases")
