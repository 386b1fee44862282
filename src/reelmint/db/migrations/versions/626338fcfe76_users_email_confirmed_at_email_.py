"""users: email_confirmed_at, email_confirmation_sent_at

A new account confirms its email address with an emailed link (accounts.email_confirmation);
until then it is mailed nothing else and cannot be approved for a cameo by that address.
Accounts that exist at the upgrade had no way to confirm and were mailed as usual: they count
as confirmed from the upgrade (closed accounts, which have no address, do not), so nothing
they were sent stops.

Revision ID: 626338fcfe76
Revises: a67e1b7a252c
Create Date: 2026-11-23 02:17:38.986018
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "626338fcfe76"
down_revision = "a67e1b7a252c"
branch_labels = None
depends_on = None

_COLUMNS = ("email_confirmed_at", "email_confirmation_sent_at")


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole users table. Both databases add
    # nullable columns in place.
    for name in _COLUMNS:
        op.add_column(
            "users", sa.Column(name, reelmint.db.base.UTCDateTime(timezone=True), nullable=True)
        )
    users = sa.table(
        "users",
        sa.column("email", sa.String()),
        sa.column("email_confirmed_at", reelmint.db.base.UTCDateTime(timezone=True)),
    )
    op.execute(
        users.update()
        .where(users.c.email.not_like("%@closed.invalid"))
        .values(email_confirmed_at=datetime.now(UTC))
    )


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    for name in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE users DROP COLUMN {name}")
        else:
            op.drop_column("users", name)
