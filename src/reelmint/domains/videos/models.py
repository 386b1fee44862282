"""Videos. A video row is also its generation job: the `videos` table is the queue.

A job is `queued` until a worker leases it (`in_progress`, with `lease_owner` and
`lease_expires_at` renewed by heartbeats), then ends `completed`, `failed` or `cancelled`.
`queue_key` orders the queue: the submission time minus the head start of the job's priority
class, so paid work goes first yet free work is never starved (see queue/). Each lease is
recorded in `video_runs`, which is how tests prove that no two workers ran the same job.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

VideoStatus = Literal["queued", "in_progress", "completed", "failed", "cancelled"]
VIDEO_STATUSES: tuple[VideoStatus, ...] = (
    "queued",
    "in_progress",
    "completed",
    "failed",
    "cancelled",
)
FINISHED: frozenset[str] = frozenset({"completed", "failed", "cancelled"})
PriorityClass = Literal["paid", "free"]


class Video(CreatedAt, Base):
    """A requested video: what was asked, where it is in the queue, and what came out."""

    __tablename__ = "videos"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'in_progress', 'completed', 'failed', 'cancelled')",
            name="status",
        ),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        Index("ix_videos_queue", "status", "queue_key"),
        Index("ix_videos_owner_created", "user_id", "created_at"),
        Index("ix_videos_published", "published_at"),
        # derivatives._carriers_of looks a video's extensions up on every unpublish and delete
        Index("ix_videos_remixed_from", "remixed_from_video_id"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("video"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), default=None
    )

    # What was asked.
    model: Mapped[str] = mapped_column(String(64), doc="The API model name the client sent.")
    backend: Mapped[str] = mapped_column(String(32), doc="The backend it runs on.")
    prompt: Mapped[str] = mapped_column(Text)
    storyboard_json: Mapped[str] = mapped_column(Text, doc="The planned Storyboard, as JSON.")
    seconds: Mapped[float] = mapped_column(Float)
    size: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger, doc="0 .. 2**32-1: wider than a 32-bit int.")
    input_reference_key: Mapped[str | None] = mapped_column(String(300), default=None)
    price_units: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",  # videos made before prices existed cost nothing
        doc="What admission reserved for it, in generation units.",
    )
    remixed_from_video_id: Mapped[str | None] = mapped_column(
        ForeignKey("videos.id", ondelete="SET NULL"), default=None
    )

    # Where it is.
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    priority_class: Mapped[str] = mapped_column(String(10), default="free")
    queue_key: Mapped[float] = mapped_column(Float, doc="Epoch seconds; lowest runs first.")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(120), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    cancel_reason: Mapped[str | None] = mapped_column(
        Text,
        default=None,
        doc="Why a running job was asked to stop by someone other than its owner (an operator, "
        "a revoked cameo, a block): the job ends cancelled with it. The first reason stays.",
    )
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)

    # What came out.
    video_key: Mapped[str | None] = mapped_column(String(300), default=None)
    poster_key: Mapped[str | None] = mapped_column(String(300), default=None)
    video_bytes: Mapped[int | None] = mapped_column(Integer, default=None)
    frames: Mapped[int | None] = mapped_column(Integer, default=None)

    # Sharing.
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    first_published_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When it was first published: published again, it goes back to that place in the "
        "feed (published_at) rather than to the top.",
    )
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    # Moderation: an administrator took it off the feed for good (`moderation.take_down_video`).
    taken_down_at: Mapped[datetime | None] = mapped_column(
        default=None, doc="When an administrator took it down: its owner cannot publish it again."
    )
    taken_down_by: Mapped[str | None] = mapped_column(
        String(64), default=None, doc="Who took it down: a user id, or `operator` (command line)."
    )
    taken_down_reason: Mapped[str | None] = mapped_column(
        Text, default=None, doc="Why, as its owner was told: one line of plain text."
    )

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def prompts(self) -> list[str]:
        """The prompt and each storyboard shot's prompt: what rights and consent are read
        from (a storyboard that is not JSON has no shots)."""
        try:
            shots = json.loads(self.storyboard_json or "{}").get("shots", [])
        except (ValueError, AttributeError):
            shots = []
        found = [
            s["prompt"] for s in shots if isinstance(s, dict) and isinstance(s.get("prompt"), str)
        ]
        return [self.prompt, *found]


class VideoRun(CreatedAt, Base):
    """One lease of a job by a worker, and how it ended."""

    __tablename__ = "video_runs"

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("run"))
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[str] = mapped_column(String(120))
    attempt: Mapped[int] = mapped_column(Integer)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(
        String(20), default=None, doc="completed, failed, cancelled, or lost (lease expired)."
    )


ReportCategory = Literal["rights", "likeness", "sexual", "violence", "harassment", "spam", "other"]
REPORT_CATEGORIES: tuple[ReportCategory, ...] = (
    "rights",
    "likeness",
    "sexual",
    "violence",
    "harassment",
    "spam",
    "other",
)
ReportStatus = Literal["open", "dismissed", "actioned", "deleted"]
REPORT_STATUSES: tuple[ReportStatus, ...] = ("open", "dismissed", "actioned", "deleted")
_OPEN_REPORT_SQL = "status = 'open'"


class VideoReport(CreatedAt, Base):
    """A user's report of a public video to the moderators (`reports.py`).

    `open` until an administrator dismisses it (with a reason its reporter reads) or takes the
    video down (`actioned`), or its creator deletes the video first (`deleted`: nothing is
    left to review, but the creator's record counts it). At most one open report per reporter
    and video (a partial unique index). Its reporter is never shown to the video's owner. A
    video's rows go with it (ON DELETE CASCADE; deleting a video only marks it); a closed
    reporter's reports stay, their notes blanked.
    """

    __tablename__ = "video_reports"
    __table_args__ = (
        CheckConstraint(
            "category IN ('rights', 'likeness', 'sexual', 'violence', 'harassment', 'spam', "
            "'other')",
            name="category",
        ),
        CheckConstraint("status IN ('open', 'dismissed', 'actioned', 'deleted')", name="status"),
        Index(
            "uq_video_reports_open",
            "video_id",
            "reporter_id",
            unique=True,
            sqlite_where=text(_OPEN_REPORT_SQL),
            postgresql_where=text(_OPEN_REPORT_SQL),
        ),
        Index("ix_video_reports_status_video", "status", "video_id"),
        Index("ix_video_reports_reporter_created", "reporter_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("rpt"))
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    reporter_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(
        Text, default="", doc="The reporter's words: one line of plain text, at most 500."
    )
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str | None] = mapped_column(
        String(64), default=None, doc="Who resolved it: a user id, or `operator` (command line)."
    )
    resolution_note: Mapped[str | None] = mapped_column(
        Text,
        default=None,
        doc="Why it was dismissed (its reporter reads it), or the take-down's reason.",
    )
