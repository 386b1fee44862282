"""People, organisations, and the credentials they sign in with."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from reelmint.db.base import Base, CreatedAt, new_id

Role = Literal["user", "rights_holder", "admin"]
ROLES: tuple[Role, ...] = ("user", "rights_holder", "admin")
OrganisationKind = Literal["enterprise", "rights_holder"]
MemberRole = Literal["owner", "member"]


class User(CreatedAt, Base):
    """An account. `email` is stored lower-cased; the password only as an argon2id hash."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("user"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(80))
    name_key: Mapped[str] = mapped_column(
        String(320),
        default="",
        doc="The display name casefolded, its spaces collapsed: what a name search matches, "
        "the same on every database (kept in step by `_keep_name_key`).",
    )
    role: Mapped[str] = mapped_column(String(20), default="user")
    plan: Mapped[str] = mapped_column(String(20), default="free")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    held_quota_day: Mapped[date | None] = mapped_column(
        default=None,
        doc="The quota day in progress when the time zone last changed: it goes on until a "
        "midnight of the new zone (`quota.service.held_until`), so a change of zone neither "
        "ends today's free quota early nor brings tomorrow's. None when no day is held.",
    )
    held_quota_day_ends: Mapped[datetime | None] = mapped_column(
        default=None, doc="When `held_quota_day` would have ended in the zone before the change."
    )
    notify_social: Mapped[bool] = mapped_column(
        default=True,
        server_default=true(),
        doc="Whether the user is told, in the app, of a new follower and of their videos' "
        "like milestones (Settings; `notifications.service.notify_social`).",
    )
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    suspended_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When an administrator suspended the account (`accounts.suspension`): it cannot "
        "sign in or use its tokens, and its videos are seen by no one else, until reinstated. "
        "None when it is not suspended.",
    )
    suspended_reason: Mapped[str | None] = mapped_column(
        String(500), default=None, doc="Why, as the person was told (one line)."
    )
    failed_logins: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        doc="Wrong passwords in a row since the last sign-in or password reset "
        "(`accounts.throttle`); past `login_max_failures`, sign-in is refused for a while.",
    )
    login_locked_until: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="Until when signing in is refused (429 `too_many_attempts`) after too many wrong "
        "passwords; None when it is not.",
    )
    password_reset_sent_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the last password reset link was emailed: another is sent only some minutes "
        "later, and only the newest link works (`accounts.password_reset`).",
    )
    email_confirmed_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the owner showed they read the address's mail (a confirmation link, or a "
        "password reset link, was used); None until then (`accounts.email_confirmation`).",
    )
    email_confirmation_sent_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the last confirmation link was emailed: only the newest link works.",
    )
    pending_email: Mapped[str | None] = mapped_column(
        String(320),
        default=None,
        doc="The address the owner asked to change to, until the link emailed to it is used "
        "(`accounts.email_change`); None when no change is pending.",
    )
    email_change_sent_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the last link to change the address was emailed: only the newest works, and "
        "the next is sent only some minutes later.",
    )
    email_change_stopped_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When a change of address was stopped with the link mailed to the old address "
        "(its owner said they did not ask): no new change may be asked for until the password "
        "is reset from the address or by the operator, since whoever asked knows it. None "
        "otherwise.",
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @validates("display_name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = name_key(value)
        return value


def name_key(text: str) -> str:
    """`text` as a name search compares it: casefolded (so "Émile" and "ÉMILE" match on
    SQLite too, whose lower() folds only A-Z), runs of spaces made one."""
    return " ".join(text.split()).casefold()[:320]


class Organisation(CreatedAt, Base):
    """An enterprise (or a rights holder) with members."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("org"))
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(CreatedAt, Base):
    """A user's place in an organisation."""

    __tablename__ = "memberships"

    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class OrganisationInvitation(CreatedAt, Base):
    """An owner's invitation to join an organisation: one open at a time per organisation and
    person. Nobody becomes a member without saying yes; accepting turns it into a membership
    with this role, declining or an owner's withdrawing removes it, and past `expires_at` it
    is as good as gone (inviting again renews it)."""

    __tablename__ = "organisation_invitations"

    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="member")
    invited_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    expires_at: Mapped[datetime]

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])


class ApiToken(CreatedAt, Base):
    """A personal API token. Only its SHA-256 is kept; the token is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("tok"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(
        String(16), doc="The token's first characters, to tell it apart."
    )
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class WebSession(CreatedAt, Base):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is kept."""

    __tablename__ = "web_sessions"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("sess"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    user_agent: Mapped[str | None] = mapped_column(
        String(200),
        default=None,
        doc="The browser's User-Agent when it signed in (cut to 200 characters): Settings "
        "names each signed-in browser by it, so its owner can tell which to sign out.",
    )


class LoginDevice(CreatedAt, Base):
    """A browser that signed in to the account (`accounts.devices`): a long-lived cookie holds a
    random secret, only its SHA-256 is kept. Wrong passwords typed in it are counted here
    rather than against the account, so a stranger's guessing, which locks the account for
    every other browser, does not lock this one."""

    __tablename__ = "login_devices"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("dev"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    last_used_at: Mapped[datetime] = mapped_column(
        doc="The last sign-in with it; it is forgotten `DEVICE_LIFETIME` after that."
    )
    failed_logins: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        doc="Wrong passwords typed in this browser since its last right one.",
    )
    locked_until: Mapped[datetime | None] = mapped_column(
        default=None, doc="Until when this browser may not try a password; None when it may."
    )
