"""users.name_key: the casefolded display name a name search matches

Revision ID: 6d05c478c745
Revises: a2ebfd0dfeec
Create Date: 2026-11-22 16:23:58.420607
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "6d05c478c745"
down_revision = "a2ebfd0dfeec"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=320), nullable=False, server_default="")
        )
    # Fill it for the users there are, as the model does on every change of the name (in
    # Python: casefold() is the same on every database, unlike lower()).
    users = sa.table("users", sa.column("id", sa.String), sa.column("display_name", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.display_name)).all()
    update = sa.text("UPDATE users SET name_key = :key WHERE id = :id")
    for user_id, name in rows:
        bind.execute(update, {"key": " ".join(name.split()).casefold()[:320], "id": user_id})


def downgrade() -> None:
    # Not batch mode on SQLite: it would copy the whole users table to drop one column (safe
    # since env.py holds foreign keys off while migrating, but needless). SQLite (3.35+)
    # drops a plain column in place.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE users DROP COLUMN name_key")
    else:
        op.drop_column("users", "name_key")
