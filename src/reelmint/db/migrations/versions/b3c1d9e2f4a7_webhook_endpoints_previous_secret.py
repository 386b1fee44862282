"""webhook_endpoints: the secret before the last rotation, and until when it still signs

Revision ID: b3c1d9e2f4a7
Revises: a785f40f4d60
Create Date: 2026-11-24 06:30:00.000000

"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "b3c1d9e2f4a7"
down_revision = "a785f40f4d60"
branch_labels = None
depends_on = None

_COLUMNS = ("previous_secret_sealed", "previous_secret_until")


def upgrade() -> None:
    # In place on both databases (nullable columns): no copy of the table.
    op.add_column(
        "webhook_endpoints", sa.Column("previous_secret_sealed", sa.Text(), nullable=True)
    )
    op.add_column(
        "webhook_endpoints",
        sa.Column(
            "previous_secret_until", reelmint.db.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE webhook_endpoints DROP COLUMN {name}")
        else:
            op.drop_column("webhook_endpoints", name)
