"""platform_keys: the keys every host must have, by fingerprint

Revision ID: 1fdbf99e9c03
Revises: b86825716169
Create Date: 2026-11-24 07:51:45.397195
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "1fdbf99e9c03"
down_revision = "b86825716169"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A new table (no copy of any other). Its one row is written by the first `up`, `worker`
    # or `migrate` that has keys (reelmint.platform_keys), not here: a migration cannot see
    # the data folder.
    op.create_table(
        "platform_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_key_id", sa.String(length=32), nullable=False),
        sa.Column("c2pa_ca_sha256", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_keys")),
    )


def downgrade() -> None:
    op.drop_table("platform_keys")
