"""Heartbeats: a lease is renewed while the job is ours, and the worker learns when to stop."""

from __future__ import annotations

from queue_helpers import at, lease, load, make_user, queue_job

from reelmint.domains.videos import service as videos
from reelmint.queue import HeartbeatOutcome, heartbeat, reap_expired


def _beat(services, video_id: str, worker_id: str, seconds: float, progress: int | None = None):
    with services.db.write() as db:
        return heartbeat(
            db=db,
            settings=services.settings,
            video_id=video_id,
            worker_id=worker_id,
            now=at(seconds),
            progress=progress,
        )


def test_a_heartbeat_extends_the_lease_and_records_progress(services_on):
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0))

    assert _beat(services_on, job, "w1", 30, progress=42) is HeartbeatOutcome.CONTINUE

    video = load(services_on, job)
    assert video.lease_expires_at == at(30 + services_on.settings.lease_seconds)
    assert video.progress == 42
    assert video.status == "in_progress"


def test_a_slow_worker_keeps_a_lease_nobody_took(services_on):
    """Expired but neither reaped nor leased again: still this worker's, so it is renewed."""
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0))
    late = services_on.settings.lease_seconds + 5

    assert _beat(services_on, job, "w1", late) is HeartbeatOutcome.CONTINUE
    assert load(services_on, job).lease_expires_at == at(late + services_on.settings.lease_seconds)


def test_cancelling_or_deleting_a_running_job_tells_its_worker_to_stop(services_on):
    user = make_user(services_on)
    cancelled, deleted = queue_job(services_on, user), queue_job(services_on, user)
    lease(services_on, "w1", at(0))
    lease(services_on, "w2", at(0))
    with services_on.db.write() as db:
        videos.cancel_video(db=db, actor=user, video_id=cancelled)
        videos.delete_video(db=db, actor=user, video_id=deleted)

    assert _beat(services_on, cancelled, "w1", 1) is HeartbeatOutcome.STOP_CANCELLED
    assert _beat(services_on, deleted, "w2", 1) is HeartbeatOutcome.STOP_CANCELLED
    assert load(services_on, cancelled).status == "in_progress"  # the worker ends it


def test_a_worker_whose_lease_was_taken_is_told_it_lost_it(services_on):
    job = queue_job(services_on, make_user(services_on))
    lease(services_on, "w1", at(0))
    expired = services_on.settings.lease_seconds + 1
    with services_on.db.write() as db:
        assert reap_expired(db=db, settings=services_on.settings, now=at(expired)) == [job]

    assert _beat(services_on, job, "w1", expired) is HeartbeatOutcome.STOP_LOST  # re-queued
    assert lease(services_on, "w2", at(expired)) == job
    assert _beat(services_on, job, "w1", expired + 1) is HeartbeatOutcome.STOP_LOST
    assert _beat(services_on, job, "w2", expired + 1) is HeartbeatOutcome.CONTINUE
    assert load(services_on, job).lease_owner == "w2"


def test_a_heartbeat_for_a_job_never_leased_or_unknown_is_lost(services_on):
    job = queue_job(services_on, make_user(services_on))
    assert _beat(services_on, job, "w1", 0) is HeartbeatOutcome.STOP_LOST
    assert _beat(services_on, "video_missing", "w1", 0) is HeartbeatOutcome.STOP_LOST
    assert load(services_on, job).status == "queued"
