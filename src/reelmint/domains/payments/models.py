"""The payments tables: purchases of credit packs, and the provider events already handled.

- A `Purchase` is made when checkout starts (pending) and credited once, when the provider
  says the money arrived. Its figures (units, price, validity) are copied from the pack at
  that moment, so changing the catalogue never changes a purchase already made.
- A `PaymentEvent` row is inserted in the same transaction as whatever the event changed:
  (provider, event_id) is unique, so an event delivered twice, even at the same time, is
  handled once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id, utcnow

PurchaseStatus = Literal["pending", "completed", "refunded", "disputed", "dispute_won", "failed"]
PURCHASE_STATUSES: tuple[PurchaseStatus, ...] = (
    "pending",
    "completed",
    "refunded",
    "disputed",
    "dispute_won",
    "failed",
)
# Statuses whose credits were added (and, unless taken back, are still the user's).
CREDITED_STATUSES: tuple[PurchaseStatus, ...] = ("completed", "disputed", "dispute_won")


class Purchase(CreatedAt, Base):
    """One checkout of one credit pack by one user."""

    __tablename__ = "purchases"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'completed', 'refunded', 'disputed', 'dispute_won', 'failed')",
            name="status",
        ),
        CheckConstraint("units > 0", name="units"),
        CheckConstraint("price_cents > 0", name="price_cents"),
        UniqueConstraint("user_id", "request_key", name="uq_purchases_user_request_key"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("pur"))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        index=True,
        doc="The buyer (kept as null if the account is deleted: money records stay).",
    )
    pack_id: Mapped[str] = mapped_column(String(40))
    units: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    valid_days: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(20))
    test_mode: Mapped[bool] = mapped_column(
        default=False, doc="Test money (the sandbox, or Stripe's test mode): no real payment."
    )
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    request_key: Mapped[str | None] = mapped_column(
        String(255), default=None, doc="The buyer's Idempotency-Key: one purchase per key."
    )
    provider_session_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, default=None, doc="The provider's checkout (cs_... on Stripe)."
    )
    provider_payment_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, default=None, doc="The provider's payment (pi_... on Stripe)."
    )
    checkout_url: Mapped[str | None] = mapped_column(Text, default=None)
    credits_expire_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    units_refunded: Mapped[int] = mapped_column(Integer, default=0)
    units_disputed: Mapped[int] = mapped_column(
        Integer, default=0, doc="Units taken back by an open or lost dispute."
    )
    units_expired: Mapped[int] = mapped_column(Integer, default=0)
    credits_expired_at: Mapped[datetime | None] = mapped_column(
        default=None, doc="When the expiry of this purchase's credits was processed."
    )
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    cents_refunded: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", doc="Money refunded so far (of price_cents)."
    )
    cents_disputed: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0", doc="Money held back by an open or lost dispute."
    )

    @property
    def cents_returned(self) -> int:
        """Money of this sale that went back to the buyer (refunds and disputes not won)."""
        return self.cents_refunded + self.cents_disputed

    @property
    def units_left(self) -> int:
        """Units of this purchase not taken back nor expired (some may have been spent, or
        have paid a debt: `payments.service._units_paid_to_debt` reads those)."""
        if self.completed_at is None:
            return 0
        return max(0, self.units - self.units_refunded - self.units_disputed - self.units_expired)


class PaymentEvent(Base):
    """A provider event (webhook) that was verified and handled, once."""

    __tablename__ = "payment_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("pev"))
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(80))
    purchase_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    outcome: Mapped[str] = mapped_column(
        String(40), doc="What handling it did: credited, refunded, ignored, ..."
    )
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)
    returned_cents: Mapped[int] = mapped_column(
        Integer,
        default=0,
        server_default="0",
        doc="Money this event moved back to the buyer (a refund, a dispute; negative: a "
        "dispute won), in its purchase's currency: what the economics view adds up.",
    )
    paid_cents: Mapped[int | None] = mapped_column(
        BigInteger,
        default=None,
        doc="What a payment event said was paid (None for other events, or not said): an "
        "amount mismatch shows it beside the price.",
    )
    paid_currency: Mapped[str | None] = mapped_column(String(3), default=None)
    payment_id: Mapped[str | None] = mapped_column(
        String(255),
        default=None,
        doc="The provider's payment the event names (a PaymentIntent), if any: the one to "
        "refund for a payment problem.",
    )
    settled_at: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When an administrator marked this payment problem settled (refunded with the "
        "provider, or granted); None: not settled, or not a problem.",
    )
    settled_by: Mapped[str | None] = mapped_column(
        String(320), default=None, doc="Who settled it: the administrator's address, or operator."
    )
    settled_note: Mapped[str | None] = mapped_column(
        Text, default=None, doc="How it was settled, as the administrator wrote it."
    )
