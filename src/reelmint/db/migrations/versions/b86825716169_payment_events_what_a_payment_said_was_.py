"""payment_events: what a payment said was paid, and its payment id; ledger_postings: the
statement's index

Revision ID: b86825716169
Revises: e8079e0a1a34
Create Date: 2026-11-24 07:33:43.920708
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b86825716169"
down_revision = "e8079e0a1a34"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place on both databases (an index, nullable columns): no copy of a table.
    op.create_index(
        "ix_ledger_postings_account_time", "ledger_postings", ["account_id", "created_at", "id"]
    )
    op.add_column("payment_events", sa.Column("paid_cents", sa.BigInteger(), nullable=True))
    op.add_column("payment_events", sa.Column("paid_currency", sa.String(length=3), nullable=True))
    op.add_column("payment_events", sa.Column("payment_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    for name in ("payment_id", "paid_currency", "paid_cents"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE payment_events DROP COLUMN {name}")
        else:
            op.drop_column("payment_events", name)
    op.drop_index("ix_ledger_postings_account_time", table_name="ledger_postings")
