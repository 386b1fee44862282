"""licence_terms: the holder's share of a licence fee as it stood at admission

Holds reserved before this revision have no row: their split reads the character's share at
delivery, as it always did.

Revision ID: 19d2635bffe9
Revises: 5c0d2e7f9a41
Create Date: 2026-11-23 21:22:54.302690
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "19d2635bffe9"
down_revision = "5c0d2e7f9a41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "licence_terms",
        sa.Column("hold_id", sa.String(), nullable=False),
        sa.Column("holder_share_bps", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "holder_share_bps >= 0 AND holder_share_bps <= 10000",
            name=op.f("ck_licence_terms_share"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"], ["ledger_holds.id"], name=op.f("fk_licence_terms_hold_id_ledger_holds")
        ),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_licence_terms")),
    )


def downgrade() -> None:
    op.drop_table("licence_terms")
