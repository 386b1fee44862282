"""users: held_quota_day, held_quota_day_ends

After a change of time zone the quota day in progress is held until a midnight of the new zone
(quota.service.held_until), so the change neither expires today's free quota nor brings
tomorrow's early. Every user there is holds no day (both null): their zone governs as before.

Revision ID: a67e1b7a252c
Revises: 8085cd7365be
Create Date: 2026-11-23 00:01:02.703892
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "a67e1b7a252c"
down_revision = "8085cd7365be"
branch_labels = None
depends_on = None

_COLUMNS = ("held_quota_day", "held_quota_day_ends")


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole users table. Both databases add
    # nullable columns in place.
    op.add_column("users", sa.Column("held_quota_day", sa.Date(), nullable=True))
    op.add_column(
        "users",
        sa.Column(
            "held_quota_day_ends", reelmint.db.base.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    for name in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {name}")
        else:
            op.drop_column("users", name)
