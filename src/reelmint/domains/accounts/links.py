"""Emailed links that act for an account (password reset, email confirmation, a change of
address and its cancel link): their token is `<user id>.<HMAC>`, stored nowhere; the HMAC
(`crypto.link_mac`) covers what must still hold for the link to work, and the user row says
when the link was sent."""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.domains.accounts.models import User
from reelmint.errors import BadRequest
from reelmint.wording import count_of

MAX_TOKEN = 200


def linked_user(
    *,
    db: Session,
    token: str,
    lifetime: timedelta,
    sent_of: Callable[[User], datetime | None],
    mac_of: Callable[[User], str],
    dead: str,
    code: str,
    now: datetime | None = None,
    lock: bool = False,
) -> User:
    """The active user a live link token names; 400 `code` saying `dead` (param `token`) for
    a token made up or changed, for an account disabled or closed, sent `lifetime` ago or
    more (`sent_of` the user), or whose HMAC is no longer `mac_of` the user (replaced by a
    newer link, or what it covers changed). With `lock` the user row is locked, so two uses
    at once take turns."""
    user_id, _, mac = token.strip().partition(".")
    if len(token) > MAX_TOKEN or not mac or not ID_SHAPE.fullmatch(user_id):
        raise BadRequest(dead, code=code, param="token")
    user = db.get(User, user_id, with_for_update=lock, populate_existing=lock)
    sent = sent_of(user) if user is not None else None
    if (
        user is None
        or sent is None
        or user.disabled_at is not None
        or (now or utcnow()) >= sent + lifetime
        or not hmac.compare_digest(mac.encode(), mac_of(user).encode())
    ):
        raise BadRequest(dead, code=code, param="token")
    return user


def resend_wait(last: datetime | None, wait: timedelta, now: datetime) -> str | None:
    """How long until another link may follow one sent at `last`, in words ("4 minutes"); None
    when one may go now. A send time ahead of this host's clock makes it wait `wait` at most."""
    if last is None or now - last >= wait:
        return None
    return minutes_in_words(min(last + wait - now, wait))


def minutes_in_words(span: timedelta) -> str:
    """`span` in whole minutes, rounded up, at least one: "1 minute", "4 minutes"."""
    minutes = max(1, math.ceil(span / timedelta(minutes=1)))
    return count_of(minutes, "minute")
