"""Every way a run ends, in one place: finished by its worker, handed back, or reaped.

Each ending is one transaction that first checks the worker still holds the lease: a worker
whose lease expired and was taken by another can no longer change the job (it is told so and
cleans up after itself). Every final state is reached through `_settle`, which is also where
the settlement of credits will hook in: a job that ends is charged or refunded exactly there.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import forget_ended_video
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import mark_cancelled
from reelmint.domains.wallet.service import lock_wallets, settle_video
from reelmint.domains.webhooks import service as webhooks
from reelmint.engine.errors import BackendUnavailable, InvalidRequest
from reelmint.queue.lease import QUEUED, RUNNING, open_run

log = logging.getLogger("reelmint.queue")

GENERATION_FAILED = "generation_failed"
GENERATION_FAILED_MESSAGE = (
    "the video could not be made because of a fault on the server; try again, and tell the "
    "operator if it keeps failing"
)
WORKER_LOST = "worker_lost"


@dataclass(frozen=True)
class Completed:
    """The video was made and stored under these keys."""

    video_key: str
    poster_key: str
    video_bytes: int
    frames: int
    delivered_seconds: float | None = None  # set when only the first shots could be made
    # and then the storyboard of those shots (JSON), which becomes the video's: what it shows
    delivered_storyboard_json: str | None = None
    # and the characters named only in the shots left out: their licence fees are given back
    fees_left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Failed:
    """The video could not be made. `message` is shown to the user: never internals."""

    code: str
    message: str


@dataclass(frozen=True)
class Cancelled:
    """The owner cancelled (or deleted) the video while it ran."""


Outcome = Completed | Failed | Cancelled


BACKEND_UNAVAILABLE_MESSAGE = (
    "the model this video asked for could not be loaded on the server that took it (a fault "
    "in the server's set-up, for its operator to fix); try again later or choose another model"
)


def failure_for(error: BaseException) -> Failed:
    """What a user is told about an error: the engine's refusals of the request keep their
    code and message (they say what to change); a backend the worker cannot load keeps its
    code (the operator looks it up) but says so in words for the user, not the operator's
    instructions; anything else is a fault of ours, reported generically. The detail belongs
    in the worker's log, not in the API."""
    if isinstance(error, InvalidRequest):
        return Failed(code=error.code, message=error.message)
    if isinstance(error, BackendUnavailable):
        return Failed(code=error.code, message=BACKEND_UNAVAILABLE_MESSAGE)
    return Failed(code=GENERATION_FAILED, message=GENERATION_FAILED_MESSAGE)


def finish(
    *,
    db: Session,
    video_id: str,
    worker_id: str,
    outcome: Outcome,
    now: datetime | None = None,
) -> str | None:
    """End the worker's run with `outcome`; return the status recorded, None if not its job.

    A video cancelled or deleted while its last moments ran is recorded `cancelled` whatever
    the run's outcome: the owner asked for it not to exist, so it is neither delivered nor
    announced as failed, and a deleted one (its account may have closed) is forgotten. The
    worker then removes what it stored.
    """
    now = now or utcnow()
    video = _owned(db, video_id, worker_id)
    if video is None:
        log.info("%s no longer holds %s; its %s is dropped", worker_id, video_id, _name(outcome))
        return None
    if video.cancel_requested or video.deleted_at is not None:
        outcome = Cancelled()
    _close_run(db, video_id=video_id, worker_id=worker_id, outcome=_name(outcome), now=now)
    _settle(db, video, outcome, now=now)
    return video.status


# The outcomes a run's own worker records when it ends it (a reaped run is `lost`, a run handed
# back `released`).
_ENDED_BY_ITS_WORKER = ("completed", "failed", "cancelled")


def recorded_end(*, db: Session, run_id: str) -> str | None:
    """The status the run's own worker recorded when it ended it; None if it did not (the run
    is open, was reaped, or was handed back).

    `finish` answers None to a worker that no longer holds the lease, and that is also its
    answer when the worker's previous try did commit but the answer was lost with the
    connection: this tells the two apart, so that a worker does not take a video it delivered
    for lost and remove its files.
    """
    run = db.get(VideoRun, run_id)
    if run is None or run.outcome not in _ENDED_BY_ITS_WORKER:
        return None
    return run.outcome


def release(*, db: Session, video_id: str, worker_id: str, now: datetime | None = None) -> bool:
    """Hand a running job back to the queue at once (its worker is shutting down).

    It keeps its place (its queue_key) and this does not count as an interruption, so the next
    worker starts it without waiting for the lease to expire. A job whose owner asked to cancel
    it is cancelled instead. Returns False when the job was no longer the worker's.
    """
    now = now or utcnow()
    video = _owned(db, video_id, worker_id)
    if video is None:
        return False
    if video.cancel_requested or video.deleted_at is not None:
        _close_run(db, video_id=video_id, worker_id=worker_id, outcome="cancelled", now=now)
        _settle(db, video, Cancelled(), now=now)
        return True
    _close_run(db, video_id=video_id, worker_id=worker_id, outcome="released", now=now)
    _requeue(video)
    db.flush()
    return True


def reap_expired(*, db: Session, settings: Settings, now: datetime | None = None) -> list[str]:
    """Take back running jobs whose lease expired (their worker died or hung); return their ids.

    Each goes back to the queue, keeping its place, until it has been interrupted
    `max_attempts` times; then it fails with `worker_lost`, since a job that keeps killing its
    workers (or keeps landing on dying hosts) should not circle forever. A job its owner asked
    to cancel is cancelled.
    """
    now = now or utcnow()
    expired = db.scalars(
        select(Video)
        .where(Video.status == RUNNING, Video.lease_expires_at < now)
        .order_by(Video.lease_expires_at)
        .with_for_update(skip_locked=True)
    ).all()
    lock_wallets(db=db, user_ids=[video.user_id for video in expired])
    for video in expired:
        if video.lease_owner is not None:
            _close_run(db, video_id=video.id, worker_id=video.lease_owner, outcome="lost", now=now)
        lost = _interruptions(db, video.id)
        if video.cancel_requested or video.deleted_at is not None:
            _settle(db, video, Cancelled(), now=now)
        elif lost < settings.max_attempts:
            log.warning(
                "lease of %s by %s expired; it goes back to the queue", video.id, video.lease_owner
            )
            _requeue(video)
        else:
            log.warning("%s was interrupted %d times; it fails", video.id, lost)
            failure = Failed(
                code=WORKER_LOST,
                message=f"the job was interrupted {_times(lost)} (the worker making it "
                "stopped responding); try again",
            )
            _settle(db, video, failure, now=now)
    db.flush()
    return [video.id for video in expired]


def any_expired(*, db: Session, now: datetime | None = None) -> bool:
    """Whether any running job's lease has expired (a cheap read before reaping)."""
    query = select(Video.id).where(
        Video.status == RUNNING, Video.lease_expires_at < (now or utcnow())
    )
    return db.scalar(query.limit(1)) is not None


def _owned(db: Session, video_id: str, worker_id: str) -> Video | None:
    video = db.get(Video, video_id, with_for_update=True)
    if video is None or video.status != RUNNING or video.lease_owner != worker_id:
        return None
    return video


def _close_run(db: Session, *, video_id: str, worker_id: str, outcome: str, now: datetime) -> None:
    run = open_run(db=db, video_id=video_id, worker_id=worker_id)
    if run is not None:
        run.ended_at = now
        run.outcome = outcome


def _interruptions(db: Session, video_id: str) -> int:
    """How many leases of the job were lost (a clean hand-back is not an interruption)."""
    db.flush()
    count = db.scalar(
        select(func.count())
        .select_from(VideoRun)
        .where(VideoRun.video_id == video_id, VideoRun.outcome == "lost")
    )
    return count or 0


def _requeue(video: Video) -> None:
    video.status = QUEUED
    video.lease_owner = None
    video.lease_expires_at = None
    video.progress = 0


def _settle(db: Session, video: Video, outcome: Outcome, *, now: datetime) -> None:
    """Put the job in its final state and announce it. The one place a job ends."""
    if isinstance(outcome, Cancelled):
        mark_cancelled(db=db, video=video, reason=video.cancel_reason)
        video.completed_at = now
        if video.deleted_at is not None:
            forget_ended_video(db, video)  # its account may have closed while it ran
        db.flush()
        return
    video.status = _name(outcome)
    video.lease_owner = None
    video.lease_expires_at = None
    video.completed_at = now
    if isinstance(outcome, Completed):
        video.progress = 100
        video.video_key = outcome.video_key
        video.poster_key = outcome.poster_key
        video.video_bytes = outcome.video_bytes
        video.frames = outcome.frames
        video.error_code = video.error_message = None
        charge, reason = video.price_units, f"video {video.id} delivered"
        fees_left_out: tuple[str, ...] = ()
        if outcome.delivered_seconds is not None and outcome.delivered_seconds < video.seconds:
            charge, reason = _partial_charge(video, outcome.delivered_seconds)
            fees_left_out = outcome.fees_left_out
            video.seconds = outcome.delivered_seconds
            if outcome.delivered_storyboard_json is not None:
                video.storyboard_json = outcome.delivered_storyboard_json
        db.flush()
        settle_video(
            db=db,
            user_id=video.user_id,
            video_id=video.id,
            delivered=True,
            reason=reason,
            charge=charge,
            fees_left_out=fees_left_out,
            now=now,
        )
        webhooks.enqueue_video_event(db=db, video=video, event="video.completed")
    else:
        video.error_code = outcome.code
        video.error_message = outcome.message
        db.flush()
        settle_video(
            db=db,
            user_id=video.user_id,
            video_id=video.id,
            delivered=False,
            reason=f"refund: the video failed ({outcome.code})",
            now=now,
        )
        webhooks.enqueue_video_event(db=db, video=video, event="video.failed")


def _partial_charge(video: Video, delivered: float) -> tuple[int, str]:
    """The share of the price for the part delivered (rounded up), and the statement's words."""
    share = Fraction(str(delivered)) / Fraction(str(video.seconds))
    charge = min(video.price_units, math.ceil(video.price_units * share))
    reason = (
        f"video {video.id} partly delivered ({delivered:g} of {video.seconds:g} s): charged "
        f"{charge} of {video.price_units} units"
    )
    return charge, reason


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _name(outcome: Outcome) -> str:
    if isinstance(outcome, Completed):
        return "completed"
    if isinstance(outcome, Failed):
        return "failed"
    return "cancelled"


QUEUE_TIMEOUT = "queue_timeout"


def _timed_out(video: Video, hours: float) -> Failed:
    """Why a job still queued when its reservation lapses is given up, as it happened: never
    started, or started and handed back or interrupted, and not finished in time."""
    if video.attempts == 0:
        why = f"no worker could start the video within {hours:g} hours"
    else:
        why = (
            "the video was started but its worker stopped before finishing it, and it could "
            f"not be finished within {hours:g} hours of being asked for"
        )
    return Failed(
        code=QUEUE_TIMEOUT,
        message=f"{why}, so it was given up and its units returned; try again later",
    )


def expire_stale_jobs(
    *, db: Session, settings: Settings, now: datetime | None = None, limit: int = 200
) -> list[str]:
    """Fail queued jobs asked for longer than `hold_timeout_hours` ago (back in the queue or
    never started): their reservation lapses (it is voided, so the user gets the units back)
    and they stop waiting for a worker."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=settings.hold_timeout_hours)
    stale = db.scalars(
        select(Video)
        .where(Video.status == QUEUED, Video.created_at < cutoff)
        .order_by(Video.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    lock_wallets(db=db, user_ids=[video.user_id for video in stale])
    for video in stale:
        _settle(db, video, _timed_out(video, settings.hold_timeout_hours), now=now)
    db.flush()
    return [video.id for video in stale]
