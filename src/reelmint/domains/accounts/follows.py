"""Who follows whom: the social graph behind "mutual followers" (a cameo's permission).

A follow is one row (follower -> followee). Two users are mutual followers when both rows
exist. Who follows whom is known to the two users only: the lists a user sees are their own
followers and the people they follow. How many is public: a creator's profile shows the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Select,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.db.base import ID_SHAPE, Base, CreatedAt
from reelmint.db.paging import after_cursor, check_limit, cursor_at, position_after
from reelmint.domains.accounts.blocks import InteractionNotAllowed, blocks, lock_pair
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.service import notify_social
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
    """The actor follows `user_id` (again: no change). The followed user is told in the app
    (not by email: a follow is not worth a message), once per follower, however often the
    follower unfollows and follows again, unless they turned social notifications off.
    Refused while a block stands between them (blocks.py): 403 `interaction_not_allowed` to
    the one who blocked, saying to unblock first; 404 `user_not_found` to the one blocked, as
    that user's profile reads to them (a block is not revealed)."""
    target = user_seen_by(db, user_id, viewer=actor)
    if target.id == actor.id:
        raise BadRequest("you cannot follow yourself", code="cannot_follow_self", param="user_id")
    lock_pair(db, actor.id, target.id)  # a block of the two waits, or is seen below
    if blocks(db, blocker_id=target.id, blocked_id=actor.id):
        raise _no_user(user_id)
    if blocks(db, blocker_id=actor.id, blocked_id=target.id):
        raise InteractionNotAllowed("you blocked this user; unblock them first to follow them")
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
    _tell_followed(db, follower=actor, followed=target)
    return row


def _tell_followed(db: Session, *, follower: User, followed: User) -> None:
    back = follows(db=db, follower_id=followed.id, followee_id=follower.id)
    body = (
        f"{follower.display_name} follows you back: you are now mutual followers."
        if back
        else f"{follower.display_name} now follows you. Follow them back to become mutual "
        "followers, which cameos shared with mutual followers require."
    )
    notify_social(
        db=db,
        user=followed,
        kind="new_follower",
        title=f"{follower.display_name} followed you",
        body=body,
        link=f"/people/{follower.id}",
        key=f"follow:{follower.id}:{followed.id}",
    )


def unfollow(*, db: Session, actor: User, user_id: str) -> None:
    """The actor stops following `user_id` (not following: no change)."""
    row = db.get(Follow, (actor.id, user_id)) if ID_SHAPE.fullmatch(user_id) else None
    if row is not None:
        db.delete(row)
        db.flush()


def end_follows_between(db: Session, a_id: str, b_id: str) -> None:
    """Neither `a_id` nor `b_id` follows the other any more (one of them blocked the other)."""
    db.execute(
        delete(Follow).where(
            or_(
                and_(Follow.follower_id == a_id, Follow.followee_id == b_id),
                and_(Follow.follower_id == b_id, Follow.followee_id == a_id),
            )
        )
    )


def follows(*, db: Session, follower_id: str, followee_id: str) -> bool:
    return db.get(Follow, (follower_id, followee_id)) is not None


def followed_among(*, db: Session, follower_id: str, user_ids: Iterable[str]) -> set[str]:
    """Which of `user_ids` the follower follows, in one query (for a page of cards)."""
    return _among(db, Follow.followee_id, Follow.follower_id == follower_id, user_ids)


def followers_among(*, db: Session, followee_id: str, user_ids: Iterable[str]) -> set[str]:
    """Which of `user_ids` follow `followee_id`, in one query."""
    return _among(db, Follow.follower_id, Follow.followee_id == followee_id, user_ids)


def _among(db: Session, column: Any, condition: Any, user_ids: Iterable[str]) -> set[str]:
    wanted = set(user_ids)
    if not wanted:
        return set()
    return set(db.scalars(select(column).where(condition, column.in_(wanted))))


def followees_of(follower_id: str) -> Select[tuple[str]]:
    """The ids of the users `follower_id` follows, as a subquery (the Following feed)."""
    return select(Follow.followee_id).where(Follow.follower_id == follower_id)


def are_mutual(*, db: Session, a: str, b: str) -> bool:
    """Whether `a` and `b` follow each other."""
    return follows(db=db, follower_id=a, followee_id=b) and follows(
        db=db, follower_id=b, followee_id=a
    )


MAX_PEOPLE_PAGE = 200


@dataclass(frozen=True)
class PeoplePage:
    """One page of a follow list, most recently followed first; `has_more`: there are older
    ones (ask again with `after` = `next_cursor`, or the last user's id)."""

    users: list[User]
    has_more: bool
    next_cursor: str | None = None


def following(*, db: Session, user: User, limit: int = 50, after: str | None = None) -> PeoplePage:
    """The active users `user` follows, most recently followed first; `after` the previous
    page's `next_cursor` (still good if its user is unfollowed meanwhile) or last user id."""
    return _people(
        db, user, them=Follow.followee_id, me=Follow.follower_id, after=after, limit=limit
    )


def followers(*, db: Session, user: User, limit: int = 50, after: str | None = None) -> PeoplePage:
    """The active users who follow `user`, most recent first; `after` as in `following`."""
    return _people(
        db, user, them=Follow.follower_id, me=Follow.followee_id, after=after, limit=limit
    )


def _people(
    db: Session, user: User, *, them: Any, me: Any, after: str | None, limit: int
) -> PeoplePage:
    check_limit(limit, MAX_PEOPLE_PAGE)
    query = select(User).join(Follow, them == User.id).where(me == user.id, *_shown())
    if after is not None:
        position = _position(db, me=me, user=user, them=them, after=after)
        query = query.where(after_cursor(Follow.created_at, User.id, position))
    order = (Follow.created_at.desc(), User.id.desc())
    query = query.add_columns(Follow.created_at).order_by(*order).limit(limit + 1)
    rows = [(person, since) for person, since in db.execute(query)]
    more = len(rows) > limit
    last = cursor_at(rows[limit - 1][1], rows[limit - 1][0].id) if more else None
    return PeoplePage(users=[person for person, _ in rows[:limit]], has_more=more, next_cursor=last)


def _position(db: Session, *, me: Any, user: User, them: Any, after: str) -> tuple[datetime, str]:
    def of_row(user_id: str) -> tuple[datetime, str] | None:
        since = db.scalar(select(Follow.created_at).where(me == user.id, them == user_id))
        return None if since is None else (since, user_id)

    missing = NotFound(
        f"no user {after[:64]!r} in this list to list after (no longer following?); "
        "pass the previous page's next_cursor, or start from the first",
        code="user_not_found",
        param="after",
    )
    return position_after(after, prefix="user", what="people", of_row=of_row, missing=missing)


def _shown() -> tuple[ColumnElement[bool], ...]:
    """Who follow lists and counts show: open accounts that are not suspended (a suspended
    one's profile is seen by no one else, `active_user`)."""
    return (User.disabled_at.is_(None), User.suspended_at.is_(None))


def follow_counts(*, db: Session, user: User) -> tuple[int, int]:
    """(how many active users `user` follows, how many follow `user`)."""
    count = select(func.count()).select_from(Follow).where(*_shown())
    out = db.scalar(
        count.join(User, User.id == Follow.followee_id).where(Follow.follower_id == user.id)
    )
    into = db.scalar(
        count.join(User, User.id == Follow.follower_id).where(Follow.followee_id == user.id)
    )
    return out or 0, into or 0


def active_user(db: Session, user_id: str) -> User:
    """The user `user_id`, if it exists and is neither disabled nor suspended (else 404
    `user_not_found`: a suspended account's profile is seen by no one, as its videos)."""
    user = db.get(User, user_id) if ID_SHAPE.fullmatch(user_id) else None
    if user is None or user.disabled_at is not None or user.suspended_at is not None:
        raise _no_user(user_id)
    return user


def user_seen_by(db: Session, user_id: str, *, viewer: User | None) -> User:
    """`active_user`, as `viewer` sees them: one who blocked the viewer is not found either
    (404 `user_not_found`, the same answer as for no one, so a block is not revealed)."""
    user = active_user(db, user_id)
    if viewer is not None and blocks(db, blocker_id=user.id, blocked_id=viewer.id):
        raise _no_user(user_id)
    return user


def _no_user(user_id: str) -> NotFound:
    return NotFound(f"no user {user_id[:64]}", code="user_not_found", param="user_id")
