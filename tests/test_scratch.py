"""Scratch folders: named for their kind and their process, removed when the work ends, and
those a killed process left removed by the next to start (and nothing else)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reelmint.domains.videos import api as videos_api
from reelmint.scratch import (
    SCRATCH_KINDS,
    remove_stale_scratch_folders,
    scratch_folder,
    scratch_prefix,
)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder, for this test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture(scope="module")
def dead_pid() -> int:
    """The pid of a process that has ended."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


def test_a_scratch_folder_is_named_for_its_kind_and_process_and_removed_after(root):
    with scratch_folder("upload") as made:
        assert Path(made).parent == root
        assert Path(made).name.startswith(f"reelmint-upload-{os.getpid()}-")
        (Path(made) / "image.png").write_bytes(b"half an image")
    assert list(root.iterdir()) == []


def test_a_kind_the_sweep_does_not_know_is_refused():
    with pytest.raises(ValueError, match="unknown scratch kind 'uploads'"):
        scratch_prefix("uploads")


def test_folders_a_killed_process_left_are_removed_of_every_kind(root, dead_pid):
    left = [root / f"reelmint-{kind}-{dead_pid}-k2j3h4g5" for kind in SCRATCH_KINDS]
    for folder in left:
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "part").write_bytes(b"half a file")
    assert sorted(remove_stale_scratch_folders()) == sorted(left)
    assert list(root.iterdir()) == []


def test_the_sweep_keeps_what_may_be_someone_elses(root, dead_pid, tmp_path):
    """A live process's folder, one whose name gives no pid (an older version's), one of a
    kind not ours, a file, and a link (never followed) are all kept."""
    live = root / f"reelmint-upload-{os.getpid()}-a1b2c3d4"
    legacy = root / "reelmint-derive-q9w8e7r6"
    unknown = root / f"reelmint-export-{dead_pid}-x"
    for folder in (live, legacy, unknown):
        folder.mkdir()
    file = root / f"reelmint-sprites-{dead_pid}-file"
    file.write_bytes(b"not a folder")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_bytes(b"kept")
    link = root / f"reelmint-verify-{dead_pid}-link"
    link.symlink_to(target, target_is_directory=True)
    assert remove_stale_scratch_folders() == []
    assert sorted(root.iterdir()) == sorted([live, legacy, unknown, file, link])
    assert (target / "keep").read_bytes() == b"kept"


def test_an_upload_is_read_into_a_scratch_folder_of_the_server(client, account, root, monkeypatch):
    """A server killed while it reads an upload leaves a folder the next start can remove."""
    seen: list[str] = []
    real = videos_api.read_body

    async def reading(request, *, folder, max_file_bytes):
        seen.append(folder.name)
        return await real(request, folder=folder, max_file_bytes=max_file_bytes)

    monkeypatch.setattr(videos_api, "read_body", reading)
    form = {"prompt": (None, "a red car drives through a city"), "seconds": (None, "4")}
    response = client.post("/v1/videos", headers=account.headers, files=form)
    assert response.status_code == 200, response.text
    (name,) = seen
    assert name.startswith(f"reelmint-upload-{os.getpid()}-")
    assert list(root.iterdir()) == []
