"""Housekeeping: the periodic chores that keep promises made elsewhere.

- Running jobs whose lease expired (their worker died) are reaped, as workers reap each
  other's: back to the queue, or cancelled if their owner asked, or failed after
  `max_attempts` interruptions; so a job is not stuck "in progress" while no worker is left.
- Queued jobs asked for longer than `hold_timeout_hours` ago fail with `queue_timeout`, and
  their reservations are voided (the user gets the units back).
- Pending holds past their time whose job is over (or that belong to no job) expire; quota
  they give back after its day is over expires too.
- Users are reminded the day before a quota change takes effect.
- Purchased credits past their validity expire.
- Idempotency records past their 24 hours are removed.
- Rights holders' shares of licence fees become available after `rights_hold_days`.
- Disputed claims their holder did not answer within `claim_dispute_days` lapse.
- Sent email older than `mail_keep_days` leaves the outbox.
- Finished webhook deliveries older than `webhook_keep_days` leave the delivery log.
- Data exports not sent within an hour (a download cut off by a crash) are removed.
- Per-network counts (`accounts.networks`) of hours that are over are removed.
- Every `file_sweep_hours` (and once soon after start), stored files no row refers to are
  removed (`reelmint.file_sweep`); outside any transaction, since it lists the storage.

Each chore is its own short transaction, safe to run from any number of processes at once
(rows are claimed with SKIP LOCKED on PostgreSQL; keys make repeated work a no-op), and a
failing chore is logged without stopping the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.db.base import utcnow
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import due_holds
from reelmint.domains.videos.models import FINISHED, Video
from reelmint.domains.wallet.service import expire_lapsed_holds

log = logging.getLogger("reelmint.housekeeping")

INTERVAL_SECONDS = 60.0


def expire_finished_holds(*, db: Session, now: datetime, limit: int = 500) -> list[str]:
    """Expire pending holds past their time, unless their job still runs (it settles them).
    Holds with no time (payouts: the operator settles those) are never due. Quota they give
    back after its day is over expires with them."""
    due = (
        due_holds(now)
        .outerjoin(Video, Video.id == LedgerHold.video_id)
        .where(or_(Video.id.is_(None), Video.status.in_(FINISHED)))
    )
    return expire_lapsed_holds(db=db, due=due, now=now, limit=limit)


def chores(services: Services) -> list[tuple[str, Callable[[Session, datetime], object]]]:
    from reelmint.api.idempotency import purge_expired_records
    from reelmint.domains.accounts.devices import forget_old_devices
    from reelmint.domains.accounts.export import remove_old_exports
    from reelmint.domains.accounts.networks import forget_old_counts
    from reelmint.domains.notifications.mailer import purge_sent
    from reelmint.domains.quota.service import send_due_reminders
    from reelmint.domains.rights.claims import lapse_unanswered_disputes
    from reelmint.domains.wallet.service import release_earnings
    from reelmint.domains.wallet.tips import release_tips
    from reelmint.domains.webhooks.service import purge_finished_deliveries
    from reelmint.queue.finish import expire_stale_jobs, reap_expired

    settings = services.settings
    jobs: list[tuple[str, Callable[[Session, datetime], object]]] = [
        # Workers reap each other's expired leases; this reaps them when none is left alive,
        # so a dead worker's job goes back to the queue (or ends, if its owner cancelled it).
        ("expired leases", lambda db, now: reap_expired(db=db, settings=settings, now=now)),
        ("stale jobs", lambda db, now: expire_stale_jobs(db=db, settings=settings, now=now)),
        ("expired holds", lambda db, now: expire_finished_holds(db=db, now=now)),
        ("quota reminders", lambda db, now: send_due_reminders(db=db, now=now)),
        ("idempotency records", lambda db, now: purge_expired_records(db=db, now=now)),
        ("rights earnings", lambda db, now: release_earnings(db=db, settings=settings, now=now)),
        ("creators' tips", lambda db, now: release_tips(db=db, settings=settings, now=now)),
        ("claim disputes", lambda db, now: lapse_unanswered_disputes(db=db, now=now)),
        ("sent mail", lambda db, now: purge_sent(db=db, settings=settings, now=now)),
        ("unused browsers", lambda db, now: forget_old_devices(db=db, now=now)),
        ("network counts", lambda db, now: forget_old_counts(db=db, now=now)),
        (
            "webhook deliveries",
            lambda db, now: purge_finished_deliveries(db=db, settings=settings, now=now),
        ),
    ]
    jobs.append(("old exports", lambda db, now: remove_old_exports(services, now.timestamp())))
    jobs.extend(_payment_chores())
    return jobs


def _payment_chores() -> list[tuple[str, Callable[[Session, datetime], object]]]:
    try:
        from reelmint.domains.payments.service import expire_credits
    except ImportError:  # pragma: no cover - payments are part of the platform
        return []
    return [("credit expiry", lambda db, now: expire_credits(db=db, now=now))]


def run_once(services: Services, now: datetime | None = None) -> dict[str, bool]:
    """Run every chore once; which succeeded."""
    now = now or utcnow()
    outcome: dict[str, bool] = {}
    for name, chore in chores(services):
        try:
            with services.db.write() as db:
                chore(db, now)
            outcome[name] = True
        except Exception:
            log.exception("housekeeping: %s failed", name)
            outcome[name] = False
    return outcome


def run(services: Services, stop: threading.Event, interval: float = INTERVAL_SECONDS) -> None:
    sweeps = FileSweeps(services)
    while not stop.is_set():
        run_once(services)
        sweeps.run_if_due()
        stop.wait(interval)


class FileSweeps:
    """Runs the file sweep every `file_sweep_hours`, the first one on the first call: a
    failure is logged and tried again at the next interval."""

    def __init__(self, services: Services, clock: Callable[[], float] = time.monotonic) -> None:
        self.services = services
        self.clock = clock
        self.due_at: float | None = None

    def run_if_due(self) -> bool:
        """Sweep if it is time (and the sweep is on); whether it swept without failing."""
        hours = self.services.settings.file_sweep_hours
        now = self.clock()
        if hours == 0 or (self.due_at is not None and now < self.due_at):
            return False
        self.due_at = now + hours * 3600
        from reelmint.file_sweep import sweep_files

        try:
            report = sweep_files(self.services)
        except Exception:
            log.exception("housekeeping: the file sweep failed")
            return False
        return not report.failed


def start_housekeeping_thread(services: Services, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=run, args=(services, stop), name="housekeeping", daemon=True)
    thread.start()
    return thread
