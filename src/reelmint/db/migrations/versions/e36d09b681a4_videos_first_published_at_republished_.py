"""videos.first_published_at: republished videos keep their place

Revision ID: e36d09b681a4
Revises: 1fdbf99e9c03
Create Date: 2026-11-24 10:54:42.672956
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "e36d09b681a4"
down_revision = "1fdbf99e9c03"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place on both databases (a nullable column): no copy of the table. Videos published
    # now were first published, as far as anyone can tell, when they were published.
    op.add_column(
        "videos",
        sa.Column("first_published_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute("UPDATE videos SET first_published_at = published_at WHERE published_at IS NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE videos DROP COLUMN first_published_at")
    else:
        op.drop_column("videos", "first_published_at")
