"""Who follows whom: the social graph behind "mutual followers" (a cameo's permission).

A follow is one row (follower -> followee). Two users are mutual followers when both rows
exist. Following is public knowledge between the two users only: the lists a user sees are
their own followers and the people they follow.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.db.base import ID_SHAPE, Base, CreatedAt
from reelmint.domains.accounts.models import User
from reelmint.errors import BadRequest, NotFound


class Follow(CreatedAt, Base):
    """`follower_id` follows `followee_id`."""

    __tablename__ = "follows"
    __table_args__ = (CheckConstraint("follower_id <> followee_id", name="not_self"),)

    follower_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    followee_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


def follow(*, db: Session, actor: User, user_id: str) -> Follow:
    """The actor follows `user_id` (again: no change)."""
    target = _active_user(db, user_id)
    if target.id == actor.id:
        raise BadRequest("you cannot follow yourself", code="cannot_follow_self", param="user_id")
    existing = db.get(Follow, (actor.id, target.id))
    if existing is not None:
        return existing
    row = Follow(follower_id=actor.id, followee_id=target.id)
    try:
        with db.begin_nested():  # a concurrent request may insert the same follow first
            db.add(row)
    except IntegrityError:
        found = db.get(Follow, (actor.id, target.id))
        if found is None:
            raise
        return found
    return row


def unfollow(*, db: Session, actor: User, user_id: str) -> None:
    """The actor stops following `user_id` (not following: no change)."""
    row = db.get(Follow, (actor.id, user_id)) if ID_SHAPE.fullmatch(user_id) else None
    if row is not None:
        db.delete(row)
        db.flush()


def follows(*, db: Session, follower_id: str, followee_id: str) -> bool:
    return db.get(Follow, (follower_id, followee_id)) is not None


def are_mutual(*, db: Session, a: str, b: str) -> bool:
    """Whether `a` and `b` follow each other."""
    return follows(db=db, follower_id=a, followee_id=b) and follows(
        db=db, follower_id=b, followee_id=a
    )


def following(*, db: Session, user: User) -> list[User]:
    """The users `user` follows, most recent first."""
    return list(
        db.scalars(
            select(User)
            .join(Follow, Follow.followee_id == User.id)
            .where(Follow.follower_id == user.id)
            .order_by(Follow.created_at.desc(), User.id)
        )
    )


def followers(*, db: Session, user: User) -> list[User]:
    """The users who follow `user`, most recent first."""
    return list(
        db.scalars(
            select(User)
            .join(Follow, Follow.follower_id == User.id)
            .where(Follow.followee_id == user.id)
            .order_by(Follow.created_at.desc(), User.id)
        )
    )


def _active_user(db: Session, user_id: str) -> User:
    user = db.get(User, user_id) if ID_SHAPE.fullmatch(user_id) else None
    if user is None or user.disabled_at is not None:
        raise NotFound(f"no user {user_id[:64]}", code="user_not_found", param="user_id")
    return user
