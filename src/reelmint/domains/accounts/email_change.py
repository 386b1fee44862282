"""Changing an account's email address: the new address is asked for with the password, and
takes over only when a link emailed to it is opened by the signed-in account owner.

Until then the account keeps its address (`users.pending_email` holds the new one): sign-in,
password reset and mail all go on with the old one, so a typo in the new address locks nobody
out. The change follows the rules of confirming an address (`accounts.email_confirmation`):

- asking needs the account's password (403 `wrong_password`), so a browser left signed in is
  not enough to take the account's mail elsewhere;
- the link proves the new address's mail is read, and using it needs a sign-in to the account
  it names (403 `confirmation_for_another_account`), so whoever reads that mailbox cannot take
  the account over with it; the page changes nothing until its button is pressed;
- the new address must be able to receive mail (400 `invalid_email`), and free: an address
  another account has gets a mail saying so instead of a link, while the asker sees what any
  request looks like, so the form does not tell which addresses have accounts (when the link
  is used, the unique index on addresses decides: 409 `email_taken`); one request per
  `email_confirmation_resend_minutes` (429 `email_change_recently_sent`), so the form cannot
  be used to mail strangers in bulk, nor to probe addresses fast.

A confirmed old address is told at both ends: when the change is asked for and when it is
done. The first mail says how to stop it: with its own link, `/cancel-email-change/<token>`,
which works signed out (whoever asked knows the password, so the owner may no longer be able
to sign in) and, like the change link, changes nothing until its page's button is pressed; or
with a new password, from Settings or a reset, which cancels a pending change too. An
unconfirmed old address is told nothing, since it may be a stranger's. The new address counts
as confirmed once its link is used. A server without email cannot send the link (409
`email_off`); its operator changes addresses with `reelmint admin change-email`.

Both links' tokens are `<user id>.<HMAC-SHA256>` (`accounts.links`); the HMAC covers the
user's id, both addresses and when the links were sent, so they stop working once the change
is done or cancelled, if either address changes, a newer change is asked for, or
`email_confirmation_days` pass. Each link has a key of its own (a `crypto.link_mac` purpose),
so a change link is no cancel link, nor the other way round (400 `invalid_email_change_link`,
400 `invalid_cancel_link`). Every way of setting a new password (Settings, a reset, the
operator) cancels a pending change with the user row locked, as asking for one and using
either link lock it, so no two of them cross. (The password hash is not in the HMAC: a
sign-in may re-hash the same password with newer parameters, and must not kill the link.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.crypto import link_mac
from reelmint.db.base import utcnow
from reelmint.domains.accounts.email_confirmation import is_confirmed, require_own_link
from reelmint.domains.accounts.links import linked_user, resend_wait
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import require_open, require_password, usable_email
from reelmint.domains.notifications.service import (
    is_sendable_address,
    queue_email,
    readdress_news,
)
from reelmint.errors import BadRequest, Conflict, TooManyRequests

CHANGE_PATH = "/change-email/"
CANCEL_PATH = "/cancel-email-change/"
_KEY_PURPOSE = b"reelmint email change v1"
_CANCEL_KEY_PURPOSE = b"reelmint email change cancel v1"


def request_email_change(
    *,
    db: Session,
    settings: Settings,
    user: User,
    new_email: str,
    password: str,
    now: datetime | None = None,
) -> User:
    """Email a link to `new_email` that makes it `user`'s address once used; the account's
    address stays as it is until then, and an earlier pending change is replaced. Checked in
    this order, so a refusal says the first thing to fix: the password, a stop (409
    `email_change_stopped`: the old address's owner stopped a change as not theirs, and the
    password has not been reset since), the address, whether this server sends email, the
    resend wait.

    An address another account has is not refused here, which would tell any account holder
    which addresses have accounts (even where sign-up is closed): the request looks the same,
    and the address is mailed that it has an account already, with no link."""
    user = db.get_one(User, user.id, with_for_update=True, populate_existing=True)
    require_password(user, password, param="password")
    _require_not_stopped(user)
    new_email = usable_email(new_email)
    if new_email == user.email:
        raise _same_email(new_email, "type the new one")
    if not settings.sends_email:
        raise Conflict(
            "this server sends no email, so the new address cannot be confirmed; ask its "
            "operator to change it (reelmint admin change-email)",
            code="email_off",
        )
    now = now or utcnow()
    _require_wait_over(user, settings, now)
    user.pending_email = new_email
    user.email_change_sent_at = now
    if _holder(db=db, user=user, email=new_email) is None:
        _mail_link(db=db, settings=settings, user=user)
    else:
        _tell_taken_address(db=db, email=new_email)
    if is_confirmed(user) and is_sendable_address(user.email):
        _tell_old_address_asked(db=db, settings=settings, user=user)
    db.flush()
    return user


def live_pending_email(user: User, settings: Settings, now: datetime | None = None) -> str | None:
    """The address `user` asked to change to while its link still works (what Settings and
    GET /v1/me show); None when no change is pending or its link has expired."""
    sent = user.email_change_sent_at
    if user.pending_email is None or sent is None:
        return None
    if (now or utcnow()) >= sent + timedelta(days=settings.email_confirmation_days):
        return None
    return user.pending_email


def password_set_anew(user: User) -> None:
    """What a new password set by a reset link (which proves the address's mail is read) or by
    the operator does to changes of address: a pending one is cancelled (whoever asked may be
    whom the new password keeps out) and a stop is lifted (whoever asked no longer knows the
    password). A new password set in Settings cancels a pending change but lifts no stop:
    whoever the stop is for may be signed in with the password. The caller flushes."""
    cancel_email_change(user)
    user.email_change_stopped_at = None


def cancel_email_change(user: User) -> bool:
    """Forget a pending change (its link stops working); whether there was one. The caller
    flushes. Called when the owner cancels it, and when the password changes or is reset:
    whoever asked may be the person the password is being changed to keep out."""
    if user.pending_email is None:
        return False
    user.pending_email = None  # the send time stays: cancelling does not skip the resend wait
    return True


def check_change_token(
    *,
    db: Session,
    settings: Settings,
    token: str,
    now: datetime | None = None,
    lock: bool = False,
) -> User:
    """The active user a live change link belongs to; 400 `invalid_email_change_link`
    otherwise (made up, changed, expired, cancelled, or replaced by a newer change)."""
    return _pending_change_of(
        db,
        settings,
        token,
        _KEY_PURPOSE,
        dead="this link to change your email address was used already, has expired, was "
        "cancelled, or was replaced by a newer one; your address is in Settings, where you "
        "can ask for a change again",
        code="invalid_email_change_link",
        now=now,
        lock=lock,
    )


def check_cancel_token(
    *,
    db: Session,
    settings: Settings,
    token: str,
    now: datetime | None = None,
    lock: bool = False,
) -> User:
    """The active user a live cancel link (mailed to the old address) belongs to; 400
    `invalid_cancel_link` otherwise (made up, changed, expired, or the change it stops was
    done, cancelled, or replaced by a newer one)."""
    return _pending_change_of(
        db,
        settings,
        token,
        _CANCEL_KEY_PURPOSE,
        dead="this link to stop a change of email address was used already, or the change "
        "was made, cancelled or replaced by a newer one since, or the link expired; nothing "
        "was changed, and your account's address is in Settings",
        code="invalid_cancel_link",
        now=now,
        lock=lock,
    )


def _pending_change_of(
    db: Session,
    settings: Settings,
    token: str,
    purpose: bytes,
    *,
    dead: str,
    code: str,
    now: datetime | None,
    lock: bool,
) -> User:
    """The active user whose pending change a live link for `purpose` names (`linked_user`)."""
    return linked_user(
        db=db,
        token=token,
        lifetime=timedelta(days=settings.email_confirmation_days),
        sent_of=lambda user: user.email_change_sent_at if user.pending_email else None,
        mac_of=lambda user: _mac(user, settings, purpose),
        dead=dead,
        code=code,
        now=now,
        lock=lock,
    )


def cancel_email_change_by_link(
    *, db: Session, settings: Settings, token: str, now: datetime | None = None
) -> User:
    """Forget the pending change a live cancel link names. The user row is locked, as asking
    for a change and using its link lock it, so a cancel and a use of the change link never
    cross: whichever comes second finds its link dead. No sign-in is needed: the link proves
    the old address's mail is read, and all it can do is stop a change. 400
    `invalid_cancel_link`.

    Whoever asked for the change knows the password, so no new change may be asked for until
    the password is reset from the address (or by the operator: `password_set_anew`):
    otherwise they could ask again as soon as the resend wait is over, and the owner would
    have to stop every one. A new password in Settings does not lift it: whoever asked could
    set one there."""
    user = check_cancel_token(db=db, settings=settings, token=token, now=now, lock=True)
    cancel_email_change(user)
    user.email_change_stopped_at = now or utcnow()
    db.flush()
    return user


def confirm_email_change(
    *, db: Session, settings: Settings, token: str, user: User, now: datetime | None = None
) -> User:
    """Make the pending address the signed-in `user`'s, confirmed, with a live link of their
    own; the old address, if it was confirmed, is told. 403
    `confirmation_for_another_account` when the link names another account; 409
    `email_taken` when another account took the address meanwhile (the change stays pending
    for the owner to cancel)."""
    linked = check_change_token(db=db, settings=settings, token=token, now=now, lock=True)
    require_own_link(linked, user)
    new_email = linked.pending_email
    assert new_email is not None  # check_change_token found a pending change
    old_email, old_confirmed = linked.email, is_confirmed(linked)
    set_email(db=db, user=linked, email=new_email, now=now)
    if old_confirmed and is_sendable_address(old_email):
        _tell_old_address_done(db=db, user=linked, old_email=old_email)
    db.flush()
    return linked


def set_email(*, db: Session, user: User, email: str, now: datetime | None = None) -> User:
    """Give `user` the address `email`, confirmed (its owner showed they read it, or the
    operator vouches for it), ending any pending change. Links sent to the old address stop
    working: their HMACs cover it; news not yet mailed goes to the new address. 409
    `email_taken` when another account has it; 400 `same_email` when it is this account's."""
    require_open(user)
    email = usable_email(email)
    if email == user.email:  # nothing would change; the operator may mean confirm-email
        raise _same_email(
            email, "give the new one (to mark it confirmed: reelmint admin confirm-email)"
        )
    old_email = user.email
    try:
        with db.begin_nested():  # the unique index says whether another account has it
            user.email = email
            db.flush()
    except IntegrityError:
        raise _taken(email) from None
    readdress_news(db=db, user_id=user.id, old=old_email, new=email)
    user.email_confirmed_at = now or utcnow()
    user.email_confirmation_sent_at = None
    cancel_email_change(user)
    db.flush()
    return user


def _same_email(email: str, advice: str) -> BadRequest:
    """400 `same_email`: `email` is the account's address already; `advice` says what to do."""
    return BadRequest(
        f"{email} is already this account's address; {advice}", code="same_email", param="email"
    )


def change_token(user: User, settings: Settings) -> str:
    """The token of the link last sent for `user`'s pending change (one must be pending)."""
    return f"{user.id}.{_mac(user, settings, _KEY_PURPOSE)}"


def cancel_token(user: User, settings: Settings) -> str:
    """The token of the link, mailed to the old address, that stops `user`'s pending change
    (one must be pending)."""
    return f"{user.id}.{_mac(user, settings, _CANCEL_KEY_PURPOSE)}"


def _holder(*, db: Session, user: User, email: str) -> str | None:
    """The id of the account other than `user` whose address `email` is, if any."""
    return db.scalar(select(User.id).where(User.email == email, User.id != user.id))


def _taken(email: str) -> Conflict:
    return Conflict(f"another account uses {email}; choose another address", code="email_taken")


def _require_not_stopped(user: User) -> None:
    stopped = user.email_change_stopped_at
    if stopped is not None:
        raise Conflict(
            f"a change of this account's address was stopped on {stopped:%Y-%m-%d} from the "
            "link mailed to its address, as not asked for by its owner; reset the password with "
            "'Forgot your password?' (a link to this address) and then ask for the change again",
            code="email_change_stopped",
        )


def _require_wait_over(user: User, settings: Settings, now: datetime) -> None:
    wait = timedelta(minutes=settings.email_confirmation_resend_minutes)
    if left := resend_wait(user.email_change_sent_at, wait, now):
        to = f" to {user.pending_email}" if user.pending_email else ""
        raise TooManyRequests(
            f"a link to change your address was emailed{to} a moment ago; look for it (and "
            f"in spam), or ask again in {left}",
            code="email_change_recently_sent",
        )


def _mail_link(*, db: Session, settings: Settings, user: User) -> None:
    days = settings.email_confirmation_days
    assert user.pending_email is not None
    queue_email(
        db=db,
        to_address=user.pending_email,
        subject="Confirm your new email address for reelmint",
        body_text=(
            f"Someone (we hope you) asked to make {user.pending_email} the email address of a "
            "reelmint account. If it was you, open the link below, sign in if asked, and "
            f"press 'Change'. The link works for {days} day{'s' if days != 1 else ''}; until "
            "it is used the account keeps its old address.\n\nIf you did not ask for this, "
            "ignore this email: nothing changes without it."
        ),
        link=CHANGE_PATH + change_token(user, settings),
        user_id=user.id,
        expires_at=user.email_change_sent_at + timedelta(days=days),
    )


def _tell_taken_address(*, db: Session, email: str) -> None:
    queue_email(
        db=db,
        to_address=email,
        subject="Your reelmint account already uses this address",
        body_text=(
            f"Someone asked to make {email} the email address of another reelmint account. "
            "It is already the address of an account, so nothing was changed. If it was you, "
            "sign in with this address; if you have two accounts, close the one you no longer "
            "need in its Settings first.\n\nIf you did not ask for this, ignore this email."
        ),
    )


def _tell_old_address_asked(*, db: Session, settings: Settings, user: User) -> None:
    """Warn the old address, with the link that stops the change; like the change link's
    mail, it is not sent once its link has expired (the change cannot happen then)."""
    days = settings.email_confirmation_days
    assert user.email_change_sent_at is not None
    queue_email(
        db=db,
        to_address=user.email,
        subject="Your reelmint email address is about to change",
        body_text=(
            f"Someone signed in to your reelmint account with its password asked to change its "
            f"email address from {user.email} to {user.pending_email}. It changes only when the "
            "link we emailed to the new address is used.\n\nIf this was not you, open the link "
            "below and press 'Stop the change': it works without signing in, for "
            f"{days} day{'s' if days != 1 else ''}. Whoever asked knows your password, so then "
            "change your password in Settings, or reset it with 'Forgot your password?' on the "
            "login page: a new password cancels the change too, and signs out every other "
            "browser. Last, in Settings, revoke any API token you do not know: tokens keep "
            "working after a new password."
        ),
        link=CANCEL_PATH + cancel_token(user, settings),
        user_id=user.id,
        expires_at=user.email_change_sent_at + timedelta(days=days),
    )


def _tell_old_address_done(*, db: Session, user: User, old_email: str) -> None:
    queue_email(
        db=db,
        to_address=old_email,
        subject="Your reelmint email address was changed",
        body_text=(
            f"The email address of your reelmint account was changed from {old_email} to "
            f"{user.email}, with a link sent to the new address. From now on we email the new "
            "address only.\n\nIf this was not you, tell the operator of this reelmint server "
            "at once: whoever changed it knows your password."
        ),
        user_id=user.id,
    )


def _mac(user: User, settings: Settings, purpose: bytes) -> str:
    """The HMAC of `user`'s pending change under the key for `purpose` (change or cancel)."""
    sent = user.email_change_sent_at
    if sent is None or user.pending_email is None:
        raise ValueError(f"no email change is pending for {user.id}")
    parts = (user.id, user.email, user.pending_email, sent.astimezone(UTC).isoformat())
    return link_mac(settings.data_dir, purpose, parts)
