"""The file sweep removes stored files no row refers to (a deleted video's, a revoked cameo's,
a retired character's, a run never recorded, a video that never committed) and keeps every
file a row uses, every file of a run still being written, young files, and whatever lies
outside the platform's folders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from domains.cameos.cameo_helpers import make_cameo
from domains.rights.claim_helpers import make_holder
from reelmint.db.base import utcnow
from reelmint.domains.cameos.models import Cameo
from reelmint.domains.rights import images as character_images
from reelmint.domains.rights.models import Character
from reelmint.domains.uploads import ImageUpload
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.file_sweep import sweep_files
from reelmint.housekeeping import FileSweeps
from support import make_account, make_services

LATER = timedelta(days=2)


@pytest.fixture
def ada(services):
    return make_account(services).user


def store(services, tmp_path: Path, key: str) -> str:
    source = tmp_path / "source.bin"
    source.write_bytes(b"bytes")
    services.storage.put_file(key, source, content_type="application/octet-stream")
    return key


def stored(services) -> set[str]:
    return {
        item.key
        for folder in ("videos/", "inputs/", "cameos/", "characters/", "backups/")
        for item in services.storage.list_objects(folder)
    }


def queued_video(services, user) -> Video:
    request = VideoRequest(prompt="a lighthouse at dusk", seconds="4", size="480x480", seed=5)
    return create_video(services=services, user=user, request=request)


def completed(services, tmp_path, video: Video, run: str, *, deleted: bool = False) -> list[str]:
    """Give `video` the files of a completed `run` (and a reference image); their keys."""
    keys = [
        store(services, tmp_path, f"videos/{video.id}/{run}/{name}")
        for name in ("video.mp4", "poster.jpg", "spritesheet.jpg")
    ]
    keys.append(store(services, tmp_path, f"inputs/{video.id}/reference.png"))
    with services.db.write() as db:
        row = db.get_one(Video, video.id)
        row.status = "completed"
        row.video_key, row.poster_key, _, row.input_reference_key = keys
        row.deleted_at = utcnow() if deleted else None
    return keys


def a_cameo(services, user, handle: str, tmp_path: Path, *, revoked: bool = False) -> set[str]:
    cameo = make_cameo(services, user, handle)
    if revoked:  # as if removing its images had failed after the revocation committed
        with services.db.write() as db:
            db.get_one(Cameo, cameo.id).status = "revoked"
    return {key for key in stored(services) if key.startswith(f"cameos/{cameo.id}/")}


def a_character(services, slug: str, tmp_path: Path, *, retired: bool = False) -> set[str]:
    holder = make_holder(services, email=f"{slug}@example.com", slug=slug, handle=slug, name=slug)
    image = tmp_path / f"{slug}.png"
    Image.new("RGB", (160, 120), (200, 60, 40)).save(image, format="PNG")
    character_images.add_images(
        services=services,
        actor=holder.member,
        character_id=holder.character_id,
        images=[ImageUpload(path=image, name=image.name)],
    )
    if retired:
        with services.db.write() as db:
            db.get_one(Character, holder.character_id).retired_at = utcnow()
    return {key for key in stored(services) if key.startswith(f"characters/{holder.character_id}/")}


def test_files_no_row_refers_to_go_and_every_file_in_use_stays(services, ada, tmp_path):
    shown = queued_video(services, ada)
    in_use = set(completed(services, tmp_path, shown, "run_b"))
    stale_run = store(services, tmp_path, f"videos/{shown.id}/run_a/video.mp4")
    gone = queued_video(services, ada)
    deleted = set(completed(services, tmp_path, gone, "run_a", deleted=True))
    never_committed = {
        store(services, tmp_path, "videos/video_nothing/run_x/video.mp4"),
        store(services, tmp_path, "inputs/video_nothing/reference.jpg"),
    }
    rendering = queued_video(services, ada)
    with services.db.write() as db:
        db.add(VideoRun(id="run_live", video_id=rendering.id, worker_id="w", attempt=1))
    being_written = store(services, tmp_path, f"videos/{rendering.id}/run_live/video.mp4")
    cameo = a_cameo(services, ada, "ada", tmp_path)
    revoked = a_cameo(services, ada, "bea", tmp_path, revoked=True)
    character = a_character(services, "brightwave", tmp_path)
    retired = a_character(services, "duskfall", tmp_path, retired=True)
    outside = store(services, tmp_path, "backups/2026-11-24.tar")
    assert all((cameo, revoked, character, retired))

    report = sweep_files(services, now=utcnow() + LATER)

    garbage = {stale_run, *deleted, *never_committed, *revoked, *retired}
    assert set(report.removed) == garbage
    assert report.failed == []
    assert stored(services) == {*in_use, being_written, *cameo, *character, outside}
    assert report.listed == len(garbage) + len(in_use) + 1 + len(cameo) + len(character)
    again = sweep_files(services, now=utcnow() + LATER)
    assert again.removed == []


def test_young_files_are_kept_whoever_refers_to_them(services, tmp_path):
    young = store(services, tmp_path, "videos/video_nothing/run_x/video.mp4")
    report = sweep_files(services)
    assert (report.removed, report.young) == ([], 1)
    assert stored(services) == {young}
    hour_later = sweep_files(services, now=utcnow() + timedelta(hours=2))
    assert hour_later.removed == []
    later = sweep_files(services, now=utcnow() + timedelta(hours=2), min_age=timedelta(hours=1))
    assert later.removed == [young]


def test_a_dry_run_lists_what_would_go_and_removes_nothing(services, tmp_path):
    orphan = store(services, tmp_path, "videos/video_nothing/run_x/video.mp4")
    report = sweep_files(services, now=utcnow() + LATER, dry_run=True)
    assert report.removed == [orphan]
    assert stored(services) == {orphan}


def test_a_file_that_cannot_be_removed_is_reported_and_the_rest_go(services, tmp_path, monkeypatch):
    stuck = store(services, tmp_path, "videos/video_a/run_x/video.mp4")
    other = store(services, tmp_path, "videos/video_b/run_x/video.mp4")
    remove = services.storage.delete

    def delete(key: str) -> None:
        if key == stuck:
            raise OSError("read-only file system")
        remove(key)

    monkeypatch.setattr(services.storage, "delete", delete)
    report = sweep_files(services, now=utcnow() + LATER)
    assert (report.removed, report.failed) == ([other], [stuck])
    assert stored(services) == {stuck}


def test_housekeeping_sweeps_at_start_then_every_interval(services, tmp_path, monkeypatch):
    swept: list[int] = []
    monkeypatch.setattr("reelmint.file_sweep.sweep_files", lambda s: swept.append(1) or _ok())
    clock = [1000.0]
    sweeps = FileSweeps(services, clock=lambda: clock[0])
    assert sweeps.run_if_due()
    clock[0] += 23 * 3600
    assert not sweeps.run_if_due()
    clock[0] += 3600
    assert sweeps.run_if_due()
    assert len(swept) == 2


def test_a_sweep_every_0_hours_is_no_sweep(tmp_path, monkeypatch):
    swept: list[int] = []
    monkeypatch.setattr("reelmint.file_sweep.sweep_files", lambda s: swept.append(1) or _ok())
    off = make_services(tmp_path, f"sqlite:///{tmp_path / 'off.db'}", file_sweep_hours=0)
    try:
        assert not FileSweeps(off).run_if_due()
    finally:
        off.close()
    assert swept == []


def test_a_failing_sweep_is_logged_and_tried_again_later(services, monkeypatch, caplog):
    def broken(_services):
        raise OSError("storage gone")

    monkeypatch.setattr("reelmint.file_sweep.sweep_files", broken)
    clock = [0.0]
    sweeps = FileSweeps(services, clock=lambda: clock[0])
    assert not sweeps.run_if_due()
    assert "the file sweep failed" in caplog.text
    clock[0] += 24 * 3600
    caplog.clear()
    assert not sweeps.run_if_due()
    assert "the file sweep failed" in caplog.text


def _ok():
    from reelmint.file_sweep import SweepReport

    return SweepReport()
