"""Profiles and encrypted conversation state.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False, unique=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("onboarded", sa.Boolean(), nullable=False),
        sa.Column("created_on", sa.Date(), server_default=sa.func.current_date(), nullable=False),
        sa.Column("last_seen_on", sa.Date(), server_default=sa.func.current_date(), nullable=False),
    )
    op.create_table(
        "stored_state",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_table("stored_state")
    op.drop_table("profiles")
