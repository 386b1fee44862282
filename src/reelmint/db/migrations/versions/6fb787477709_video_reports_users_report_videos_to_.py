"""video_reports: users report videos to the moderators

Revision ID: 6fb787477709
Revises: 1f21f8e6f336
Create Date: 2026-11-24 20:23:08.199277
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import reelmint.db.base

revision = "6fb787477709"
down_revision = "1f21f8e6f336"
branch_labels = None
depends_on = None


OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    # A new table: nothing existing is copied or rebuilt (no batch mode), so no trigger is lost.
    op.create_table(
        "video_reports",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("video_id", sa.String(), nullable=False),
        sa.Column("reporter_id", sa.String(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("created_at", reelmint.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('rights', 'likeness', 'sexual', 'violence', 'harassment', 'spam', "
            "'other')",
            name=op.f("ck_video_reports_category"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'actioned')", name=op.f("ck_video_reports_status")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_video_reports_reporter_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["video_id"],
            ["videos.id"],
            name=op.f("fk_video_reports_video_id_videos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_reports")),
    )
    op.create_index(op.f("ix_video_reports_created_at"), "video_reports", ["created_at"])
    op.create_index(
        "ix_video_reports_reporter_created", "video_reports", ["reporter_id", "created_at"]
    )
    op.create_index("ix_video_reports_status_video", "video_reports", ["status", "video_id"])
    op.create_index(
        "uq_video_reports_open",
        "video_reports",
        ["video_id", "reporter_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("uq_video_reports_open", table_name="video_reports")
    op.drop_index("ix_video_reports_status_video", table_name="video_reports")
    op.drop_index("ix_video_reports_reporter_created", table_name="video_reports")
    op.drop_index(op.f("ix_video_reports_created_at"), table_name="video_reports")
    op.drop_table("video_reports")
