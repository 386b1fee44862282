"""Queue test helpers: users of either plan, queued jobs made through real admission, and
explicit moments (queue functions take `now`, so tests move time instead of sleeping)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import VideoRequest, create_video

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def at(seconds: float) -> datetime:
    """The moment `seconds` after T0."""
    return T0 + timedelta(seconds=seconds)


def make_user(services, plan: str = "free") -> User:
    with services.db.write() as db:
        user = create_user(
            db=db, email=f"user{next(_numbers)}@example.com", password="a long password"
        )
        user.plan = plan
    return user


def queue_job(services, user: User, prompt: str = "a cat walks through a park") -> str:
    """Queue a 4 s 480x480 preview job for `user` through admission; return its id."""
    # An explicit seed: videos.seed is a 32-bit signed column, seeds go to 2**32 - 1.
    request = VideoRequest(prompt=prompt, seconds=4, size="480x480", seed=7)
    return create_video(services=services, user=user, request=request).id


def load(services, video_id: str) -> Video:
    with services.db.read() as db:
        found = db.get(Video, video_id)
        assert found is not None
        return found


def runs_of(services, video_id: str) -> list[VideoRun]:
    with services.db.read() as db:
        return list(
            db.scalars(
                select(VideoRun).where(VideoRun.video_id == video_id).order_by(VideoRun.attempt)
            )
        )


def lease(services, worker_id: str, now: datetime, settings=None) -> str | None:
    """Lease one job in its own write transaction; its id, or None."""
    from reelmint.queue import lease_next

    with services.db.write() as db:
        video = lease_next(
            db=db, settings=settings or services.settings, worker_id=worker_id, now=now
        )
        return video.id if video else None
