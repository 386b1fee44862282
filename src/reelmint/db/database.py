"""Engines and transactions for SQLite and PostgreSQL.

Every unit of work is one transaction: `db.write()` for anything that changes rows, `db.read()`
for queries. On SQLite, `write()` begins with BEGIN IMMEDIATE, so a writer takes the database's
write lock up front and two writers never deadlock half-way (SQLite would otherwise upgrade a
read lock and fail with "database is locked"); readers run beside it thanks to WAL. On
PostgreSQL both are ordinary READ COMMITTED transactions, and row locks (`FOR UPDATE SKIP
LOCKED`) do the rest.

A pooled PostgreSQL connection is checked with a round trip (`SELECT 1`) only when it has sat
unused in the pool for `PING_AFTER_IDLE_SECONDS`: one handed back a moment ago is known to be
alive, and pinging it on every checkout cost every transaction one more round trip. A dead one
is found and replaced before use all the same, and one that breaks mid-transaction is thrown
away by SQLAlchemy's disconnect handling.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from reelmint.errors import BadRequest

SQLITE_BUSY_TIMEOUT_SECONDS = 30
PING_AFTER_IDLE_SECONDS = 5.0


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


# How long a new PostgreSQL connection may take before it counts as unreachable, unless the
# URL says (`?connect_timeout=N`).
CONNECT_TIMEOUT_SECONDS = 10


def _make_engine(url: URL, *, echo: bool) -> Engine:
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    if "connect_timeout" not in url.query:  # an address that never answers: fail, not hang
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use if it has been idle for a while (see above)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if getattr(dbapi_connection, "closed", False):
            raise exc.DisconnectionError("the connection was closed")
        if returned is not None and time.monotonic() - returned >= PING_AFTER_IDLE_SECONDS:
            ping(dbapi_connection)


def ping(dbapi_connection: Any) -> None:
    """One round trip on a driver connection, leaving it idle; DisconnectionError if it is
    dead (the pool then throws it away and checks out another)."""
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        raise exc.DisconnectionError(f"the connection failed a ping: {error}") from error


def _make_folder(folder: Path) -> None:
    """The SQLite database's folder (the data folder by default), made if missing; 400
    `invalid_data_dir` when it cannot be (a file in the way, no permission), saying which."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise BadRequest(
            f"cannot make the database's folder {folder} ({reason}); set REELMINT_DATA_DIR "
            "(or REELMINT_DATABASE_URL) to a folder this user can write",
            code="invalid_data_dir",
        ) from None


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    if url.database and url.database != ":memory:":
        _make_folder(Path(url.database).parent)
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
