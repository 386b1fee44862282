"""@handles: one namespace for cameos and characters, so "@name" in a prompt means one thing.

Each table has its own unique index, but nothing in the database spans both; `claim_handle`
does. On PostgreSQL it first takes a transaction-scoped advisory lock on the handle, so two
transactions claiming one handle (a cameo in one, a character in the other) take turns and the
second sees the first's row; SQLite runs one writer at a time anyway.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from reelmint.errors import Conflict


def claim_handle(db: Session, handle: str) -> None:
    """409 `handle_taken` if a cameo or a character has `handle`; otherwise it is this
    transaction's to take until it ends."""
    from reelmint.domains.cameos.models import Cameo
    from reelmint.domains.rights.models import Character

    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"@{handle}"})
    taken = select(Character.id).where(Character.handle == handle)
    if db.scalar(taken.union(select(Cameo.id).where(Cameo.handle == handle))) is not None:
        raise Conflict(
            f"the handle @{handle} is taken; choose another", code="handle_taken", param="handle"
        )
