"""video_reports: deleted, a report whose video its creator deleted first

Revision ID: 16ca63c0ada6
Revises: 009bbdbe6a23
Create Date: 2026-11-24 23:57:30.625771

A report whose video its creator deleted before the moderators reviewed it was closed as
`dismissed` by no one; it is now `deleted`, so the creator's record can count it (and its
reporter no longer reads that it was dismissed). Rows closed that way before are moved over:
they are the dismissed reports with no `resolved_by` and the deletion's note. `video_reports`
has no trigger, so SQLite's table rebuild (batch mode) loses nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "16ca63c0ada6"
down_revision = "009bbdbe6a23"
branch_labels = None
depends_on = None

DELETED_BY_CREATOR = "the video was deleted by its creator"
BEFORE = "status IN ('open', 'dismissed', 'actioned')"
AFTER = "status IN ('open', 'dismissed', 'actioned', 'deleted')"


def _check(status_sql: str) -> None:
    with op.batch_alter_table("video_reports") as batch:
        batch.drop_constraint(op.f("ck_video_reports_status"), type_="check")
        batch.create_check_constraint(op.f("ck_video_reports_status"), sa.text(status_sql))


def _move(old: str, new: str) -> None:
    op.execute(
        sa.text(
            "UPDATE video_reports SET status = :new WHERE status = :old "
            "AND resolved_by IS NULL AND resolution_note = :note"
        ).bindparams(old=old, new=new, note=DELETED_BY_CREATOR)
    )


def upgrade() -> None:
    _check(AFTER)
    _move("dismissed", "deleted")


def downgrade() -> None:
    _move("deleted", "dismissed")
    _check(BEFORE)
