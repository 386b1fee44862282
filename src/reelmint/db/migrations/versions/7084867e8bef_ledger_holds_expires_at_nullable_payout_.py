"""ledger_holds.expires_at nullable: payout holds never lapse

A hold with no `expires_at` waits for its owner to settle it, however long (a payout waits for
the operator); housekeeping's `due_holds` never finds it. Payout holds placed before this
migration carried a 100-year expiry; they lose it here, and get one back on the way down.

Revision ID: 7084867e8bef
Revises: f0a9503aab91
Create Date: 2026-11-22 23:13:01.652448
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "7084867e8bef"
down_revision = "f0a9503aab91"
branch_labels = None
depends_on = None

UTC_DATETIME = reelmint.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("ledger_holds", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=UTC_DATETIME, nullable=True)
    op.execute("UPDATE ledger_holds SET expires_at = NULL WHERE kind = 'payout'")


def downgrade() -> None:
    # The schema before this one needs a time: the far future it used for payouts.
    far = sa.bindparam("far", datetime(2126, 1, 1, tzinfo=UTC), type_=UTC_DATETIME)
    op.execute(
        sa.text("UPDATE ledger_holds SET expires_at = :far WHERE expires_at IS NULL").bindparams(
            far
        )
    )
    with op.batch_alter_table("ledger_holds", schema=None) as batch_op:
        batch_op.alter_column("expires_at", existing_type=UTC_DATETIME, nullable=False)
