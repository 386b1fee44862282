"""characters open_until: videos made while open stay only trackable

Revision ID: 68957775a38e
Revises: 6b85d1bcbbd6
Create Date: 2026-11-24 17:37:04.177113

A character switched from open to blocked or licensed could then have the videos made with it
for free blocked or monetized by claim. `open_until` records when it last stopped being open;
a claim on a video made before then can only track. Characters switched before this revision
left no record of having been open: they start at NULL (their operator can look at claims).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "68957775a38e"
down_revision = "6b85d1bcbbd6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD and DROP COLUMN, not a batch: SQLite's batch copies the table and would lose the
    # registry's triggers on it (rights.models.registry_trigger_ddl)
    op.add_column(
        "characters",
        sa.Column("open_until", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("characters", "open_until")
