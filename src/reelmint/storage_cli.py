"""`reelmint admin storage sweep`: remove stored files no row refers to (reelmint.file_sweep),
now instead of at housekeeping's next sweep, or list them first with `--dry-run`."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from reelmint.errors import BadRequest, Unavailable
from reelmint.platform_cli import open_services
from reelmint.storage.base import StorageError
from reelmint.terminal import printable
from reelmint.wording import count_of

storage = typer.Typer(help="The file storage.", no_args_is_help=True, rich_markup_mode=None)

MAX_MIN_AGE_HOURS = 24 * 366


def register(admin: typer.Typer) -> None:
    admin.add_typer(storage, name="storage")


@storage.command("sweep")
def sweep(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")
    ] = False,
    min_age_hours: Annotated[
        int, typer.Option(help="Keep files younger than this many hours (at least 1).")
    ] = 24,
) -> None:
    """Remove the stored files of deleted videos, revoked cameos, retired characters and
    runs that were never recorded: one line per file, then a summary. Exit 1 if a file
    could not be removed (it is left for the next sweep)."""
    from reelmint.file_sweep import sweep_files

    if not 1 <= min_age_hours <= MAX_MIN_AGE_HOURS:
        raise BadRequest(
            f"--min-age-hours must be 1 to {MAX_MIN_AGE_HOURS} (files younger than an hour may "
            f"belong to a request under way), got {min_age_hours}",
            code="usage",
        )
    services = open_services(storage_used=True)
    try:
        report = sweep_files(services, min_age=timedelta(hours=min_age_hours), dry_run=dry_run)
    except StorageError as error:
        raise Unavailable(
            f"the file storage could not be listed ({error}); nothing more was removed",
            code="storage_unavailable",
        ) from None
    finally:
        services.close()
    for key in report.removed:
        typer.echo(printable(key))
    verb = "would remove" if dry_run else "removed"
    typer.echo(
        f"{verb} {count_of(len(report.removed), 'file')} of {count_of(report.listed, 'file')} "
        f"listed ({count_of(report.young, 'file')} younger than {min_age_hours} h kept)"
    )
    for key in report.failed:
        typer.echo(f"could not remove {printable(key)}; it is left for the next sweep", err=True)
    if report.failed:
        raise typer.Exit(1)
