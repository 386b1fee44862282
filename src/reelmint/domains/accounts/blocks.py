"""Blocking: a person stops someone from interacting with them.

A block is one row (blocker -> blocked). Whichever way it goes, it stands between the two:
neither may follow the other, like, remix, extend or tip the other's videos, or use the
other's cameo; each one's feed leaves out the other's videos, and no social news passes from
one to the other. Blocking also ends any follow between them. The blocked person is never
told: they are refused as anyone would be (403 `interaction_not_allowed`, saying no more),
and the blocker's profile reads to them as no one's (404 `user_not_found`).

The services enforce it (follows, likes, videos, tips, cameos, the feed, the profile): each
asks `between` (or `either_way` inside a query), so a route cannot forget to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    and_,
    delete,
    exists,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.db.base import ID_SHAPE, Base, CreatedAt
from reelmint.db.paging import after_cursor, check_limit, cursor_at, position_after
from reelmint.domains.accounts.models import User
from reelmint.errors import BadRequest, Forbidden, NotFound

MAX_BLOCKED_PAGE = 200
NOT_ALLOWED = "interaction_not_allowed"


class UserBlock(CreatedAt, Base):
    """`blocker_id` blocked `blocked_id`."""

    __tablename__ = "user_blocks"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)

    blocker_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class InteractionNotAllowed(Forbidden):
    """A block stands between the actor and the other user (which way is not said)."""

    code = NOT_ALLOWED


# --- asking -----------------------------------------------------------------------------------


def between(db: Session, a_id: str, b_id: str) -> bool:
    """Whether a block stands between users `a_id` and `b_id`, either way."""
    if a_id == b_id:
        return False
    return blocks(db, blocker_id=a_id, blocked_id=b_id) or blocks(
        db, blocker_id=b_id, blocked_id=a_id
    )


def blocks(db: Session, *, blocker_id: str, blocked_id: str) -> bool:
    """Whether `blocker_id` blocked `blocked_id` (this way only)."""
    return db.get(UserBlock, (blocker_id, blocked_id)) is not None


def blocked_either_way(db: Session, user_id: str) -> set[str]:
    """Everyone a block stands between `user_id` and, either way, in one query."""
    theirs = select(UserBlock.blocker_id).where(UserBlock.blocked_id == user_id)
    mine = select(UserBlock.blocked_id).where(UserBlock.blocker_id == user_id)
    return set(db.scalars(mine.union(theirs)))


def blocked_among(db: Session, *, blocker_id: str, user_ids: list[str]) -> set[str]:
    """Which of `user_ids` `blocker_id` blocked, in one query (for a page of people)."""
    if not user_ids:
        return set()
    query = select(UserBlock.blocked_id).where(
        UserBlock.blocker_id == blocker_id, UserBlock.blocked_id.in_(user_ids)
    )
    return set(db.scalars(query))


def either_way(user_id: str, other: Any) -> ColumnElement[bool]:
    """A query condition: a block stands between `user_id` and the user in column `other`
    (a video's creator, say), either way."""
    return exists().where(
        or_(
            and_(UserBlock.blocker_id == user_id, UserBlock.blocked_id == other),
            and_(UserBlock.blocker_id == other, UserBlock.blocked_id == user_id),
        )
    )


def blocked(user_id: str, *, by: Any) -> ColumnElement[bool]:
    """A query condition: the user in column `by` blocked `user_id` (this way only)."""
    return exists().where(UserBlock.blocker_id == by, UserBlock.blocked_id == user_id)


def lock_pair(db: Session, a_id: str, b_id: str) -> None:
    """Lock the two users' rows (FOR NO KEY UPDATE, by id) for what a block decides between
    them: a block and a follow of the same two take turns, so a follow checked just before a
    block commits cannot land after the block ended the follows."""
    query = select(User.id).where(User.id.in_(sorted({a_id, b_id}))).order_by(User.id)
    db.scalars(query.with_for_update(key_share=True)).all()


def _lock_cameos_of(db: Session, a_id: str, b_id: str) -> None:
    """Lock both users' cameo rows (by id), before their user rows as closing an account
    does: an admission using one of them holds it FOR SHARE until it commits, so the block
    waits for it and then finds its video to stop (`cameos.end_uses_across_block`)."""
    from reelmint.domains.cameos.models import Cameo

    query = select(Cameo.id).where(Cameo.user_id.in_((a_id, b_id))).order_by(Cameo.id)
    db.scalars(query.with_for_update()).all()


def require_unblocked(db: Session, actor: User, other_id: str, *, refusal: str) -> None:
    """Refuse (403 `interaction_not_allowed`, message `refusal`) what `actor` would do to
    `other_id` if a block stands between them. The message says what cannot be done, not who
    blocked whom."""
    if between(db, actor.id, other_id):
        raise InteractionNotAllowed(refusal)


# --- changing ---------------------------------------------------------------------------------


def block(*, db: Session, actor: User, user_id: str) -> UserBlock:
    """The actor blocks `user_id` (again: no change), and any follow between them ends, as
    does showing each other's work and likeness: each one's published extensions of the
    other's videos leave the feed, and each one's videos with the other's cameo stop as a
    revocation stops them (their owners are told without the block being named). 400
    `cannot_block_self`; 404 `user_not_found` for no such account, or a closed one. A
    suspended account can be blocked (its profile is hidden meanwhile): the block must stand
    when it is reinstated."""
    from reelmint.domains.accounts.follows import end_follows_between

    # One who blocked the actor can be blocked back (their block may end, this one stays).
    target = _open_account(db, user_id)
    if target.id == actor.id:
        raise BadRequest("you cannot block yourself", code="cannot_block_self", param="user_id")
    _lock_cameos_of(db, actor.id, target.id)
    lock_pair(db, actor.id, target.id)
    existing = db.get(UserBlock, (actor.id, target.id))
    if existing is not None:
        return existing
    row = UserBlock(blocker_id=actor.id, blocked_id=target.id)
    try:
        with db.begin_nested():  # a concurrent request may insert the same block first
            db.add(row)
    except IntegrityError:
        found = db.get(UserBlock, (actor.id, target.id))
        if found is None:
            raise
        return found
    end_follows_between(db, actor.id, target.id)
    from reelmint.domains.cameos.service import end_uses_across_block
    from reelmint.domains.videos.derivatives import withdraw_across_block

    withdraw_across_block(db=db, a_id=actor.id, b_id=target.id)
    end_uses_across_block(db=db, a_id=actor.id, b_id=target.id)
    return row


def _open_account(db: Session, user_id: str) -> User:
    """The account `user_id`, suspended or not; 404 `user_not_found` for none or a closed
    (or disabled) one."""
    user = db.get(User, user_id) if ID_SHAPE.fullmatch(user_id) else None
    if user is None or user.disabled_at is not None:
        raise NotFound(f"no user {user_id[:64]}", code="user_not_found", param="user_id")
    return user


def unblock(*, db: Session, actor: User, user_id: str) -> None:
    """The actor no longer blocks `user_id` (not blocked: no change). Follows do not come
    back."""
    row = db.get(UserBlock, (actor.id, user_id)) if ID_SHAPE.fullmatch(user_id) else None
    if row is not None:
        db.delete(row)
        db.flush()


def forget_blocks(db: Session, user_id: str) -> None:
    """Every block the user made or was given goes (their account is closing)."""
    db.execute(
        delete(UserBlock).where(
            or_(UserBlock.blocker_id == user_id, UserBlock.blocked_id == user_id)
        )
    )


# --- listing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockedPage:
    """One page of the users `user` blocked, most recently blocked first; `has_more`: there
    are older ones (ask again with `after` = `next_cursor`, or the last user's id)."""

    users: list[User]
    has_more: bool
    next_cursor: str | None = None


def blocked_by(
    *, db: Session, user: User, limit: int = 50, after: str | None = None
) -> BlockedPage:
    """The users `user` blocked (closed accounts left out), most recent first; `after` the
    previous page's `next_cursor` (still good if its user is unblocked meanwhile) or the
    last user's id."""
    check_limit(limit, MAX_BLOCKED_PAGE)
    query = (
        select(User, UserBlock.created_at)
        .join(UserBlock, UserBlock.blocked_id == User.id)
        .where(UserBlock.blocker_id == user.id, User.disabled_at.is_(None))
    )
    if after is not None:
        position = _position(db, user, after)
        query = query.where(after_cursor(UserBlock.created_at, User.id, position))
    query = query.order_by(UserBlock.created_at.desc(), User.id.desc()).limit(limit + 1)
    rows = [(person, since) for person, since in db.execute(query)]
    more = len(rows) > limit
    last = cursor_at(rows[limit - 1][1], rows[limit - 1][0].id) if more else None
    return BlockedPage([person for person, _ in rows[:limit]], more, last)


def _position(db: Session, user: User, after: str) -> tuple[datetime, str]:
    def of_row(user_id: str) -> tuple[datetime, str] | None:
        since = db.scalar(
            select(UserBlock.created_at).where(
                UserBlock.blocker_id == user.id, UserBlock.blocked_id == user_id
            )
        )
        return None if since is None else (since, user_id)

    missing = NotFound(
        f"no user {after[:64]!r} in your blocked list to list after (unblocked since?); "
        "pass the previous page's next_cursor, or start from the first",
        code="user_not_found",
        param="after",
    )
    return position_after(after, prefix="user", what="people", of_row=of_row, missing=missing)


def blocks_of(*, db: Session, user_id: str) -> list[tuple[str, str, datetime]]:
    """(id, display name, when) of every user the user blocked, oldest first (their data
    export)."""
    rows = db.execute(
        select(User.id, User.display_name, UserBlock.created_at)
        .join(UserBlock, UserBlock.blocked_id == User.id)
        .where(UserBlock.blocker_id == user_id)
        .order_by(UserBlock.created_at, User.id)
    )
    return [(blocked_id, name, at) for blocked_id, name, at in rows]
