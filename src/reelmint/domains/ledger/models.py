"""The ledger's tables: accounts, entries with their postings, and two-phase holds.

Double-entry and append-only, in the shape of TigerBeetle's two-phase transfers:
- An entry moves units between accounts through postings that sum to zero. Entries and
  postings are never updated or deleted; a correction is a new entry.
- A hold reserves units on one account (its `reserved` grows, the balance does not move),
  and is then posted (an entry, possibly for less than was reserved), voided or expired.
- `balance` is the sum of the account's postings and `reserved` the sum of its pending holds,
  both kept in the same transaction as what changes them; `reelmint ledger check` recomputes
  them. A check constraint keeps every non-negative account at or above zero available units.
Amounts are integers in generation units (the price unit of a video), never floats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

HoldStatus = Literal["pending", "posted", "voided", "expired"]
HOLD_STATUSES: tuple[HoldStatus, ...] = ("pending", "posted", "voided", "expired")
# SQLite makes an INTEGER PRIMARY KEY its rowid (auto-incrementing); BIGINT would not be.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class LedgerAccount(CreatedAt, Base):
    """Where units are kept: a user's wallet part (quota, granted, purchased) or a platform
    account (where granted units come from, where spent units go, revenue...)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("reserved >= 0", name="reserved"),
        CheckConstraint("allow_negative OR balance - reserved >= 0", name="available"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("acct"))
    code: Mapped[str] = mapped_column(
        String(120), unique=True, doc="`user:<id>:<kind>` or `platform:<name>`."
    )
    kind: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    allow_negative: Mapped[bool] = mapped_column(default=False)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)

    @property
    def available(self) -> int:
        return self.balance - self.reserved


class LedgerEntry(CreatedAt, Base):
    """One movement: its postings sum to zero. `idempotency_key` makes it happen once."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("ent"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 of what the entry does: a replay must match it."
    )
    kind: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    video_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    hold_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    reference: Mapped[str | None] = mapped_column(
        String(200), default=None, doc="An outside reference: a purchase, a payment, a dispute."
    )


class LedgerPosting(CreatedAt, Base):
    """One side of an entry: `amount` is added to the account (negative takes away)."""

    __tablename__ = "ledger_postings"
    __table_args__ = (
        Index("ix_ledger_postings_account", "account_id", "id"),
        # The statement's order (newest first by time, then id), read a page at a time.
        Index("ix_ledger_postings_account_time", "account_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)


class LedgerHold(CreatedAt, Base):
    """Units reserved on `debit_account_id` for `credit_account_id`, until resolved."""

    __tablename__ = "ledger_holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("posted_amount >= 0 AND posted_amount <= amount", name="posted_amount"),
        CheckConstraint("status IN ('pending', 'posted', 'voided', 'expired')", name="status"),
        Index("ix_ledger_holds_pending", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("hold"))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    debit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    credit_account_id: Mapped[str] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    posted_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    kind: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None, index=True
    )
    video_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(
        doc="When a pending hold lapses; None: never, its owner settles it (a payout)."
    )
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution: Mapped[str | None] = mapped_column(
        Text, default=None, doc="Why it was posted, voided or expired (shown on statements)."
    )
    entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("ledger_entries.id"), default=None, doc="The entry that posted it."
    )
