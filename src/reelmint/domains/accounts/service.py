"""Accounts: sign-up, passwords, API tokens, browser sessions, roles and organisations.

Passwords are hashed with argon2id. API tokens and session secrets are random 256-bit values
given to the user once; only their SHA-256 is stored (a hash that fast is right for secrets of
that strength, and lets a request be authenticated with one indexed lookup).
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager

from reelmint.config import Settings
from reelmint.crypto import sha256_hex
from reelmint.db.base import ID_SHAPE, new_id, utcnow
from reelmint.domains.accounts import networks
from reelmint.domains.accounts.devices import forget_devices
from reelmint.domains.accounts.models import (
    ROLES,
    ApiToken,
    Membership,
    Organisation,
    OrganisationInvitation,
    User,
    WebSession,
)
from reelmint.domains.accounts.throttle import (
    check_not_locked,
    clear_failures,
    password_verified,
)
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from reelmint.lookalikes import skeleton
from reelmint.terminal import hidden_character

MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_DISPLAY_NAME = 80
TOKEN_PREFIX = "rm_"
SESSION_LIFETIME = timedelta(days=30)
# Writing `last_used_at` on every request would turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)
MAX_TOKENS_PER_USER = 50
MAX_TOKEN_NAME = 80
MAX_ORGANISATION_NAME = 120  # as a character's name
MAX_USER_AGENT = 200

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this when the email is unknown keeps the response time the same.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class Operator:
    """The operator at the command line: acts with an administrator's authority."""

    id = "operator"
    role = "admin"


OPERATOR = Operator()


# --- users and passwords ----------------------------------------------------------------------


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise BadRequest(
            f"{email[:80]!r} is not an email address", code="invalid_email", param="email"
        )
    return email


def usable_email(email: str) -> str:
    """`email` normalised, for an account to have: 400 `invalid_email` unless it is one
    address the outbox can send to (no quotes, brackets and the like)."""
    from reelmint.domains.notifications.service import is_sendable_address

    email = normalise_email(email)
    if not is_sendable_address(email):
        raise BadRequest(
            f"{email[:80]!r} cannot receive mail from here; use an address without quotes, "
            "brackets, commas or semicolons",
            code="invalid_email",
            param="email",
        )
    if email.rstrip(".").endswith(".invalid"):  # RFC 2606: never delivered; closed accounts
        raise BadRequest(
            f"{email[:80]!r} is in the .invalid domain, which never receives mail; use your "
            "own address",
            code="invalid_email",
            param="email",
        )
    return email


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(
            f"the password must have at least {MIN_PASSWORD} characters",
            code="weak_password",
            param="password",
        )
    if len(password) > MAX_PASSWORD:
        raise BadRequest(
            f"the password must have at most {MAX_PASSWORD} characters",
            code="invalid_password",
            param="password",
        )


def create_user(
    *,
    db: Session,
    email: str,
    password: str,
    display_name: str | None = None,
    role: str = "user",
    email_confirmed: bool = False,
) -> User:
    """A new account; the email must be free and able to receive mail (400 `invalid_email`
    for one with quotes, brackets and the like, which the outbox cannot send to).
    `email_confirmed` when its owner needs no link to confirm it (the operator made it:
    `accounts.email_confirmation`)."""
    email = usable_email(email)
    check_password(password)
    _check_role(role)
    if find_user(db=db, email=email) is not None:
        raise _account_exists(email)
    chosen = display_name if display_name and display_name.strip() else None
    user_id = new_id("user")
    name = clean_display_name(chosen) if chosen else default_display_name(user_id)
    user = User(
        id=user_id,
        email=email,
        password_hash=hash_password(password),
        display_name=name,
        role=role,
    )
    if email_confirmed:
        user.email_confirmed_at = utcnow()
    try:
        with db.begin_nested():  # two sign-ups with one address at the same moment
            db.add(user)
    except IntegrityError:
        raise _account_exists(email) from None
    return user


def sign_up(
    *,
    db: Session,
    settings: Settings,
    email: str,
    password: str,
    display_name: str | None,
    network: str | None,
) -> User:
    """Someone opens an account for themselves (`create_user`): counted against their
    network's hourly allowance in the same transaction (429 `too_many_signups`, `networks`),
    so an account that is not opened is not counted, and told of the quota changes scheduled
    for its plan. 403 `signup_closed` unless sign-up is open on this server."""
    from reelmint.domains.quota.service import tell_new_user

    check_signup_open(settings)
    networks.claim(db=db, settings=settings, scope="signup", network=network)
    user = create_user(db=db, email=email, password=password, display_name=display_name)
    tell_new_user(db=db, user=user)
    return user


def check_signup_open(settings: Settings) -> None:
    """403 `signup_closed` unless anyone may open an account on this server."""
    if not settings.signup_open:
        raise Forbidden(
            "sign-up is closed on this server; ask its operator for an account",
            code="signup_closed",
        )


def _account_exists(email: str) -> Conflict:
    return Conflict(
        f"an account with {email} exists; log in instead", code="email_taken", param="email"
    )


DEFAULT_NAME_PREFIX = "Creator"


def default_display_name(user_id: str) -> str:
    """The name an account gets when none is chosen: "Creator 4821", its number drawn from
    the account's random id. Nothing of the email: what others see of an account must never
    tell them its address (`jane.doe.1987@...` once became "jane.doe.1987" on every video,
    search result and "followed you"). Not unique; the owner renames it in Settings."""
    number = int(sha256_hex(user_id)[:8], 16) % 9000 + 1000
    return f"{DEFAULT_NAME_PREFIX} {number}"


CLOSED_NAME = "Closed account"
"""What a closed account is called wherever it is named; nobody else may take the name."""


def clean_display_name(value: str) -> str:
    """A display name as shown: runs of spaces made one, 1 to 80 characters, no control
    characters, not what closed accounts are called, in any letters that look like it
    (`lookalikes.skeleton`: accents, other case, Cyrillic or Greek look-alikes) (400
    `invalid_display_name` otherwise)."""
    name = " ".join(value.split())
    if not 1 <= len(name) <= MAX_DISPLAY_NAME or any(not c.isprintable() for c in name):
        raise BadRequest(
            f"a display name has 1 to {MAX_DISPLAY_NAME} printable characters",
            code="invalid_display_name",
            param="display_name",
        )
    if skeleton(name) == skeleton(CLOSED_NAME):  # "Clоsed account" with a Cyrillic о too
        raise BadRequest(
            f"{CLOSED_NAME!r} is what closed accounts are called; choose another display name",
            code="invalid_display_name",
            param="display_name",
        )
    return name


def rename(*, db: Session, user: User, display_name: str) -> User:
    """Change the name others see on `user`'s videos and profile."""
    user.display_name = clean_display_name(display_name)
    db.flush()
    return user


def change_password(
    *,
    db: Session,
    user: User,
    current: str,
    new: str,
    keep_session_id: str | None = None,
    keep_device_secret: str | None = None,
) -> int:
    """Set a new password, given the current one (403 `wrong_password` otherwise), and end
    every browser session but `keep_session_id` (the one asking): whoever knew the old
    password is signed out, their browsers' devices are forgotten (all but the one
    `keep_device_secret` names, `accounts.devices`), and a pending change of email address is
    cancelled (they may have asked for it). API tokens stay; they are revoked one by one.
    How many sessions ended."""
    from reelmint.domains.accounts.email_change import cancel_email_change

    user = db.get_one(User, user.id, with_for_update=True, populate_existing=True)
    require_password(user, current, param="current_password", what="the current password")
    check_password(new)
    user.password_hash = hash_password(new)
    # Not a stop on changes of address (`email_change_stopped_at`): whoever the stop is for
    # knows the current password too; a reset from the address lifts it.
    cancel_email_change(user)
    ended = end_other_web_sessions(db=db, user=user, keep_session_id=keep_session_id)
    forget_devices(db=db, user_id=user.id, keep_secret=keep_device_secret)
    tell_security_change(
        db=db,
        user=user,
        subject="Your reelmint password was changed",
        body=f"The password of the reelmint account {user.email} was changed from its "
        "Settings page, and every other browser signed in to it was signed out. If this was "
        "not you, reset your password from the sign-in page at once and look at your API "
        "tokens (Settings, API tokens): they keep working until you revoke them.",
    )
    db.flush()
    return ended


def tell_security_change(*, db: Session, user: User, subject: str, body: str) -> None:
    """Email the account's owner that something only they should do was done (a new
    password, a new API token), so a stolen session cannot act unseen. Only to a confirmed
    address that can be mailed: an unconfirmed one may be a stranger's."""
    from reelmint.domains.notifications.service import is_sendable_address, queue_email

    if user.email_confirmed_at is None or not is_sendable_address(user.email):
        return
    queue_email(db=db, to_address=user.email, subject=subject, body_text=body, user_id=user.id)


def set_timezone(*, db: Session, user: User, timezone: str, now: datetime | None = None) -> User:
    """Set the IANA time zone the user's day (and so their daily quota) follows.

    The profile shows it at once; the quota follows it from the end of the quota day in
    progress (`quota.service.move_to_zone`), so a change neither expires today's free quota
    nor brings tomorrow's early.
    """
    from reelmint.domains.quota.service import move_to_zone
    from reelmint.domains.wallet.service import wallet_of

    name = timezone.strip()
    if not is_place_zone(name):
        raise BadRequest(
            f"unknown time zone {name[:64]!r}; use an IANA name such as Europe/Paris",
            code="invalid_timezone",
            param="timezone",
        )
    # Admission's lock: a change of zone and an admission never interleave, so no quota day
    # is granted under the old zone after the change decided what to hold.
    wallet_of(db=db, user_id=user.id, lock=True)
    db.flush()
    db.refresh(user, ["timezone", "held_quota_day", "held_quota_day_ends"])
    move_to_zone(db=db, user=user, zone=name, now=now)
    return user


# Names in the zone database that are no place's time: the host's own zone, a placeholder, a
# file of rules, and copies of the database (POSIX-style and with leap seconds).
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_PLACE_PREFIXES = ("posix/", "right/")


def is_place_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone a person can live in: known to this host's zone
    database and not host-dependent or a copy of another (`localtime`, `right/...`)."""
    return name in place_zones()


@functools.cache
def place_zones() -> frozenset[str]:
    """Every time zone a person can live in on this host (`is_place_zone`), read once: the
    zone database's listing scans the disk (some 15 ms)."""
    from zoneinfo import available_timezones

    return frozenset(
        name
        for name in available_timezones()
        if name not in _NOT_PLACES and not name.startswith(_NOT_PLACE_PREFIXES)
    )


def find_user(*, db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email.strip().lower()))


def require_open(user: User) -> User:
    """`user`, unless their account was closed (409 `account_closed`): nothing gives a closed
    account credits, a plan, a token, a role or a real address again."""
    if user.disabled_at is not None:
        raise Conflict(
            f"the account {user.id} was closed on {user.disabled_at.date().isoformat()}; a "
            "closed account cannot be changed (the person may sign up again)",
            code="account_closed",
        )
    return user


def get_user(*, db: Session, user_id: str) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}", code="user_not_found")
    return user


def authenticate(
    *,
    db: Session,
    email: str,
    password: str,
    now: datetime | None = None,
    claimed: bool = False,
    contact: str = "",
) -> User:
    """The user these credentials belong to; one vague error for every way they can be wrong
    (401 `invalid_credentials`), and 429 `too_many_attempts` while the account is locked
    after too many; 403 `account_suspended` (naming `contact`) once the password is right.
    Sign-ins go through `throttle.counting_failures`, which counts the attempt before this
    checks it (`claimed`: the lock was checked there, and this attempt may be the one that
    set it). Success clears the count (`throttle.password_verified`)."""
    user = find_user(db=db, email=email)
    if user is None or user.disabled_at is not None:
        verify_password(_DUMMY_HASH, password)
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    if not claimed:
        check_not_locked(user, now)
    if not verify_password(user.password_hash, password):
        raise Unauthorized("wrong email or password", code="invalid_credentials")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    password_verified(user)
    if user.suspended_at is not None:  # told only to whoever knows the password
        raise suspended_error(user, contact=contact)
    return user


def set_password(*, db: Session, user_id: str, password: str) -> int:
    """The operator's: set a password (`replace_password`: every browser signed out, whoever
    the operator is locking out may hold one) and tell the owner by email. How many browser
    sessions ended."""
    from reelmint.domains.notifications.service import queue_email

    check_password(password)
    user = get_user(db=db, user_id=user_id)
    db.refresh(user, with_for_update=True)  # a change of address asked for meanwhile waits
    ended = replace_password(db=db, user=user, password=password)
    queue_email(
        db=db,
        to_address=user.email,
        subject="Your reelmint password was changed",
        body_text=f"The platform's operator set a new password for the reelmint account "
        f"{user.email}, and every browser signed in to it was signed out. If you did not ask "
        "for this, contact the operator.",
        user_id=user.id,
    )
    db.flush()
    return ended


def replace_password(*, db: Session, user: User, password: str) -> int:
    """What setting a password anew (a reset, or the operator's) does, the password checked
    and the user row locked by the caller: the new hash, the wrong-password count and lock
    cleared, a pending change of email address cancelled, every browser session ended and
    every device forgotten. How many sessions ended."""
    from reelmint.domains.accounts.email_change import password_set_anew

    user.password_hash = hash_password(password)
    clear_failures(user)
    password_set_anew(user)
    ended = db.execute(delete(WebSession).where(WebSession.user_id == user.id)).rowcount
    forget_devices(db=db, user_id=user.id)
    return int(ended)


def set_role(*, db: Session, actor: User | Operator, user_id: str, role: str) -> None:
    """Change a user's role; only an admin may."""
    require_admin(actor)
    _check_role(role)
    get_user(db=db, user_id=user_id).role = role
    db.flush()


def require_password(user: User, password: str, *, param: str, what: str = "the password") -> None:
    """403 `wrong_password` (naming the form field `param`) unless `password` is `user`'s; a
    right one clears the wrong-password count, as a sign-in does (`throttle`)."""
    if not verify_password(user.password_hash, password):
        raise Forbidden(
            f"{what} is not right; nothing was changed", code="wrong_password", param=param
        )
    password_verified(user)


def require_admin(actor: User | Operator) -> None:
    if actor.role != "admin":
        raise Forbidden("only an administrator may do this", code="admin_only")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadRequest(
            f"unknown role {role!r}; use one of {', '.join(ROLES)}", code="invalid_role"
        )


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (no strength check: see `check_password`)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` is the one `password_hash` was made from."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# --- API tokens -------------------------------------------------------------------------------


def create_api_token(*, db: Session, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the plaintext is returned here and never again."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= MAX_TOKEN_NAME or hidden_character(name):
        raise BadRequest(
            f"give the token a name of 1-{MAX_TOKEN_NAME} printable characters, e.g. 'laptop' "
            "(no control or invisible formatting characters)",
            code="invalid_name",
            param="name",
        )
    live = db.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    if len(live) >= MAX_TOKENS_PER_USER:
        raise Conflict(
            f"you have {len(live)} tokens; revoke one before making another",
            code="too_many_tokens",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=sha256_hex(secret), hint=secret[:10])
    db.add(token)
    db.flush()
    return token, secret


def find_api_token(*, db: Session, secret: str, contact: str = "") -> tuple[ApiToken, User] | None:
    """The live token a secret names and its active user, or None; 403 `account_suspended`
    (naming `contact`) when its account is suspended. Reads only."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == sha256_hex(secret)))
    if token is None or not _token_live(token):
        return None
    owner = db.get(User, token.user_id)
    if owner is not None and owner.disabled_at is None and owner.suspended_at is not None:
        raise suspended_error(owner, contact=contact)  # the token is right, its account stopped
    user = _active_user(db, token.user_id)
    return (token, user) if user is not None else None


def _token_live(token: ApiToken) -> bool:
    return token.revoked_at is None


def _session_live(session: WebSession) -> bool:
    return session.expires_at > utcnow()


def _active_user(db: Session, user_id: str) -> User | None:
    """The user, unless gone, disabled (closed accounts are disabled) or suspended."""
    user = db.get(User, user_id)
    if user is None or user.disabled_at is not None or user.suspended_at is not None:
        return None
    return user


def suspended_error(user: User, *, contact: str = "") -> Forbidden:
    """403 `account_suspended`, saying since when and why (`accounts.suspension`), and how to
    reach the operator (`contact`: `Settings.operator_contact`, when set): said only to the
    person themselves, once their password or token was checked."""
    assert user.suspended_at is not None
    reach = f"at {contact.strip()} " if contact.strip() else ""
    return Forbidden(
        f"this account has been suspended since {user.suspended_at:%Y-%m-%d} "
        f"({user.suspended_reason}); write to the platform's operator {reach}to ask about it",
        code="account_suspended",
    )


def credential_live(*, db: Session, token_id: str | None, session_id: str | None) -> bool:
    """Whether the API token or browser session (by id) that authenticated a request still
    does: not revoked, expired or signed out, and its user not disabled. A request that
    lasts (an event stream) asks it again as it goes."""
    held: ApiToken | WebSession | None = None
    if token_id is not None:
        token = db.get(ApiToken, token_id)
        held = token if token is not None and _token_live(token) else None
    elif session_id is not None:
        session = db.get(WebSession, session_id)
        held = session if session is not None and _session_live(session) else None
    return held is not None and _active_user(db, held.user_id) is not None


def needs_touch(last_used_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a token's or session's last use is stale enough to be written again."""
    return last_used_at is None or (now or utcnow()) - last_used_at > LAST_USED_RESOLUTION


def touch_api_token(*, db: Session, token_id: str) -> None:
    token = db.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()


def list_api_tokens(*, db: Session, user: User) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id)
        )
    )


def revoke_api_token(*, db: Session, actor: User, token_id: str) -> ApiToken:
    """Revoke one of the actor's tokens (an admin may revoke anyone's)."""
    token = db.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != "admin"):
        raise NotFound(f"no token {token_id}", code="token_not_found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.flush()
    return token


def live_api_tokens(*, db: Session, user: User) -> list[ApiToken]:
    """`user`'s tokens that still work, newest first (what an operator looks at)."""
    return [token for token in list_api_tokens(db=db, user=user) if _token_live(token)]


def operator_revoke_api_token(*, db: Session, token_id: str) -> tuple[ApiToken, bool]:
    """The operator stops one token (a leaked one) of any account: 404 `token_not_found`
    for no such token. Its owner is told (`_tell_tokens_revoked`). The token, and whether it
    worked until now (one revoked already changes nothing and tells nobody)."""
    token = db.get(ApiToken, token_id) if ID_SHAPE.fullmatch(token_id) else None
    if token is None:
        raise NotFound(
            f"no token {token_id[:64]}; give a token's id (tok_..., as `reelmint admin tokens "
            "list EMAIL` prints it)",
            code="token_not_found",
        )
    if not _token_live(token):
        return token, False
    token.revoked_at = utcnow()
    _tell_tokens_revoked(db=db, user=get_user(db=db, user_id=token.user_id), tokens=[token])
    db.flush()
    return token, True


def operator_revoke_api_tokens(*, db: Session, user: User) -> int:
    """The operator stops every token of `user` that works; its owner is told once. How
    many were stopped."""
    live = live_api_tokens(db=db, user=user)
    now = utcnow()
    for token in live:
        token.revoked_at = now
    if live:
        _tell_tokens_revoked(db=db, user=user, tokens=live)
    db.flush()
    return len(live)


def _tell_tokens_revoked(*, db: Session, user: User, tokens: list[ApiToken]) -> None:
    """Tell `user` (in the app, and by email) that the operator revoked their tokens: the
    programs using them stop being let in, and they should know why."""
    from reelmint.domains.notifications.service import notify

    names = ", ".join(f"“{token.name}” ({token.hint}…)" for token in tokens)
    one = len(tokens) == 1
    which = f"Your API token {names} was" if one else f"Your API tokens {names} were"
    notify(
        db=db,
        user=user,
        kind="api_token_revoked",
        title="The operator revoked your API token" + ("" if one else "s"),
        body=f"{which} revoked by the platform's operator (a token may have leaked): programs "
        f"using {'it' if one else 'them'} are no longer let in. Make a new token in Settings, "
        "API tokens, if you need one, and keep it secret.",
        link="/settings/tokens",
    )


# --- browser sessions -------------------------------------------------------------------------


def start_web_session(
    *, db: Session, user: User, user_agent: str | None = None
) -> tuple[WebSession, str]:
    """A new signed-in session (`user_agent`: the browser's, to name it in Settings); returns
    it and the secret for the cookie. 403 `account_suspended` for a suspended account (a
    password reset does not sign it in). Read again under a share lock: a suspension
    committing while the password was checked is waited for and seen, so no session it ended
    is opened again behind it."""
    now = db.execute(
        select(User.suspended_at, User.suspended_reason)
        .where(User.id == user.id)
        .with_for_update(read=True)
    ).one()
    if now.suspended_at is not None:
        user.suspended_at, user.suspended_reason = now.suspended_at, now.suspended_reason
        raise suspended_error(user)
    secret = secrets.token_urlsafe(32)
    session = WebSession(
        user_id=user.id,
        token_hash=sha256_hex(secret),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + SESSION_LIFETIME,
        user_agent=" ".join(user_agent.split())[:MAX_USER_AGENT] if user_agent else None,
    )
    db.add(session)
    db.flush()
    return session, secret


def find_web_session(*, db: Session, secret: str) -> tuple[WebSession, User] | None:
    """The live session a cookie secret names and its active user, or None. Reads only."""
    if not secret or len(secret) > 200:
        return None
    session = db.scalar(select(WebSession).where(WebSession.token_hash == sha256_hex(secret)))
    if session is None or not _session_live(session):
        return None
    user = _active_user(db, session.user_id)
    return (session, user) if user is not None else None


def touch_web_session(*, db: Session, session_id: str) -> None:
    session = db.get(WebSession, session_id)
    if session is not None:
        session.last_seen_at = utcnow()


def live_web_sessions(*, db: Session, user: User, now: datetime | None = None) -> list[WebSession]:
    """The browsers signed in to `user` now, the most recently seen first."""
    seen = func.coalesce(WebSession.last_seen_at, WebSession.created_at)
    query = select(WebSession).where(
        WebSession.user_id == user.id, WebSession.expires_at > (now or utcnow())
    )
    return list(db.scalars(query.order_by(seen.desc(), WebSession.id)))


def end_other_web_sessions(*, db: Session, user: User, keep_session_id: str | None) -> int:
    """Sign every browser of `user`'s out but the session `keep_session_id` (None: every
    one); how many were."""
    others = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session_id is not None:
        others = others.where(WebSession.id != keep_session_id)
    return int(db.execute(others).rowcount or 0)


def end_web_session_of(*, db: Session, user: User, session_id: str) -> None:
    """Sign one of `user`'s browsers out; 404 `session_not_found` for a session that is not
    theirs, or is over already."""
    session = db.get(WebSession, session_id) if ID_SHAPE.fullmatch(session_id) else None
    if session is None or session.user_id != user.id:
        raise NotFound(
            "no such browser is signed in to your account; it may have signed out already",
            code="session_not_found",
        )
    db.delete(session)
    db.flush()


def end_web_session(*, db: Session, secret: str) -> None:
    session = db.scalar(select(WebSession).where(WebSession.token_hash == sha256_hex(secret)))
    if session is not None:
        db.delete(session)
        db.flush()


# --- organisations ----------------------------------------------------------------------------


def create_organisation(
    *, db: Session, owner: User, name: str, slug: str, kind: str = "enterprise"
) -> Organisation:
    """A new organisation with `owner` as its first member."""
    name = " ".join(name.split())  # runs of spaces, tabs and newlines become one space
    if not name or any(not c.isprintable() for c in name):  # as display names: no U+202E
        raise BadRequest(
            "give the organisation a name of printable characters",
            code="invalid_name",
            param="name",
        )
    if len(name) > MAX_ORGANISATION_NAME:
        raise BadRequest(
            f"the name is {len(name)} characters; keep it to {MAX_ORGANISATION_NAME}",
            code="invalid_name",
            param="name",
        )
    if not _SLUG.fullmatch(slug):
        raise BadRequest(
            f"slug {slug!r} must be 1-60 lower-case letters, digits and inner hyphens",
            code="invalid_slug",
            param="slug",
        )
    if kind not in ("enterprise", "rights_holder"):
        raise BadRequest(
            f"unknown kind {kind!r}; use enterprise or rights_holder", code="invalid_kind"
        )
    if db.scalar(select(Organisation).where(Organisation.slug == slug)) is not None:
        raise Conflict(f"the slug {slug!r} is taken", code="slug_taken", param="slug")
    organisation = Organisation(name=name, slug=slug, kind=kind)
    db.add(organisation)
    db.flush()
    db.add(Membership(organisation_id=organisation.id, user_id=owner.id, role="owner"))
    db.flush()
    return organisation


def add_member(
    *,
    db: Session,
    actor: User | Operator,
    organisation: Organisation,
    user: User,
    role: str = "member",
) -> Membership:
    """Set a member's role (its owners, or an admin, may). Only the operator at the command
    line puts someone who is not a member in directly (told in the app and by email): anyone
    else invites them (`invitations.invite`; 409 `invitation_required` here), and they join
    when they accept."""
    require_owner(db=db, actor=actor, organisation=organisation)
    lock_organisations(db, [organisation.id])
    check_member_role(role)
    membership = db.get(Membership, (organisation.id, user.id))
    if membership is None:
        if user.disabled_at is not None:
            raise NotFound("no such account (it is closed or disabled)", code="user_not_found")
        if not isinstance(actor, Operator):
            raise Conflict(
                f"{user.display_name} is not a member of {organisation.slug}: invite them "
                "instead, and they join when they accept; nothing was changed",
                code="invitation_required",
            )
        membership = join_organisation(db, organisation, user, role)
        _tell_new_member(db=db, organisation=organisation, user=user, role=role)
    else:
        if membership.role == "owner" and role != "owner":
            _refuse_last_owner(db=db, organisation=organisation, user=user, doing="stop owning")
            _drop_invitations_sent(db, organisation, user)
        if membership.role != role and actor.id != user.id:
            _tell_member(
                db,
                organisation,
                user,
                f"Your role in {organisation.name} changed",
                f"You are now {role_words(role)} of {organisation.name}.",
            )
        membership.role = role
    db.flush()
    return membership


def check_member_role(role: str) -> None:
    """400 `invalid_role` unless `role` is one a member may have."""
    if role not in ("owner", "member"):
        raise BadRequest(
            f"unknown member role {role!r}; use owner or member", code="invalid_role", param="role"
        )


def join_organisation(db: Session, organisation: Organisation, user: User, role: str) -> Membership:
    """Make `user` a member as `role` (the caller checked who may, and locked the
    organisation), and end any invitation of theirs to it."""
    end_invitations(
        db,
        OrganisationInvitation.organisation_id == organisation.id,
        OrganisationInvitation.user_id == user.id,
    )
    membership = Membership(organisation_id=organisation.id, user_id=user.id, role=role)
    db.add(membership)
    db.flush()
    return membership


def invitation_news_key(organisation_id: str, user_id: str) -> str:
    """The start of the keys of one person's invitation notices from one organisation."""
    return f"organisation_invitation:{organisation_id}:{user_id}:"


def end_invitations(db: Session, *which: ColumnElement[bool]) -> None:
    """Delete the invitations that match `which`, and mark each invitee's notices of them
    read: they ask for nothing any more."""
    from reelmint.domains.notifications.service import mark_read_by_key

    ended = delete(OrganisationInvitation).where(*which)
    returning = ended.returning(
        OrganisationInvitation.organisation_id, OrganisationInvitation.user_id
    )
    for organisation_id, user_id in db.execute(returning).all():
        prefix = invitation_news_key(organisation_id, user_id)
        mark_read_by_key(db=db, user_id=user_id, prefix=prefix)


def _drop_invitations_sent(db: Session, organisation: Organisation, user: User) -> None:
    """Withdraw the organisation's invitations `user` sent: one who no longer owns it (made
    a member, removed, gone) no longer invites anyone to it, least of all as an owner."""
    end_invitations(
        db,
        OrganisationInvitation.organisation_id == organisation.id,
        OrganisationInvitation.invited_by_id == user.id,
    )


def remove_member(
    *, db: Session, actor: User | Operator, organisation: Organisation, user: User
) -> None:
    """Take `user` out of the organisation: its owners (or an admin) may, and anyone may
    leave; never its last owner (409 `sole_owner`: make another member an owner first)."""
    if actor.id != user.id:
        require_owner(db=db, actor=actor, organisation=organisation)
    lock_organisations(db, [organisation.id])
    membership = db.get(Membership, (organisation.id, user.id))
    if membership is None:
        raise NotFound(
            f"{user.display_name} is not a member of {organisation.slug}", code="member_not_found"
        )
    if membership.role == "owner" and not _only_member(db, organisation, user):
        _refuse_last_owner(db=db, organisation=organisation, user=user, doing="leave")
    db.delete(membership)
    _drop_invitations_sent(db, organisation, user)
    if actor.id != user.id:
        _tell_member(
            db,
            organisation,
            user,
            f"You were removed from {organisation.name}",
            f"You are no longer a member of {organisation.name}.",
            link=False,
        )
    db.flush()


def lock_organisations(db: Session, organisation_ids: Iterable[str]) -> None:
    """Lock the organisations' rows (by id) before their members' rows are read or written:
    adding a member, removing one and closing an owner's account take turns per organisation,
    so none of them counts members another is changing (an only member leaving as another is
    added would leave an organisation with a member and no owner)."""
    ids = sorted(set(organisation_ids))
    if ids:
        query = select(Organisation.id).where(Organisation.id.in_(ids)).order_by(Organisation.id)
        db.scalars(query.with_for_update()).all()


def _only_member(db: Session, organisation: Organisation, user: User) -> bool:
    """Whether `user` is the organisation's only member: then they may leave it, owner or
    not (nobody is left to take it over; an operator can give it a new owner with `reelmint
    admin set-member`), so an owner who added someone as an owner and left cannot keep them
    from leaving, or from closing their account."""
    others = db.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.organisation_id == organisation.id, Membership.user_id != user.id)
    )
    return not others


def _refuse_last_owner(*, db: Session, organisation: Organisation, user: User, doing: str) -> None:
    """409 `sole_owner` when `user` is the organisation's only owner (the owners' rows are
    locked, so two owners demoting each other at once cannot both succeed)."""
    owners = db.scalars(
        select(Membership.user_id)
        .where(Membership.organisation_id == organisation.id, Membership.role == "owner")
        .with_for_update()
    ).all()
    if set(owners) <= {user.id}:
        raise Conflict(
            f"{user.display_name} is the only owner of {organisation.slug} and cannot {doing}: "
            "make another member an owner first; nothing was changed",
            code="sole_owner",
        )


def members(*, db: Session, actor: User, organisation: Organisation) -> list[Membership]:
    """The organisation's members, owners first, then by name; visible to its members and to
    admins."""
    if actor.role != "admin" and db.get(Membership, (organisation.id, actor.id)) is None:
        raise NotFound(f"no organisation {organisation.slug}", code="organisation_not_found")
    return list(
        db.scalars(
            select(Membership)
            .join(User, User.id == Membership.user_id)
            .options(contains_eager(Membership.user))
            .where(Membership.organisation_id == organisation.id)
            .order_by(Membership.role != "owner", User.name_key, User.id)
        )
    )


def my_organisations(*, db: Session, actor: User) -> list[tuple[Organisation, str]]:
    """The organisations the actor belongs to, with their role there, by name."""
    return [(m.organisation, m.role) for m in my_memberships(db=db, actor=actor)]


def my_memberships(*, db: Session, actor: User) -> list[Membership]:
    """The actor's memberships, each with its organisation, by the organisation's name."""
    return list(
        db.scalars(
            select(Membership)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .options(contains_eager(Membership.organisation))
            .where(Membership.user_id == actor.id)
            .order_by(Organisation.name, Organisation.id)
        )
    )


def organisation_of(*, db: Session, actor: User, organisation_id: str) -> Organisation:
    """An organisation the actor belongs to (any, for an admin); 404 `organisation_not_found`
    for anyone else, so outsiders cannot tell which exist."""
    found = db.get(Organisation, organisation_id) if ID_SHAPE.fullmatch(organisation_id) else None
    if found is None or (
        actor.role != "admin" and db.get(Membership, (found.id, actor.id)) is None
    ):
        raise NotFound(f"no organisation {organisation_id[:64]}", code="organisation_not_found")
    return found


def organisation_members(*, db: Session, organisation_id: str) -> list[User]:
    """The organisation's members with open accounts, by id: whom its news goes to."""
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, User.disabled_at.is_(None))
            .order_by(User.id)
        )
    )


def operators(*, db: Session) -> list[User]:
    """The administrators with open accounts, by id: whom news for the operator goes to."""
    query = select(User).where(User.role == "admin", User.disabled_at.is_(None))
    return list(db.scalars(query.order_by(User.id)))


def member_of(*, db: Session, organisation: Organisation, user_id: str) -> Membership:
    """One member (404 `member_not_found`)."""
    found = db.get(Membership, (organisation.id, user_id)) if ID_SHAPE.fullmatch(user_id) else None
    if found is None:
        raise NotFound(f"no member {user_id[:64]} in {organisation.slug}", code="member_not_found")
    return found


def _tell_new_member(*, db: Session, organisation: Organisation, user: User, role: str) -> None:
    _tell_member(
        db,
        organisation,
        user,
        f"You were added to {organisation.name}",
        f"You are now {role_words(role)} of {organisation.name}, added by the operator. "
        "If you did not expect this, you may leave it under Settings, Organisations.",
    )


def role_words(role: str) -> str:
    return "an owner" if role == "owner" else "a member"


def _tell_member(
    db: Session, organisation: Organisation, user: User, title: str, body: str, *, link: bool = True
) -> None:
    """Tell `user` (in the app and by email) what another did to their membership."""
    from reelmint.domains.notifications.service import notify

    notify(
        db=db,
        user=user,
        kind="organisation_member",
        title=title,
        body=body,
        link="/studio" if link and organisation.kind == "rights_holder" else None,
        email=True,
    )


def organisation_by_slug(*, db: Session, slug: str) -> Organisation:
    found = db.scalar(select(Organisation).where(Organisation.slug == slug.strip().lower()))
    if found is None:
        raise NotFound(f"no organisation {slug[:60]!r}", code="organisation_not_found")
    return found


def is_owner(*, db: Session, user_id: str, organisation_id: str) -> bool:
    """Whether the user is an owner of the organisation (administrators are not, by this)."""
    membership = db.get(Membership, (organisation_id, user_id))
    return membership is not None and membership.role == "owner"


def require_owner(*, db: Session, actor: User | Operator, organisation: Organisation) -> None:
    """403 `owner_only` unless the actor owns the organisation (or is an administrator)."""
    if actor.role == "admin":
        return
    if not is_owner(db=db, user_id=actor.id, organisation_id=organisation.id):
        raise Forbidden(
            "only an owner of the organisation may change its members", code="owner_only"
        )
