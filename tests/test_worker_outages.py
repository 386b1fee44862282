"""Workers through a database outage: the end of a run is recorded once the database is back
(while the lease lasts), settled exactly once, and a run that lost its lease for good leaves no
files behind; failing writes are logged in one line, not a traceback each."""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from reelmint import worker as worker_module
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.db.database import Database
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.videos import service as videos
from reelmint.domains.videos.models import Video
from reelmint.domains.wallet.service import holds_for_video
from reelmint.queue import reap_expired
from reelmint.worker import Worker
from support import free_port, runs_of, video_row

FAST = {
    "heartbeat_seconds": 0.1,
    "lease_seconds": 5.0,
    "worker_poll_seconds": 0.05,
    "encode_preset": "ultrafast",
}
_numbers = itertools.count(1)


class _DriverError(Exception):
    """What psycopg raises when the server goes away: an error with a connection SQLSTATE."""

    sqlstate = "08006"


def _outage(statement: str = "UPDATE videos ...") -> OperationalError:
    return OperationalError(statement, {}, _DriverError("server closed the connection"))


class QuickWorker(Worker):
    """A worker whose pauses between tries are short (and noted), and that can run something
    in the first of them (while no transaction is open)."""

    def __init__(self, services: Services, **kwargs: object) -> None:
        super().__init__(services, **kwargs)
        self.pauses: list[float] = []
        self.meanwhile = lambda: None

    def _pause(self, seconds: float) -> None:
        if not self.pauses:
            self.meanwhile()
        self.pauses.append(seconds)
        time.sleep(min(seconds, 0.05))


@pytest.fixture
def fast(services_on: Services) -> Services:
    return _fast(services_on)


def _fast(services: Services, **changes: object) -> Services:
    settings = Settings(**{**services.settings.model_dump(), **FAST, **changes})
    return replace(services, settings=settings)


def _queue(services: Services) -> str:
    with services.db.write() as db:
        user: User = create_user(
            db=db, email=f"maker{next(_numbers)}@example.com", password="a long password"
        )
    request = videos.VideoRequest(prompt="a fox runs in a forest", seconds=4, size="480x480")
    return videos.create_video(services=services, user=user, request=request).id


def _stored(services: Services, video_id: str) -> list[str]:
    folder = services.settings.storage_dir / "videos" / video_id
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _settled_once(services: Services, video_id: str) -> None:
    """The video's hold was posted (once: a hold moves from pending once), the ledger sums."""
    with services.db.read() as db:
        assert [hold.status for hold in holds_for_video(db=db, video_id=video_id)] == ["posted"]
        assert check_ledger(db=db) == []


def _pending(services: Services, video_id: str) -> None:
    with services.db.read() as db:
        assert [hold.status for hold in holds_for_video(db=db, video_id=video_id)] == ["pending"]


def _failing_finish(monkeypatch: pytest.MonkeyPatch, failures: int) -> list[int]:
    """The first `failures` tries of the finishing transaction fail as in an outage (before
    anything is written); the calls are counted."""
    calls: list[int] = []
    real = worker_module.finish

    def flaky(**kwargs: object) -> str | None:
        calls.append(len(calls) + 1)
        if len(calls) <= failures:
            raise _outage()
        return real(**kwargs)

    monkeypatch.setattr(worker_module, "finish", flaky)
    return calls


def _reap_later(services: Services) -> None:
    later = utcnow() + timedelta(seconds=services.settings.lease_seconds + 1)
    with services.db.write() as db:
        reap_expired(db=db, settings=services.settings, now=later)


def test_a_short_outage_while_recording_the_end_loses_nothing(fast, monkeypatch, caplog):
    job = _queue(fast)
    calls = _failing_finish(monkeypatch, failures=3)
    worker = QuickWorker(fast)
    with caplog.at_level(logging.INFO, logger="reelmint.worker"):
        assert worker.run_once() is True

    assert len(calls) == 4
    video = video_row(fast, job)
    [run] = runs_of(fast, job)
    assert (video.status, video.progress, video.attempts) == ("completed", 100, 1)
    assert run.outcome == "completed"  # not `lost`: no interruption counted
    _settled_once(fast, job)
    assert _stored(fast, job) == [f"{run.id}/poster.jpg", f"{run.id}/video.mp4"]
    for pause, base in zip(worker.pauses, (0.5, 1, 2), strict=True):  # backing off, jittered
        assert 0.75 * base <= pause <= base
    failing = [r for r in caplog.records if f"could not record the end of {job}" in r.message]
    assert len(failing) == 1  # one line for the outage, not one per try
    assert failing[0].exc_info is None
    assert "server closed the connection" in failing[0].message
    assert f"could record the end of {job} at try 4" in caplog.text


@contextmanager
def _commits_then_drops(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The first finishing transaction commits, and then its connection drops before the answer
    comes back: the worker sees an error though the end was recorded."""
    real_write = services.db.write
    finishing = threading.local()
    dropped: list[bool] = []
    real_finish = worker_module.finish

    def noted(**kwargs: object) -> str | None:
        finishing.now = True
        return real_finish(**kwargs)

    @contextmanager
    def write() -> Iterator[object]:
        finishing.now = False
        with real_write() as db:
            yield db
        if finishing.now and not dropped:
            dropped.append(True)
            raise _outage("COMMIT")

    monkeypatch.setattr(worker_module, "finish", noted)
    monkeypatch.setattr(services.db, "write", write)
    yield
    assert dropped == [True]


def test_an_end_recorded_whose_answer_was_lost_keeps_the_video(fast, monkeypatch):
    job = _queue(fast)
    with _commits_then_drops(fast, monkeypatch):
        assert QuickWorker(fast).run_once() is True

    video = video_row(fast, job)
    [run] = runs_of(fast, job)
    assert (video.status, run.outcome) == ("completed", "completed")
    assert video.video_key == f"videos/{job}/{run.id}/video.mp4"
    assert _stored(fast, job) == [f"{run.id}/poster.jpg", f"{run.id}/video.mp4"]
    _settled_once(fast, job)


def test_a_lease_lost_during_the_outage_removes_the_runs_files(fast, monkeypatch):
    job = _queue(fast)
    calls = _failing_finish(monkeypatch, failures=1)
    loser = QuickWorker(fast)
    loser.meanwhile = lambda: _reap_later(fast)  # another worker reaped it meanwhile

    assert loser.run_once() is True

    assert len(calls) == 2
    assert video_row(fast, job).status == "queued"
    assert [run.outcome for run in runs_of(fast, job)] == ["lost"]
    assert _stored(fast, job) == []
    _pending(fast, job)
    assert Worker(fast).run_once() is True
    runs = runs_of(fast, job)
    assert [run.outcome for run in runs] == ["lost", "completed"]
    assert _stored(fast, job) == [f"{runs[1].id}/poster.jpg", f"{runs[1].id}/video.mp4"]
    _settled_once(fast, job)


def test_an_end_not_recorded_within_the_lease_gives_up_and_removes_the_files(
    services, monkeypatch, caplog
):
    fast = _fast(services, lease_seconds=1.0)
    job = _queue(fast)
    calls = _failing_finish(monkeypatch, failures=10_000)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="reelmint.worker"):
        assert QuickWorker(fast).run_once() is True

    assert time.monotonic() - started < 30
    assert len(calls) > 1
    video = video_row(fast, job)
    assert (video.status, [run.outcome for run in runs_of(fast, job)]) == ("in_progress", [None])
    assert _stored(fast, job) == []  # nobody's: the job will be taken again under a new run
    assert f"could not record the end of {job} in {len(calls)} tries" in caplog.text
    _pending(fast, job)

    monkeypatch.undo()
    _reap_later(fast)
    assert Worker(fast).run_once() is True
    assert [run.outcome for run in runs_of(fast, job)] == ["lost", "completed"]
    _settled_once(fast, job)


def test_an_end_that_may_have_been_committed_keeps_its_files(services, monkeypatch, caplog):
    """Every try fails while committing (rolled back, as it happens, but the worker cannot know
    that): the files may be the video's, so they stay, named in the log."""
    fast = _fast(services, lease_seconds=1.0)
    job = _queue(fast)
    real_write = fast.db.write

    @contextmanager
    def write() -> Iterator[Session]:
        with real_write() as db:
            yield db
            if _video_in(db, job).status == "completed":
                raise _outage("COMMIT")

    monkeypatch.setattr(fast.db, "write", write)
    with caplog.at_level(logging.WARNING, logger="reelmint.worker"):
        assert QuickWorker(fast).run_once() is True

    assert video_row(fast, job).status == "in_progress"
    [run] = runs_of(fast, job)
    assert _stored(fast, job) == [f"{run.id}/poster.jpg", f"{run.id}/video.mp4"]
    assert f"keeps the files of {job} in case its end was recorded after all" in caplog.text


def _video_in(db: Session, video_id: str) -> Video:
    return db.get_one(Video, video_id)


def test_progress_that_cannot_be_written_is_logged_once_per_outage(fast, monkeypatch, caplog):
    job = _queue(fast)
    failed: list[int] = []
    real_heartbeat = worker_module.heartbeat

    def flaky(*, progress: int | None = None, **kwargs: object) -> object:
        if progress is not None and len(failed) < 3:
            failed.append(progress)
            raise _outage()
        return real_heartbeat(progress=progress, **kwargs)

    monkeypatch.setattr(worker_module, "PROGRESS_WRITE_SECONDS", 0.0)
    monkeypatch.setattr(worker_module, "heartbeat", flaky)
    with caplog.at_level(logging.INFO, logger="reelmint.worker"):
        assert Worker(fast).run_once() is True

    assert len(failed) == 3
    assert video_row(fast, job).status == "completed"
    lines = [r for r in caplog.records if f"progress for {job}" in r.message]
    assert [r.levelname for r in lines] == ["WARNING", "INFO"]
    assert lines[0].exc_info is None
    assert "not recorded: server closed the connection" in lines[0].message
    assert "recorded (after 3 failed tries)" in lines[1].message


def test_a_worker_without_its_database_logs_one_line_not_a_traceback_per_poll(services, caplog):
    database = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/reelmint")
    unreachable = replace(_fast(services), db=database)
    stop = threading.Event()
    worker = Worker(unreachable)
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    try:
        with caplog.at_level(logging.INFO, logger="reelmint.worker"):
            thread.start()
            time.sleep(0.5)  # about ten polls
            stop.set()
            thread.join(30)
    finally:
        database.dispose()

    assert not thread.is_alive()
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2  # reaping and leasing: one line each for the whole outage
    assert all(r.exc_info is None and "Connection refused" in r.message for r in lines)
