"""Likes: a person marks a video they can watch (their own, or a published one) as liked.

One row per (user, video). How many like a video is public (the feed and the video page show
it); who likes it is not shown to anyone, and a user's own likes are theirs (the export has
them). Liking again, or unliking what is not liked, changes nothing.

The creator is told, in the app, when a video's count reaches a milestone (1, 10, 100, ...),
not of every like: a popular video would flood them. Once per (video, milestone), however
often likes are taken back and given again; counting other people's likes only (the creator's
own is neither told nor counted towards one); never naming the liker, even for the first (who
likes a video is private, to its creator too).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ForeignKey, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.db.base import ID_SHAPE, Base, CreatedAt
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.service import notify_social
from reelmint.domains.videos.models import Video


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
    `video_not_completed` for one still being made); the video's like count after. A new like
    that brings the count to a milestone tells the creator (`_tell_creator`)."""
    from reelmint.domains.videos.service import completed_source

    video = completed_source(db=db, actor=actor, video_id=video_id, verb="liked")
    if db.get(Like, (actor.id, video.id)) is not None or not _add_like(db, actor, video):
        return like_count(db=db, video_id=video.id)
    count = like_count(db=db, video_id=video.id)
    if actor.id != video.user_id:
        others = count - (db.get(Like, (video.user_id, video.id)) is not None)
        if is_milestone(others):  # the creator's own like is no milestone
            _tell_creator(db, video, others)
    return count


def _add_like(db: Session, actor: User, video: Video) -> bool:
    """Insert the actor's like, with the video's likes locked: whether it was new.

    The lock (PostgreSQL's FOR NO KEY UPDATE on the video row, which leaves the foreign-key
    checks of other inserts alone; SQLite's writers are serial already) orders new likes of
    one video, so each counts the likes committed before it and its own: exactly one of them
    sees each milestone, however many arrive at once."""
    db.execute(select(Video.id).where(Video.id == video.id).with_for_update(key_share=True))
    try:
        with db.begin_nested():  # the same person, in another request, may have liked it first
            db.add(Like(user_id=actor.id, video_id=video.id))
    except IntegrityError:
        if db.get(Like, (actor.id, video.id)) is None:
            raise
        return False
    return True


def is_milestone(count: int) -> bool:
    """Whether a like count is one the creator hears of: 1, 10, 100, 1000..."""
    while count >= 10 and count % 10 == 0:
        count //= 10
    return count == 1


def _tell_creator(db: Session, video: Video, count: int) -> None:
    from reelmint.domains.videos.service import prompt_label

    creator = db.get(User, video.user_id)
    if creator is None:
        return
    about = prompt_label(video)
    if count == 1:
        title = "Your video got its first like"
        body = (
            f"Someone liked your video “{about}”. Who likes a video is never shown, to "
            "you or anyone; how many is."
        )
    else:
        title = f"Your video has {count:,} likes"
        body = f"Your video “{about}” has reached {count:,} likes."
    notify_social(
        db=db,
        user=creator,
        kind="like_milestone",
        title=title,
        body=body,
        link=f"/videos/{video.id}",
        key=f"likes:{video.id}:{count}:{creator.id}",
    )


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
