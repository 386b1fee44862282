"""Engines and transactions for SQLite and PostgreSQL.

Every unit of work is one transaction: `db.write()` for anything that changes rows, `db.read()`
for queries. On SQLite, `write()` begins with BEGIN IMMEDIATE, so a writer takes the database's
write lock up front and two writers never deadlock half-way (SQLite would otherwise upgrade a
read lock and fail with "database is locked"); readers run beside it thanks to WAL. On
PostgreSQL both are ordinary READ COMMITTED transactions, and row locks (`FOR UPDATE SKIP
LOCKED`) do the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_SECONDS = 30


class Database:
    """One database: its engine and the two kinds of transaction."""

    def __init__(self, url: str | URL, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.engine = _make_engine(self.url, echo=echo)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._writes = sessionmaker(writer, expire_on_commit=False)
        self._reads = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A read-write transaction: committed when the block ends, rolled back on error."""
        with self._writes() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: never committed; closing it ends the transaction.

        Objects loaded here stay readable afterwards (detached, not expired).
        """
        with self._reads() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: URL, *, echo: bool) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    return create_engine(url, echo=echo, **options)


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine
