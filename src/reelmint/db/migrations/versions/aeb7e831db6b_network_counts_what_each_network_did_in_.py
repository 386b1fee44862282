"""network_counts: what each network did in the hour

Revision ID: aeb7e831db6b
Revises: b3c1d9e2f4a7
Create Date: 2026-11-24 07:01:23.533625
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "aeb7e831db6b"
down_revision = "b3c1d9e2f4a7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_counts",
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("network_key", sa.String(length=64), nullable=False),
        sa.Column("hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "network_key", "hour", name=op.f("pk_network_counts")),
    )


def downgrade() -> None:
    op.drop_table("network_counts")
