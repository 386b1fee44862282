"""users: failed_logins, login_locked_until, password_reset_sent_at

Login throttling and password reset by email (accounts.throttle, accounts.password_reset):
wrong passwords in a row and until when signing in is refused, and when the last reset link
was sent. Every user there is starts with no failures, no lock and no link sent.

Revision ID: 8085cd7365be
Revises: 66085a3e1dda
Create Date: 2026-11-22 23:56:19.878772
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "8085cd7365be"
down_revision = "66085a3e1dda"
branch_labels = None
depends_on = None

_TIMES = ("login_locked_until", "password_reset_sent_at")


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole users table. Both databases add
    # these columns in place (the counter's default is a constant, filled in for every row).
    op.add_column(
        "users", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    for name in _TIMES:
        op.add_column(
            "users",
            sa.Column(name, reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
        )


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    for name in (*reversed(_TIMES), "failed_logins"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {name}")
        else:
            op.drop_column("users", name)
