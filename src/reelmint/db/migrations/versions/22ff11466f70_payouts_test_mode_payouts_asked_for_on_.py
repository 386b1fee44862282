"""payouts.test_mode: payouts asked for on test money

Revision ID: 22ff11466f70
Revises: a1d0dd37733f
Create Date: 2026-11-24 11:25:51.158565
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "22ff11466f70"
down_revision = "a1d0dd37733f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place on both databases (a column with a constant default): no copy of the table.
    # Payouts there are marked as asked for on real money: nothing recorded says otherwise.
    op.add_column(
        "payouts",
        sa.Column("test_mode", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE payouts DROP COLUMN test_mode")
    else:
        op.drop_column("payouts", "test_mode")
