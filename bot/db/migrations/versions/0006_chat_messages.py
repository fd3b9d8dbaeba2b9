"""Messages the bot may still delete (wipe, disappearing mode), the disappearing setting, and
the mark of cases reduced to statistics by retention.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("ref", sa.LargeBinary(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delete_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_chat_messages_owner", "chat_messages", ["owner"])
    op.create_index("ix_chat_messages_sent_at", "chat_messages", ["sent_at"])
    op.create_index("ix_chat_messages_delete_at", "chat_messages", ["delete_at"])
    with op.batch_alter_table("profiles") as batch:
        batch.add_column(sa.Column("disappear_seconds", sa.Integer(), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("anonymised", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("anonymised")
    with op.batch_alter_table("profiles") as batch:
        batch.drop_column("disappear_seconds")
    op.drop_table("chat_messages")
