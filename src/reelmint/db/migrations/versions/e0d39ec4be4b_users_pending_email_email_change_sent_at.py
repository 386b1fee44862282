"""users: pending_email, email_change_sent_at

An account changes its email address with a link emailed to the new one
(accounts.email_change); until the link is used, the new address waits in pending_email.

Revision ID: e0d39ec4be4b
Revises: 626338fcfe76
Create Date: 2026-11-23 04:36:58.763494
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "e0d39ec4be4b"
down_revision = "626338fcfe76"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column]:
    return [
        sa.Column("pending_email", sa.String(length=320), nullable=True),
        sa.Column(
            "email_change_sent_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True
        ),
    ]


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole users table. Both databases add
    # nullable columns in place.
    for column in _columns():
        op.add_column("users", column)


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    for column in reversed(_columns()):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {column.name}")
        else:
            op.drop_column("users", column.name)
