"""`reelmint admin suspend` and `admin reinstate`: stop an account for a while, saying why, and
let it back (`accounts.suspension`)."""

from __future__ import annotations

from typing import Annotated

import typer

from reelmint.platform_cli import open_services, user_by_email
from reelmint.terminal import printable
from reelmint.wording import count_of


def register(admin: typer.Typer) -> None:
    admin.command("suspend")(suspend)
    admin.command("reinstate")(reinstate)


def suspend(
    email: Annotated[str, typer.Argument(help="The account to suspend.")],
    reason: Annotated[
        str, typer.Option(help="Why, on one line of 1-500 characters: the person reads it.")
    ],
) -> None:
    """Suspend an account: it cannot sign in or use its API tokens, and nobody else sees its
    videos, until reinstated; it keeps everything. The person is emailed the reason. Again
    with the same reason: no change."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import suspend_account

    services = open_services()
    try:
        with services.db.write() as db:
            user_id = user_by_email(db, email).id
            done = suspend_account(
                db=db,
                actor=OPERATOR,
                user_id=user_id,
                reason=reason,
                contact=services.settings.operator_contact,
            )
            since = done.user.suspended_at.date().isoformat() if done.user.suspended_at else "?"
            line = f"{user_id} suspended since {since}: {done.user.suspended_reason}"
    finally:
        services.close()
    typer.echo(printable(line))
    if done.changed:
        typer.echo(
            f"ended {count_of(done.sessions_ended, 'browser session')}; took "
            f"{count_of(len(done.withdrawn), 'video')} of others off the feed (they play its "
            "videos again)"
        )


def reinstate(email: Annotated[str, typer.Argument(help="The suspended account.")]) -> None:
    """End an account's suspension: it may sign in again and its published videos are seen
    again. The person is told."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import reinstate_account

    services = open_services()
    try:
        with services.db.write() as db:
            user_id = user_by_email(db, email).id
            reinstate_account(db=db, actor=OPERATOR, user_id=user_id)
    finally:
        services.close()
    typer.echo(f"{user_id} reinstated")
