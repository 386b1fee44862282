"""Workers: a job end to end, cancellation, failures, lost leases, stopping, progress."""

from __future__ import annotations

import itertools
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from reelmint import worker as worker_module
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.videos import service as videos
from reelmint.domains.videos.models import Video
from reelmint.engine.backends.base import BackendOptions, Clip, ProgressEvent, RenderParams
from reelmint.engine.backends.preview.backend import PreviewBackend
from reelmint.engine.errors import BackendUnavailable
from reelmint.engine.postprocess.provenance import verify_file
from reelmint.engine.storyboard import Storyboard, plan
from reelmint.queue import Completed, finish, lease_next, reap_expired
from reelmint.queue.finish import BACKEND_UNAVAILABLE_MESSAGE, GENERATION_FAILED
from reelmint.storage.local import LocalStorage
from reelmint.worker import (
    RENDER_PERCENT,
    SIGNED_PERCENT,
    ProgressMap,
    Worker,
    make_worker_id,
    start_worker_threads,
)
from support import runs_of, video_row

FAST = {
    "heartbeat_seconds": 0.1,
    "lease_seconds": 5.0,
    "worker_poll_seconds": 0.05,
    "encode_preset": "ultrafast",
}
_numbers = itertools.count(1)


def _fast(services: Services, **changes) -> Services:
    settings = Settings(**{**services.settings.model_dump(), **FAST, **changes})
    return Services(settings=settings, db=services.db, storage=services.storage)


@pytest.fixture
def fast(services) -> Services:
    return _fast(services)


@pytest.fixture
def fast_on(services_on) -> Services:
    return _fast(services_on)


def _user(services: Services) -> User:
    with services.db.write() as db:
        return create_user(
            db=db, email=f"maker{next(_numbers)}@example.com", password="a long password"
        )


def _queue(services: Services, user: User, prompt: str = "a fox runs in a forest") -> str:
    request = videos.VideoRequest(prompt=prompt, seconds=4, size="480x480", seed=11)
    return videos.create_video(services=services, user=user, request=request).id


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _after_the_lease(services: Services) -> datetime:
    """A moment when every lease taken so far has expired."""
    return utcnow() + timedelta(seconds=services.settings.lease_seconds + 1)


def _stored(services: Services, video_id: str) -> list[str]:
    folder = services.settings.storage_dir / "videos" / video_id
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


class StallingBackend(PreviewBackend):
    """The preview backend stuck after a few frames, still reporting progress (like a long
    denoising step), until `release` is set or 20 s pass."""

    STALL_AT = 12

    def __init__(self, options: BackendOptions | None = None) -> None:
        super().__init__(options)
        self.stalled = threading.Event()
        self.release = threading.Event()

    def render(self, storyboard: Storyboard, params: RenderParams, progress) -> Clip:
        clip = super().render(storyboard, params, progress)
        clip.frames = self._stall(iter(clip.frames), clip.frame_count, progress)
        return clip

    def _stall(self, frames: Iterator, total: int, progress) -> Iterator:
        for number, frame in enumerate(frames):
            if number == self.STALL_AT:
                self.stalled.set()
                deadline = time.monotonic() + 20
                while not self.release.wait(0.02) and time.monotonic() < deadline:
                    progress(ProgressEvent("render", 0, 1, self.STALL_AT, total))
            yield frame


class ExplodingBackend(PreviewBackend):
    def render(self, storyboard: Storyboard, params: RenderParams, progress) -> Clip:
        raise RuntimeError("driver fault reading /opt/secret/weights.bin")


class UnavailableBackend(PreviewBackend):
    def render(self, storyboard: Storyboard, params: RenderParams, progress) -> Clip:
        raise BackendUnavailable("no GPU here: run this backend on a GPU host", code="no_gpu")


def _in_thread(target: Callable[..., object], *args: object) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_a_job_runs_end_to_end_into_a_signed_mp4_in_storage(fast_on, probe, tmp_path):
    job = _queue(fast_on, _user(fast_on))
    worker = Worker(fast_on)

    assert worker.run_once() is True
    assert worker.run_once() is False  # the queue is empty

    video = video_row(fast_on, job)
    [run] = runs_of(fast_on, job)
    assert (video.status, video.progress, video.attempts) == ("completed", 100, 1)
    assert (run.worker_id, run.outcome) == (worker.worker_id, "completed")
    assert video.video_key == f"videos/{job}/{run.id}/video.mp4"
    assert video.poster_key == f"videos/{job}/{run.id}/poster.jpg"
    local = tmp_path / "out.mp4"
    fast_on.storage.download(video.video_key, local)
    facts = probe(local)
    assert (facts.video_codec, facts.audio_codec, facts.width, facts.height) == (
        "h264",
        "aac",
        480,
        480,
    )
    assert facts.frames == video.frames == 96
    assert video.video_bytes == local.stat().st_size
    assert verify_file(local, keys_dir=fast_on.settings.keys_dir).status == "valid"
    assert fast_on.storage.size(video.poster_key) > 0


def test_cancelling_a_running_job_stops_it_and_keeps_nothing(fast):
    user = _user(fast)
    job = _queue(fast, user)
    backend = StallingBackend()
    running = _in_thread(Worker(fast, backends={"preview": backend}).run_once)
    assert backend.stalled.wait(30)
    _wait_for(lambda: video_row(fast, job).progress > 0, "progress to be written")

    with fast.db.write() as db:
        assert videos.cancel_video(db=db, actor=user, video_id=job).status == "in_progress"
    running.join(30)

    assert not running.is_alive()
    video = video_row(fast, job)
    assert (video.status, video.error_code) == ("cancelled", "cancelled")
    assert [run.outcome for run in runs_of(fast, job)] == ["cancelled"]
    assert _stored(fast, job) == []


def test_a_progress_write_that_fails_does_not_fail_the_job(fast, monkeypatch, caplog):
    """A database fault writing progress (a restart, a long lock) is logged and the render
    goes on: the heartbeat thread guards the lease, and the job is delivered whole."""
    job = _queue(fast, _user(fast))
    faults: list[int] = []
    real_heartbeat = worker_module.heartbeat

    def flaky(*, progress: int | None = None, **kwargs: object) -> object:
        if progress is not None and not faults:
            faults.append(progress)
            raise OperationalError("UPDATE videos ...", {}, Exception("server closed"))
        return real_heartbeat(progress=progress, **kwargs)

    monkeypatch.setattr(worker_module, "heartbeat", flaky)
    with caplog.at_level(logging.WARNING, logger="reelmint.worker"):
        assert Worker(fast).run_once() is True

    assert len(faults) == 1
    video = video_row(fast, job)
    assert (video.status, video.progress, video.seconds) == ("completed", 100, 4)
    assert [run.outcome for run in runs_of(fast, job)] == ["completed"]
    assert f"progress for {job} not recorded" in caplog.text


def test_a_missing_input_fails_the_job_but_keeps_the_loaded_model(fast):
    """An input gone from storage (its account closed, its cameo revoked) says nothing of the
    model: the worker keeps it loaded, where a fault in the backend makes it rebuild one."""
    user = _user(fast)
    gone, broken = _queue(fast, user), _queue(fast, user, prompt="a bird flies over the sea")
    with fast.db.write() as db:
        db.get_one(Video, gone).input_reference_key = f"uploads/{gone}/reference.png"
    backend = PreviewBackend()
    worker = Worker(fast, backends={"preview": backend})
    assert worker.run_once() is True
    assert video_row(fast, gone).status == "failed"
    assert worker._backends.get("preview") is backend  # kept

    worker._backends["preview"] = ExplodingBackend()
    assert worker.run_once() is True
    assert video_row(fast, broken).status == "failed"
    assert "preview" not in worker._backends  # rebuilt next time


def test_a_failing_backend_fails_the_job_and_the_worker_goes_on(fast, caplog):
    user = _user(fast)
    broken, fine = _queue(fast, user), _queue(fast, user, prompt="a bird flies over the sea")
    worker = Worker(fast, backends={"preview": ExplodingBackend()})
    stop = threading.Event()
    running = _in_thread(worker.run, stop)
    try:
        _wait_for(
            lambda: video_row(fast, broken).finished and video_row(fast, fine).finished, "both jobs"
        )
    finally:
        stop.set()
        running.join(30)

    failed, made = video_row(fast, broken), video_row(fast, fine)
    assert failed.status == "failed"
    assert failed.error_code == GENERATION_FAILED
    assert "secret" not in failed.error_message
    assert "/opt/secret/weights.bin" in caplog.text  # the detail is in the operator's log
    assert made.status == "completed"  # the faulted backend was replaced by a fresh one
    assert not running.is_alive()


def test_a_backend_that_cannot_run_keeps_its_code_and_tells_the_user_in_words(fast, caplog):
    job = _queue(fast, _user(fast))
    assert Worker(fast, backends={"preview": UnavailableBackend()}).run_once()
    video = video_row(fast, job)
    assert (video.status, video.error_code, video.error_message) == (
        "failed",
        "no_gpu",
        BACKEND_UNAVAILABLE_MESSAGE,
    )
    assert "no GPU here: run this backend on a GPU host" in caplog.text  # for the operator


def test_a_worker_that_lost_its_lease_mid_job_stops_and_the_winner_completes(fast):
    job = _queue(fast, _user(fast))
    backend = StallingBackend()
    loser = Worker(fast, backends={"preview": backend})
    running = _in_thread(loser.run_once)
    assert backend.stalled.wait(30)

    with fast.db.write() as db:  # the loser looked dead for longer than its lease
        assert reap_expired(db=db, settings=fast.settings, now=_after_the_lease(fast)) == [job]
    assert video_row(fast, job).status == "queued"
    winner = Worker(fast)
    assert winner.run_once() is True
    running.join(30)

    assert not running.is_alive()
    video = video_row(fast, job)
    runs = runs_of(fast, job)
    assert [(r.worker_id, r.outcome) for r in runs] == [
        (loser.worker_id, "lost"),
        (winner.worker_id, "completed"),
    ]
    assert video.status == "completed"
    assert video.video_key == f"videos/{job}/{runs[1].id}/video.mp4"
    assert _stored(fast, job) == [f"{runs[1].id}/poster.jpg", f"{runs[1].id}/video.mp4"]


class HookedStorage(LocalStorage):
    """Local storage that runs `after_put(key)` after each upload."""

    after_put: Callable[[str], None] = staticmethod(lambda key: None)

    def put_file(self, key: str, source: Path, *, content_type: str) -> int:
        size = super().put_file(key, source, content_type=content_type)
        self.after_put(key)
        return size


def test_a_worker_that_lost_its_lease_after_storing_removes_only_its_own_files(fast, tmp_path):
    storage = HookedStorage(fast.settings.storage_dir)
    hooked = Services(settings=fast.settings, db=fast.db, storage=storage)
    job = _queue(hooked, _user(hooked))
    winner_keys = Completed(
        video_key=f"videos/{job}/run_winner/video.mp4",
        poster_key=f"videos/{job}/run_winner/poster.jpg",
        video_bytes=5,
        frames=1,
    )

    def steal_the_lease(key: str) -> None:
        if not key.endswith("poster.jpg") or "run_winner" in key:
            return
        later = _after_the_lease(hooked)
        (tmp_path / "winner").write_bytes(b"video")
        for stored in (winner_keys.video_key, winner_keys.poster_key):
            storage.put_file(stored, tmp_path / "winner", content_type="video/mp4")
        with hooked.db.write() as db:
            reap_expired(db=db, settings=hooked.settings, now=later)
            lease_next(db=db, settings=hooked.settings, worker_id="winner", now=later)
        with hooked.db.write() as db:
            finish(db=db, video_id=job, worker_id="winner", outcome=winner_keys, now=later)

    storage.after_put = steal_the_lease
    assert Worker(hooked).run_once() is True

    video = video_row(hooked, job)
    assert (video.status, video.video_key) == ("completed", winner_keys.video_key)
    assert _stored(hooked, job) == ["run_winner/poster.jpg", "run_winner/video.mp4"]
    assert [r.outcome for r in runs_of(hooked, job)] == ["lost", "completed"]


def test_a_stopping_worker_hands_its_job_back_for_another_to_finish(fast):
    job = _queue(fast, _user(fast))
    backend = StallingBackend()
    stop = threading.Event()
    running = _in_thread(Worker(fast, backends={"preview": backend}).run, stop)
    assert backend.stalled.wait(30)

    stop.set()
    running.join(30)

    assert not running.is_alive()
    video = video_row(fast, job)
    assert (video.status, video.lease_owner, video.attempts) == ("queued", None, 1)
    assert Worker(fast).run_once() is True
    assert video_row(fast, job).status == "completed"
    assert [(r.attempt, r.outcome) for r in runs_of(fast, job)] == [
        (1, "released"),
        (2, "completed"),
    ]


def test_worker_threads_run_the_queue_and_stop_when_asked(fast):
    user, other = _user(fast), _user(fast)
    jobs = [_queue(fast, user), _queue(fast, user), _queue(fast, other)]
    stop = threading.Event()
    threads = start_worker_threads(fast, 2, stop)
    try:
        _wait_for(lambda: all(video_row(fast, job).finished for job in jobs), "the jobs")
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)

    assert [thread.name for thread in threads] == ["worker-1", "worker-2"]
    assert not any(thread.is_alive() for thread in threads)
    assert {video_row(fast, job).status for job in jobs} == {"completed"}
    owners = {run.worker_id for job in jobs for run in runs_of(fast, job)}
    assert all(re.search(r":worker-[12]:", owner) for owner in owners)


class FolderRecordingBackend(PreviewBackend):
    """Notes the job folders in the temporary folder while a job runs, then fails the job."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self.seen: list[str] = []

    def render(self, storyboard: Storyboard, params: RenderParams, progress) -> Clip:
        self.seen = sorted(path.name for path in self.root.iterdir())
        raise RuntimeError("enough")


def test_a_job_folder_is_named_for_its_process_and_removed_after(fast, tmp_path, monkeypatch):
    root = tmp_path / "tmp"  # the temporary folder, for this test
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    backend = FolderRecordingBackend(root)
    _queue(fast, _user(fast))
    assert Worker(fast, backends={"preview": backend}).run_once() is True
    (name,) = backend.seen
    assert name.startswith(f"reelmint-job-{os.getpid()}-")
    assert list(root.iterdir()) == []


def test_job_folders_a_killed_worker_left_are_removed_at_start_and_no_others(
    fast, tmp_path, monkeypatch
):
    """A SIGKILLed worker cannot remove its job folder, nor a killed server its uploads; the
    next worker to start does, once no process has the pid in their names. A live process's
    folder, one whose name gives no pid, and one of a kind not ours are kept."""
    root = tmp_path / "tmp"  # the temporary folder, for this test
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = root / f"reelmint-job-{gone.pid}-k2j3h4g5"
    (dead / "sub").mkdir(parents=True)
    (dead / "sub" / "video.mp4").write_bytes(b"half a video")
    upload = root / f"reelmint-upload-{gone.pid}-p0o9i8u7"
    live = root / f"reelmint-job-{os.getpid()}-a1b2c3d4"
    legacy = root / "reelmint-job-q9w8e7r6"
    other = root / f"reelmint-export-{gone.pid}-x"
    for folder in (upload, live, legacy, other):
        folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    stop = threading.Event()
    stop.set()  # the threads start, find the sweep done, and stop at once
    for thread in start_worker_threads(fast, 1, stop):
        thread.join(30)
    assert sorted(root.iterdir()) == sorted([live, legacy, other])


def test_worker_ids_say_where_the_lease_is_held_and_never_repeat():
    first, second = make_worker_id("worker-3"), make_worker_id("worker-3")
    assert re.fullmatch(r"[^:]+:\d+:worker-3:[0-9a-f]{6}", first)
    assert first != second
    assert len(make_worker_id("x" * 200)) <= 120


def test_progress_counts_frames_over_all_shots_and_never_goes_back():
    storyboard = plan("a cat sleeps on a sofa then a dog runs in a park", seconds=6)
    assert len(storyboard.shots) == 2
    progress = ProgressMap(storyboard, fps=24)
    first_shot_frames = round(storyboard.shots[0].duration * 24)

    half_of_first = progress(
        ProgressEvent("render", 0, 2, first_shot_frames // 2, first_shot_frames)
    )
    end_of_first = progress(ProgressEvent("render", 0, 2, first_shot_frames, first_shot_frames))
    assert 0 < half_of_first < end_of_first < RENDER_PERCENT
    assert end_of_first == int(RENDER_PERCENT * first_shot_frames / 144)
    assert progress(ProgressEvent("render", 0, 2, 1, first_shot_frames)) == end_of_first
    assert progress(ProgressEvent("render", 1, 2, 10, 10)) == RENDER_PERCENT
    assert progress(ProgressEvent("sign", 0, 1, 1, 1)) == SIGNED_PERCENT


class SecondShotFailsBackend(PreviewBackend):
    """The preview backend failing as it starts a storyboard's second shot (a GPU fault)."""

    def render(self, storyboard: Storyboard, params: RenderParams, progress) -> Clip:
        clip = super().render(storyboard, params, progress)
        if len(storyboard.shots) > 1:
            first = clip.frame_count * storyboard.shots[0].duration / storyboard.seconds
            clip.frames = self._fail_after(iter(clip.frames), int(first), progress, storyboard)
        return clip

    def _fail_after(self, frames: Iterator, count: int, progress, storyboard) -> Iterator:
        for number, frame in enumerate(frames):
            if number == count:
                progress(ProgressEvent("render", 1, len(storyboard.shots), 0, 1))
                raise RuntimeError("CUDA error: an illegal memory access was encountered")
            yield frame


def _run_one(services: Services, backend: PreviewBackend, video_id: str) -> Video:
    worker = Worker(services, backends={"preview": backend})
    stop = threading.Event()
    running = _in_thread(worker.run, stop)
    try:
        _wait_for(lambda: video_row(services, video_id).finished, "the job")
    finally:
        stop.set()
        running.join(30)
    return video_row(services, video_id)


def _two_shots(
    services: Services,
    prompt: str = "a fox runs in a forest, then a bird flies over the sea",
    user: User | None = None,
) -> tuple[str, User]:
    user = user or _user(services)
    request = videos.VideoRequest(
        prompt=prompt,
        seconds=8,
        size="1280x720",
        seed=5,
    )
    return videos.create_video(services=services, user=user, request=request).id, user


def test_with_partial_delivery_the_shots_made_are_delivered_and_charged_pro_rata(
    services_on, probe, tmp_path
):
    from reelmint.domains.ledger.service import check_ledger
    from reelmint.domains.wallet.service import holds_for_video

    fast = _fast(services_on, partial_delivery=True)
    job, user = _two_shots(fast)
    assert video_row(fast, job).price_units == 2
    video = _run_one(fast, SecondShotFailsBackend(), job)
    assert video.status == "completed"
    assert 0 < video.seconds < 8
    local = tmp_path / "partial.mp4"
    fast.storage.download(video.video_key, local)
    assert probe(local).frames == video.frames == round(video.seconds * 24)
    with fast.db.read() as db:
        [hold] = holds_for_video(db=db, video_id=job)
        assert (hold.status, hold.amount, hold.posted_amount) == ("posted", 2, 1)
        assert "partly delivered" in (hold.resolution or "")
        assert check_ledger(db=db) == []
    # The video's storyboard is what it shows: an extension replays those shots only, and a
    # rights holder's claim reads only them.
    delivered = Storyboard.model_validate_json(video.storyboard_json)
    assert (len(delivered.shots), delivered.seconds) == (1, video.seconds)
    with fast.db.read() as db:
        room = videos.extension_room(video)
        _, extension = videos.extension_request(
            db=db, actor=user, video_id=job, prompt="the fox sleeps", seconds=room
        )
    assert extension.planned is not None
    assert extension.planned.seconds == video.seconds + room  # not the undelivered shot too
    assert extension.planned.shots[0] == delivered.shots[0]


@pytest.mark.parametrize(
    ("prompt", "fee"),
    [
        ("a fox runs in a forest, then Captain Brightwave surfs over the sea", "voided"),
        ("Captain Brightwave runs in a forest, then a bird flies over the sea", "posted"),
    ],
    ids=["named-in-the-shot-left-out", "named-in-the-shot-delivered"],
)
def test_a_partial_delivery_pays_the_licence_fees_of_the_shots_it_shows(fast_on, prompt, fee):
    from reelmint.domains.ledger.service import check_ledger
    from reelmint.domains.payments.service import start_purchase
    from reelmint.domains.wallet.service import LICENCE_FEE, holds_for_video, summary
    from support import licensed_character

    services = _fast(fast_on, partial_delivery=True)
    character_id = licensed_character(services, fee=3)
    user = _user(services)
    start_purchase(services=services, user=user, pack_id="pack_10")
    job, _ = _two_shots(services, prompt, user)
    assert _run_one(services, SecondShotFailsBackend(), job).status == "completed"
    with services.db.read() as db:
        [held] = [h for h in holds_for_video(db=db, video_id=job) if h.kind == LICENCE_FEE]
        assert held.idempotency_key.endswith(character_id)
        assert (held.status, held.posted_amount) == (fee, 3 if fee == "posted" else 0)
        if fee == "voided":
            assert held.resolution == f"{held.reason}: not in the shots delivered"
        purchased = summary(db=db, settings=services.settings, user=user).purchased
        assert purchased == (7 if fee == "posted" else 10)  # the video itself took quota
        assert check_ledger(db=db) == []


def test_without_partial_delivery_the_video_fails_and_is_refunded(fast):
    from reelmint.domains.wallet.service import holds_for_video

    job, _ = _two_shots(fast)
    video = _run_one(fast, SecondShotFailsBackend(), job)
    assert (video.status, video.error_code) == ("failed", GENERATION_FAILED)
    with fast.db.read() as db:
        assert [h.status for h in holds_for_video(db=db, video_id=job)] == ["voided"]


# --- cameos: the worker hands the backend each cameo's image ------------------------------------


class CameoRecordingBackend(PreviewBackend):
    """The preview backend, noting the cameo images it was given (their bytes: the job's
    temporary folder is gone once it ends)."""

    def __init__(self, options: BackendOptions | None = None) -> None:
        super().__init__(options)
        self.cameo_images: list[bytes] = []

    def render(self, storyboard: Storyboard, params: RenderParams, progress) -> Clip:
        self.cameo_images = [path.read_bytes() for path in params.cameo_images]
        return super().render(storyboard, params, progress)


def _cameo(services: Services, user: User, handle: str, tmp_path: Path, colour) -> str:
    """A cameo anyone may use, through the service; the storage key of its main image."""
    from PIL import Image

    from reelmint.domains.cameos import service as cameos

    photo = tmp_path / f"{handle}.png"
    Image.new("RGB", (200, 200), colour).save(photo, format="PNG")
    with services.db.write() as db:
        phrase = cameos.start_consent(db=db, settings=services.settings, user=user).phrase
    cameo = cameos.create_cameo(
        services=services,
        user=user,
        request=cameos.CameoRequest(handle=handle, display_name=handle, permission="everyone"),
        images=[cameos.ImageUpload(path=photo, name=photo.name)],
        consent_phrase=phrase,
    )
    with services.db.read() as db:
        return cameos.images_of(db=db, cameo=cameo)[0].storage_key


def test_a_job_using_cameos_renders_with_their_images_in_order_of_mention(fast_on, tmp_path):
    ada, bob = _user(fast_on), _user(fast_on)
    ada_key = _cameo(fast_on, ada, "ada", tmp_path, (200, 40, 40))
    bob_key = _cameo(fast_on, bob, "bob", tmp_path, (40, 40, 200))
    job = _queue(fast_on, bob, prompt="@bob and @ada play catch in a park")
    backend = CameoRecordingBackend()

    assert Worker(fast_on, backends={"preview": backend}).run_once()

    assert video_row(fast_on, job).status == "completed"
    stored = []
    for key in (bob_key, ada_key):
        local = tmp_path / key.replace("/", "_")
        fast_on.storage.download(key, local)
        stored.append(local.read_bytes())
    assert backend.cameo_images == stored  # bob first: he is mentioned first


def test_a_job_without_cameos_gets_none(fast):
    backend = CameoRecordingBackend()
    backend.cameo_images = [b"not reset"]
    _queue(fast, _user(fast))
    assert Worker(fast, backends={"preview": backend}).run_once()
    assert backend.cameo_images == []
