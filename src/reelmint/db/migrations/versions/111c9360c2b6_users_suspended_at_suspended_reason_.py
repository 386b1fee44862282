"""users: suspended_at, suspended_reason (administrators suspend an account for a while)

Revision ID: 111c9360c2b6
Revises: 6fb787477709
Create Date: 2026-11-24 20:27:32.449723

An administrator suspends an account (`accounts.suspension`): it cannot sign in or use its
tokens, and its videos are seen by no one else, until reinstated. Both columns start NULL: no
account is suspended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "111c9360c2b6"
down_revision = "6fb787477709"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("suspended_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("users", sa.Column("suspended_reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "suspended_reason")
    op.drop_column("users", "suspended_at")
