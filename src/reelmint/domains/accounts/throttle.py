"""Login throttling: an account that takes too many wrong passwords in a row is locked a while.

Each wrong password for an account adds one to `users.failed_logins` (one atomic UPDATE, so
attempts arriving at once on several processes are all counted). From `login_max_failures`
on, every wrong one locks signing in (`users.login_locked_until`) for 1 minute, then 2, 4...
up to `login_lockout_max_minutes`; while locked, `authenticate` refuses even the right
password with 429 `too_many_attempts`, saying when to try again. A sign-in or a password
reset clears the count.

A wrong password for an address with no (active) account changes nothing: no row is made
per address typed, so junk cannot grow a table. The lock does tell that an account exists;
sign-up tells that already (`email_taken`), and a password guesser is worse than that.

The count must be written in its own transaction, since the one that authenticates rolls
back with the error: wrap it in `counting_failures`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.db.database import Database
from reelmint.domains.accounts.models import User
from reelmint.errors import TooManyRequests, Unauthorized

FIRST_LOCKOUT = timedelta(minutes=1)
WRONG_CREDENTIALS = "invalid_credentials"


def lockout_for(failures: int, settings: Settings) -> timedelta | None:
    """How long signing in is refused after `failures` wrong passwords in a row (None: not)."""
    over = failures - settings.login_max_failures
    if over < 0:
        return None
    longest = timedelta(minutes=settings.login_lockout_max_minutes)
    return min(FIRST_LOCKOUT * 2 ** min(over, 20), longest)


def check_not_locked(user: User, now: datetime | None = None) -> None:
    """429 `too_many_attempts` while the user's sign-in is locked, saying until when."""
    until = user.login_locked_until
    now = now or utcnow()
    if until is None or until <= now:
        return
    minutes = max(1, math.ceil((until - now) / timedelta(minutes=1)))
    when = until.astimezone(UTC)
    raise TooManyRequests(
        f"too many wrong passwords for this account: try again in {minutes} "
        f"minute{'s' if minutes != 1 else ''} (after {when:%H:%M} UTC), or reset the password "
        "with 'Forgot your password?' on the login page",
        code="too_many_attempts",
    )


def clear_failures(user: User) -> None:
    """Forget the user's wrong passwords and lock (a sign-in or a password reset)."""
    if user.failed_logins or user.login_locked_until is not None:
        user.failed_logins = 0
        user.login_locked_until = None


def record_failed_login(
    *, db: Session, settings: Settings, email: str, now: datetime | None = None
) -> int | None:
    """Count a wrong password against the active account `email` names, and lock it once
    there are too many. The count now, or None when no active account has that address
    (nothing is written then)."""
    now = now or utcnow()
    counted = db.execute(
        update(User)
        .where(User.email == email.strip().lower(), User.disabled_at.is_(None))
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.failed_logins)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if counted is None:
        return None
    user_id, failures = counted
    lockout = lockout_for(failures, settings)
    if lockout is not None:
        until = now + lockout
        # Attempts at once may finish in any order: the lock only ever grows.
        db.execute(
            update(User)
            .where(
                User.id == user_id,
                or_(User.login_locked_until.is_(None), User.login_locked_until < until),
            )
            .values(login_locked_until=until)
            .execution_options(synchronize_session=False)
        )
    return int(failures)


@contextmanager
def counting_failures(
    database: Database, settings: Settings, email: str, now: datetime | None = None
) -> Iterator[None]:
    """Around a transaction that calls `authenticate`: a wrong password raised inside is
    counted (`record_failed_login`) in a transaction of its own, then raised on."""
    try:
        yield
    except Unauthorized as error:
        if error.code == WRONG_CREDENTIALS:
            with database.write() as db:
                record_failed_login(db=db, settings=settings, email=email, now=now)
        raise
