"""Browsers an account has signed in with ("device cookies"), so that guessing at its password
cannot lock its owner out.

After `login_max_failures` wrong passwords in a row, signing in to an account is refused for a
while (`accounts.throttle`). On its own that lets anyone who knows an address keep the account
locked, by guessing once each time the lock passes. So a browser that signs in gets a
long-lived cookie (`DEVICE_COOKIE`: a random secret, of which only the SHA-256 is kept, in
`login_devices`). An attempt from that browser, for that account, is counted on the device's
row instead of the account's (`throttle.counting_failures`):

- the account's lock does not apply to it, so the owner signs in from their own browsers
  while a stranger's guessing keeps every other browser locked out;
- it locks on its own count in the same steps (1 minute, 2, 4...), so a device cookie copied
  from the owner's browser, or left on a shared computer, gives its holder one budget of
  guesses besides the account's: twice a stranger's pace at most, until a new password forgets
  it;
- a right password clears the device's count and leaves the account's alone, so the owner
  signing in does not give a guesser fresh tries.

A device is forgotten `DEVICE_LIFETIME` after it last signed in (housekeeping), when its account
closes, and when the password is reset or changed (every device but the browser changing it:
whoever knew the old password may have signed in somewhere). Each account keeps its
`MAX_DEVICES` most recently used ones.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from reelmint.crypto import sha256_hex
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import LoginDevice, User

DEVICE_COOKIE = "reelmint_device"
DEVICE_LIFETIME = timedelta(days=180)
MAX_DEVICES = 20
_LONGEST_SECRET = 200


def usable_secret(secret: str | None) -> str | None:
    """A device cookie's secret worth looking up, or None (missing or absurdly long)."""
    if not secret or len(secret) > _LONGEST_SECRET:
        return None
    return secret


def find_device(
    *, db: Session, secret: str | None, user_id: str, now: datetime | None = None
) -> LoginDevice | None:
    """The live device of `user_id` that a browser's device cookie names, or None."""
    secret = usable_secret(secret)
    if secret is None:
        return None
    device = db.scalar(
        select(LoginDevice).where(
            LoginDevice.token_hash == sha256_hex(secret), LoginDevice.user_id == user_id
        )
    )
    if device is None or device.last_used_at <= live_since(now or utcnow()):
        return None
    return device


def live_since(now: datetime) -> datetime:
    """Devices last used before this are forgotten."""
    return now - DEVICE_LIFETIME


def remember_device(
    *, db: Session, user: User, secret: str | None, now: datetime | None = None
) -> str:
    """At a sign-in to `user`: the secret for this browser's device cookie. The one it sent, when
    that names one of the user's live devices (now marked used), else a new device's; the
    account keeps its `MAX_DEVICES` most recently used."""
    now = now or utcnow()
    device = find_device(db=db, secret=secret, user_id=user.id, now=now)
    if device is not None and secret is not None:
        device.last_used_at = now
        db.flush()
        return secret
    fresh = secrets.token_urlsafe(32)
    db.add(LoginDevice(user_id=user.id, token_hash=sha256_hex(fresh), last_used_at=now))
    db.flush()
    _keep_newest(db, user.id)
    return fresh


def forget_devices(*, db: Session, user_id: str, keep_secret: str | None = None) -> int:
    """Forget the user's devices, but the one `keep_secret` names; how many."""
    doomed = delete(LoginDevice).where(LoginDevice.user_id == user_id)
    kept = usable_secret(keep_secret)
    if kept is not None:
        doomed = doomed.where(LoginDevice.token_hash != sha256_hex(kept))
    return int(db.execute(doomed).rowcount or 0)


def forget_old_devices(*, db: Session, now: datetime) -> int:
    """Housekeeping: forget devices that have not signed in for `DEVICE_LIFETIME`; how many."""
    old = delete(LoginDevice).where(LoginDevice.last_used_at <= live_since(now))
    return int(db.execute(old).rowcount or 0)


def devices_of(*, db: Session, user_id: str) -> list[LoginDevice]:
    """The user's devices, most recently used first."""
    return list(
        db.scalars(
            select(LoginDevice)
            .where(LoginDevice.user_id == user_id)
            .order_by(LoginDevice.last_used_at.desc(), LoginDevice.id.desc())
        )
    )


def _keep_newest(db: Session, user_id: str) -> None:
    surplus = db.scalars(
        select(LoginDevice.id)
        .where(LoginDevice.user_id == user_id)
        .order_by(LoginDevice.last_used_at.desc(), LoginDevice.id.desc())
        .offset(MAX_DEVICES)
    ).all()
    if surplus:
        db.execute(delete(LoginDevice).where(LoginDevice.id.in_(surplus)))
