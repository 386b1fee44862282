"""The plans' daily quotas from configuration, recorded so that a restart cannot cut them.

A plan's free daily quota is `REELMINT_PLAN_DAILY_QUOTA` until a scheduled change takes effect
(`domains.quota`), and a smaller quota needs notice: users are told at least
`REELMINT_QUOTA_MIN_NOTICE_DAYS` ahead. Editing the setting and restarting would otherwise cut
every user's quota from their next local midnight, overnight and untold.

So `up` (the process that admits videos, and so gives quota) records each plan's configured
quota (`plan_quotas`), and every command but `worker` (whose setting governs nothing: it admits
no video) compares the configuration with the record before it starts: a smaller quota for a
plan whose configured quota still governs (no scheduled change has taken effect anywhere) is
refused in one line (exit 2) that says to schedule the cut instead. A larger one is recorded by
`up` and applies at once (more needs no notice); once a scheduled change governs a plan, its
configured quota no longer matters and is not compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.config import Settings
from reelmint.db.base import Base, utcnow
from reelmint.db.database import Database
from reelmint.domains.quota.service import change_in_force, earliest_day
from reelmint.errors import BadRequest


class PlanQuota(Base):
    """A plan's daily quota as the configuration gave it when `up` or `worker` last started."""

    __tablename__ = "plan_quotas"

    plan: Mapped[str] = mapped_column(String(20), primary_key=True)
    daily_units: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Cut:
    """A plan whose configured quota is below the one recorded, while it still governs."""

    plan: str
    recorded: int
    configured: int


def require_plan_quotas(settings: Settings, database: Database, *, record: bool) -> None:
    """Refuse a configuration that cuts a plan's quota without notice; with `record` (`up`),
    record the configured quotas (new plans, and raises)."""
    try:
        _check(settings, database, record=record)
    except IntegrityError:  # another host recorded a plan first: compare with its record
        _check(settings, database, record=record)


def _check(settings: Settings, database: Database, *, record: bool) -> None:
    with database.write() if record else database.read() as db:
        cuts = configured_cuts(db=db, settings=settings)
        if cuts:
            raise BadRequest(_refusal(cuts), code="quota_cut_without_notice")
        if record:
            _record(db, settings)


def configured_cuts(*, db: Session, settings: Settings, now: datetime | None = None) -> list[Cut]:
    """The plans whose configured quota is below the recorded one and still governs."""
    recorded = {row.plan: row.daily_units for row in db.scalars(select(PlanQuota))}
    cuts = []
    for plan, configured in settings.plan_daily_quota.items():
        before = recorded.get(plan)
        if before is not None and configured < before and _still_governs(db, plan, now):
            cuts.append(Cut(plan=plan, recorded=before, configured=configured))
    return cuts


def _still_governs(db: Session, plan: str, now: datetime | None) -> bool:
    """Whether the configured quota is the plan's limit somewhere today: no scheduled change
    is in force on the earliest date in use (UTC-12's)."""
    day = earliest_day(now or utcnow())
    return change_in_force(db=db, plan=plan, day=day) is None


def _record(db: Session, settings: Settings) -> None:
    for plan, configured in settings.plan_daily_quota.items():
        row = db.get(PlanQuota, plan, with_for_update=True)
        if row is None:
            db.add(PlanQuota(plan=plan, daily_units=configured))
        elif configured != row.daily_units:  # a raise (a cut was refused above)
            row.daily_units, row.recorded_at = configured, utcnow()
    db.flush()


def _refusal(cuts: list[Cut]) -> str:
    first = cuts[0]
    listed = ", ".join(f"{cut.plan} from {cut.recorded} to {cut.configured}" for cut in cuts)
    return (
        f"REELMINT_PLAN_DAILY_QUOTA cuts the daily quota of {listed} units a day, which users "
        "must be told of in advance: set it back, and schedule the cut with `reelmint admin "
        f"quota schedule {first.plan} {first.configured} --effective DATE` (docs/operations.md, "
        "The economy)"
    )
