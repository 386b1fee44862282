"""Suspension: an administrator stops an account for a while, saying why, and may reinstate it.

Closing an account is for good and forfeits its money (closure.py); a take-down moderates one
video (videos/moderation.py). Suspending sits between them, for an account that abuses the
platform (or whose password leaked) while the operator looks into it:

- it cannot sign in (403 `account_suspended`, with the reason, once the password is right) and
  its API tokens are refused the same way; its browser sessions are ended, so one opened by
  someone else does not come back with a reinstatement;
- its videos are seen by no one else: they leave the feed, their pages and their content, and
  the others' published videos that play them again leave the feed too (their owners told);
- it keeps everything else: its videos, credits, earnings, cameos, memberships and tokens.
  Jobs already admitted finish (they are paid for);
- the person is told by email (they can no longer sign in to read it in the app) and in the
  app, with the reason and how to reach the operator; reinstating tells them too.

Administrators cannot be suspended (take the administrator role away first), nor can a
closed account. Suspending a suspended account again
with the same reason changes nothing; with another reason it is 409 `already_suspended`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.db.paging import after_cursor, check_limit, cursor_at, position_after
from reelmint.domains.accounts.models import User, WebSession
from reelmint.domains.accounts.service import Operator, find_user, require_admin, require_open
from reelmint.errors import Conflict, NotFound
from reelmint.terminal import reason_line

MAX_REASON_CHARS = 500
MAX_PAGE = 100


@dataclass(frozen=True)
class Suspension:
    """What suspending did: the browser sessions it ended and the others' videos it took off
    the feed (those that played the account's videos again)."""

    user: User
    sessions_ended: int
    withdrawn: list[str]
    changed: bool


def suspend_account(
    *,
    db: Session,
    actor: User | Operator,
    user_id: str,
    reason: str,
    contact: str = "",
    now: datetime | None = None,
) -> Suspension:
    """Suspend the account `user_id` (see the module). 403 `admin_only` for anyone but an
    administrator; 400 `invalid_reason`; 404 `user_not_found`; 409 `account_closed`,
    `cannot_suspend_admin` or `already_suspended`. `contact`: how the person reaches the
    operator (`Settings.operator_contact`), named in the notice."""
    require_admin(actor)
    why = reason_line(
        reason, saying="the account is suspended", reader="the person", most=MAX_REASON_CHARS
    )
    user = require_open(_locked_user(db, user_id))
    if user.role == "admin":
        raise Conflict(
            f"{user.email} is an administrator and cannot be suspended; take the role away first",
            code="cannot_suspend_admin",
        )
    if user.suspended_at is not None:
        if user.suspended_reason == why:
            return Suspension(user=user, sessions_ended=0, withdrawn=[], changed=False)
        raise Conflict(
            f"{user.email} has been suspended since {user.suspended_at:%Y-%m-%d} "
            f"({user.suspended_reason}); reinstate it first to suspend it for another reason",
            code="already_suspended",
        )
    user.suspended_at, user.suspended_reason = now or utcnow(), why
    db.flush()
    ended = db.execute(delete(WebSession).where(WebSession.user_id == user.id)).rowcount
    withdrawn = _withdraw_what_plays_theirs(db, user)
    _tell(db, user, "Your account was suspended", _suspended_body(why, contact))
    return Suspension(user=user, sessions_ended=ended or 0, withdrawn=withdrawn, changed=True)


def reinstate_account(*, db: Session, actor: User | Operator, user_id: str) -> User:
    """End the suspension of the account `user_id`: it may sign in again and its published
    videos are seen again. 403 `admin_only`; 404 `user_not_found`; 409 `account_closed` or
    `not_suspended`. Others' videos withdrawn with its own stay off the feed until their
    owners publish them again (they were told they may)."""
    require_admin(actor)
    user = require_open(_locked_user(db, user_id))
    if user.suspended_at is None:
        raise Conflict(f"{user.email} is not suspended; nothing to do", code="not_suspended")
    user.suspended_at, user.suspended_reason = None, None
    db.flush()
    _tell(
        db,
        user,
        "Your account was reinstated",
        "An administrator ended your account's suspension: you can sign in again, and your "
        "published videos are public again.",
    )
    return user


@dataclass(frozen=True)
class SuspendedPage:
    """One page of the suspended accounts, the most recently suspended first; `next_cursor`
    continues it while `has_more`."""

    users: list[User]
    has_more: bool
    next_cursor: str | None = None


def suspended_accounts(
    *, db: Session, actor: User | Operator, limit: int = 50, after: str | None = None
) -> SuspendedPage:
    """The suspended accounts, the most recently suspended first, `limit` (1-`MAX_PAGE`) at a
    time after the cursor `after` (a page's `next_cursor`, or the last account's id).
    Administrators only (403 `admin_only`); 400 `invalid_limit`, `invalid_cursor`; 404
    `user_not_found` for an `after` that is no suspended account."""
    require_admin(actor)
    check_limit(limit, MAX_PAGE)
    query = select(User).where(User.suspended_at.is_not(None), User.disabled_at.is_(None))
    if after is not None:
        position = _position(db, after)
        query = query.where(after_cursor(User.suspended_at, User.id, position))
    query = query.order_by(User.suspended_at.desc(), User.id.desc()).limit(limit + 1)
    users = list(db.scalars(query))
    more = len(users) > limit
    last = users[limit - 1] if more else None
    cursor = cursor_at(last.suspended_at, last.id) if last and last.suspended_at else None
    return SuspendedPage(users[:limit], more, cursor)


def _position(db: Session, after: str) -> tuple[datetime, str]:
    def of_row(user_id: str) -> tuple[datetime, str] | None:
        user = db.get(User, user_id) if ID_SHAPE.fullmatch(user_id) else None
        if user is None or user.suspended_at is None:
            return None
        return user.suspended_at, user.id

    missing = NotFound(
        f"no suspended account {after[:64]!r} to list after (reinstated since?); pass the "
        "previous page's next_cursor, or start from the first",
        code="user_not_found",
        param="after",
    )
    return position_after(after, prefix="user", what="suspensions", of_row=of_row, missing=missing)


def account_by_email(*, db: Session, actor: User | Operator, email: str) -> User:
    """The account an administrator names by its address (403 `admin_only` first, so nobody
    else learns which addresses have one; 404 `user_not_found`)."""
    require_admin(actor)
    user = find_user(db=db, email=email)
    if user is None:
        shown = " ".join(email.split())[:80] or "(none given)"
        raise NotFound(
            f"no account has the address {shown}; check it for typos",
            code="user_not_found",
            param="email",
        )
    return user


def _locked_user(db: Session, user_id: str) -> User:
    user = None
    if ID_SHAPE.fullmatch(user_id):
        # FOR NO KEY UPDATE: rows pointing at the user (a notification for them) can still be
        # inserted meanwhile, so the walk over others' videos below cannot deadlock with them.
        user = db.get(User, user_id, with_for_update={"key_share": True}, populate_existing=True)
    if user is None:
        raise NotFound(f"no user {user_id[:64]}", code="user_not_found", param="user_id")
    return user


def _suspended_body(why: str, contact: str) -> str:
    reach = f"at {contact}" if contact.strip() else "of this platform"
    return (
        f"An administrator suspended your account: {why}\n\nWhile it is suspended you cannot "
        "sign in or use your API tokens, and nobody else sees your videos. Nothing is "
        "deleted: your videos, credits and earnings stay yours. Write to the operator "
        f"{reach} to ask about it."
    )


def _withdraw_what_plays_theirs(db: Session, user: User) -> list[str]:
    from reelmint.domains.videos.derivatives import withdraw_carriers
    from reelmint.domains.videos.models import Video

    published = db.scalars(
        select(Video)
        .where(Video.user_id == user.id, Video.published_at.is_not(None))
        .where(Video.deleted_at.is_(None))
        .order_by(Video.created_at, Video.id)
    ).all()
    withdrawn: list[str] = []
    for video in published:
        withdrawn += withdraw_carriers(db=db, source=video)
    return withdrawn


def _tell(db: Session, user: User, title: str, body: str) -> None:
    from reelmint.domains.notifications.service import notify

    notify(db=db, user=user, kind="account_suspension", title=title, body=body, email=True)
