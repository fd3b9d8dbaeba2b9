"""The service directory (HSDS-shaped) and the search columns.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(100),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("assured_date", sa.Date(), nullable=True),
        sa.Column("types", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=True),
        sa.Column("peer_run", sa.Boolean(), nullable=True),
        sa.Column("no_documents", sa.Boolean(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(100),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("city", sa.String(200), nullable=True),
        sa.Column("region", sa.String(200), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
    )
    op.create_table(
        "service_at_location",
        sa.Column("id", sa.String(201), primary_key=True),
        sa.Column(
            "service_id",
            sa.String(100),
            sa.ForeignKey("services.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "location_id",
            sa.String(100),
            sa.ForeignKey("locations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("type_mask", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
    )
    # Covering: the box query reads only this index, never the table rows.
    op.create_index(
        "ix_service_at_location_lat_lon",
        "service_at_location",
        ["latitude", "longitude", "type_mask", "status", "id"],
    )
    op.create_table(
        "phones",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column(
            "service_id",
            sa.String(100),
            sa.ForeignKey("services.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
    )
    op.create_index("ix_phones_service_id", "phones", ["service_id"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(220), primary_key=True),
        sa.Column(
            "service_at_location_id",
            sa.String(201),
            sa.ForeignKey("service_at_location.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("byday", sa.String(40), nullable=False),
        sa.Column("opens_at", sa.String(5), nullable=False),
        sa.Column("closes_at", sa.String(5), nullable=False),
    )
    op.create_index("ix_schedules_sal_id", "schedules", ["service_at_location_id"])


def downgrade() -> None:
    for table in ("schedules", "phones", "service_at_location", "locations", "services"):
        op.drop_table(table)
    op.drop_table("organizations")
