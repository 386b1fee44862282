"""The payouts table: one request to be paid, from request to paid, rejected or cancelled.

A payout's units are reserved on the payee's available account by a ledger hold when it is
requested (so they cannot be asked for twice), posted to `platform:payouts` when the operator
has sent the money, or given back when it is rejected or cancelled. Its money figures (rate,
cents, currency) are copied from the settings when it is requested, so a later change of rate
never changes a payout already asked for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

PayoutStatus = Literal["requested", "paid", "rejected", "cancelled"]
PAYOUT_STATUSES: tuple[PayoutStatus, ...] = ("requested", "paid", "rejected", "cancelled")
PayeeKind = Literal["creator", "rights_holder"]
PAYOUT = "payout"  # the kind of a payout's ledger hold


class Payout(CreatedAt, Base):
    """A creator's (tips) or a rights holder's (licence-fee shares) request to be paid."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'paid', 'rejected', 'cancelled')", name="status"),
        CheckConstraint("payee_kind IN ('creator', 'rights_holder')", name="payee_kind"),
        CheckConstraint("units > 0", name="units"),
        CheckConstraint("cents >= 0", name="cents"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("payout"))
    payee_kind: Mapped[str] = mapped_column(String(16))
    payee_id: Mapped[str] = mapped_column(
        String(64), index=True, doc="The creator's user id or the organisation's id."
    )
    account_id: Mapped[str] = mapped_column(
        ForeignKey("ledger_accounts.id"), doc="The available account the units come from."
    )
    hold_id: Mapped[str] = mapped_column(ForeignKey("ledger_holds.id"), unique=True)
    requested_by: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        default=None,
        doc="Who asked (kept as null if the account is deleted: money records stay).",
    )
    units: Mapped[int] = mapped_column(BigInteger)
    cents_per_unit: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(BigInteger, doc="units x cents_per_unit: what is owed.")
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str] = mapped_column(
        Text, default="", doc="The payee's words to the operator (where to send it)."
    )
    test_mode: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="Asked for while the payment provider took test money (the sandbox, Stripe's test "
        "mode): the units it pays for were bought with money nobody paid. The economics count "
        "it apart; an operator rejects it, or pays it knowing.",
    )
    status: Mapped[str] = mapped_column(String(10), default="requested", index=True)
    reference: Mapped[str | None] = mapped_column(
        Text, default=None, doc="The operator's reference for the money sent (paid)."
    )
    reason: Mapped[str | None] = mapped_column(
        Text, default=None, doc="Why it was rejected or cancelled."
    )
    settled_by: Mapped[str | None] = mapped_column(String(64), default=None)
    settled_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
