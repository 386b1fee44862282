"""Alembic environment: migrate the engine handed over in `config.attributes["engine"]`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import context
from sqlalchemy import Connection, text

from reelmint.db.models import load_all_models
from reelmint.errors import Conflict

config = context.config
target_metadata = load_all_models()


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """On SQLite, hold foreign keys off while migrating, as SQLite's own guide to altering a
    table says. Batch mode changes a table by copying it, dropping the old one and renaming
    the copy; with foreign keys on, that drop deletes every row first, and the deletes cascade
    to the rows of other tables that point at it (a video's runs, a remix's link). The pragma
    only takes effect outside a transaction, so it is set on the driver's connection before
    Alembic begins one, and set back before the connection returns to the pool."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.execute("PRAGMA foreign_keys=ON")
        if driver.execute("PRAGMA foreign_keys").fetchone() != (1,):
            connection.invalidate()  # never hand the pool a connection without them


def _check_foreign_keys(connection: Connection) -> None:
    """With foreign keys off nothing stopped a migration from leaving a dangling reference;
    refuse to commit one (the whole run rolls back)."""
    if connection.dialect.name != "sqlite":
        return
    broken = connection.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        tables = ", ".join(sorted({row[0] for row in broken}))
        raise Conflict(
            f"the schema was not changed: {len(broken)} row(s) in {tables} would point at rows"
            " that do not exist; find them with sqlite3's PRAGMA foreign_key_check, mend or"
            " remove them, and run migrate again",
            code="migration_refused",
        )


def run_migrations() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection, _foreign_keys_off(connection):
        # Take SQLite's write lock at BEGIN: a deferred transaction that reads and then
        # writes fails at once if a running worker wrote in between.
        connection.execution_options(sqlite_begin="IMMEDIATE")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            # SQLite rolls DDL back like any change; one transaction for the whole run means
            # a failed step (or the check below) leaves the schema as it was, not half-moved.
            transactional_ddl=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            _check_foreign_keys(connection)
        connection.commit()


run_migrations()
