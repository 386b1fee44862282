"""Ending runs: only the lease holder finishes, in one transaction that closes its run and
announces the result; expired leases are reaped back to the queue until max_attempts."""

from __future__ import annotations

import pytest
from queue_helpers import at, lease, load, make_user, queue_job, runs_of
from sqlalchemy import select

from reelmint.config import Settings
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.videos import service as videos
from reelmint.domains.webhooks import service as webhooks
from reelmint.engine.errors import BackendUnavailable, InvalidRequest
from reelmint.queue import (
    Cancelled,
    Completed,
    Failed,
    any_expired,
    any_queued,
    failure_for,
    finish,
    reap_expired,
    recorded_end,
    release,
)
from reelmint.queue.finish import BACKEND_UNAVAILABLE_MESSAGE, GENERATION_FAILED

DONE = Completed(
    video_key="videos/v/run_1/video.mp4",
    poster_key="videos/v/run_1/poster.jpg",
    video_bytes=9,
    frames=96,
)


@pytest.fixture
def events(monkeypatch) -> list[tuple[str, str, str]]:
    """Every video event queued: (video id, event, the video's status when it was queued)."""
    seen: list[tuple[str, str, str]] = []
    original = webhooks.enqueue_video_event

    def record(*, db, video, event) -> None:
        seen.append((video.id, event, video.status))
        original(db=db, video=video, event=event)

    monkeypatch.setattr(webhooks, "enqueue_video_event", record)
    return seen


def _finish(services, job: str, worker_id: str, outcome, seconds: float = 10) -> str | None:
    with services.db.write() as db:
        return finish(db=db, video_id=job, worker_id=worker_id, outcome=outcome, now=at(seconds))


def _reap(services, seconds: float, settings: Settings | None = None) -> list[str]:
    with services.db.write() as db:
        return reap_expired(db=db, settings=settings or services.settings, now=at(seconds))


def test_completing_records_the_outputs_closes_the_run_and_announces_it(services_on, events):
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0))

    assert _finish(services_on, job, "w1", DONE) == "completed"

    video = load(services_on, job)
    assert (video.status, video.progress, video.completed_at) == ("completed", 100, at(10))
    assert (video.video_key, video.poster_key) == (DONE.video_key, DONE.poster_key)
    assert (video.video_bytes, video.frames) == (9, 96)
    assert (video.lease_owner, video.lease_expires_at, video.error_code) == (None, None, None)
    [run] = runs_of(services_on, job)
    assert (run.outcome, run.ended_at) == ("completed", at(10))
    assert events == [(job, "video.completed", "completed")]


def test_failing_keeps_the_engines_code_and_hides_internal_faults(services_on, events):
    user = make_user(services_on)
    refused, broken = queue_job(services_on, user), queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    lease(services_on, "w2", at(0))
    unavailable = BackendUnavailable(
        "backend 'wan' needs a model folder: set REELMINT_WAN_PATH", code="model_not_found"
    )

    assert _finish(services_on, refused, "w1", failure_for(unavailable)) == "failed"
    internal = RuntimeError("CUDA error at /opt/secret/kernel.cu:12")
    assert _finish(services_on, broken, "w2", failure_for(internal)) == "failed"

    first, second = load(services_on, refused), load(services_on, broken)
    # The operator's instructions are for the worker's log: the user reads what happened.
    assert (first.error_code, first.error_message) == (
        "model_not_found",
        BACKEND_UNAVAILABLE_MESSAGE,
    )
    assert "REELMINT_WAN_PATH" not in first.error_message
    assert second.error_code == GENERATION_FAILED
    assert "secret" not in second.error_message
    assert "CUDA" not in second.error_message
    assert second.completed_at == at(10)
    assert [run.outcome for run in runs_of(services_on, broken)] == ["failed"]
    assert events == [(refused, "video.failed", "failed"), (broken, "video.failed", "failed")]


def test_engine_refusals_keep_their_codes():
    invalid = InvalidRequest("seconds must be between 4 and 20", code="invalid_seconds")
    assert failure_for(invalid) == Failed(
        code="invalid_seconds", message="seconds must be between 4 and 20"
    )
    assert failure_for(ValueError("x")).code == GENERATION_FAILED


def test_a_cancelled_run_ends_cancelled_without_an_event(services_on, events):
    user = make_user(services_on)
    job = queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    with services_on.db.write() as db:
        videos.cancel_video(db=db, actor=user, video_id=job)

    assert _finish(services_on, job, "w1", Cancelled()) == "cancelled"

    video = load(services_on, job)
    assert (video.status, video.error_code, video.lease_owner) == ("cancelled", "cancelled", None)
    assert [run.outcome for run in runs_of(services_on, job)] == ["cancelled"]
    assert events == []


def test_a_video_cancelled_in_its_last_moments_is_not_completed(services_on, events):
    user = make_user(services_on)
    job = queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    with services_on.db.write() as db:
        videos.delete_video(db=db, actor=user, video_id=job)

    assert _finish(services_on, job, "w1", DONE) == "cancelled"  # the worker removes its files
    assert load(services_on, job).video_key is None
    assert events == []


def test_a_run_that_fails_after_its_account_closed_is_cancelled_and_forgotten(services_on, events):
    """Closing deletes the reference files the worker was about to read, so the run fails:
    the video is recorded cancelled (no `video.failed` event), its hold voided and its
    prompt forgotten, as for a run that completed."""
    user = make_user(services_on)
    job = queue_job(services_on, user, prompt="a secret family picnic")
    lease(services_on, "w1", at(0))
    with services_on.db.write() as db:
        close_account(db=db, user=db.get_one(User, user.id))

    missing = Failed(code=GENERATION_FAILED, message="the reference image is gone")
    assert _finish(services_on, job, "w1", missing) == "cancelled"
    video = load(services_on, job)
    assert (video.status, video.prompt) == ("cancelled", "")
    assert [run.outcome for run in runs_of(services_on, job)] == ["cancelled"]
    assert events == []
    with services_on.db.read() as db:
        holds = db.scalars(select(LedgerHold).where(LedgerHold.video_id == job)).all()
    assert holds
    assert {hold.status for hold in holds} == {"voided"}


def test_a_run_that_fails_after_a_cancel_is_recorded_cancelled(services_on, events):
    user = make_user(services_on)
    job = queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    with services_on.db.write() as db:
        videos.cancel_video(db=db, actor=user, video_id=job)

    assert _finish(services_on, job, "w1", Failed(code="x", message="y")) == "cancelled"
    assert load(services_on, job).error_code == "cancelled"
    assert events == []


def test_only_the_lease_holder_can_finish(services_on, events):
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0))
    expired = services_on.settings.lease_seconds + 1
    assert _reap(services_on, expired) == [job]
    assert lease(services_on, "w2", at(expired)) == job

    for outcome in (DONE, Failed(code="x", message="y"), Cancelled()):
        assert _finish(services_on, job, "w1", outcome, seconds=expired + 1) is None
    with services_on.db.write() as db:
        assert release(db=db, video_id=job, worker_id="w1") is False

    video = load(services_on, job)
    assert (video.status, video.lease_owner, video.video_key) == ("in_progress", "w2", None)
    assert [(r.worker_id, r.outcome) for r in runs_of(services_on, job)] == [
        ("w1", "lost"),
        ("w2", None),
    ]
    assert events == []
    assert _finish(services_on, job, "w2", DONE, seconds=expired + 2) == "completed"
    assert [r.outcome for r in runs_of(services_on, job)] == ["lost", "completed"]


def test_a_finished_job_cannot_be_finished_again(services_on, events):
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0))
    assert _finish(services_on, job, "w1", DONE) == "completed"
    assert _finish(services_on, job, "w1", Failed(code="x", message="y")) is None
    assert load(services_on, job).status == "completed"
    assert len(events) == 1


def test_expired_leases_go_back_to_the_queue_then_fail_after_max_attempts(services_on, events):
    settings = Settings(**{**services_on.settings.model_dump(), "max_attempts": 3})
    lease_seconds = settings.lease_seconds
    job = queue_job(services_on, make_user(services_on))
    key = load(services_on, job).queue_key
    now = 0.0
    for attempt in (1, 2, 3):
        assert lease(services_on, f"w{attempt}", at(now), settings) == job
        assert _reap(services_on, now + lease_seconds - 1, settings) == []  # not yet expired
        now += lease_seconds + 1
        assert _reap(services_on, now, settings) == [job]
        video = load(services_on, job)
        if attempt < 3:
            assert (video.status, video.lease_owner, video.progress) == ("queued", None, 0)
            assert video.queue_key == key  # it keeps its place in the queue

    video = load(services_on, job)
    assert (video.status, video.error_code, video.attempts) == ("failed", "worker_lost", 3)
    assert video.error_message.startswith("the job was interrupted 3 times")
    assert "try again" in video.error_message
    assert [(r.attempt, r.worker_id, r.outcome) for r in runs_of(services_on, job)] == [
        (1, "w1", "lost"),
        (2, "w2", "lost"),
        (3, "w3", "lost"),
    ]
    assert events == [(job, "video.failed", "failed")]
    assert lease(services_on, "w4", at(now), settings) is None


def test_a_handed_back_job_is_leased_again_at_once_and_is_no_interruption(services_on):
    settings = Settings(**{**services_on.settings.model_dump(), "max_attempts": 1})
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0), settings)
    with services_on.db.write() as db:
        assert release(db=db, video_id=job, worker_id="w1", now=at(1)) is True

    assert load(services_on, job).status == "queued"
    assert lease(services_on, "w2", at(1), settings) == job  # no need to wait for expiry
    assert _reap(services_on, 1 + settings.lease_seconds + 1, settings) == [job]
    video = load(services_on, job)
    # One real interruption under max_attempts=1 fails it; the hand-back did not count.
    assert (video.status, video.error_message) == (
        "failed",
        "the job was interrupted once (the worker making it stopped responding); try again",
    )
    assert [(r.attempt, r.outcome) for r in runs_of(services_on, job)] == [
        (1, "released"),
        (2, "lost"),
    ]


def test_an_expired_job_its_owner_cancelled_is_cancelled_not_requeued(services_on, events):
    user = make_user(services_on)
    job = queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    with services_on.db.write() as db:
        videos.cancel_video(db=db, actor=user, video_id=job)

    assert _reap(services_on, services_on.settings.lease_seconds + 1) == [job]
    assert load(services_on, job).status == "cancelled"
    assert [r.outcome for r in runs_of(services_on, job)] == ["lost"]
    assert events == []


def test_idle_workers_can_tell_cheaply_whether_there_is_work(services_on):
    job = queue_job(services_on, make_user(services_on))
    with services_on.db.read() as db:
        assert any_queued(db=db)
    lease(services_on, "w1", at(0))
    lease_seconds = services_on.settings.lease_seconds
    with services_on.db.read() as db:
        assert not any_queued(db=db)
        assert not any_expired(db=db, now=at(lease_seconds - 1))
        assert any_expired(db=db, now=at(lease_seconds + 1))
    assert _reap(services_on, lease_seconds + 1) == [job]
    with services_on.db.read() as db:
        assert any_queued(db=db)


def test_a_run_its_worker_ended_tells_a_retry_what_was_recorded(services_on):
    """A worker trying again after a commit whose answer it never got: `finish` says the job is
    no longer its own, and `recorded_end` that its own earlier try ended it, and how."""
    user = make_user(services_on)
    done, reaped = queue_job(services_on, user), queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    lease(services_on, "w2", at(0))
    assert _finish(services_on, done, "w1", DONE) == "completed"
    assert _finish(services_on, done, "w1", DONE) is None  # the retry changes nothing
    _reap(services_on, 3600)
    [done_run], [reaped_run] = runs_of(services_on, done), runs_of(services_on, reaped)
    with services_on.db.read() as db:
        assert recorded_end(db=db, run_id=done_run.id) == "completed"
        assert recorded_end(db=db, run_id=reaped_run.id) is None  # lost: not its worker's end
        assert recorded_end(db=db, run_id="run_nothing") is None
        holds = db.scalars(select(LedgerHold).where(LedgerHold.video_id == done)).all()
    assert [hold.status for hold in holds] == ["posted"]  # settled once
