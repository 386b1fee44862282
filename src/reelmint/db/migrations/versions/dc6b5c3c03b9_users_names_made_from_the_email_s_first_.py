"""users: names made from the email's first half become Creator and a number

Revision ID: dc6b5c3c03b9
Revises: 03d7625862bb
Create Date: 2026-11-24 17:02:03.766446

An account given no name at sign-up was called by its email's first half ("jane.doe.1987"),
which then showed to everyone on its videos, profile, search results and "followed you". The
open accounts whose name is still exactly what that rule made of their address get the name
new accounts get ("Creator" and a number drawn from the id: `default_display_name`), and a
notification saying why and where to choose another. A name made from an address the account
had before a change of address cannot be told from a chosen one, and stays.

The old names are not put back on the way down: they gave away the addresses.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

revision = "dc6b5c3c03b9"
down_revision = "03d7625862bb"
branch_labels = None
depends_on = None

_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _name_made_from(email: str) -> str:
    """What sign-up called an account given no name, before this revision."""
    local = "".join(c for c in email.split("@")[0] if c.isprintable())[:80]
    return local.strip()


def _default_name(user_id: str) -> str:
    """`accounts.service.default_display_name` as of this revision."""
    number = int(hashlib.sha256(user_id.encode()).hexdigest()[:8], 16) % 9000 + 1000
    return f"Creator {number}"


def _notification_id() -> str:
    return "ntf_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def upgrade() -> None:
    users = sa.table(
        "users",
        sa.column("id", sa.String),
        sa.column("email", sa.String),
        sa.column("display_name", sa.String),
        sa.column("disabled_at", sa.DateTime),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(users.c.id, users.c.email, users.c.display_name).where(
            users.c.disabled_at.is_(None)
        )
    ).all()
    rename = sa.text("UPDATE users SET display_name = :name, name_key = :key WHERE id = :id")
    tell = sa.text(
        "INSERT INTO notifications (id, user_id, kind, title, body, link, created_at) VALUES "
        "(:id, :user_id, 'display_name_changed', :title, :body, '/settings/account', "
        "CURRENT_TIMESTAMP)"
    )
    for user_id, email, name in rows:
        made = _name_made_from(email)
        if not made or name != made:
            continue
        new = _default_name(user_id)
        bind.execute(rename, {"name": new, "key": new.casefold(), "id": user_id})
        body = (
            f"Others saw you as “{name}”, the first half of your email address, a name given "
            f"when none was chosen. You are now “{new}”, which tells nobody your address; "
            "choose another name any time in Settings."
        )
        bind.execute(
            tell,
            {
                "id": _notification_id(),
                "user_id": user_id,
                "title": "Your name no longer shows your email address",
                "body": body,
            },
        )


def downgrade() -> None:
    pass  # the names made from addresses are not given back (see above)
