"""Likes: a person marks a video they can watch (their own, or a published one) as liked.

One row per (user, video). How many like a video is public (the feed and the video page show
it); who likes it is not shown to anyone, and a user's own likes are theirs (the export has
them). Liking again, or unliking what is not liked, changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.db.base import ID_SHAPE, Base, CreatedAt
from reelmint.domains.accounts.models import User


class Like(CreatedAt, Base):
    """`user_id` likes `video_id`."""

    __tablename__ = "likes"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    video_id: Mapped[str] = mapped_column(
        ForeignKey("videos.id", ondelete="CASCADE"), primary_key=True, index=True
    )


def like(*, db: Session, actor: User, video_id: str) -> int:
    """The actor likes a completed video they may watch (404 `video_not_found` otherwise, 409
    `video_not_completed` for one still being made); the video's like count after."""
    from reelmint.domains.videos.service import completed_source

    video = completed_source(db=db, actor=actor, video_id=video_id, verb="liked")
    if db.get(Like, (actor.id, video.id)) is None:
        try:
            with db.begin_nested():  # a concurrent request may insert the same like first
                db.add(Like(user_id=actor.id, video_id=video.id))
        except IntegrityError:
            if db.get(Like, (actor.id, video.id)) is None:
                raise
    return like_count(db=db, video_id=video.id)


def unlike(*, db: Session, actor: User, video_id: str) -> int:
    """The actor no longer likes the video (liked or not; even one since unpublished or
    taken down, so a like never gets stuck); its count."""
    from reelmint.domains.videos.service import get_visible_video
    from reelmint.errors import NotFound

    row = db.get(Like, (actor.id, video_id)) if ID_SHAPE.fullmatch(video_id) else None
    if row is not None:
        db.delete(row)
        db.flush()
    try:
        get_visible_video(db=db, actor=actor, video_id=video_id)
    except NotFound:
        return 0  # no longer to be seen: its count is nobody's business
    return like_count(db=db, video_id=video_id)


def like_count(*, db: Session, video_id: str) -> int:
    return db.scalar(select(func.count()).select_from(Like).where(Like.video_id == video_id)) or 0


def like_state(*, db: Session, video_id: str, viewer: User | None) -> tuple[int, bool | None]:
    """(how many like the video, whether `viewer` does: None for a visitor), in one query."""
    mine = Like.user_id == (viewer.id if viewer else None)
    count, liked = db.execute(
        select(func.count(), func.coalesce(func.sum(case((mine, 1), else_=0)), 0)).where(
            Like.video_id == video_id
        )
    ).one()
    return int(count), (None if viewer is None else bool(liked))


def like_counts(*, db: Session, video_ids: Iterable[str]) -> dict[str, int]:
    """How many like each of `video_ids` (absent: none), in one query (for a page of cards)."""
    wanted = set(video_ids)
    if not wanted:
        return {}
    rows = db.execute(
        select(Like.video_id, func.count()).where(Like.video_id.in_(wanted)).group_by(Like.video_id)
    )
    return {video_id: int(count) for video_id, count in rows}


def liked_among(*, db: Session, user_id: str, video_ids: Iterable[str]) -> set[str]:
    """Which of `video_ids` the user likes, in one query."""
    wanted = set(video_ids)
    if not wanted or not ID_SHAPE.fullmatch(user_id):
        return set()
    return set(
        db.scalars(select(Like.video_id).where(Like.user_id == user_id, Like.video_id.in_(wanted)))
    )


def likes_of(*, db: Session, user_id: str) -> list[tuple[str, datetime]]:
    """(video id, when) of every like of the user's, oldest first (their data export)."""
    rows = db.execute(
        select(Like.video_id, Like.created_at)
        .where(Like.user_id == user_id)
        .order_by(Like.created_at, Like.video_id)
    )
    return [(video_id, at) for video_id, at in rows]
