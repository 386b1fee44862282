"""`reelmint migrate` from code: one run at a time, and never on a schema it does not know."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from reelmint.db.database import Database
from reelmint.db.migrate import current_revision, head_revision, upgrade
from reelmint.errors import Conflict

NEWER = "ffffffffffff"  # a revision no version of this code knows


def stamp(database: Database, revision: str) -> None:
    """Write `revision` into alembic_version, as a newer reelmint's migrate would have."""
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_database_a_newer_version_migrated_is_refused_and_left_as_it_is(database_url):
    database = Database(database_url)
    upgrade(database)
    stamp(database, NEWER)
    with pytest.raises(Conflict) as refused:
        upgrade(database)
    assert refused.value.code == "database_newer"
    assert refused.value.message == (
        "the database was migrated by a newer version of reelmint than this host runs (it is "
        f"at schema revision {NEWER}; this version knows up to {head_revision()}); upgrade "
        "reelmint on this host"
    )
    assert current_revision(database) == NEWER
    database.dispose()


MIGRATE_WHEN_TOLD = """
import sys, time
from pathlib import Path
from reelmint.db.database import Database
from reelmint.db.migrate import upgrade
url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
database = Database(url)
ready.touch()
while not go.exists():
    time.sleep(0.005)
upgrade(database)
"""


def test_two_migrations_at_once_on_postgresql_run_one_after_the_other(
    postgres_schema_url, tmp_path
):
    """Two processes (two hosts' `reelmint migrate`) released together on an empty database:
    without a lock both create alembic_version and the tables, and one fails on a unique
    violation; with it the second waits, then has nothing to do."""
    go = tmp_path / "go"
    runs = []
    for n in range(2):
        ready = tmp_path / f"ready-{n}"
        argv = [sys.executable, "-c", MIGRATE_WHEN_TOLD, postgres_schema_url, str(ready), str(go)]
        runs.append((ready, subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)))
    try:
        deadline = time.monotonic() + 60
        while not all(ready.exists() for ready, _ in runs) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        outcomes = [(run.wait(timeout=120), run.stderr.read()) for _, run in runs]
    finally:
        for _, run in runs:
            run.kill()
    assert outcomes == [(0, ""), (0, "")]
    database = Database(postgres_schema_url)
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert rows == [(head_revision(),)]
    database.dispose()
