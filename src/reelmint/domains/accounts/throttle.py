"""Login throttling: an account that takes too many wrong passwords in a row is locked a while.

Each sign-in attempt for an account is counted in `users.failed_logins` *before* its password
is checked (`claim_attempt`: one atomic UPDATE in a transaction of its own), and a sign-in
clears the count. The attempt that reaches `login_max_failures`, and each one after, locks
signing in (`users.login_locked_until`) at once for 1 minute, then 2, 4... up to
`login_lockout_max_minutes`; while locked, attempts are refused with 429 `too_many_attempts`,
saying when to try again, and neither checked nor counted. Counting first is what holds
under load: attempts arriving at once see each other's count, so a burst of guesses gets at
most `login_max_failures` passwords checked, not one per request in flight.

Forms for a signed-in user that ask for the password again (a new password, a new email
address, closing the account) count the same way (`counting_password_checks`), so a stolen
session or API token cannot be used to guess the password faster than the login page allows.

A wrong password for an address with no (active) account changes nothing: no row is made
per address typed, so junk cannot grow a table. The lock does tell that an account exists;
sign-up tells that already (`email_taken`), and a password guesser is worse than that. Anyone
can keep an account locked by guessing once a lock; its owner can still reset the password,
and `docs/operations.md` advises a per-address limit at the proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.db.database import Database
from reelmint.domains.accounts.links import minutes_in_words
from reelmint.domains.accounts.models import User
from reelmint.errors import TooManyRequests

FIRST_LOCKOUT = timedelta(minutes=1)
# Whether the request in progress gave a right password (`note_password_verified`).
_password_verified: ContextVar[bool] = ContextVar("password_verified", default=False)


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
    when = until.astimezone(UTC)
    raise TooManyRequests(
        f"too many wrong passwords for this account: try again in "
        f"{minutes_in_words(until - now)} (after {when:%H:%M} UTC), or reset the password "
        "with 'Forgot your password?' on the login page",
        code="too_many_attempts",
    )


def note_password_verified() -> None:
    """Record that this request gave a right password (`counting_password_checks`)."""
    _password_verified.set(True)


def clear_failures(user: User) -> None:
    """Forget the user's wrong passwords and lock (a sign-in or a password reset)."""
    if user.failed_logins or user.login_locked_until is not None:
        user.failed_logins = 0
        user.login_locked_until = None


def claim_attempt(
    *, db: Session, settings: Settings, email: str, now: datetime | None = None
) -> int | None:
    """Count a sign-in attempt on the active account `email` names as a wrong password before
    it is checked (a sign-in clears it), and lock the account once the count reaches the
    limit: commit this before checking the password. 429 `too_many_attempts` while locked
    (nothing counted). The count now, or None when no active account has that address
    (nothing is written then)."""
    now = now or utcnow()
    address = email.strip().lower()
    counted = db.execute(
        update(User)
        .where(
            User.email == address,
            User.disabled_at.is_(None),
            or_(User.login_locked_until.is_(None), User.login_locked_until <= now),
        )
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.id, User.failed_logins)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if counted is None:
        locked = db.scalar(select(User).where(User.email == address, User.disabled_at.is_(None)))
        if locked is not None:
            check_not_locked(locked, now)
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
    """Before a transaction that calls `authenticate(..., claimed=True)`: claim the attempt
    (`claim_attempt`) in a transaction of its own, committed before the password is checked;
    429 `too_many_attempts` while the account is locked."""
    with database.write() as db:
        claim_attempt(db=db, settings=settings, email=email, now=now)
    yield


@contextmanager
def counting_password_checks(database: Database, settings: Settings, user: User) -> Iterator[None]:
    """Around a transaction in which a signed-in `user` gives their password again: the
    attempt is counted first, as a sign-in is (429 `too_many_attempts` while locked), and a
    right password clears the count (`service.require_password`). When the request fails
    after the password was found right (an address taken, a password too short, or a
    fault), that transaction is rolled back, so the count is cleared here instead. A request refused
    before its password was checked (words not typed) clears nothing: only a right password
    does."""
    verified = _password_verified.set(False)
    try:
        with counting_failures(database, settings, user.email):
            try:
                yield
            except Exception:
                if _password_verified.get():
                    with database.write() as db:
                        clear_failures(db.get_one(User, user.id, with_for_update=True))
                raise
    finally:
        _password_verified.reset(verified)
