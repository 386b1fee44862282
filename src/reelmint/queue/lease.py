"""Taking a job from the queue, and keeping it.

Concurrency. On PostgreSQL the candidate job is selected `FOR UPDATE SKIP LOCKED`: two
workers leasing at the same moment each lock a different row and never wait for each other.
The per-user cap needs more than row locks on jobs (two workers could each lock a different
job of the same user and both see one running job under a cap of two), so before counting a
user's running jobs the lessee locks that user's row (`FOR NO KEY UPDATE SKIP LOCKED`: it
does not conflict with the key-share locks that inserting a user's videos takes). A user whose
row another lessee holds is passed over for this lease, so leasing never blocks; the count
made after taking the lock sees every lease committed before it, so the cap is exact. On
SQLite the write transaction is BEGIN IMMEDIATE: lessees are serialised and the same code
is exact without row locks (SQLAlchemy renders no FOR UPDATE there).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.videos.models import Video, VideoRun

QUEUED = "queued"
RUNNING = "in_progress"


class HeartbeatOutcome(StrEnum):
    """What a worker should do after renewing its lease."""

    CONTINUE = "continue"  # the lease is extended: keep working
    STOP_CANCELLED = "stop_cancelled"  # the owner cancelled or deleted the video: stop, cancel
    STOP_LOST = "stop_lost"  # the job is no longer ours (it expired and went elsewhere): drop it


def lease_next(
    *, db: Session, settings: Settings, worker_id: str, now: datetime | None = None
) -> Video | None:
    """Lease the next job for `worker_id`, in the caller's write transaction; None if none.

    The next job is the queued one with the lowest `queue_key` whose owner runs fewer than
    `max_running_per_user` jobs. Leasing opens a VideoRun for this attempt.
    """
    now = now or utcnow()
    passed_over: set[str] = set()
    while True:
        video = _next_candidate(db, settings, passed_over)
        if video is None:
            return None
        if _may_run_another(db, settings, video.user_id):
            _take(db, settings, video, worker_id=worker_id, now=now)
            return video
        passed_over.add(video.user_id)


def any_queued(*, db: Session) -> bool:
    """Whether any job waits (a cheap read that spares idle workers a write transaction)."""
    query = select(Video.id).where(Video.status == QUEUED, Video.deleted_at.is_(None)).limit(1)
    return db.scalar(query) is not None


def _next_candidate(db: Session, settings: Settings, passed_over: set[str]) -> Video | None:
    running = aliased(Video)
    users_at_cap = (
        select(running.user_id)
        .where(running.status == RUNNING)
        .group_by(running.user_id)
        .having(func.count() >= settings.max_running_per_user)
    )
    query = (
        select(Video)
        .where(
            Video.status == QUEUED,
            Video.deleted_at.is_(None),
            Video.user_id.not_in(users_at_cap),
        )
        .order_by(Video.queue_key, Video.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Video)
    )
    if passed_over:
        query = query.where(Video.user_id.not_in(passed_over))
    return db.scalars(query).first()


def _may_run_another(db: Session, settings: Settings, user_id: str) -> bool:
    """Whether the user is below the cap, counted under a lock on the user (exact)."""
    locked = db.scalar(
        select(User.id).where(User.id == user_id).with_for_update(skip_locked=True, key_share=True)
    )
    if locked is None:  # another lessee is deciding for this user right now
        return False
    running = db.scalar(
        select(func.count())
        .select_from(Video)
        .where(Video.user_id == user_id, Video.status == RUNNING)
    )
    return (running or 0) < settings.max_running_per_user


def _take(db: Session, settings: Settings, video: Video, *, worker_id: str, now: datetime) -> None:
    video.status = RUNNING
    video.lease_owner = worker_id
    video.lease_expires_at = now + timedelta(seconds=settings.lease_seconds)
    video.attempts += 1
    if video.started_at is None:
        video.started_at = now
    db.add(VideoRun(video_id=video.id, worker_id=worker_id, attempt=video.attempts, created_at=now))
    db.flush()


def open_run(*, db: Session, video_id: str, worker_id: str) -> VideoRun | None:
    """The run `worker_id` has open on the video (its current lease), if any."""
    return db.scalars(
        select(VideoRun)
        .where(
            VideoRun.video_id == video_id,
            VideoRun.worker_id == worker_id,
            VideoRun.ended_at.is_(None),
        )
        .order_by(VideoRun.attempt.desc())
        .limit(1)
    ).first()


def heartbeat(
    *,
    db: Session,
    settings: Settings,
    video_id: str,
    worker_id: str,
    now: datetime | None = None,
    progress: int | None = None,
) -> HeartbeatOutcome:
    """Renew the worker's lease (and record progress 0-100), or tell it to stop.

    A lease that has expired but that nobody has taken since is still the worker's own: it is
    renewed, so a worker that was only slow loses nothing. Once the job was reaped or leased
    again, the old worker is told it lost it.
    """
    now = now or utcnow()
    video = db.get(Video, video_id, with_for_update=True)
    if video is None or video.status != RUNNING or video.lease_owner != worker_id:
        return HeartbeatOutcome.STOP_LOST
    if video.cancel_requested or video.deleted_at is not None:
        return HeartbeatOutcome.STOP_CANCELLED
    video.lease_expires_at = now + timedelta(seconds=settings.lease_seconds)
    if progress is not None:
        video.progress = min(max(progress, 0), 100)
    db.flush()
    return HeartbeatOutcome.CONTINUE
