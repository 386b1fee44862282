"""`reelmint admin tokens`: the operator's view of an account's API tokens, and the way to stop
one that leaked without closing the account. Its owner is told in the app (and by email) that
the operator revoked it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from reelmint.platform_cli import open_services, user_by_email
from reelmint.terminal import printable
from reelmint.wording import count_of

if TYPE_CHECKING:
    from reelmint.domains.accounts.models import ApiToken

tokens = typer.Typer(
    help="Accounts' API tokens: list and revoke.", no_args_is_help=True, rich_markup_mode=None
)


def register(admin: typer.Typer) -> None:
    admin.add_typer(tokens, name="tokens")


@tokens.command("list")
def list_tokens(
    email: Annotated[str, typer.Argument(help="The account whose tokens to list.")],
) -> None:
    """One line per token that works, newest first: id, name, hint (its first characters),
    when made, when last used (to the nearest few minutes; "never")."""
    from reelmint.domains.accounts.service import live_api_tokens

    services = open_services()
    try:
        with services.db.read() as db:
            lines = [
                _line(token) for token in live_api_tokens(db=db, user=user_by_email(db, email))
            ]
    finally:
        services.close()
    for line in lines or ["no API tokens"]:
        typer.echo(line)


def _line(token: ApiToken) -> str:
    used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
    fields = [
        token.id,
        token.name,
        token.hint,
        token.created_at.isoformat(timespec="seconds"),
        used,
    ]
    return "\t".join(printable(field) for field in fields)


@tokens.command("revoke")
def revoke(
    target: Annotated[
        str, typer.Argument(help="The token (tok_...); with --all, the account's email.")
    ],
    every: Annotated[
        bool, typer.Option("--all", help="Revoke every token of the account TARGET names.")
    ] = False,
) -> None:
    """Revoke a token at once (programs using it are no longer let in), or with --all every
    token of an account; its owner is told in the app. Prints what was revoked."""
    from reelmint.domains.accounts.service import (
        operator_revoke_api_token,
        operator_revoke_api_tokens,
    )

    services = open_services()
    try:
        with services.db.write() as db:
            if every:
                revoked = operator_revoke_api_tokens(db=db, user=user_by_email(db, target))
                said = f"revoked {count_of(revoked, 'API token')} of {target}"
            else:
                token, was_live = operator_revoke_api_token(db=db, token_id=target)
                said = _said(token, was_live)
    finally:
        services.close()
    typer.echo(printable(said))


def _said(token: ApiToken, was_live: bool) -> str:
    if was_live or token.revoked_at is None:
        return f"revoked {token.id} ({token.name})"
    when = token.revoked_at.isoformat(timespec="seconds")
    return f"{token.id} ({token.name}) was revoked already, at {when}; nothing changed"
