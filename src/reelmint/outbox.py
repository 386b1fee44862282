"""What the outboxes share: the mailer (domains/notifications/mailer.py) and the webhook
dispatcher (domains/webhooks/dispatch.py) each lease due rows, send them outside any
transaction and record the result; these are the pieces that do not depend on the rows.

- `lease_owner_id`: who holds a lease (host, process, and a random part per sender).
- `retry_delay`: the pause after a failed try, from a schedule, with jitter.
- `CommitWakeups`: wake this process's senders when a transaction that queued rows commits.
- `wait_for_wakeup`: a sender's wait between polls.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Sequence

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

JITTER = 0.2
STOP_CHECK_SECONDS = 0.1


def lease_owner_id() -> str:
    """Who holds a lease: host, process and a random part (one per sender)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def retry_delay(
    schedule: Sequence[float], attempt: int, *, rng: random.Random | None = None
) -> float:
    """Seconds to wait after failed try number `attempt` (1-based; the schedule's last pause
    repeats), with ±20% jitter so that rows failing together do not all come back at once."""
    base = schedule[min(max(attempt, 1), len(schedule)) - 1]
    return base * (rng or random).uniform(1 - JITTER, 1 + JITTER)


class CommitWakeups:
    """Events to set whenever a session of this process that queued rows commits (a sender
    waits on one between polls, so rows queued here go out at once, not at the next poll)."""

    def __init__(self, name: str) -> None:
        self._events: weakref.WeakSet[threading.Event] = weakref.WeakSet()
        self._flag = f"{name}_wake_registered"

    def register(self, wakeup: threading.Event) -> None:
        self._events.add(wakeup)

    def after_commit(self, db: Session) -> None:
        """Set every registered event once `db`'s transaction commits."""
        if not db.info.get(self._flag):
            db.info[self._flag] = True
            sa_event.listen(db, "after_commit", self._wake_all, once=True)

    def _wake_all(self, session: Session) -> None:
        session.info.pop(self._flag, None)
        for wakeup in list(self._events):
            wakeup.set()


def wait_for_wakeup(wakeup: threading.Event, stop: threading.Event, seconds: float) -> None:
    """Until `wakeup` is set (new rows were committed here), `stop` is set, or `seconds` have
    passed."""
    deadline = time.monotonic() + seconds
    while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
        if wakeup.wait(min(left, STOP_CHECK_SECONDS)):
            return
