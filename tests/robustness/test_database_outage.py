"""A real PostgreSQL outage as a job finishes: the database refuses connections and drops the
open ones for two seconds; the worker records the end once it is back, losing nothing."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.domains.accounts.service import create_user
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.videos import service as videos
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.wallet.service import holds_for_video
from reelmint.storage.local import LocalStorage
from reelmint.worker import Worker
from support import make_services

OUTAGE_SECONDS = 2.0


class HookedStorage(LocalStorage):
    """Local storage that runs `after_put(key)` after each upload."""

    after_put: Callable[[str], None] = staticmethod(lambda key: None)

    def put_file(self, key: str, source: Path, *, content_type: str) -> int:
        size = super().put_file(key, source, content_type=content_type)
        self.after_put(key)
        return size


@pytest.fixture
def own_database(postgres_url: str) -> Iterator[tuple[str, psycopg.Connection]]:
    """A database of the test's own (an outage must not touch other tests' schemas), and an
    administrator's connection to the server to cut it off with."""
    name = "outage_" + secrets.token_hex(4)
    admin_url = make_url(postgres_url).set(database="postgres")
    plain = admin_url.render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False), admin
        finally:
            admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _cut_off(admin: psycopg.Connection, name: str) -> threading.Timer:
    """Refuse new connections to `name`, end its open ones, and let them in again later."""
    admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
    )
    back = threading.Timer(
        OUTAGE_SECONDS, lambda: admin.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
    )
    back.start()
    return back


def test_an_outage_as_a_job_finishes_loses_nothing(own_database, tmp_path, keys_dir):
    url, admin = own_database
    name = make_url(url).database or ""
    built = make_services(tmp_path, url)
    (built.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    settings = Settings(
        **{**built.settings.model_dump(), "heartbeat_seconds": 0.2, "lease_seconds": 10.0}
    )
    storage = HookedStorage(settings.storage_dir)
    services = Services(settings=settings, db=built.db, storage=storage)
    with services.db.write() as db:
        user = create_user(db=db, email="maker@example.com", password="a long password")
    request = videos.VideoRequest(prompt="a fox runs in a forest", seconds=4, size="480x480")
    job = videos.create_video(services=services, user=user, request=request).id
    outages: list[threading.Timer] = []
    storage.after_put = lambda key: (
        outages.append(_cut_off(admin, name)) if key.endswith("poster.jpg") else None
    )
    try:
        assert Worker(services).run_once() is True
    finally:
        for timer in outages:
            timer.join()
        services.close()

    services = replace(services, db=type(built.db)(url))
    try:
        with services.db.read() as db:
            video = db.get_one(Video, job)
            runs = db.scalars(select(VideoRun).where(VideoRun.video_id == job)).all()
            holds = holds_for_video(db=db, video_id=job)
            assert check_ledger(db=db) == []
    finally:
        services.close()
    assert len(outages) == 1
    assert (video.status, video.attempts, [run.outcome for run in runs]) == (
        "completed",
        1,
        ["completed"],
    )
    assert [hold.status for hold in holds] == ["posted"]
    assert storage.size(video.video_key) > 0
