"""users: email_change_stopped_at

A change of address stopped with the "this wasn't me" link blocks new change requests until the
password is reset (whoever asked knows it). Existing rows have no stop.

Revision ID: 5c0d2e7f9a41
Revises: 0a6a3e9d69de
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "5c0d2e7f9a41"
down_revision = "0a6a3e9d69de"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: both databases add a nullable column in place.
    op.add_column(
        "users",
        sa.Column(
            "email_change_stopped_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN email_change_stopped_at")
    else:
        op.drop_column("users", "email_change_stopped_at")
