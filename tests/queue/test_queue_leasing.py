"""Leasing: order, priority with aging, the per-user cap, and concurrent lessees.

Every test runs on SQLite and on PostgreSQL; the concurrent ones really race on PostgreSQL
(row locks, SKIP LOCKED) and are serialised by BEGIN IMMEDIATE on SQLite.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from queue_helpers import T0, at, lease, load, make_user, queue_job, runs_of
from sqlalchemy import func, select, text

from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.domains.videos import service as videos
from reelmint.domains.videos.models import Video
from reelmint.queue import lease_next
from support import at_once


def _with(services: Services, **changes) -> Settings:
    return Settings(**{**services.settings.model_dump(), **changes})


def test_a_lease_takes_the_oldest_job_and_records_the_run(services_on):
    users = [make_user(services_on) for _ in range(3)]
    jobs = [queue_job(services_on, user) for user in users]

    assert [lease(services_on, "w1", at(0)) for _ in jobs] == jobs
    assert lease(services_on, "w1", at(0)) is None

    first = load(services_on, jobs[0])
    assert first.status == "in_progress"
    assert first.lease_owner == "w1"
    assert first.lease_expires_at == at(services_on.settings.lease_seconds)
    assert first.attempts == 1
    assert first.started_at == at(0)
    [run] = runs_of(services_on, jobs[0])
    assert (run.worker_id, run.attempt, run.created_at, run.ended_at) == ("w1", 1, T0, None)


def test_cancelled_and_deleted_jobs_are_never_leased(services_on):
    user = make_user(services_on)
    cancelled, deleted, wanted = (queue_job(services_on, user) for _ in range(3))
    with services_on.db.write() as db:
        videos.cancel_video(db=db, actor=user, video_id=cancelled)
        videos.delete_video(db=db, actor=user, video_id=deleted)

    assert lease(services_on, "w1", at(0)) == wanted
    assert lease(services_on, "w1", at(0)) is None


def test_paid_work_goes_first_but_free_work_is_never_starved(services_on, monkeypatch):
    """A paid job overtakes free jobs submitted less than the head start before it, no more."""
    head_start = services_on.settings.paid_head_start_seconds
    free_user, paid_user = make_user(services_on), make_user(services_on, plan="pro")

    def submit(user, seconds_after_t0: float) -> str:
        monkeypatch.setattr(videos, "utcnow", lambda: at(seconds_after_t0))
        return queue_job(services_on, user)

    free = submit(free_user, 0)
    paid_soon_after = submit(paid_user, head_start - 1)
    paid_long_after = submit(paid_user, head_start + 1)
    monkeypatch.undo()

    settings = _with(services_on, max_running_per_user=5)
    order = [lease(services_on, "w1", at(head_start + 2), settings) for _ in range(3)]
    assert order == [paid_soon_after, free, paid_long_after]
    assert load(services_on, paid_soon_after).priority_class == "paid"
    assert load(services_on, free).priority_class == "free"


def test_a_user_runs_at_most_the_cap_and_others_go_first(services_on):
    ada, bob = make_user(services_on), make_user(services_on)
    ada_jobs = [queue_job(services_on, ada) for _ in range(4)]
    bob_job = queue_job(services_on, bob)
    settings = _with(services_on, max_running_per_user=2)

    taken = [lease(services_on, f"w{n}", at(0), settings) for n in range(4)]
    assert taken == [ada_jobs[0], ada_jobs[1], bob_job, None]

    with services_on.db.write() as db:  # one of Ada's jobs ends: her next one may run
        db.get(Video, ada_jobs[0]).status = "completed"
    assert lease(services_on, "w5", at(1), settings) == ada_jobs[2]
    assert lease(services_on, "w6", at(1), settings) is None


def _race(services: Services, settings: Settings, lessees: int) -> list[str | None]:
    """`lessees` threads lease at the same moment, each in its own transaction."""

    def lessee(number: int) -> str | None:
        return lease(services, f"w{number}", at(0), settings)

    results = at_once([partial(lessee, n) for n in range(lessees)], timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return results


def test_concurrent_lessees_take_different_jobs(services_on):
    jobs = {queue_job(services_on, make_user(services_on)) for _ in range(10)}

    taken = _race(services_on, services_on.settings, lessees=8)

    assert None not in taken
    assert len(set(taken)) == 8
    assert set(taken) <= jobs
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Video).where(Video.attempts > 1)) == 0
    assert sum(len(runs_of(services_on, job)) for job in jobs) == 8


def test_the_per_user_cap_is_exact_under_concurrent_lessees(services_on):
    cap = 3
    settings = _with(services_on, max_running_per_user=cap)
    ada, bob = make_user(services_on), make_user(services_on)
    for _ in range(8):
        queue_job(services_on, ada)
        queue_job(services_on, bob)
    assert lease(services_on, "early", at(0), settings) is not None  # Ada already runs one

    taken: list[str] = []
    for _ in range(6):  # rounds of 8 racing lessees, until nobody gets anything
        won = [job for job in _race(services_on, settings, lessees=8) if job]
        taken += won
        if not won:
            break

    assert len(taken) == len(set(taken)) == 2 * cap - 1
    with services_on.db.read() as db:
        running = db.execute(
            select(Video.user_id, func.count())
            .where(Video.status == "in_progress")
            .group_by(Video.user_id)
        ).all()
    assert dict(running) == {ada.id: cap, bob.id: cap}


only_postgres = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@only_postgres
def test_a_lessee_never_waits_for_a_job_another_is_leasing(services_on):
    """SKIP LOCKED: while one transaction holds a job (and its user), another takes the next
    job without blocking: its lock_timeout would turn any wait into an error."""
    ada, bob = make_user(services_on), make_user(services_on)
    first, second = queue_job(services_on, ada), queue_job(services_on, bob)
    settings = services_on.settings
    with services_on.db.write() as holding:
        assert lease_next(db=holding, settings=settings, worker_id="w1").id == first
        with services_on.db.write() as other:
            other.execute(text("SET LOCAL lock_timeout = '1s'"))
            taken = lease_next(db=other, settings=settings, worker_id="w2")
            assert taken is not None
            assert taken.id == second


@only_postgres
def test_a_user_being_leased_elsewhere_is_passed_over_not_waited_for(services_on):
    ada, bob = make_user(services_on), make_user(services_on)
    ada_first, ada_second = queue_job(services_on, ada), queue_job(services_on, ada)
    bob_job = queue_job(services_on, bob)
    settings = services_on.settings
    with services_on.db.write() as holding:
        assert lease_next(db=holding, settings=settings, worker_id="w1").id == ada_first
        with services_on.db.write() as other:
            other.execute(text("SET LOCAL lock_timeout = '1s'"))
            taken = lease_next(db=other, settings=settings, worker_id="w2")
            assert taken is not None
            assert taken.id == bob_job  # Ada's second job waits for the next lease
    assert lease(services_on, "w3", T0 + timedelta(seconds=1)) == ada_second


@pytest.mark.parametrize("plan", ["free", "pro"])
def test_admission_sets_the_queue_key_the_lease_orders_by(services_on, plan, monkeypatch):
    monkeypatch.setattr(videos, "utcnow", lambda: T0)
    job = queue_job(services_on, make_user(services_on, plan=plan))
    head_start = services_on.settings.paid_head_start_seconds if plan == "pro" else 0
    assert load(services_on, job).queue_key == T0.timestamp() - head_start
