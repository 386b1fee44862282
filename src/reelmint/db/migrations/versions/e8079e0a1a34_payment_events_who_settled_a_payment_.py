"""payment_events: who settled a payment problem, when and how

Revision ID: e8079e0a1a34
Revises: aeb7e831db6b
Create Date: 2026-11-24 07:19:49.171488
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "e8079e0a1a34"
down_revision = "aeb7e831db6b"
branch_labels = None
depends_on = None


_COLUMNS = ("settled_at", "settled_by", "settled_note")


def upgrade() -> None:
    # In place on both databases (nullable columns): no copy of the table.
    op.add_column(
        "payment_events",
        sa.Column("settled_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("payment_events", sa.Column("settled_by", sa.String(length=320), nullable=True))
    op.add_column("payment_events", sa.Column("settled_note", sa.Text(), nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE payment_events DROP COLUMN {name}")
        else:
            op.drop_column("payment_events", name)
