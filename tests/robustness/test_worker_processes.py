"""Worker processes: one killed mid-job loses nothing, and several never share a job.

On SQLite and PostgreSQL, with real `reelmint worker` processes and kill -9.
"""

from __future__ import annotations

import itertools
import os
import signal

import pytest
from process_fleet import owned_by, wait_for
from sqlalchemy import select

from reelmint.domains.ledger.models import LedgerEntry
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.wallet import service as wallet


def test_a_job_whose_worker_is_killed_mid_way_completes_on_another(fleet, probe, tmp_path):
    job = fleet.queue(fleet.user("ada@example.com"), seconds=12)
    first = fleet.worker("first")

    def rendering() -> bool:
        video = fleet.video(job)
        return video.status == "in_progress" and video.progress > 0

    wait_for(rendering, "the first worker to be rendering")
    os.kill(first.pid, signal.SIGSTOP)  # freeze it, then make sure it is caught mid-way
    frozen = fleet.video(job)
    assert frozen.status == "in_progress", "the job finished before the worker could be killed"
    assert owned_by(first, frozen.lease_owner)
    fleet.kill(first)

    second = fleet.worker("second")
    wait_for(lambda: fleet.video(job).finished, "the job to finish on the second worker")

    video = fleet.video(job)
    assert (video.status, video.attempts, video.progress) == ("completed", 2, 100)
    runs = fleet.runs(job)
    assert [run.outcome for run in runs] == ["lost", "completed"]
    assert owned_by(first, runs[0].worker_id)
    assert owned_by(second, runs[1].worker_id)
    assert runs[1].id in video.video_key
    local = tmp_path / "made.mp4"
    fleet.services.storage.download(video.video_key, local)
    assert probe(local).frames == video.frames == 12 * 24
    # Exactly one settlement: the hold was posted once, by the run that completed.
    with fleet.services.db.read() as db:
        holds = wallet.holds_for_video(db=db, video_id=job)
        assert [(h.status, h.posted_amount) for h in holds] == [("posted", video.price_units)]
        spent = db.scalars(select(LedgerEntry).where(LedgerEntry.video_id == job)).all()
        assert len(spent) == 1
        assert check_ledger(db=db) == []


def test_three_workers_run_six_jobs_each_exactly_once(fleet):
    users = [fleet.user(f"user{n}@example.com") for n in range(3)]
    jobs = [
        fleet.queue(user, prompt=f"a robot dances in a city, take {n}")
        for n in range(2)
        for user in users
    ]
    workers = [fleet.worker(f"worker{n}", REELMINT_LEASE_SECONDS="10") for n in range(3)]

    wait_for(lambda: all(fleet.video(job).finished for job in jobs), "all six jobs")

    for job in jobs:
        video = fleet.video(job)
        runs = fleet.runs(job)
        assert video.status == "completed", (job, video.error_code, video.error_message)
        assert [run.outcome for run in runs].count("completed") == 1
        assert all(run.ended_at is not None for run in runs)
        for earlier, later in itertools.pairwise(runs):
            assert earlier.ended_at <= later.created_at  # never two runs of a job at once
        assert all(any(owned_by(w, run.worker_id) for w in workers) for run in runs)
        assert fleet.services.storage.exists(video.video_key)
    runs = [run for job in jobs for run in fleet.runs(job)]
    busy = [w for w in workers if any(owned_by(w, run.worker_id) for run in runs)]
    assert len(busy) >= 2  # they really competed for the queue
    assert all(worker.poll() is None for worker in workers)  # none crashed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the server test does both
def test_a_worker_stopped_with_sigterm_hands_its_job_back(fleet):
    job = fleet.queue(fleet.user("bob@example.com"), seconds=12)
    worker = fleet.worker("stopping", REELMINT_LEASE_SECONDS="60")
    wait_for(lambda: fleet.video(job).progress > 0, "the worker to be rendering")

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 143  # the CLI's exit code for SIGTERM, after clean-up

    video = fleet.video(job)
    assert (video.status, video.lease_owner, video.progress) == ("queued", None, 0)
    assert [run.outcome for run in fleet.runs(job)] == ["released"]
