"""Notifications: telling a user something, in the app and (usually) by email.

`notify` is called by other domains inside the transaction that makes the news true (a quota
change being scheduled, say): the notification and its email commit or roll back with it, so
nobody is told about something that did not happen, and nothing that happened goes untold.
With a `key`, a notification is made at most once, however often the caller retries.

Authorisation lives here: a user sees and changes only their own notifications; anyone
else's read as not found.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelmint.db.base import new_id, utcnow
from reelmint.db.paging import after_cursor, check_limit, cursor_at, position_after
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.errors import NotFound
from reelmint.outbox import CommitWakeups
from reelmint.terminal import drop_control

log = logging.getLogger("reelmint.notifications")

MAX_PAGE = 100
MAX_TITLE = 200
MAX_BODY = 10_000
MAX_LINK = 500
MAX_KEY = 200
_KIND = re.compile(r"[a-z][a-z0-9_.]{0,39}")


@dataclass(frozen=True)
class NotificationPage:
    """Notifications newest first, and whether older ones follow."""

    items: list[Notification]
    has_more: bool

    @property
    def next_cursor(self) -> str | None:
        """`after` for the next page, good even once its notification is deleted."""
        if not self.has_more:
            return None
        last = self.items[-1]
        return cursor_at(last.created_at, last.id)


# --- telling --------------------------------------------------------------------------------


def notify(
    *,
    db: Session,
    user: User,
    kind: str,
    title: str,
    body: str,
    link: str | None = None,
    email: bool = True,
    key: str | None = None,
) -> Notification | None:
    """Notify `user` in the app and, if `email`, queue an email, in the caller's transaction.

    `kind` is a short stable name (`quota_change`); `title` one line (the email's subject);
    `link` a relative URL on this site (`/settings/quota`). With `key` (unique across all
    notifications, so put the user in it: `quota_change:<change>:<user>`), a second call
    returns the first call's notification and queues nothing. The arguments come from code,
    not from users, so a bad one is a programming error (ValueError). A user whose address
    cannot be mailed is notified in the app only (logged), so that one odd account never
    fails the caller's transaction for everyone else; so is one whose owner has not confirmed
    the address (`accounts.email_confirmation`): it may be a stranger's. A disabled or closed
    account is told nothing (None): nobody reads it, and a closed one has no address.
    """
    kind, title, body, link = _checked(kind=kind, title=title, body=body, link=link, key=key)
    if user.disabled_at is not None:
        return None
    if key is not None:
        existing = _by_key(db, key, user)
        if existing is not None:
            return existing
    now = utcnow()
    notification = Notification(
        id=new_id("ntf"),
        user_id=user.id,
        kind=kind,
        title=title,
        body=body,
        link=link,
        dedupe_key=key,
        created_at=now,
    )
    if key is None:
        db.add(notification)
        db.flush()
    else:
        try:
            with db.begin_nested():  # a concurrent caller may insert the same key first
                db.add(notification)
        except IntegrityError:
            existing = _by_key(db, key, user)
            if existing is None:
                raise
            return existing
    if email and not is_sendable_address(user.email):
        log.warning(
            "notification %s: no email, %s has an unusable address", notification.id, user.id
        )
    elif email and user.email_confirmed_at is None:
        log.info("notification %s: no email, %s has not confirmed it", notification.id, user.id)
    elif email:
        queue_email(
            db=db,
            to_address=user.email,
            subject=title,
            body_text=body,
            link=link,
            user_id=user.id,
            notification_id=notification.id,
        )
    return notification


def notify_social(
    *, db: Session, user: User, kind: str, title: str, body: str, link: str, key: str
) -> Notification | None:
    """`notify` for social news (a new follower, a video's like milestone, a published remix
    of one's video): in the app only (it comes often, and is not worth an email), at most once
    per `key`, and not at all for a user who turned social notifications off on Settings
    (`User.notify_social`): None."""
    if not user.notify_social:
        return None
    return notify(
        db=db, user=user, kind=kind, title=title, body=body, link=link, email=False, key=key
    )


def set_social_notifications(*, db: Session, user: User, on: bool) -> User:
    """Turn the user's social notifications (`notify_social`) on or off; what they were
    already told stays."""
    user.notify_social = on
    db.flush()
    return user


def queue_email(
    *,
    db: Session,
    to_address: str,
    subject: str,
    body_text: str,
    link: str | None = None,
    user_id: str | None = None,
    notification_id: str | None = None,
    expires_at: datetime | None = None,
) -> EmailMessage:
    """Put an email in the outbox, due now, in the caller's transaction (the mailer sends it
    once that commits; mailers in this process are woken at the commit). With `expires_at`
    (when its link stops working) it is not sent after then, however long email was off or
    the server unreachable."""
    subject = _one_line(subject, "subject", MAX_TITLE)
    if not is_sendable_address(to_address):
        raise ValueError(f"not a single email address: {to_address[:80]!r}")
    now = utcnow()
    mail = EmailMessage(
        id=new_id("mail"),
        user_id=user_id,
        notification_id=notification_id,
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        link=_checked_link(link),
        expires_at=expires_at,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.add(mail)
    db.flush()
    _mailer_wakeups.after_commit(db)
    return mail


def readdress_news(*, db: Session, user_id: str, old: str, new: str) -> int:
    """Send the user's unsent news mail (pending, or failed and still to be retried) to their
    new address `new` rather than `old`, which is no longer theirs; how many. Mail that carries
    an account link stays as it was: it was meant for the address it names; so does a mail a
    mailer is sending at this moment (its live lease), which goes where its row says."""
    now = utcnow()
    moved = db.execute(
        update(EmailMessage)
        .where(
            EmailMessage.user_id == user_id,
            EmailMessage.to_address == old,
            EmailMessage.notification_id.is_not(None),
            EmailMessage.status.in_(("pending", "failed")),
            or_(EmailMessage.lease_owner.is_(None), EmailMessage.lease_expires_at <= now),
        )
        .values(to_address=new)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount


def is_sendable_address(address: str) -> bool:
    """Whether `address` is one bare address (`local@domain`) that can go in an SMTP envelope."""
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain)
        and len(address) <= 320
        and not any(char.isspace() or char in '<>,;"()[]\\' for char in address)
        and all(ord(char) >= 0x20 and ord(char) != 0x7F for char in address)
    )


def _by_key(db: Session, key: str, user: User) -> Notification | None:
    found = db.scalar(select(Notification).where(Notification.dedupe_key == key))
    if found is not None and found.user_id != user.id:
        raise ValueError(f"notification key {key!r} was already used for another user")
    return found


def _checked(
    *, kind: str, title: str, body: str, link: str | None, key: str | None
) -> tuple[str, str, str, str | None]:
    if not _KIND.fullmatch(kind):
        raise ValueError(f"kind must be a short lower-case name such as quota_change: {kind!r}")
    if not body.strip() or len(body) > MAX_BODY:
        raise ValueError(f"body must have 1 to {MAX_BODY} characters")
    if key is not None and not 1 <= len(key) <= MAX_KEY:
        raise ValueError(f"key must have 1 to {MAX_KEY} characters")
    return kind, _one_line(title, "title", MAX_TITLE), body.strip(), _checked_link(link)


def _one_line(text: str, what: str, limit: int) -> str:
    """Whitespace collapsed to single spaces (a title is also a mail header: no newlines),
    and no other control characters (it is printed on operators' terminals too)."""
    line = drop_control(" ".join(text.split()))
    if not 1 <= len(line) <= limit:
        raise ValueError(f"{what} must have 1 to {limit} characters, got {len(line)}")
    return line


def _checked_link(link: str | None) -> str | None:
    """A path on this site (`/videos/...`): never another site, so links cannot mislead."""
    if link is None:
        return None
    if (
        not link.startswith("/")
        or link.startswith("//")
        or "\\" in link
        or len(link) > MAX_LINK
        or any(ord(char) < 0x21 or ord(char) == 0x7F for char in link)
    ):
        raise ValueError(f"link must be a path on this site such as /drafts: {link[:80]!r}")
    return link


# --- reading --------------------------------------------------------------------------------


def list_notifications(
    *,
    db: Session,
    user: User,
    unread_only: bool = False,
    limit: int = 20,
    after: str | None = None,
) -> NotificationPage:
    """The user's notifications, newest first; `after` is the last id of the previous page or
    its `next_cursor`."""
    check_limit(limit, MAX_PAGE)
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if after is not None:
        position = _position(db=db, user=user, after=after)
        query = query.where(after_cursor(Notification.created_at, Notification.id, position))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    rows = list(db.scalars(query.limit(limit + 1)))
    return NotificationPage(items=rows[:limit], has_more=len(rows) > limit)


def _position(*, db: Session, user: User, after: str) -> tuple[datetime, str]:
    def of_row(notification_id: str) -> tuple[datetime, str] | None:
        try:
            found = get_notification(db=db, user=user, notification_id=notification_id)
        except NotFound:
            return None
        return found.created_at, found.id

    missing = NotFound(
        f"no notification {after[:80]!r} to list after; pass the previous page's "
        "next_cursor (or its last_id)",
        code="notification_not_found",
        param="after",
    )
    return position_after(after, prefix="ntf", what="notifications", of_row=of_row, missing=missing)


def get_notification(*, db: Session, user: User, notification_id: str) -> Notification:
    """One of the user's notifications; anyone else's reads as not found."""
    notification = db.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound(
            f"no notification {notification_id[:80]}",
            code="notification_not_found",
            param="notification_id",
        )
    return notification


def unread_count(*, db: Session, user: User) -> int:
    return db.scalar(unread_query(user)) or 0


def unread_query(user: User) -> Select[tuple[int]]:
    """SELECT the count of the user's unread notifications (for a page's navigation to ask
    together with other things)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


# --- changing -------------------------------------------------------------------------------


def mark_read(*, db: Session, user: User, notification_id: str) -> Notification:
    """Mark one of the user's notifications read (again is a no-op: the first time stays)."""
    notification = get_notification(db=db, user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.flush()
    return notification


def mark_all_read(*, db: Session, user: User) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    result = db.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_read_by_key(*, db: Session, user_id: str, prefix: str) -> int:
    """Mark read the user's unread notifications whose key starts with `prefix` (news that
    asked for something now done: an invitation answered); returns how many."""
    result = db.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            Notification.dedupe_key.startswith(prefix, autoescape=True),
        )
        .values(read_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- waking mailers -------------------------------------------------------------------------

_mailer_wakeups = CommitWakeups("mailers")


def register_wakeup(wakeup: threading.Event) -> None:
    """Have `wakeup` set whenever this process commits new mail (a mailer waits on it between
    polls, so mail queued here goes out at once rather than at the next poll)."""
    _mailer_wakeups.register(wakeup)
