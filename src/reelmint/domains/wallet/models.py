"""Shares waiting to be released, and the terms a licence fee was reserved on.

`held_shares`: one row per licence-fee split or tip whose payee's part is still pending, removed
when housekeeping releases it. Housekeeping looks here, by `created_at`, instead of scanning
every split and tip the ledger has ever recorded for ones not yet released: the work each
minute follows what is waiting, not the ledger's age.

`licence_terms`: the rights holder's share of a licence fee as it stood when admission reserved
the fee, so that the split at delivery pays what was agreed then, whatever the holder set since.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base


class HeldShare(Base):
    """A ledger entry (`licence_split` or `tip`) whose pending share awaits release."""

    __tablename__ = "held_shares"
    __table_args__ = (Index("ix_held_shares_kind_created_at", "kind", "created_at"),)

    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), doc="The entry's kind.")
    created_at: Mapped[datetime] = mapped_column(doc="The entry's time: the hold counts from it.")


class LicenceTerms(Base):
    """The holder's share (basis points) of the licence fee that hold `hold_id` reserved."""

    __tablename__ = "licence_terms"
    __table_args__ = (
        CheckConstraint("holder_share_bps >= 0 AND holder_share_bps <= 10000", name="share"),
    )

    hold_id: Mapped[str] = mapped_column(ForeignKey("ledger_holds.id"), primary_key=True)
    holder_share_bps: Mapped[int] = mapped_column(Integer)
