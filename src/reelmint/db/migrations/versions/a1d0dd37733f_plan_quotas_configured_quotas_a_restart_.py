"""plan_quotas: configured quotas a restart may not cut

Revision ID: a1d0dd37733f
Revises: e36d09b681a4
Create Date: 2026-11-24 11:03:18.330257
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "a1d0dd37733f"
down_revision = "e36d09b681a4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty: the first `up` or `worker` after the upgrade records the configuration it has.
    op.create_table(
        "plan_quotas",
        sa.Column("plan", sa.String(length=20), nullable=False),
        sa.Column("daily_units", sa.Integer(), nullable=False),
        sa.Column("recorded_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("plan", name=op.f("pk_plan_quotas")),
    )


def downgrade() -> None:
    op.drop_table("plan_quotas")
