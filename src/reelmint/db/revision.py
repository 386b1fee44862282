"""Developers' tool: write a new migration from the difference between models and schema.

    python -m reelmint.db.revision "add webhooks"

It migrates a scratch SQLite database to the current head, compares it with the models, and
writes the difference as a new file in db/migrations/versions/ for review.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from reelmint.db.database import Database
from reelmint.db.migrate import alembic_config, upgrade


def main() -> None:
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        print('usage: python -m reelmint.db.revision "what the migration does"', file=sys.stderr)
        raise SystemExit(2)
    with tempfile.TemporaryDirectory() as scratch:
        database = Database(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        upgrade(database)
        script = command.revision(alembic_config(database), message=sys.argv[1], autogenerate=True)
        database.dispose()
    written = getattr(script, "path", None)
    if written:  # keep generated files as tidy as hand-written ones
        subprocess.run([sys.executable, "-m", "ruff", "format", written], check=False)
        subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", written], check=False)


if __name__ == "__main__":
    main()
