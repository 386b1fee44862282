"""Webhooks: the endpoints users register, and the outbox of deliveries to them.

`webhook_deliveries` is a transactional outbox: a delivery row is written in the same
transaction as the change it reports (a video finishing), so an event is queued if and only if
that change committed. Dispatchers then lease due rows (`locked_until`), send them outside any
transaction, and record each try in `webhook_attempts`. A lease that runs out (the dispatcher
died) makes the row due again, so no event is lost and none is sent by two dispatchers at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(CreatedAt, Base):
    """A URL a user asked to receive events at, and the secret its deliveries are signed with.

    The signing secret is stored sealed with the platform key (reelmint.crypto), never in the
    clear: the platform needs it back to sign, so it cannot be hashed.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("wh"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    events: Mapped[str] = mapped_column(
        String(200), doc="The subscribed event types, comma-separated, sorted."
    )
    secret_sealed: Mapped[str] = mapped_column(Text, doc="The signing secret, sealed.")
    secret_key_id: Mapped[str] = mapped_column(
        String(32), doc="The platform key that sealed it: only its holders can sign."
    )
    secret_rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    previous_secret_sealed: Mapped[str | None] = mapped_column(
        Text, default=None, doc="The secret before the last rotation, sealed, while it still signs."
    )
    previous_secret_until: Mapped[datetime | None] = mapped_column(
        default=None, doc="Until when deliveries are signed with the previous secret too."
    )
    failing_since: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the first attempt failed since the last one that succeeded (or since it was "
        "turned back on); None while the endpoint is not failing.",
    )
    failed_in_a_row: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        doc="Deliveries given up after their last attempt since the last successful attempt "
        "(or since it was turned back on).",
    )
    disabled_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the platform turned the endpoint off because its deliveries kept failing "
        "(`dispatch.should_disable`); None while it is on. Only its owner turns it on.",
    )
    disabled_reason: Mapped[str | None] = mapped_column(
        Text, default=None, doc="Why it was turned off, with the last error, as its owner reads it."
    )

    @property
    def event_list(self) -> list[str]:
        return [event for event in self.events.split(",") if event]


class WebhookDelivery(CreatedAt, Base):
    """One event on its way to one endpoint; the body is frozen when the event happens."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("whdel"))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(
        String(40), doc="The event's id: the `webhook-id` header, the same on every retry."
    )
    event_type: Mapped[str] = mapped_column(String(40))
    video_id: Mapped[str | None] = mapped_column(
        String(40), default=None, index=True, doc="The video the event is about, if any."
    )
    payload: Mapped[str] = mapped_column(Text, doc="The exact JSON body sent (and signed).")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    locked_by: Mapped[str | None] = mapped_column(String(120), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class WebhookAttempt(CreatedAt, Base):
    """One try at sending a delivery: what the receiver answered, or what went wrong."""

    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("whatt"))
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(
        Text, default=None, doc="The start of the receiver's answer, to debug with."
    )
