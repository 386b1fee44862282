"""`reelmint admin storage sweep`: the file sweep by hand, with a dry run first."""

from __future__ import annotations

import os
import time

import pytest

from reelmint.bootstrap import build_services
from reelmint.config import Settings


@pytest.fixture
def orphan(cli, data_dir, tmp_path):
    """A migrated platform whose storage holds a three-day-old file no row refers to."""
    assert cli("migrate").code == 0
    services = build_services(Settings(data_dir=data_dir))
    source = tmp_path / "video.mp4"
    source.write_bytes(b"mp4")
    key = "videos/video_gone/run_a/video.mp4"
    services.storage.put_file(key, source, content_type="video/mp4")
    services.close()
    path = data_dir / "storage" / key
    old = time.time() - 3 * 86400
    os.utime(path, (old, old))
    return path


def test_a_dry_run_names_the_file_then_the_sweep_removes_it(cli, orphan):
    dry = cli("admin", "storage", "sweep", "--dry-run")
    assert dry.code == 0, dry.err
    assert dry.out.splitlines() == [
        "videos/video_gone/run_a/video.mp4",
        "would remove 1 file of 1 file listed (0 files younger than 24 h kept)",
    ]
    assert orphan.exists()

    swept = cli("admin", "storage", "sweep")
    assert swept.code == 0, swept.err
    assert swept.out.splitlines()[-1].startswith("removed 1 file of 1 file listed")
    assert not orphan.exists()
    assert cli("admin", "storage", "sweep").out.strip().startswith("removed 0 files of 0 files")


def test_files_younger_than_the_minimum_age_stay(cli, orphan):
    kept = cli("admin", "storage", "sweep", "--min-age-hours", "100")
    assert kept.out.strip() == "removed 0 files of 1 file listed (1 file younger than 100 h kept)"
    assert orphan.exists()


@pytest.mark.parametrize("hours", ["0", "-3", "9000"])
def test_a_minimum_age_out_of_range_is_one_line_and_removes_nothing(cli, orphan, hours):
    refused = cli("admin", "storage", "sweep", "--min-age-hours", hours)
    assert refused.code == 2
    assert "--min-age-hours must be 1 to 8784" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert orphan.exists()
