"""videos index on remixed_from_video_id

Revision ID: 1f21f8e6f336
Revises: 68957775a38e
Create Date: 2026-11-24 18:46:23.080353

Unpublishing, deleting or taking a video down looks for others' extensions of it
(`videos.derivatives._carriers_of`, by `remixed_from_video_id`): without an index each one read
the whole videos table.
"""

from __future__ import annotations

from alembic import op

revision = "1f21f8e6f336"
down_revision = "68957775a38e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.create_index("ix_videos_remixed_from", ["remixed_from_video_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_index("ix_videos_remixed_from")
