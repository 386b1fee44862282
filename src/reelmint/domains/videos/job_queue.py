"""The operators' view of the job queue, and their one action on it: cancelling, saying why.

GPUs are the scarce part of the platform, so the operator needs to see what waits for them and
what runs on them: per backend, how many jobs are queued and running and how long the oldest
has waited; then the jobs themselves, running ones first, then queued ones in the order the
workers take them.

Cancelling a job is otherwise its owner's alone (`service.cancel_video`). An administrator may
cancel one, or every unfinished job of a backend (a model withdrawn, its GPUs gone), only with
a one-line reason that the owner reads:

- a queued job ends `cancelled` at once and its reservation is voided: the refund on the
  owner's statement says "cancelled by the platform's operators" and why;
- a running job's worker is asked to stop (as when its owner cancels it); the job ends
  `cancelled` with the same reason when the worker stops or its lease is reaped;
- the owner is told in the app and by email.

Cancelling again, or a job that finished meanwhile, changes nothing: a finished job is 409
`video_finished`, as for its owner; a bulk cancellation simply leaves it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import Operator, require_admin
from reelmint.domains.videos.models import Video
from reelmint.errors import Conflict, NotFound
from reelmint.queue.lease import QUEUED, RUNNING
from reelmint.terminal import reason_line

MAX_REASON_CHARS = 500
MAX_JOBS_SHOWN = 200
UNFINISHED = (QUEUED, RUNNING)
BY_OPERATORS = "cancelled by the platform's operators"


@dataclass(frozen=True)
class BackendLoad:
    """One backend's unfinished jobs: how many wait, how many run, since when the oldest
    queued one waits (None when none does)."""

    backend: str
    queued: int
    running: int
    oldest_queued_at: datetime | None


@dataclass(frozen=True)
class JobQueue:
    backends: list[BackendLoad]
    jobs: list[Video]
    has_more: bool


def job_queue(
    *, db: Session, actor: User | Operator, backend: str | None = None, limit: int = 50
) -> JobQueue:
    """Every backend with unfinished jobs (counts, the oldest wait), then at most `limit` of
    the jobs (of `backend` only, if given): running ones first (the longest running first),
    then queued ones in the order the workers take them. Administrators only (403
    `admin_only`)."""
    require_admin(actor)
    limit = max(1, min(limit, MAX_JOBS_SHOWN))
    loads = _loads(db)
    query = select(Video).where(Video.status.in_(UNFINISHED))
    if backend is not None:
        query = query.where(Video.backend == backend)
    running_first = (Video.status == RUNNING).desc()
    rows = db.scalars(
        query.order_by(running_first, Video.started_at, Video.queue_key, Video.id).limit(limit + 1)
    ).all()
    return JobQueue(backends=loads, jobs=list(rows[:limit]), has_more=len(rows) > limit)


def _loads(db: Session) -> list[BackendLoad]:
    rows = db.execute(
        select(Video.backend, Video.status, func.count(Video.id), func.min(Video.created_at))
        .where(Video.status.in_(UNFINISHED))
        .group_by(Video.backend, Video.status)
    ).all()
    found: dict[str, dict[str, tuple[int, datetime | None]]] = {}
    for backend, status, count, oldest in rows:
        found.setdefault(backend, {})[status] = (count, oldest)
    return [
        BackendLoad(
            backend=backend,
            queued=by_status.get(QUEUED, (0, None))[0],
            running=by_status.get(RUNNING, (0, None))[0],
            oldest_queued_at=by_status.get(QUEUED, (0, None))[1],
        )
        for backend, by_status in sorted(found.items())
    ]


def checked_reason(reason: str) -> str:
    """The reason, on one line of plain text (the owner reads it, mailed too): 400
    `invalid_reason` when blank, too long, or with a control or invisible character."""
    return reason_line(
        reason, saying="the job is cancelled", reader="its owner", most=MAX_REASON_CHARS
    )


def cancel_job(*, db: Session, actor: User | Operator, video_id: str, reason: str) -> Video:
    """Cancel another's unfinished job as an operator, saying why (see the module). 403
    `admin_only`; 400 `invalid_reason`; 404 `video_not_found` (none, or deleted); 409
    `video_finished` for a job that has ended. A job already being cancelled is returned as
    it is."""
    require_admin(actor)
    why = checked_reason(reason)
    video = None
    if ID_SHAPE.fullmatch(video_id):
        video = _locked(db, video_id)
    if video is None or video.deleted_at is not None:
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    if video.status not in UNFINISHED:
        raise Conflict(
            f"video {video_id} is already {video.status}; only queued or running jobs can be "
            "cancelled",
            code="video_finished",
        )
    _cancel(db, video, why)
    return video


def cancel_backend_jobs(
    *, db: Session, actor: User | Operator, backend: str, reason: str
) -> list[Video]:
    """Cancel every unfinished job of `backend` as an operator, saying why: the jobs changed
    (queued ones now cancelled, running ones asked to stop), in the queue's order; none when
    it has none. Jobs
    already being cancelled are left as they are. 403 `admin_only`; 400 `invalid_reason`."""
    require_admin(actor)
    why = checked_reason(reason)
    from reelmint.domains.wallet.service import lock_wallets

    jobs = db.scalars(
        select(Video)
        .where(Video.backend == backend, Video.status.in_(UNFINISHED), Video.deleted_at.is_(None))
        .order_by(Video.id)
        .with_for_update(key_share=True)
    ).all()
    lock_wallets(db=db, user_ids=[video.user_id for video in jobs if video.status == QUEUED])
    changed = [video for video in jobs if _cancel(db, video, why)]  # locked in id order
    return sorted(changed, key=lambda video: (video.queue_key, video.id))  # the queue's order


def _locked(db: Session, video_id: str) -> Video | None:
    return db.get(Video, video_id, with_for_update={"key_share": True}, populate_existing=True)


def _cancel(db: Session, video: Video, why: str) -> bool:
    """End a queued job now, or ask a running one's worker to stop; tell its owner. False
    when the job was already being cancelled (nothing changes, nobody is told again)."""
    from reelmint.domains.videos.service import mark_cancelled, request_cancel

    message = f"{BY_OPERATORS}: {why}"
    if video.status == QUEUED:
        mark_cancelled(db=db, video=video, reason=message)
    elif video.cancel_requested:
        return False
    else:
        request_cancel(video, reason=message)
        db.flush()
    _tell_owner(db, video, why)
    return True


def _tell_owner(db: Session, video: Video, why: str) -> None:
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.service import prompt_label

    owner = db.get(User, video.user_id)
    if owner is None:
        return
    back = (
        "The units it reserved are back in your wallet."
        if video.status == "cancelled"
        else "It stops shortly, and the units it reserved come back to your wallet then."
    )
    notify(
        db=db,
        user=owner,
        kind="video_cancelled_by_operators",
        title="Your video was cancelled by the platform's operators",
        body=(
            f"The platform's operators cancelled your video “{prompt_label(video)}” before it "
            f"finished: {why}. {back} You were not charged for it."
        ),
        link=f"/videos/{video.id}",
        key=f"video_cancelled_by_operators:{video.id}",
    )


def job_age(video: Video, now: datetime | None = None) -> float:
    """Seconds since the job was queued (or, running, since it started)."""
    start = video.started_at if video.status == RUNNING and video.started_at else video.created_at
    return max(0.0, ((now or utcnow()) - start).total_seconds())
