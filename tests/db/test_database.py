"""Database: pooled PostgreSQL connections are pinged only after sitting idle, and a dead one
is replaced before a transaction uses it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from reelmint.db import database
from reelmint.db.database import Database


@pytest.fixture
def db(postgres_schema_url: str) -> Iterator[Database]:
    built = Database(postgres_schema_url)
    yield built
    built.dispose()


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every ping made, recorded before it runs."""
    made: list[object] = []
    real = database.ping

    def counted(dbapi_connection: object) -> None:
        made.append(dbapi_connection)
        real(dbapi_connection)

    monkeypatch.setattr(database, "ping", counted)
    return made


def _backend_pid(db: Database) -> int:
    with db.read() as session:
        return session.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(db: Database, pid: int) -> None:
    """End the server process behind a pooled connection, and wait until it is gone (the
    server ends it asynchronously). Each look is a transaction of its own: within one,
    PostgreSQL shows the same snapshot of pg_stat_activity however long it waits."""
    plain = db.url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
        deadline = time.monotonic() + 30
        look = "SELECT 1 FROM pg_stat_activity WHERE pid = %s"
        while admin.execute(look, [pid]).fetchone() is not None:
            assert time.monotonic() < deadline, f"backend {pid} did not end"
            time.sleep(0.01)


def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(db, pings):
    first = _backend_pid(db)
    for _ in range(3):
        with db.write() as session:
            session.execute(text("SELECT 1"))
    assert _backend_pid(db) == first  # the same pooled connection each time
    assert pings == []


def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(db, pings, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    dead = _backend_pid(db)
    _terminate(db, dead)
    with db.write() as session:
        alive = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert alive != dead
    assert len(pings) >= 1  # the dead one failed its ping and was thrown away


def test_an_idle_live_connection_passes_its_ping_and_is_kept(db, pings, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    first = _backend_pid(db)
    assert _backend_pid(db) == first
    assert len(pings) == 1


def test_the_schema_option_survives_a_replaced_connection(db, monkeypatch):
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    _terminate(db, _backend_pid(db))
    with db.read() as session:
        path = session.execute(text("SHOW search_path")).scalar_one()
    assert path == make_url(str(db.url)).query["options"].removeprefix("-csearch_path=")


def test_a_postgresql_connection_gives_up_after_a_timeout_unless_the_url_says():
    plain = Database("postgresql+psycopg://reelmint@db.invalid/reelmint")
    told = Database("postgresql+psycopg://reelmint@db.invalid/reelmint?connect_timeout=3")
    try:
        assert plain.engine.url.query["connect_timeout"] == str(database.CONNECT_TIMEOUT_SECONDS)
        assert told.engine.url.query["connect_timeout"] == "3"
    finally:
        plain.dispose()
        told.dispose()
