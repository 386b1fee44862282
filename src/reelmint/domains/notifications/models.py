"""Notifications a user reads in the app, and the outbox of emails that tell them by mail.

`email_messages` is a transactional outbox, as `webhook_deliveries` is: a mail is inserted in
the same transaction as the change it announces, so it exists if and only if that change
committed. Mailers lease due rows (`lease_owner`, `lease_expires_at`), send them outside any
transaction and record the outcome. A lease that runs out (its mailer died) makes the row due
again, so no mail is lost on a restart and no two mailers send the same one at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

EMAIL_STATUSES = ("pending", "sent", "failed")


class Notification(CreatedAt, Base):
    """Something a user should know, shown in the app until they mark it read."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("ntf"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(
        String(40), doc="What it is about, a short stable name such as `quota_change`."
    )
    title: Mapped[str] = mapped_column(String(200), doc="One line; also the email's subject.")
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(
        String(500), default=None, doc="A relative URL on this site to read more, if any."
    )
    dedupe_key: Mapped[str | None] = mapped_column(
        String(200),
        unique=True,
        default=None,
        doc="The caller's idempotency key: a notification with a key is made only once.",
    )
    read_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailMessage(CreatedAt, Base):
    """One email on its way out; its content is frozen when it is queued."""

    __tablename__ = "email_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        Index("ix_email_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("mail"))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    notification_id: Mapped[str | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="SET NULL"),
        default=None,
        index=True,
        doc="The notification this mail announces, if any.",
    )
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text, doc="The plain-text body, without the footer.")
    link: Mapped[str | None] = mapped_column(
        String(500),
        default=None,
        doc="A relative URL; the mail shows it absolute, on the server's public URL. One that "
        "expires (`expires_at`: it carries a token) is dropped (to '') once the mail is sent.",
    )
    expires_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When its link stops working (a password reset, a confirmation, a change of "
        "address): not sent after that, but failed as expired, so nobody gets a dead link. "
        "None: sent however late.",
    )
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, doc="Tries so far, this one too.")
    next_attempt_at: Mapped[datetime]
    lease_owner: Mapped[str | None] = mapped_column(String(120), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
