"""Economics for operators: GPU time and its cost, against sales, over a period.

Everything is read from records the platform keeps anyway, so it holds for the past too:

- GPU time: each `VideoRun` (one attempt of a job on a worker) from its start to its end, on
  backends that need a GPU (`needs_gpu`); CPU backends (the preview) are shown, not costed.
  Cost: that time at `REELMINT_GPU_HOUR_COST_CENTS` (0: not set, so no cost or margin). A run
  counts for the part of it inside the period (one still going, up to the period's end).
- Utilisation: GPU time over (GPU workers seen in the period x the period's length). A worker
  that ran nothing is not seen, so this is the busy share of the workers that did work.
- Sales: purchases completed in the period at their price, real money and test money apart,
  per currency; less the money the provider's events in the period moved back (refunds,
  disputes; a dispute won brings it back), to the cent, as each event's row records it.
- Units: what generations spent (posted holds) from free quota, granted and purchased
  credits; licence fees, and the rights holders' share of them; tips, and the creators' share.
- Payouts: money paid to creators and rights holders in the period (marked paid in it), per
  currency; and, whatever the period, what payees have asked for and not yet been paid, and
  every unit they hold now (pending or available, asked for or not): what the platform owes
  them, valued at today's payout rate.
- Margin: net real sales less GPU cost and payouts paid, in the cost's currency; only when the
  cost is set.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import Operator, require_admin
from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry, LedgerHold, LedgerPosting
from reelmint.domains.payments.models import PaymentEvent, Purchase
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.wallet.service import SOURCES
from reelmint.engine.backends.registry import backend_names, get_backend
from reelmint.errors import BadRequest
from reelmint.wording import count_of

MAX_DAYS = 366


@dataclass
class BackendUsage:
    """One backend's work in the period."""

    backend: str
    gpu: bool
    runs: int = 0
    completed: int = 0
    failed: int = 0
    clip_seconds: float = 0.0  # of the videos it completed
    busy_seconds: float = 0.0  # workers' time on its runs
    cost_cents: int = 0


@dataclass
class Money:
    """Sales in one currency: gross, what went back (refunds, disputes), and net."""

    currency: str
    purchases: int = 0
    gross_cents: int = 0
    returned_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.gross_cents - self.returned_cents


@dataclass
class Payouts:
    """Payouts in one currency: how many, for how many units, how much money."""

    currency: str
    payouts: int = 0
    units: int = 0
    cents: int = 0


@dataclass
class Economics:
    """The operator's view of [start, end)."""

    start: datetime
    end: datetime
    cost_currency: str
    gpu_hour_cost_cents: int
    backends: list[BackendUsage]
    sales: list[Money]
    test_sales: list[Money]
    units_spent: dict[str, int]
    licence_fee_units: int
    holder_share_units: int
    tip_units: int
    tip_creator_units: int
    payouts_paid: list[Payouts]
    payouts_waiting: list[Payouts]  # asked for, not yet paid (any time)
    test_payouts_paid: list[Payouts]  # the same for payouts asked for on test money
    test_payouts_waiting: list[Payouts]
    owed_units: int  # held by creators and rights holders now, pending or available
    owed_cents: int  # owed_units at today's payout rate, in payout_currency
    payout_currency: str
    gpu_workers: int
    gpu_busy_seconds: float
    gpu_cost_cents: int
    utilisation: float | None  # None when no GPU worker ran anything
    margin_cents: int | None  # None while the GPU cost is not set
    notes: list[str] = field(default_factory=list)

    @property
    def videos_completed(self) -> int:
        return sum(b.completed for b in self.backends)

    @property
    def cost_per_video_cents(self) -> int | None:
        """GPU cost over the videos GPU backends completed (the preview's cost nothing)."""
        done = sum(b.completed for b in self.backends if b.gpu)
        return self.gpu_cost_cents // done if done and self.gpu_hour_cost_cents else None


def economics(
    *,
    db: Session,
    settings: Settings,
    actor: User | Operator,
    days: int,
    now: datetime | None = None,
) -> Economics:
    """The last `days` days (1-366), up to `now`. Administrators only (403 `admin_only`)."""
    require_admin(actor)
    if not 1 <= days <= MAX_DAYS:
        raise BadRequest(
            f"days must be between 1 and {MAX_DAYS}, got {days}", code="invalid_days", param="days"
        )
    end = now or utcnow()
    start = end - timedelta(days=days)
    backends, workers = _usage(db, settings, start, end)
    busy = sum(b.busy_seconds for b in backends if b.gpu)
    cost = sum(b.cost_cents for b in backends)
    real, test = _sales(db, start, end)
    paid, waiting = _payouts(db, start, end)
    test_paid, test_waiting = _payouts(db, start, end, test_mode=True)
    owed = _owed_units(db)
    margin = _margin(settings, real, cost, paid)
    fees, share = _licences(db, start, end)
    tipped, to_creators = _tips(db, start, end)
    return Economics(
        start=start,
        end=end,
        cost_currency=settings.gpu_cost_currency,
        gpu_hour_cost_cents=settings.gpu_hour_cost_cents,
        backends=backends,
        sales=real,
        test_sales=test,
        units_spent=_units_spent(db, start, end),
        licence_fee_units=fees,
        holder_share_units=share,
        tip_units=tipped,
        tip_creator_units=to_creators,
        payouts_paid=paid,
        payouts_waiting=waiting,
        test_payouts_paid=test_paid,
        test_payouts_waiting=test_waiting,
        owed_units=owed,
        owed_cents=owed * settings.payout_cents_per_unit,
        payout_currency=settings.payout_currency,
        gpu_workers=workers,
        gpu_busy_seconds=busy,
        gpu_cost_cents=cost,
        utilisation=busy / (workers * (end - start).total_seconds()) if workers else None,
        margin_cents=margin,
        notes=_notes(settings, real, backends, paid) + _test_money_note(test_paid, test_waiting),
    )


# --- GPU time -----------------------------------------------------------------------------------


def _usage(
    db: Session, settings: Settings, start: datetime, end: datetime
) -> tuple[list[BackendUsage], int]:
    """Per backend: runs that overlap the period, their time in it and its cost; the GPU
    workers seen."""
    usage = {name: BackendUsage(name, get_backend(name).needs_gpu) for name in backend_names()}
    # Runs that overlap the period, counted for the part inside it (a run still going counts
    # up to the period's end); a run lost to a dead worker ends when that was noticed.
    rows = db.execute(
        select(Video.backend, VideoRun.worker_id, VideoRun.created_at, VideoRun.ended_at)
        .join(Video, Video.id == VideoRun.video_id)
        .where(
            VideoRun.created_at < end,
            or_(VideoRun.ended_at.is_(None), VideoRun.ended_at >= start),
        )
    )
    gpu_workers: set[str] = set()
    for backend, worker, started, ended in rows:
        entry = usage.setdefault(backend, BackendUsage(backend, gpu=False))
        entry.runs += 1
        inside = min(ended or end, end) - max(started, start)
        entry.busy_seconds += max(inside.total_seconds(), 0.0)
        if entry.gpu:
            gpu_workers.add(worker)
    _count_outcomes(db, usage, start, end)
    for entry in usage.values():
        if entry.gpu:
            entry.cost_cents = int(entry.busy_seconds * settings.gpu_hour_cost_cents // 3600)
    return sorted(usage.values(), key=lambda b: b.backend), len(gpu_workers)


def _count_outcomes(
    db: Session, usage: dict[str, BackendUsage], start: datetime, end: datetime
) -> None:
    """Videos that finished in the period, completed (with their length) or failed."""
    rows = db.execute(
        select(Video.backend, Video.status, func.count(), func.sum(Video.seconds))
        .where(
            Video.completed_at >= start,
            Video.completed_at < end,
            Video.status.in_(("completed", "failed")),
        )
        .group_by(Video.backend, Video.status)
    )
    for backend, status, count, seconds in rows:
        entry = usage.setdefault(backend, BackendUsage(backend, gpu=False))
        if status == "completed":
            entry.completed += count
            entry.clip_seconds += float(seconds or 0)
        else:
            entry.failed += count


# --- money ----------------------------------------------------------------------------------------


def _sales(db: Session, start: datetime, end: datetime) -> tuple[list[Money], list[Money]]:
    """(real money, test money), each per currency."""
    books: dict[bool, dict[str, Money]] = {False: {}, True: {}}
    sold = db.execute(
        select(Purchase.test_mode, Purchase.currency, func.count(), func.sum(Purchase.price_cents))
        .where(Purchase.completed_at >= start, Purchase.completed_at < end)
        .group_by(Purchase.test_mode, Purchase.currency)
    )
    for test, currency, count, cents in sold:
        money = books[bool(test)].setdefault(currency, Money(currency))
        money.purchases += count
        money.gross_cents += int(cents or 0)
    returned = db.execute(
        select(Purchase.test_mode, Purchase.currency, func.sum(PaymentEvent.returned_cents))
        .join(Purchase, Purchase.id == PaymentEvent.purchase_id)
        .where(
            PaymentEvent.processed_at >= start,
            PaymentEvent.processed_at < end,
            PaymentEvent.returned_cents != 0,
        )
        .group_by(Purchase.test_mode, Purchase.currency)
    )
    for test, currency, cents in returned:
        money = books[bool(test)].setdefault(currency, Money(currency))
        money.returned_cents += int(cents or 0)
    return _listed(books[False]), _listed(books[True])


def _listed(by_currency: dict[str, Money]) -> list[Money]:
    return [by_currency[c] for c in sorted(by_currency)]


def _margin(
    settings: Settings, real: list[Money], cost_cents: int, paid: list[Payouts]
) -> int | None:
    if not settings.gpu_hour_cost_cents:
        return None
    currency = settings.gpu_cost_currency
    net = sum(m.net_cents for m in real if m.currency == currency)
    return net - cost_cents - sum(p.cents for p in paid if p.currency == currency)


def _payouts(
    db: Session, start: datetime, end: datetime, *, test_mode: bool = False
) -> tuple[list[Payouts], list[Payouts]]:
    """(paid in the period, asked for and not yet paid), each per currency: those asked for on
    real money, or with `test_mode` those asked for while the provider took test money."""
    from reelmint.domains.payouts.models import Payout

    totals = (Payout.currency, func.count(), func.sum(Payout.units), func.sum(Payout.cents))
    kind = Payout.test_mode.is_(test_mode)
    paid = db.execute(
        select(*totals)
        .where(kind, Payout.status == "paid", Payout.settled_at >= start, Payout.settled_at < end)
        .group_by(Payout.currency)
        .order_by(Payout.currency)
    )
    waiting = db.execute(
        select(*totals)
        .where(kind, Payout.status == "requested")
        .group_by(Payout.currency)
        .order_by(Payout.currency)
    )
    return (
        [Payouts(c, n, int(units or 0), int(cents or 0)) for c, n, units, cents in paid],
        [Payouts(c, n, int(units or 0), int(cents or 0)) for c, n, units, cents in waiting],
    )


def _owed_units(db: Session) -> int:
    """Units creators and rights holders hold now: their tips and earnings accounts, pending
    and available (units set aside for a payout are still theirs until it is paid). A closed
    account's are forfeit but for what a payout it asked for set aside."""
    kinds = ("tips_pending", "tips_available", "earnings_pending", "earnings_available")
    owed = case((User.disabled_at.is_(None), LedgerAccount.balance), else_=LedgerAccount.reserved)
    total = db.scalar(
        select(func.coalesce(func.sum(owed), 0))
        .select_from(LedgerAccount)
        .outerjoin(User, User.id == LedgerAccount.user_id)
        .where(LedgerAccount.kind.in_(kinds))
    )
    return int(total or 0)


def _notes(
    settings: Settings, real: list[Money], backends: list[BackendUsage], paid: list[Payouts]
) -> list[str]:
    notes = []
    known = backend_names()
    unknown = [b.backend for b in backends if b.backend not in known and b.runs]
    if unknown:
        notes.append(
            f"runs on {', '.join(unknown)}, which this version does not know, are not costed"
        )
    if not settings.gpu_hour_cost_cents:
        notes.append(
            "GPU cost is not set (REELMINT_GPU_HOUR_COST_CENTS): GPU time is shown, its cost "
            "and the margin are not"
        )
    other = [m.currency for m in real if m.currency != settings.gpu_cost_currency]
    if other:
        notes.append(
            f"sales in {', '.join(other)} are not in the margin, which is in "
            f"{settings.gpu_cost_currency} (REELMINT_GPU_COST_CURRENCY)"
        )
    other = [p.currency for p in paid if p.currency != settings.gpu_cost_currency]
    if other:
        notes.append(
            f"payouts in {', '.join(other)} are not in the margin, which is in "
            f"{settings.gpu_cost_currency}"
        )
    return notes


def _test_money_note(paid: list[Payouts], waiting: list[Payouts]) -> list[str]:
    """What the operator should know of payouts asked for on test money."""
    count = sum(p.payouts for p in paid) + sum(p.payouts for p in waiting)
    if not count:
        return []
    were = "was" if count == 1 else "were"
    return [
        f"{count_of(count, 'payout')} {were} asked for while the payment provider took test "
        "money (the sandbox): counted apart as test-money payouts, not in payouts paid or the "
        "margin; their units were bought with money nobody paid"
    ]


# --- units ----------------------------------------------------------------------------------------


def _units_spent(db: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Units generations spent in the period (holds posted), by where they came from."""
    rows = db.execute(
        select(LedgerHold.kind, func.sum(LedgerHold.posted_amount))
        .where(
            LedgerHold.kind.in_([f"spend_{s}" for s in SOURCES]),
            LedgerHold.status == "posted",
            LedgerHold.resolved_at >= start,
            LedgerHold.resolved_at < end,
        )
        .group_by(LedgerHold.kind)
    )
    spent = dict.fromkeys(SOURCES, 0)
    for kind, units in rows:
        spent[kind.removeprefix("spend_")] = int(units or 0)
    return spent


def _licences(db: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """(licence fees posted in the period, the rights holders' share of them)."""
    from reelmint.domains.wallet.service import LICENCE_FEE

    fees = db.scalar(
        select(func.coalesce(func.sum(LedgerHold.posted_amount), 0)).where(
            LedgerHold.kind == LICENCE_FEE,
            LedgerHold.status == "posted",
            LedgerHold.resolved_at >= start,
            LedgerHold.resolved_at < end,
        )
    )
    share = db.scalar(
        select(func.coalesce(func.sum(LedgerPosting.amount), 0))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            LedgerEntry.kind == "licence_split",
            LedgerEntry.created_at >= start,
            LedgerEntry.created_at < end,
            LedgerAccount.code.like("org:%"),
        )
    )
    return int(fees or 0), int(share or 0)


def _tips(db: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """(units tipped in the period, the payees' share of them: creators', or rights holders'
    whose monetize claim took a tip)."""
    from reelmint.domains.wallet.tips import HOLDER_PENDING, PENDING, TIP

    rows = db.execute(
        select(LedgerAccount.kind, func.sum(LedgerPosting.amount))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            LedgerEntry.kind == TIP, LedgerEntry.created_at >= start, LedgerEntry.created_at < end
        )
        .group_by(LedgerAccount.kind)
    )
    by_kind = {kind: int(total or 0) for kind, total in rows}
    return -by_kind.get("purchased", 0), by_kind.get(PENDING, 0) + by_kind.get(HOLDER_PENDING, 0)
