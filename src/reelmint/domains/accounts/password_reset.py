"""Password reset by email: a link that sets a new password, for whoever reads the account's mail.

The link's token is `<user id>.<HMAC-SHA256>` and is stored nowhere (no table): the HMAC is
keyed with a key derived from the platform key (`crypto.load_platform_key`) and covers the
user's id, email, current password hash and when the link was sent
(`users.password_reset_sent_at`). So a token

- cannot be guessed or made without the platform key (256-bit MAC);
- expires `password_reset_minutes` after it was sent;
- works once, and stops working after any password change: the password hash it covers
  changes (argon2id salts every hash afresh), and so does a change of email address;
- stops working when a newer link is sent (the send time it covers changes).

Asking always answers the same, whether the address has an account or not; closed and disabled
accounts get no email; one account gets at most one email per `password_reset_resend_minutes`.
The link also sits in the email outbox (`email_messages.link`) until its mail is sent, and no
longer: the mailer clears it then (a pending or failed mail keeps it, to be sent, or read out by
the operator with `admin mail show`). One that fails as expired keeps a link that no longer works.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.crypto import link_mac
from reelmint.db.base import utcnow
from reelmint.domains.accounts import networks
from reelmint.domains.accounts.email_confirmation import mark_confirmed
from reelmint.domains.accounts.links import linked_user, resend_wait
from reelmint.domains.accounts.models import ApiToken, User
from reelmint.domains.accounts.service import (
    check_password,
    normalise_email,
    replace_password,
    suspended_error,
)
from reelmint.domains.notifications.service import is_sendable_address, queue_email
from reelmint.errors import Conflict

RESET_PATH = "/reset-password/"
_KEY_PURPOSE = b"reelmint password reset v1"


def request_password_reset(
    *,
    db: Session,
    settings: Settings,
    email: str,
    network: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Email a reset link to the active account `email` names, unless one was sent less than
    `password_reset_resend_minutes` ago. Whether a mail was queued: never show it to the
    asker, who must get the same answer either way. 400 `invalid_email` for text that is
    not an email address (that tells nothing about accounts); 429 `too_many_reset_requests`
    when the asker's `network` has asked too often this hour, whatever the addresses
    (`networks`)."""
    address = normalise_email(email)
    now = now or utcnow()
    networks.claim(db=db, settings=settings, scope="password_reset", network=network, now=now)
    user = db.scalar(select(User).where(User.email == address).with_for_update())
    if user is None or user.disabled_at is not None or not is_sendable_address(user.email):
        return False
    if user.suspended_at is not None:  # its link would be refused (`check_reset_token`)
        return False
    wait = timedelta(minutes=settings.password_reset_resend_minutes)
    if resend_wait(user.password_reset_sent_at, wait, now):
        return False
    user.password_reset_sent_at = now
    minutes = settings.password_reset_minutes
    queue_email(
        db=db,
        to_address=user.email,
        subject="Reset your reelmint password",
        body_text=(
            f"Someone (we hope you) asked to reset the password of the reelmint account "
            f"{user.email}. Open the link below to choose a new one. It works once, for "
            f"{minutes} minutes, and signs out every browser signed in to the account.\n\n"
            "If you did not ask, ignore this email: your password stays as it is."
        ),
        link=RESET_PATH + reset_token(user, settings),
        user_id=user.id,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.flush()
    return True


def operator_reset_link(
    *, db: Session, settings: Settings, user: User, now: datetime | None = None
) -> str:
    """A live reset link's path for an operator to hand to the account's owner in person
    (where the server sends no email, or the owner's mail does not arrive): the link the email
    would carry, for `password_reset_minutes`; a link mailed earlier stops working. Using it
    counts the address as confirmed, as with `admin confirm-email`: the operator vouches for
    whom they give it to. 409 `account_disabled` for a closed or disabled account."""
    db.refresh(user, with_for_update=True)
    if user.disabled_at is not None:
        raise Conflict(
            f"{user.email} is closed or disabled: it cannot be signed in to",
            code="account_disabled",
        )
    user.password_reset_sent_at = now or utcnow()
    db.flush()
    return RESET_PATH + reset_token(user, settings)


def reset_token(user: User, settings: Settings) -> str:
    """The token of the link last sent to `user` (it must have one: `password_reset_sent_at`)."""
    return f"{user.id}.{_mac(user, settings)}"


def check_reset_token(
    *,
    db: Session,
    settings: Settings,
    token: str,
    now: datetime | None = None,
    lock: bool = False,
) -> User:
    """The active user a live reset token belongs to; 400 `invalid_reset_link` otherwise
    (made up, changed, expired, used, replaced by a newer link, or the password changed);
    403 `account_suspended` for a suspended account (`accounts.suspension`: whoever holds its
    mailbox must not set a password that outlives the suspension).
    To use the token, `lock` the user: two uses at once take turns, the second finds it spent."""
    user = linked_user(
        db=db,
        token=token,
        lifetime=timedelta(minutes=settings.password_reset_minutes),
        sent_of=lambda user: user.password_reset_sent_at,
        mac_of=lambda user: _mac(user, settings),
        dead=(
            "this password reset link has expired, was already used, or was replaced by a "
            "newer one; ask for a new link on the 'Forgot your password?' page"
        ),
        code="invalid_reset_link",
        now=now,
        lock=lock,
    )
    if user.suspended_at is not None:
        raise suspended_error(user, contact=settings.operator_contact)
    return user


def reset_password(
    *, db: Session, settings: Settings, token: str, password: str, now: datetime | None = None
) -> tuple[User, int]:
    """Set a new password with a live reset token (which stops working at once), end every
    browser session of the user, forget their browsers' devices (`accounts.devices`), clear
    their wrong-password count and lock, and tell them by
    email. The user and how many sessions ended. The address counts as confirmed from then.
    API tokens and webhooks stay, as with a password change, for an account whose address was
    confirmed; for one whose was not, the address's owner is taking back an account someone
    may have made with it, so its API tokens are revoked and its webhooks removed too."""
    user = check_reset_token(db=db, settings=settings, token=token, now=now, lock=True)
    check_password(password)
    now = now or utcnow()
    claimed = user.email_confirmed_at is None
    mark_confirmed(user, now=now)  # the link proved they read the address's mail
    # A pending change of address is cancelled too: whoever asked may be whom this keeps out.
    ended = replace_password(db=db, user=user, password=password)
    if claimed:
        _drop_credentials(db, user, now)
    queue_email(
        db=db,
        to_address=user.email,
        subject="Your reelmint password was changed",
        body_text=_changed_text(user, claimed),
        user_id=user.id,
    )
    db.flush()
    return user, ended


def _drop_credentials(db: Session, user: User, now: datetime) -> None:
    """Revoke the account's API tokens and remove its webhooks (their undelivered events go
    with them)."""
    from reelmint.domains.webhooks.models import WebhookEndpoint

    db.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.execute(delete(WebhookEndpoint).where(WebhookEndpoint.user_id == user.id))


def _changed_text(user: User, claimed: bool) -> str:
    text = (
        f"The password of the reelmint account {user.email} was just reset with a link "
        "sent to this address, and every browser signed in to it was signed out."
    )
    if claimed:
        text += (
            " The account had not confirmed this address, so its API tokens were revoked and "
            "its webhooks removed: whoever made it may hold them. The address is now confirmed."
        )
    return text + (
        "\n\nIf this was not you, reset it again now from the login page, and check your API "
        "tokens in Settings."
    )


def _mac(user: User, settings: Settings) -> str:
    sent = user.password_reset_sent_at
    if sent is None:
        raise ValueError(f"no reset link was sent to {user.id}")
    parts = (user.id, user.email, user.password_hash, sent.astimezone(UTC).isoformat())
    return link_mac(settings.data_dir, _KEY_PURPOSE, parts)
