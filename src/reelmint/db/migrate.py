"""Schema migrations with Alembic, run from code (`reelmint migrate`) on SQLite and PostgreSQL."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from reelmint.db.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = database.engine
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default)."""
    command.upgrade(alembic_config(database), revision)


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@cache
def head_revision() -> str | None:
    """The newest revision this version's migrations reach (read once a process: the scripts
    ship with the code)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def is_up_to_date(database: Database) -> bool:
    return current_revision(database) == head_revision()
