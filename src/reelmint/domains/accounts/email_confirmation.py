"""Confirming an account's email address: a link emailed at sign-up, opened by whoever made
the account and reads the address's mail.

Anyone can sign up with any address, including someone else's. Until the account shows it
belongs to the address's owner, the platform does not trust it with the address:

- it is emailed nothing but the confirmation link and password reset mail; its notifications
  (quota changes, rights, money...) are shown in the app only (`notifications.notify`), so a
  stranger's inbox is not filled with news of an account they never made;
- a cameo owner cannot approve it by that address (409 `email_unconfirmed`,
  `cameos.approve_user`): a likeness permission meant for the address's owner must not go to
  whoever signed up with it first.

Confirming takes both halves of the proof: the link (so the mail was read) and being signed in
to the account it names (so it is the person who made the account). A stranger who receives
the link for an account someone made with their address cannot confirm it for them; opening
the link signed out asks for a sign-in, and the page's button confirms (a POST), so a mail
scanner that follows links confirms nothing.

The link's token is `<user id>.<HMAC-SHA256>`, stored nowhere (`accounts.links`): the HMAC
(`crypto.link_mac`, with a key for this purpose alone) covers the user's id, email and when the
link was sent (`users.email_confirmation_sent_at`). So a token cannot be made without the
platform key, works for `email_confirmation_days`, and stops working when a newer link is sent.

The address's owner takes back an account someone else made with it by resetting its password
(`accounts.password_reset`): that confirms the address, and, because the account was not
confirmed, revokes its API tokens and removes its webhooks, which whoever made it may hold.
Accounts made by the operator (`reelmint admin create-user`, the demo account, `reelmint admin
confirm-email`) are confirmed: the operator vouches for them. A server without email
(`smtp_host` unset) cannot confirm anyone, so its pages do not ask.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.crypto import link_mac
from reelmint.db.base import utcnow
from reelmint.domains.accounts.links import linked_user, resend_wait
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.service import is_sendable_address, queue_email
from reelmint.errors import Forbidden, TooManyRequests

CONFIRM_PATH = "/confirm-email/"
_KEY_PURPOSE = b"reelmint email confirmation v1"


def is_confirmed(user: User) -> bool:
    return user.email_confirmed_at is not None


def send_confirmation(
    *, db: Session, settings: Settings, user: User, now: datetime | None = None
) -> bool:
    """Email `user` a link that confirms their address (the newest link is the only one that
    works). Whether one was queued: not for a confirmed, disabled or closed account, or an
    address that cannot be mailed. The user row is locked, so requests at once send one link.
    429 `confirmation_recently_sent` when the last one went less than
    `email_confirmation_resend_minutes` ago."""
    user = db.get_one(User, user.id, with_for_update=True, populate_existing=True)
    if is_confirmed(user) or user.disabled_at is not None or not is_sendable_address(user.email):
        return False
    now = now or utcnow()
    wait = timedelta(minutes=settings.email_confirmation_resend_minutes)
    if left := resend_wait(user.email_confirmation_sent_at, wait, now):
        raise TooManyRequests(
            f"a confirmation link was emailed to {user.email} a moment ago; look for it "
            f"(and in spam), or ask again in {left}",
            code="confirmation_recently_sent",
        )
    user.email_confirmation_sent_at = now
    days = settings.email_confirmation_days
    queue_email(
        db=db,
        to_address=user.email,
        subject="Confirm your email address for reelmint",
        body_text=(
            f"Someone (we hope you) made a reelmint account with the address {user.email}. "
            "If it was you, open the link below, sign in if asked, and press 'Confirm'. The "
            f"link works for {days} day{'s' if days != 1 else ''}.\n\n"
            "Until then the account is sent nothing else by email. If you did not make it, "
            "ignore this email: nobody can confirm it without it. To take the account over, "
            "use 'Forgot your password?' on the login page."
        ),
        link=CONFIRM_PATH + confirmation_token(user, settings),
        user_id=user.id,
        expires_at=now + timedelta(days=days),
    )
    db.flush()
    return True


def confirmation_token(user: User, settings: Settings) -> str:
    """The token of the link last sent to `user` (one must have been sent)."""
    return f"{user.id}.{_mac(user, settings)}"


def check_confirmation_token(
    *,
    db: Session,
    settings: Settings,
    token: str,
    now: datetime | None = None,
    lock: bool = False,
) -> User:
    """The active user a live confirmation token belongs to; 400 `invalid_confirmation_link`
    otherwise (made up, changed, expired, or replaced by a newer link)."""
    return linked_user(
        db=db,
        token=token,
        lifetime=timedelta(days=settings.email_confirmation_days),
        sent_of=lambda user: user.email_confirmation_sent_at,
        mac_of=lambda user: _mac(user, settings),
        dead=(
            "this confirmation link has expired or was replaced by a newer one; sign in and "
            "send a new one from Settings"
        ),
        code="invalid_confirmation_link",
        now=now,
        lock=lock,
    )


def confirm_email(
    *, db: Session, settings: Settings, token: str, user: User, now: datetime | None = None
) -> User:
    """Mark the address confirmed with a live token of the signed-in `user`'s own (a second
    use changes nothing). 403 `confirmation_for_another_account` when the token names another
    account: whoever reads the mail must also have made the account."""
    linked = check_confirmation_token(db=db, settings=settings, token=token, now=now, lock=True)
    require_own_link(linked, user)
    mark_confirmed(linked, now=now)
    db.flush()
    return linked


def require_own_link(linked: User, user: User) -> None:
    """403 `confirmation_for_another_account` unless the link names `user`'s account."""
    if linked.id != user.id:
        raise Forbidden(
            "this link is for another account; sign out, then open the link again and sign in "
            "to the account it was sent for",
            code="confirmation_for_another_account",
        )


def mark_confirmed(user: User, *, now: datetime | None = None) -> None:
    """Record that the address's owner showed they read its mail (kept if already so)."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now or utcnow()


def _mac(user: User, settings: Settings) -> str:
    sent = user.email_confirmation_sent_at
    if sent is None:
        raise ValueError(f"no confirmation link was sent to {user.id}")
    parts = (user.id, user.email, sent.astimezone(UTC).isoformat())
    return link_mac(settings.data_dir, _KEY_PURPOSE, parts)
