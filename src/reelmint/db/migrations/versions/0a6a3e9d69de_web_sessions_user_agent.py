"""web_sessions: user_agent

Settings lists the browsers signed in to an account, named by the User-Agent each sent when it
signed in, so its owner can tell which to sign out. Sessions from before have none.

Revision ID: 0a6a3e9d69de
Revises: 6bb736f586ab
Create Date: 2026-11-23 08:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0a6a3e9d69de"
down_revision = "6bb736f586ab"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: both databases add a nullable column in place.
    op.add_column("web_sessions", sa.Column("user_agent", sa.String(length=200), nullable=True))


def downgrade() -> None:
    # Not batch mode on SQLite: SQLite (3.35+) drops a plain column in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE web_sessions DROP COLUMN user_agent")
    else:
        op.drop_column("web_sessions", "user_agent")
