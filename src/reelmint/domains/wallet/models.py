"""Shares waiting to be released: one row per licence-fee split or tip whose payee's part is
still pending, removed when housekeeping releases it.

Housekeeping looks here, by `created_at`, instead of scanning every split and tip the ledger
has ever recorded for ones not yet released: the work each minute follows what is waiting, not
the ledger's age.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base


class HeldShare(Base):
    """A ledger entry (`licence_split` or `tip`) whose pending share awaits release."""

    __tablename__ = "held_shares"
    __table_args__ = (Index("ix_held_shares_kind_created_at", "kind", "created_at"),)

    entry_id: Mapped[str] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), doc="The entry's kind.")
    created_at: Mapped[datetime] = mapped_column(doc="The entry's time: the hold counts from it.")
