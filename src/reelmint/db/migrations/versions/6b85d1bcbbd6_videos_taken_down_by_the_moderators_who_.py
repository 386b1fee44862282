"""videos: taken down by the moderators (who, when, why)

Revision ID: 6b85d1bcbbd6
Revises: dc6b5c3c03b9
Create Date: 2026-11-24 17:26:30.427208
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "6b85d1bcbbd6"
down_revision = "dc6b5c3c03b9"
branch_labels = None
depends_on = None


COLUMNS = ("taken_down_at", "taken_down_by", "taken_down_reason")


def upgrade() -> None:
    # In place on both databases (nullable columns): no copy of the table. No video was taken
    # down before: administrators could only delete or cancel, which this replaces.
    op.add_column(
        "videos",
        sa.Column("taken_down_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("videos", sa.Column("taken_down_by", sa.String(length=64), nullable=True))
    op.add_column("videos", sa.Column("taken_down_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE videos DROP COLUMN {column}")
        else:
            op.drop_column("videos", column)
