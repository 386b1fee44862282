"""videos: cancel_reason, why a running job was asked to stop

Revision ID: e9df90a303a1
Revises: 16ca63c0ada6
Create Date: 2026-11-25 00:06:28.324200

Until now the reason an operator, a cameo's revocation or a block gave for stopping a running
job waited in `error_message` (with no `error_code`) until the job ended. It has a column of
its own now; a job in that state when this runs has its reason moved over. In place on both
databases (a nullable column): no copy of the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e9df90a303a1"
down_revision = "16ca63c0ada6"
branch_labels = None
depends_on = None

WAITING = (
    "cancel_requested AND error_code IS NULL AND status IN ('queued', 'in_progress') AND "
    "{column} IS NOT NULL"
)


def upgrade() -> None:
    op.add_column("videos", sa.Column("cancel_reason", sa.Text(), nullable=True))
    where = WAITING.format(column="error_message")
    op.execute(
        f"UPDATE videos SET cancel_reason = error_message, error_message = NULL WHERE {where}"
    )


def downgrade() -> None:
    where = WAITING.format(column="cancel_reason")
    op.execute(f"UPDATE videos SET error_message = cancel_reason WHERE {where}")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE videos DROP COLUMN cancel_reason")
    else:
        op.drop_column("videos", "cancel_reason")
