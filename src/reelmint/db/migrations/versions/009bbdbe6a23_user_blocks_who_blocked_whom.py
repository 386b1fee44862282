"""user_blocks: who blocked whom

Revision ID: 009bbdbe6a23
Revises: 111c9360c2b6
Create Date: 2026-11-24 20:39:52.504095

A user blocks another (`accounts.blocks`): one row per (blocker, blocked), gone with either
account. A new table only: no existing table is rebuilt, so SQLite keeps every trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "009bbdbe6a23"
down_revision = "111c9360c2b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_blocks",
        sa.Column("blocker_id", sa.String(), nullable=False),
        sa.Column("blocked_id", sa.String(), nullable=False),
        sa.Column("created_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_user_blocks_not_self")),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocked_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["users.id"],
            name=op.f("fk_user_blocks_blocker_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_user_blocks")),
    )
    op.create_index(op.f("ix_user_blocks_blocked_id"), "user_blocks", ["blocked_id"])
    op.create_index(op.f("ix_user_blocks_created_at"), "user_blocks", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_user_blocks_created_at"), table_name="user_blocks")
    op.drop_index(op.f("ix_user_blocks_blocked_id"), table_name="user_blocks")
    op.drop_table("user_blocks")
