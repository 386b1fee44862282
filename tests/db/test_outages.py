"""Which database errors mean "cannot be reached" (or "try again"), judged on the driver's
errors as they are really raised, not on SQLAlchemy's wrapper class."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, exc, text

from reelmint.db.outages import database_unreachable, describe, worth_retrying
from support import free_port


def _raised(work: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as caught:  # noqa: PT011 (any error: that is the point)
        work()
    return caught.value


class _DriverError(Exception):
    """A driver error with a SQLSTATE, as psycopg's carry one."""

    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def _operational(sqlstate: str, message: str = "error") -> exc.OperationalError:
    return exc.OperationalError("UPDATE videos ...", {}, _DriverError(message, sqlstate))


def test_a_postgresql_server_that_is_not_running_is_unreachable():
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    error = _raised(engine.connect)
    assert database_unreachable(error)
    assert worth_retrying(error)
    assert "Connection refused" in describe(error)
    assert "\n" not in describe(error)


def test_a_session_the_server_terminated_is_unreachable(postgres_url):
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            pid = connection.scalar(text("SELECT pg_backend_pid()"))
            with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            error = _raised(lambda: connection.execute(text("SELECT 1")))
    finally:
        engine.dispose()
    assert database_unreachable(error)


def test_a_statement_postgresql_refuses_is_not_an_outage(postgres_url):
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            error = _raised(lambda: connection.execute(text("SELECT * FROM no_such_table")))
    finally:
        engine.dispose()
    assert isinstance(error, exc.ProgrammingError)
    assert not database_unreachable(error)
    assert not worth_retrying(error)


@pytest.mark.parametrize("sqlstate", ["08006", "08001", "57P01", "57P02", "57P03", "53300"])
def test_connection_level_sqlstates_are_unreachable(sqlstate):
    assert database_unreachable(_operational(sqlstate))


@pytest.mark.parametrize("sqlstate", ["40P01", "40001", "55P03"])
def test_a_lost_race_is_worth_retrying_but_is_no_outage(sqlstate):
    error = _operational(sqlstate, "deadlock detected")
    assert worth_retrying(error)
    assert not database_unreachable(error)


def test_integrity_errors_are_neither():
    error = exc.IntegrityError("INSERT ...", {}, _DriverError("duplicate key", "23505"))
    assert not database_unreachable(error)
    assert not worth_retrying(error)


def test_a_pool_that_times_out_is_unreachable(tmp_path: Path):
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=0.05
    )
    try:
        with engine.connect():
            error = _raised(engine.connect)
    finally:
        engine.dispose()
    assert isinstance(error, exc.TimeoutError)
    assert database_unreachable(error)


def test_sqlite_unable_to_open_or_locked_is_unreachable_but_no_such_table_is_not(tmp_path: Path):
    folder = tmp_path / "folder"
    folder.mkdir()
    assert database_unreachable(_raised(create_engine(f"sqlite:///{folder}").connect))

    url = f"sqlite:///{tmp_path / 'locked.db'}"
    holder = create_engine(url, connect_args={"timeout": 0})
    waiter = create_engine(url, connect_args={"timeout": 0})
    try:
        with holder.connect() as held:
            held.exec_driver_sql("BEGIN IMMEDIATE")
            with waiter.connect() as other:
                locked = _raised(lambda: other.exec_driver_sql("BEGIN IMMEDIATE"))
            held.exec_driver_sql("ROLLBACK")
        with waiter.connect() as other:
            missing = _raised(lambda: other.execute(text("SELECT * FROM no_such_table")))
    finally:
        holder.dispose()
        waiter.dispose()
    assert "database is locked" in describe(locked)
    assert database_unreachable(locked)
    assert isinstance(missing, exc.OperationalError)
    assert not database_unreachable(missing)
    assert not worth_retrying(missing)
