"""Login throttling: an account that takes too many wrong passwords in a row is locked a while.

Each sign-in attempt for an account is counted in `users.failed_logins` *before* its password
is checked (`claim_attempt`: one atomic UPDATE in a transaction of its own), and a sign-in
clears the count. The attempt that reaches `login_max_failures`, and each one after, locks
signing in (`users.login_locked_until`) at once for 1 minute, then 2, 4... up to
`login_lockout_max_minutes`; while locked, attempts are refused with 429 `too_many_attempts`,
saying when to try again, and neither checked nor counted. Counting first is what holds
under load: attempts arriving at once see each other's count, so a burst of guesses gets at
most `login_max_failures` passwords checked, not one per request in flight.

An attempt from a browser that has signed in to the account before (its device cookie,
`accounts.devices`) is counted on that device instead, in the same steps
(`claim_device_attempt`): the account's lock does not stop it, and its right password clears
the device's count, not the account's. So anyone can keep an account locked for strangers by
guessing once a lock, but not for its owner's own browsers, and the owner signing in gives a
guesser no fresh tries. A new browser can still reset the password.

Forms for a signed-in user that ask for the password again (a new password, a new email
address, closing the account) count the same way (`counting_password_checks`), so a stolen
session or API token cannot be used to guess the password faster than the login page allows.

A wrong password for an address with no (active) account changes nothing: no row is made
per address typed, so junk cannot grow a table. The lock does tell that an account exists;
sign-up tells that already (`email_taken`), and a password guesser is worse than that.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session

from reelmint.config import Settings
from reelmint.crypto import sha256_hex
from reelmint.db.base import utcnow
from reelmint.db.database import Database
from reelmint.domains.accounts import networks
from reelmint.domains.accounts.devices import live_since, usable_secret
from reelmint.domains.accounts.links import minutes_in_words
from reelmint.domains.accounts.models import LoginDevice, User
from reelmint.errors import TooManyRequests

log = logging.getLogger("reelmint.accounts")
FIRST_LOCKOUT = timedelta(minutes=1)
# Whether the request in progress gave a right password (`password_verified`).
_password_verified: ContextVar[bool] = ContextVar("password_verified", default=False)
# The device the attempt in progress is counted on (`counting_failures`); None: the account.
_counting_device: ContextVar[str | None] = ContextVar("counting_device", default=None)


def lockout_for(failures: int, settings: Settings) -> timedelta | None:
    """How long signing in is refused after `failures` wrong passwords in a row (None: not)."""
    over = failures - settings.login_max_failures
    if over < 0:
        return None
    longest = timedelta(minutes=settings.login_lockout_max_minutes)
    return min(FIRST_LOCKOUT * 2 ** min(over, 20), longest)


def check_not_locked(user: User, now: datetime | None = None) -> None:
    """429 `too_many_attempts` while the user's sign-in is locked, saying until when."""
    _refuse_until(
        user.login_locked_until,
        now or utcnow(),
        whose="for this account",
        also="; a browser that has signed in to it before can still sign in",
    )


def password_verified(user: User) -> None:
    """A right password for `user` in this request: clear the account's wrong-password count,
    unless the attempt was counted on a device (`counting_failures` clears that one's)."""
    if _counting_device.get() is None:
        clear_failures(user)
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
    match = (User.email == email.strip().lower(), User.disabled_at.is_(None))
    counted = _count(
        db, settings, count=User.failed_logins, lock=User.login_locked_until, match=match, now=now
    )
    if counted is None:
        locked = db.scalar(select(User).where(*match))
        if locked is not None:
            check_not_locked(locked, now)
        return None
    return counted[1]


def claim_device_attempt(
    *,
    db: Session,
    settings: Settings,
    email: str,
    secret: str | None,
    now: datetime | None = None,
) -> str | None:
    """When the device cookie `secret` names a live device of the active account `email`
    names: count the attempt on that device as `claim_attempt` does on an account (429
    `too_many_attempts` while the device is locked) and return its id. None otherwise
    (nothing is written; count on the account then)."""
    secret = usable_secret(secret)
    if secret is None:
        return None
    now = now or utcnow()
    owner = (
        select(User.id)
        .where(User.email == email.strip().lower(), User.disabled_at.is_(None))
        .scalar_subquery()
    )
    match = (
        LoginDevice.token_hash == sha256_hex(secret),
        LoginDevice.user_id == owner,
        LoginDevice.last_used_at > live_since(now),
    )
    counted = _count(
        db,
        settings,
        count=LoginDevice.failed_logins,
        lock=LoginDevice.locked_until,
        match=match,
        now=now,
    )
    if counted is not None:
        return counted[0]
    device = db.scalar(select(LoginDevice).where(*match))
    if device is not None:
        _refuse_until(device.locked_until, now, whose="in this browser")
    return None


@contextmanager
def counting_failures(
    database: Database,
    settings: Settings,
    email: str,
    now: datetime | None = None,
    *,
    device_secret: str | None = None,
    network: str | None = None,
) -> Iterator[None]:
    """Before a transaction that checks a password for the account `email` names (with
    `authenticate(..., claimed=True)` or `service.require_password`): claim the attempt in a
    transaction of its own, committed before the password is checked, on the browser's
    device when `device_secret` names one of that account's (`claim_device_attempt`), else
    on the account (`claim_attempt`) and on the client's `network` (`networks.claim`: a
    sign-in from an unknown browser); 429 `too_many_attempts` while whichever it is is
    locked or spent. A right password clears the device's count, or gives the network's
    back, when the block ends, however it ends."""
    with database.write() as db:
        device_id = claim_device_attempt(
            db=db, settings=settings, email=email, secret=device_secret, now=now
        )
        counted = None
        if device_id is None:
            counted = networks.claim(
                db=db, settings=settings, scope="wrong_password", network=network, now=now
            )
            claim_attempt(db=db, settings=settings, email=email, now=now)
    verified = _password_verified.set(False)
    device = _counting_device.set(device_id)
    try:
        yield
    finally:
        try:
            if _password_verified.get() and (device_id is not None or counted is not None):
                _after_right_password(database, device_id, counted)
        finally:
            _counting_device.reset(device)
            _password_verified.reset(verified)


@contextmanager
def counting_password_checks(
    database: Database, settings: Settings, user: User, *, device_secret: str | None = None
) -> Iterator[None]:
    """Around a transaction in which a signed-in `user` gives their password again: the
    attempt is counted first, as a sign-in is (`counting_failures`, on the browser's device
    when `device_secret` names one of the user's), and a right password clears the count
    (`service.require_password`). When the request fails after the password was found right
    (an address taken, a password too short, or a fault), that transaction is rolled back,
    so the account's count is cleared here instead. A request refused before its password
    was checked (words not typed) clears nothing: only a right password does."""
    with counting_failures(database, settings, user.email, device_secret=device_secret):
        try:
            yield
        except Exception:
            if _password_verified.get() and _counting_device.get() is None:
                with database.write() as db:
                    clear_failures(db.get_one(User, user.id, with_for_update=True))
            raise


def _count(
    db: Session,
    settings: Settings,
    *,
    count: InstrumentedAttribute[int],
    lock: InstrumentedAttribute[datetime | None],
    match: Sequence[ColumnElement[bool]],
    now: datetime,
) -> tuple[str, int] | None:
    """Add one to `count` on the unlocked row `match` finds, and set `lock` once the count
    reaches the limit: the row's id and its count, or None when no unlocked row matched."""
    entity = count.class_
    counted = db.execute(
        update(entity)
        .where(*match, or_(lock.is_(None), lock <= now))
        .values({count: count + 1})
        .returning(entity.id, count)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if counted is None:
        return None
    row_id, failures = counted
    lockout = lockout_for(failures, settings)
    if lockout is not None:
        until = now + lockout
        # Attempts at once may finish in any order: the lock only ever grows.
        db.execute(
            update(entity)
            .where(entity.id == row_id, or_(lock.is_(None), lock < until))
            .values({lock: until})
            .execution_options(synchronize_session=False)
        )
    return str(row_id), int(failures)


def _after_right_password(
    database: Database, device_id: str | None, counted: networks.Claim | None
) -> None:
    """A right password was given: forget the device's wrong ones, or give the network its
    attempt back. Best effort: the request it ends has done its work (a sign-in is
    committed), so a fault here is logged, not turned into an error; the count stays, as if
    the password had not been given."""
    try:
        with database.write() as db:
            networks.give_back(db, counted)
            if device_id is not None:
                _clear_device(db, device_id)
    except SQLAlchemyError:
        whose = "the network" if device_id is None else f"device {device_id}"
        log.exception("could not clear the wrong-password count of %s", whose)


def _clear_device(db: Session, device_id: str) -> None:
    device = db.get(LoginDevice, device_id, with_for_update=True)
    if device is not None and (device.failed_logins or device.locked_until is not None):
        device.failed_logins = 0
        device.locked_until = None


def _refuse_until(until: datetime | None, now: datetime, *, whose: str, also: str = "") -> None:
    """429 `too_many_attempts` while `until` is ahead, saying when to try again."""
    if until is None or until <= now:
        return
    when = until.astimezone(UTC)
    raise TooManyRequests(
        f"too many wrong passwords {whose}: try again in {minutes_in_words(until - now)} "
        f"(after {when:%H:%M} UTC), or reset the password with 'Forgot your password?' on the "
        f"login page{also}",
        code="too_many_attempts",
        retry_after=math.ceil((until - now).total_seconds()),
    )
