"""Scheduled changes of a plan's daily quota, kept forever as the quota's history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id


class QuotaChange(CreatedAt, Base):
    """From `effective_on` (each user's local date), `plan` gets `daily_units` a day.

    Users are told when it is scheduled (`announced_at`) and a day before (`reminded_at`).
    A cancelled change keeps its row, so the history shows it was announced and withdrawn.
    """

    __tablename__ = "quota_changes"
    __table_args__ = (
        CheckConstraint("daily_units >= 0", name="daily_units"),
        Index("ix_quota_changes_plan_effective", "plan", "effective_on"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("qchg"))
    plan: Mapped[str] = mapped_column(String(20))
    daily_units: Mapped[int] = mapped_column(Integer)
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    emergency: Mapped[bool] = mapped_column(default=False)
    created_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    announced_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
