"""webhook_endpoints: failing_since, failed_in_a_row, disabled_at, disabled_reason

An endpoint whose deliveries keep failing is turned off and its owner told
(webhooks.dispatch.should_disable). Every endpoint there is starts on, with no failures
counted: one failing now is turned off only after failing for the full period from here.

Revision ID: a785f40f4d60
Revises: 19d2635bffe9
Create Date: 2026-11-24 05:30:27.336335
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "a785f40f4d60"
down_revision = "19d2635bffe9"
branch_labels = None
depends_on = None

_COLUMNS = ("failing_since", "failed_in_a_row", "disabled_at", "disabled_reason")


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole table. Both databases add these
    # columns in place (the counter's default is a constant, filled in for every row).
    op.add_column(
        "webhook_endpoints",
        sa.Column("failing_since", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "webhook_endpoints",
        sa.Column("failed_in_a_row", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "webhook_endpoints",
        sa.Column("disabled_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("webhook_endpoints", sa.Column("disabled_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    for name in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE webhook_endpoints DROP COLUMN {name}")
        else:
            op.drop_column("webhook_endpoints", name)
