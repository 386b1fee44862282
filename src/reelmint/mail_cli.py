"""`reelmint admin mail`: the email outbox for operators. List mail by status, show one as it is
sent (where email is off, or a mail failed, the operator reads a confirmation link out of it; a
sent mail's link is no longer kept, and `show` says so), and send failed mail again once its
cause (a wrong SMTP password, an unverified sender) is fixed."""

from __future__ import annotations

from typing import Annotated

import typer

from reelmint.errors import BadRequest
from reelmint.platform_cli import note_link_base, open_services
from reelmint.terminal import printable

mail = typer.Typer(help="The email outbox.", no_args_is_help=True, rich_markup_mode=None)


def register(admin: typer.Typer) -> None:
    admin.add_typer(mail, name="mail")


@mail.command("list")
def list_mail(
    status: Annotated[str, typer.Option(help="pending, sent or failed.")] = "failed",
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """One line per mail: id, queued at, tries, recipient, subject, and the last error."""
    from reelmint.domains.notifications.mailer import outbox_mail

    services = open_services()
    try:
        with services.db.read() as db:
            for item in outbox_mail(db=db, status=status, limit=limit):
                error = item.last_error.splitlines()[0] if item.last_error else ""
                fields = [
                    item.id,
                    item.created_at.isoformat(timespec="seconds"),
                    f"{item.attempts} tries",
                    item.to_address,
                    item.subject,
                    error,
                ]
                typer.echo("\t".join(printable(field) for field in fields))
    finally:
        services.close()


@mail.command("show")
def show(mail_id: Annotated[str, typer.Argument(help="The mail's id (from `list`).")]) -> None:
    """Print one mail as it is sent: its headers, a blank line, its text. A sent mail's link
    is not kept, so a note stands where it was."""
    from reelmint.domains.notifications.mailer import outbox_message

    services = open_services()
    try:
        with services.db.read() as db:
            message = outbox_message(db=db, settings=services.settings, mail_id=mail_id)
        for header in ("From", "To", "Subject", "Date", "Message-ID"):
            typer.echo(f"{header}: {printable(str(message[header]))}")
        typer.echo("")
        for line in message.get_content().splitlines():
            typer.echo(printable(line))
        note_link_base(services.settings)
    finally:
        services.close()


@mail.command("retry")
def retry(
    ids: Annotated[list[str] | None, typer.Argument(help="The failed mail's ids.")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every failed mail instead of the ids given.")
    ] = False,
) -> None:
    """Send failed mail again from now, with a fresh count of tries."""
    from reelmint.domains.notifications.mailer import retry_failed

    if bool(ids) == every:
        raise BadRequest("name the failed mail's ids, or pass --all (not both)", code="usage")
    services = open_services()
    try:
        with services.db.write() as db:
            count = retry_failed(db=db, ids=ids or ())
        typer.echo(f"{count} failed mail queued to be sent again")
    finally:
        services.close()
