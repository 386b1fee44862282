"""users.notify_social: whether follows and like milestones are told

Every user there is gets true (the server default): being told of a new follower, or of a
video's first like, is what a social product does unless one turns it off on Settings.

Revision ID: 66085a3e1dda
Revises: 7084867e8bef
Create Date: 2026-11-22 23:16:18.929869
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "66085a3e1dda"
down_revision = "7084867e8bef"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not batch mode: on SQLite it would copy the whole users table (a default that is an
    # expression makes Alembic rebuild it). Both databases add the column in place.
    op.add_column(
        "users",
        sa.Column("notify_social", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    # Not batch mode on SQLite: it would copy the whole users table to drop one column. SQLite
    # (3.35+) drops a plain column in place (as users.name_key's migration does).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN notify_social")
    else:
        op.drop_column("users", "notify_social")
