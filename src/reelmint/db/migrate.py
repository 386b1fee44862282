"""Schema migrations with Alembic, run from code (`reelmint migrate`) on SQLite and PostgreSQL.

On PostgreSQL a run holds an advisory lock (`MIGRATION_LOCK_KEY`) from start to end, so two
`reelmint migrate` started at once (two hosts of a fleet) run one after the other: the second
waits, then finds the schema at its head and has nothing to do. On SQLite the write lock that
Alembic's transaction takes at BEGIN IMMEDIATE (db/migrations/env.py) does the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from reelmint.db.database import Database
from reelmint.errors import Conflict

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_lock's 64-bit key: the bytes of "reelmint", shared by every version.
MIGRATION_LOCK_KEY = int.from_bytes(b"reelmint", "big")


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default), one run at a time per
    database; a schema that a newer version of reelmint migrated is refused unchanged."""
    with migration_lock(database):
        require_known_revision(current_revision(database))
        command.upgrade(alembic_config(database), revision)


@contextmanager
def migration_lock(database: Database) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for migrations while the block runs (waiting for
    another run to end first); on SQLite, nothing to hold."""
    if not database.is_postgres:
        yield
        return
    with database.engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()  # the lock belongs to the session, not to the transaction
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def head_revision() -> str | None:
    """The newest revision this version's migrations reach (read once a process: the scripts
    ship with the code)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


@cache
def known_revisions() -> frozenset[str]:
    """Every revision this version's migrations know."""
    scripts = ScriptDirectory(str(MIGRATIONS)).walk_revisions()
    return frozenset(script.revision for script in scripts)


def require_known_revision(current: str | None) -> None:
    """Refuse a database whose schema revision this version does not know: a newer version
    of reelmint migrated it, and neither `migrate` nor this version's code can use it."""
    if current is not None and current not in known_revisions():
        raise Conflict(
            f"the database was migrated by a newer version of reelmint than this host runs "
            f"(it is at schema revision {current}; this version knows up to {head_revision()}); "
            "upgrade reelmint on this host",
            code="database_newer",
        )


def is_up_to_date(database: Database) -> bool:
    return current_revision(database) == head_revision()
