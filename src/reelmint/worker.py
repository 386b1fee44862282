"""Workers: lease a job, make the video, store it, finish the job; repeat.

A worker runs anywhere that reaches the database and the storage: in `reelmint up` beside the
API, or alone on a GPU host (`reelmint worker`). While it makes a video, a heartbeat thread
renews the lease every `heartbeat_seconds`, and the engine's progress callback writes the
progress (at most every PROGRESS_WRITE_SECONDS, only when it changed). Both learn when the
owner cancelled the video or when the lease was lost; the next progress tick then raises, the
engine removes its temporary files, and the worker ends the run accordingly.

Outputs go under per-run keys (`videos/<video_id>/<run_id>/video.mp4`), so a worker that lost
its lease can never overwrite the winner's files: it deletes only its own.

Database outages: recording the end of a run is tried again, with backoff, for as long as the
lease (renewed by the heartbeat thread, which runs until the end is recorded) can still be the
worker's own, so a short outage loses nothing; `finish` checks the lease, so a try after one
that did commit changes nothing and settles nothing twice. Past the lease the worker gives up
and removes the files it stored, unless a try failed while committing: then the run may have
been recorded after all, and its files are kept (and logged). A write that fails during an
outage (progress, a heartbeat, leasing) is logged in one line when the failures start and one
when they stop, not a traceback each time.

Stopping: when `stop` is set, a running job is handed back at its next progress tick (its
lease released, not left to expire), so another worker, or this one after a restart, takes it
at once. A worker killed outright leaves its lease to expire instead; any worker then reaps it.
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TypeVar

from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.db.outages import describe, worth_retrying
from reelmint.domains.cameos.service import cameo_image_keys_for_video
from reelmint.domains.rights.service import characters_left_out
from reelmint.domains.uploads import remove_files
from reelmint.engine.backends.base import Backend, BackendOptions, ProgressEvent, Size
from reelmint.engine.backends.registry import create_backend, get_backend
from reelmint.engine.errors import BackendUnavailable, InvalidRequest
from reelmint.engine.pipeline import CheckedRequest, GenerationResult, generate
from reelmint.engine.storyboard import Storyboard
from reelmint.engine.timing import shot_spans
from reelmint.queue import (
    Cancelled,
    Completed,
    HeartbeatOutcome,
    Outcome,
    any_expired,
    any_queued,
    failure_for,
    finish,
    heartbeat,
    lease_next,
    open_run,
    reap_expired,
    recorded_end,
    release,
)
from reelmint.scratch import remove_stale_scratch_folders, scratch_folder
from reelmint.storage.base import StorageError

log = logging.getLogger("reelmint.worker")

PROGRESS_WRITE_SECONDS = 0.5
# Drawing (or denoising) the frames is most of the work; signing the file is the last bit. The
# finish sets 100, once the video is stored, so 100 always means the video can be downloaded.
RENDER_PERCENT = 95
SIGNED_PERCENT = 99
# Recording a run's end is tried again after this long, doubled each time up to the most (with
# jitter, so that workers do not all come back at the same instant after an outage).
END_RETRY_FIRST_SECONDS = 0.5
END_RETRY_MOST_SECONDS = 5.0

T = TypeVar("T")


def make_worker_id(thread_name: str | None = None) -> str:
    """`host:pid:thread:random`: says where a lease is held, and is unique across restarts."""
    host = socket.gethostname()[:60] or "host"
    name = (thread_name or threading.current_thread().name)[:30]
    return f"{host}:{os.getpid()}:{name}:{secrets.token_hex(3)}"


class FailureStreak:
    """One log line when a run of failures starts and one when it ends, instead of a traceback
    per failure: a database outage fails every write for as long as it lasts. A failure that is
    not the database being out of reach keeps its traceback (a fault to look into)."""

    def __init__(self, failing: str, working: str) -> None:
        self._failing = failing
        self._working = working
        self._failures = 0
        self._lock = threading.Lock()

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self._failures += 1
            if self._failures > 1:
                return
        if worth_retrying(error):
            log.warning("%s: %s (not logged again until it works)", self._failing, describe(error))
        else:
            log.warning("%s (not logged again until it works)", self._failing, exc_info=error)

    def succeeded(self) -> None:
        with self._lock:
            failures, self._failures = self._failures, 0
        if failures:
            log.info("%s (after %d failed %s)", self._working, failures, _tries(failures))


def _tries(count: int) -> str:
    return "try" if count == 1 else "tries"


def _backoff(tries: int) -> float:
    """How long to wait after the `tries`-th failed try: doubling, capped, with jitter (so that
    workers do not all come back at the same instant after an outage)."""
    delay = min(END_RETRY_FIRST_SECONDS * 2 ** (tries - 1), END_RETRY_MOST_SECONDS)
    return delay * random.uniform(0.75, 1.0)


class EndNotRecorded(Exception):
    """The end of a run could not be recorded while its lease could still be the worker's.

    `maybe_recorded`: a try failed while committing, so it may have been recorded after all.
    """

    def __init__(self, maybe_recorded: bool) -> None:
        super().__init__("the end of the run could not be recorded")
        self.maybe_recorded = maybe_recorded


class JobAborted(Exception):
    """Raised inside the generation to stop it: the job was cancelled, lost, or handed back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Job:
    """What a worker needs of a leased video, copied out of the lease transaction."""

    video_id: str
    run_id: str
    attempt: int
    backend: str
    storyboard_json: str
    size: str
    seed: int
    input_reference_key: str | None
    cameo_image_keys: tuple[str, ...] = ()
    # time.monotonic() before the lease was taken: the lease runs from no earlier than this
    leased_at: float = field(default_factory=time.monotonic)

    def key(self, name: str) -> str:
        """A storage key of this run's own: two runs of one video never share a file."""
        return f"videos/{self.video_id}/{self.run_id}/{name}"


class ProgressMap:
    """Engine progress events as one percentage of the whole job, never going back.

    Rendering counts by frames over all shots (0 to RENDER_PERCENT): a shot's events say how
    much of that shot is done, and a shot weighs as many frames as it has. Signing ends at
    SIGNED_PERCENT.
    """

    def __init__(self, storyboard: Storyboard, fps: int) -> None:
        spans = shot_spans(storyboard, fps)
        self._spans = [(span.start, span.frames) for span in spans]
        self._frames = max(spans[-1].stop, 1) if spans else 1
        self.percent = 0
        self.current_shot = 0  # the shot being made; the ones before it are complete

    def __call__(self, event: ProgressEvent) -> int:
        part = event.done / event.total if event.total > 0 else 1.0
        part = min(max(part, 0.0), 1.0)
        if event.stage != "sign":
            self.current_shot = max(self.current_shot, event.shot)
        if event.stage == "sign":
            value = RENDER_PERCENT + (SIGNED_PERCENT - RENDER_PERCENT) * part
        elif 0 <= event.shot < len(self._spans):
            start, frames = self._spans[event.shot]
            value = RENDER_PERCENT * (start + frames * part) / self._frames
        else:
            value = RENDER_PERCENT * (event.shot + part) / max(event.shots, 1)
        self.percent = max(self.percent, int(value))
        return self.percent


class JobControl:
    """One running job's link to the database: heartbeats, progress, and why to stop.

    Shared by the generating thread (progress ticks) and the heartbeat thread; the first
    reason to stop wins, and the next progress tick raises it.
    """

    def __init__(
        self, services: Services, job: Job, *, worker_id: str, stop: threading.Event
    ) -> None:
        self._services = services
        self._job = job
        self._worker_id = worker_id
        self._stop = stop
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.progress_map: ProgressMap | None = None
        self._written = 0
        self._written_at = float("-inf")
        self._lease_until = job.leased_at + services.settings.lease_seconds
        self._progress_failures = FailureStreak(
            f"progress for {job.video_id} not recorded", f"progress for {job.video_id} recorded"
        )
        self._beat_failures = FailureStreak(
            f"heartbeat for {job.video_id} failed", f"heartbeat for {job.video_id} renews again"
        )

    @property
    def reason(self) -> str | None:
        return self._reason

    @property
    def lease_until(self) -> float:
        """When the lease runs out (time.monotonic()), as last renewed: until then no other
        worker may take the job, so this one can still record its end."""
        with self._lock:
            return self._lease_until

    def abort(self, reason: str) -> None:
        with self._lock:
            if self._reason is None:
                self._reason = reason

    def check(self, *, stopping: bool = True) -> None:
        """Raise JobAborted if the job must stop (cancelled, lost, or the worker stopping).

        Once the video is made, `stopping=False`: storing it is quicker than redoing it.
        """
        if stopping and self._stop.is_set():
            self.abort("stopping")
        reason = self._reason
        if reason is not None and (stopping or reason != "stopping"):
            raise JobAborted(reason)

    def progress(self, event: ProgressEvent) -> None:
        """The engine's progress callback: record progress now and then, stop when told."""
        self.check()
        if self.progress_map is None:
            return
        percent = self.progress_map(event)
        if percent > self._written and time.monotonic() - self._written_at >= (
            PROGRESS_WRITE_SECONDS
        ):
            self._written, self._written_at = percent, time.monotonic()
            try:
                self.beat(progress=percent)
            except Exception as error:  # progress is a nicety: the heartbeat thread guards
                self._progress_failures.failed(error)  # the lease
            else:
                self._progress_failures.succeeded()
            self.check()

    def beat(self, progress: int | None = None) -> None:
        """Renew the lease (and record progress); note a cancellation or a lost lease."""
        began = time.monotonic()  # the lease runs from no earlier than this
        with self._services.db.write() as db:
            outcome = heartbeat(
                db=db,
                settings=self._services.settings,
                video_id=self._job.video_id,
                worker_id=self._worker_id,
                progress=progress,
            )
        if outcome is HeartbeatOutcome.CONTINUE:
            with self._lock:
                renewed = began + self._services.settings.lease_seconds
                self._lease_until = max(self._lease_until, renewed)
        elif outcome is HeartbeatOutcome.STOP_CANCELLED:
            self.abort("cancelled")
        elif outcome is HeartbeatOutcome.STOP_LOST:
            self.abort("lost")

    @contextmanager
    def heartbeats(self) -> Iterator[None]:
        """A thread renewing the lease every heartbeat_seconds while the block runs."""
        thread = threading.Thread(
            target=self._beat_until_done,
            name=f"{threading.current_thread().name}-heartbeat",
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            self._done.set()
            thread.join()

    def _beat_until_done(self) -> None:
        while not self._done.wait(self._services.settings.heartbeat_seconds):
            try:
                self.beat()
            except Exception as error:  # the database may be back by the next beat
                self._beat_failures.failed(error)
            else:
                self._beat_failures.succeeded()
            if self._reason is not None:
                return


class Worker:
    """Runs jobs from the queue, one at a time, until stopped."""

    def __init__(
        self,
        services: Services,
        *,
        worker_id: str | None = None,
        backends: Mapping[str, Backend] | None = None,
    ) -> None:
        """`backends` pre-seeds the backend cache (tests pass tiny fakes at this seam)."""
        self.services = services
        self.settings = services.settings
        self.worker_id = worker_id or make_worker_id()
        # One instance per backend name for the worker's life: model backends load weights once.
        self._backends: dict[str, Backend] = dict(backends or {})
        self._stop = threading.Event()
        self._take_failures = FailureStreak(
            f"worker {self.worker_id} could not take a job", f"worker {self.worker_id} takes jobs"
        )
        self._reap_failures = FailureStreak(
            f"{self.worker_id} could not reap expired leases", f"{self.worker_id} reaps leases"
        )

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; an idle worker looks again every worker_poll_seconds."""
        self._stop = stop
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                worked = self.run_once()
            except Exception as error:  # e.g. the database is unreachable: wait and try again
                self._take_failures.failed(error)
                worked = False
            else:
                self._take_failures.succeeded()
            if not worked:
                stop.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.worker_id)

    def run_once(self) -> bool:
        """Reap expired leases, then lease and run one job. False if there was none."""
        self._reap()
        job = self._lease()
        if job is None:
            return False
        self._run(job)
        return True

    # --- one job ------------------------------------------------------------------------------

    def _reap(self) -> None:
        """Take back expired leases: any worker does it, so a dead one's jobs are not lost.

        A cheap read first: an idle worker must not take SQLite's write lock at every poll.
        A failure here (one bad row) must not stop this worker from leasing.
        """
        try:
            with self.services.db.read() as db:
                if not any_expired(db=db):
                    self._reap_failures.succeeded()
                    return
            with self.services.db.write() as db:
                reap_expired(db=db, settings=self.settings)
        except Exception as error:
            self._reap_failures.failed(error)
        else:
            self._reap_failures.succeeded()

    def _lease(self) -> Job | None:
        with self.services.db.read() as db:
            if not any_queued(db=db):
                return None
        began = time.monotonic()
        with self.services.db.write() as db:
            video = lease_next(db=db, settings=self.settings, worker_id=self.worker_id)
            if video is None:
                return None
            run = open_run(db=db, video_id=video.id, worker_id=self.worker_id)
            assert run is not None, "lease_next opens a run"
            job = Job(
                video_id=video.id,
                run_id=run.id,
                attempt=video.attempts,
                backend=video.backend,
                storyboard_json=video.storyboard_json,
                size=video.size,
                seed=video.seed,
                input_reference_key=video.input_reference_key,
                cameo_image_keys=cameo_image_keys_for_video(db=db, video_id=video.id),
                leased_at=began,
            )
        log.info("%s leased %s (attempt %d)", self.worker_id, job.video_id, job.attempt)
        return job

    def _run(self, job: Job) -> None:
        """Make the video and end the run, whatever happens; never raises for the job's sake.

        The lease is renewed until the end is recorded. The files stored are removed unless
        they are the video's (or may be: see `_keeps_files`)."""
        control = JobControl(self.services, job, worker_id=self.worker_id, stop=self._stop)
        stored: list[str] = []
        with control.heartbeats():
            outcome = self._outcome(job, control, stored)
            # None: lost or handed back, nothing to record
            keep = outcome is not None and self._keeps_files(job, outcome, control, stored)
        if not keep:
            self._remove(stored)

    def _outcome(self, job: Job, control: JobControl, stored: list[str]) -> Outcome | None:
        """How the run ends: the video made, a failure, a cancellation; None if it is no longer
        this worker's to end (its lease was lost, or it was handed back)."""
        try:
            with scratch_folder("job") as tmp:
                return self._make(job, Path(tmp), control, stored)
        except JobAborted as aborted:
            return self._after_abort(job, aborted.reason, control)
        except Exception as error:
            log.exception("%s failed making %s", self.worker_id, job.video_id)
            # A faulted backend is rebuilt next time; a refused request or a storage fault
            # (an input gone: its account closed, its cameo revoked) says nothing of the model.
            if not isinstance(error, InvalidRequest | BackendUnavailable | StorageError):
                self._backends.pop(job.backend, None)
            return failure_for(error)

    def _keeps_files(
        self, job: Job, outcome: Outcome, control: JobControl, stored: list[str]
    ) -> bool:
        """Record the end of the run; whether the files it stored are (or may be) the video's.

        A run that could not be recorded within its lease is reaped once the database is back
        and made again under a new run's keys, so its files are nobody's: they are removed,
        unless a try failed while committing and so may have recorded them after all (a
        completed video's files must never go); those are kept, and logged for the operator.
        """
        try:
            return self._end(job, outcome, control) == "completed"
        except EndNotRecorded as unrecorded:
            if not unrecorded.maybe_recorded:
                return False
            log.warning(
                "%s keeps the files of %s in case its end was recorded after all: %s",
                self.worker_id,
                job.video_id,
                ", ".join(stored) or "none",
            )
            return True

    def _make(self, job: Job, tmp: Path, control: JobControl, stored: list[str]) -> Completed:
        """Steps: 1. rebuild the checked request; 2. generate; 3. store the video and poster."""
        checked = self._checked_request(job, tmp)
        backend = self._backend(job.backend)
        control.progress_map = ProgressMap(checked.storyboard, checked.backend_class.fps)
        control.check()
        delivered: float | None = None
        delivered_storyboard: str | None = None
        fees_left_out: tuple[str, ...] = ()
        try:
            result = self._generate(checked, tmp, control, backend)
        except JobAborted:
            raise
        except Exception as error:
            partial = self._partial_request(checked, control.progress_map, error)
            if partial is None:
                raise
            log.warning(
                "%s: %s failed after %d of %d shots; delivering those (partial_delivery)",
                self.worker_id,
                job.video_id,
                len(partial.storyboard.shots),
                len(checked.storyboard.shots),
                exc_info=error,
            )
            result = self._generate(partial, tmp, control, backend)
            delivered = partial.seconds
            delivered_storyboard = partial.storyboard.model_dump_json()
            fees_left_out = self._fees_left_out(checked.storyboard, partial.storyboard)
        control.check(stopping=False)
        video_key, poster_key = job.key("video.mp4"), job.key("poster.jpg")
        stored.append(video_key)
        video_bytes = self.services.storage.put_file(
            video_key, result.path, content_type="video/mp4"
        )
        stored.append(poster_key)
        self.services.storage.put_file(poster_key, result.poster_path, content_type="image/jpeg")
        control.check(stopping=False)
        return Completed(
            video_key=video_key,
            poster_key=poster_key,
            video_bytes=video_bytes,
            frames=result.frame_count,
            delivered_seconds=delivered,
            delivered_storyboard_json=delivered_storyboard,
            fees_left_out=fees_left_out,
        )

    def _generate(
        self, checked: CheckedRequest, tmp: Path, control: JobControl, backend: Backend
    ) -> GenerationResult:
        return generate(
            checked,
            out=tmp / "video.mp4",
            keys_dir=self.settings.keys_dir,
            encode=self.settings.encode,
            progress=control.progress,
            backend=backend,
        )

    def _fees_left_out(self, planned: Storyboard, delivered: Storyboard) -> tuple[str, ...]:
        """The characters named only in the shots a partial delivery leaves out; none (every
        fee is paid, as before) if the rights registry cannot be read."""
        try:
            with self.services.db.read() as db:
                return characters_left_out(
                    db=db, settings=self.settings, planned=planned, delivered=delivered
                )
        except Exception:
            log.exception("%s could not read which characters were left out", self.worker_id)
            return ()

    def _partial_request(
        self, checked: CheckedRequest, progress: ProgressMap | None, error: Exception
    ) -> CheckedRequest | None:
        """The request for the shots made before `error`, when the operator delivers partial
        videos; None when the whole video fails. Shots are made in order, so every shot
        before the one being made when it failed was complete. They are made again (the same
        seed gives the same frames) into a shorter video."""
        shots = checked.storyboard.shots
        if not self.settings.partial_delivery or progress is None:
            return None
        if isinstance(error, InvalidRequest | BackendUnavailable):
            return None
        made = min(progress.current_shot, len(shots))
        if made < 1:
            return None
        storyboard = checked.storyboard.model_copy(update={"shots": shots[:made]})
        return replace(checked, storyboard=storyboard)

    def _checked_request(self, job: Job, tmp: Path) -> CheckedRequest:
        """The engine request the video row describes (it was checked at admission)."""
        references: tuple[Path, ...] = ()
        if job.input_reference_key:
            reference = tmp / f"reference{PurePosixPath(job.input_reference_key).suffix}"
            self.services.storage.download(job.input_reference_key, reference)
            references = (reference,)
        cameos = self._download_cameo_images(job, tmp)
        return CheckedRequest(
            backend_class=get_backend(job.backend),
            storyboard=Storyboard.model_validate_json(job.storyboard_json),
            size=Size.parse(job.size),
            seed=job.seed,
            options=self._options(job.backend),
            reference_images=references,
            cameo_images=cameos,
        )

    def _download_cameo_images(self, job: Job, tmp: Path) -> tuple[Path, ...]:
        """The main image of each cameo the video uses, in the order they were mentioned."""
        paths = []
        for number, key in enumerate(job.cameo_image_keys):
            path = tmp / f"cameo-{number}{PurePosixPath(key).suffix}"
            self.services.storage.download(key, path)
            paths.append(path)
        return tuple(paths)

    def _options(self, backend: str) -> BackendOptions:
        return BackendOptions(
            model_path=self.settings.model_path_for(backend), speed=self.settings.model_speed
        )

    def _backend(self, name: str) -> Backend:
        backend = self._backends.get(name)
        if backend is None:
            backend = create_backend(name, self._options(name))
            self._backends[name] = backend
        return backend

    def _after_abort(self, job: Job, reason: str, control: JobControl) -> Outcome | None:
        if reason == "cancelled":
            log.info("%s stopped %s: cancelled by its owner", self.worker_id, job.video_id)
            return Cancelled()
        if reason == "stopping":
            try:
                self._while_leased(
                    control,
                    f"hand {job.video_id} back",
                    lambda db: release(db=db, video_id=job.video_id, worker_id=self.worker_id),
                )
            except EndNotRecorded:  # then its lease expires and it is reaped instead
                return None
            log.info("%s handed %s back: the worker is stopping", self.worker_id, job.video_id)
            return None
        log.warning("%s lost the lease of %s; its work is dropped", self.worker_id, job.video_id)
        return None

    def _end(self, job: Job, outcome: Outcome, control: JobControl) -> str | None:
        """Record the run's end: the status recorded, None if the lease was lost.

        `finish` checks the lease, so trying again is safe; a try after one whose commit went
        through but whose answer was lost finds the run ended by this worker already
        (`recorded_end`) and reports what it recorded, changing nothing."""

        def end(db: Session) -> str | None:
            ended = finish(db=db, video_id=job.video_id, worker_id=self.worker_id, outcome=outcome)
            return ended or recorded_end(db=db, run_id=job.run_id)

        recorded = self._while_leased(control, f"record the end of {job.video_id}", end)
        log.info("%s ended %s: %s", self.worker_id, job.video_id, recorded or "lease lost")
        return recorded

    def _while_leased(self, control: JobControl, what: str, work: Callable[[Session], T]) -> T:
        """`work` in a write transaction, tried again with backoff while the database cannot
        be reached (or a try lost a race) and the lease may still be this worker's: until it
        runs out as last renewed, and for at most one lease period (the heartbeat thread may
        renew it meanwhile). Then, as for any other failure, EndNotRecorded. Work that checks
        the lease itself is safe to try again."""
        give_up_at = time.monotonic() + self.settings.lease_seconds
        maybe_committed = False
        for tries in itertools.count(1):
            committing = False
            try:
                with self.services.db.write() as db:
                    result = work(db)
                    committing = True  # the block ends: the commit comes next
            except Exception as error:
                maybe_committed = maybe_committed or committing
                left = min(control.lease_until, give_up_at) - time.monotonic()
                if not worth_retrying(error) or left <= 0:
                    self._gave_up(what, error, tries)
                    raise EndNotRecorded(maybe_committed) from error
                if tries == 1:
                    log.warning(
                        "%s could not %s (%s); trying again for up to %.0f s",
                        self.worker_id,
                        what,
                        describe(error),
                        left,
                    )
                self._pause(min(_backoff(tries), left))
                continue
            if tries > 1:
                log.info("%s could %s at try %d", self.worker_id, what, tries)
            return result
        raise AssertionError("itertools.count never ends")

    def _pause(self, seconds: float) -> None:
        """Wait before trying again (tests look in here)."""
        time.sleep(seconds)

    def _gave_up(self, what: str, error: BaseException, tries: int) -> None:
        if worth_retrying(error):
            log.warning(
                "%s could not %s in %d %s before its lease ran out (%s); its lease will expire "
                "and the job be taken again",
                self.worker_id,
                what,
                tries,
                _tries(tries),
                describe(error),
            )
        else:
            log.error("%s could not %s", self.worker_id, what, exc_info=error)

    def _remove(self, keys: list[str]) -> None:
        remove_files(self.services.storage, keys)


def start_worker_threads(
    services: Services, count: int, stop: threading.Event
) -> list[threading.Thread]:
    """`count` worker threads that run jobs until `stop` is set, once the scratch folders
    that killed processes left behind (a worker's job folders, a server's uploads) are
    removed: every process that serves or works starts here, `reelmint up --workers 0` too."""
    remove_stale_scratch_folders()
    threads = []
    for number in range(1, count + 1):
        name = f"worker-{number}"
        worker = Worker(services, worker_id=make_worker_id(name))
        thread = threading.Thread(target=worker.run, args=(stop,), name=name, daemon=True)
        thread.start()
        threads.append(thread)
    return threads
