"""login_devices: browsers that signed in

A browser that signs in gets a long-lived device cookie (accounts.devices); wrong passwords
typed in it are counted on its row, so guessing elsewhere does not lock its owner out.

Revision ID: 6bb736f586ab
Revises: 1fa9f873fa95
Create Date: 2026-11-23 06:44:40.340987
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "6bb736f586ab"
down_revision = "1fa9f873fa95"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_devices",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_used_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_login_devices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_devices_token_hash")),
    )
    op.create_index(op.f("ix_login_devices_created_at"), "login_devices", ["created_at"])
    op.create_index(op.f("ix_login_devices_user_id"), "login_devices", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_login_devices_user_id"), table_name="login_devices")
    op.drop_index(op.f("ix_login_devices_created_at"), table_name="login_devices")
    op.drop_table("login_devices")
