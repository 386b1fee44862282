"""email_messages: expires_at

A mail whose link has a lifetime (a password reset, a confirmation, a change of address) is
not sent once the link has expired (notifications.mailer). Mail queued before the upgrade has
none and is sent as before.

Revision ID: 1fa9f873fa95
Revises: e0d39ec4be4b
Create Date: 2026-11-23 05:13:36.362631
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "1fa9f873fa95"
down_revision = "e0d39ec4be4b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole outbox. Both databases add a nullable
    # column in place.
    op.add_column(
        "email_messages",
        sa.Column("expires_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE email_messages DROP COLUMN expires_at")
    else:
        op.drop_column("email_messages", "expires_at")
