"""`reelmint admin characters`: the operator's view of the character registry. List what rights
holders registered (to review it: a character that names what is not its holder's, or whose
description is of ordinary things, would charge for or block ordinary prompts) and retire one,
saying why: its holder's members are told, its claims are withdrawn."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from reelmint.errors import NotFound
from reelmint.platform_cli import open_services
from reelmint.terminal import printable
from reelmint.wording import count_of

if TYPE_CHECKING:
    from reelmint.domains.rights.models import Character

characters = typer.Typer(
    help="The character registry: review and retire.", no_args_is_help=True, rich_markup_mode=None
)


def register(admin: typer.Typer) -> None:
    admin.add_typer(characters, name="characters")


@characters.command("list")
def list_characters(
    organisation: Annotated[
        str | None, typer.Option("--org", help="Only this organisation's (its id).")
    ] = None,
) -> None:
    """One line per live character, oldest first: id, @handle, name, organisation, policy,
    fee, when registered, aliases, and the start of its description."""
    from sqlalchemy import select

    from reelmint.domains.accounts.models import Organisation
    from reelmint.domains.rights.models import Character

    services = open_services()
    try:
        with services.db.read() as db:
            query = (
                select(Character, Organisation.name)
                .join(Organisation, Organisation.id == Character.organisation_id)
                .where(Character.retired_at.is_(None))
                .order_by(Character.created_at, Character.id)
            )
            if organisation:
                if db.get(Organisation, organisation) is None:
                    raise NotFound(
                        f"no organisation {organisation!r}; give --org an organisation's id "
                        "(org_..., as 'admin create-org' printed it)",
                        code="organisation_not_found",
                    )
                query = query.where(Character.organisation_id == organisation)
            lines = [_line(character, holder) for character, holder in db.execute(query)]
    finally:
        services.close()
    for line in lines or ["no characters"]:
        typer.echo(line)


def _line(character: Character, holder: str) -> str:
    fee = f"{character.fee_units} units" if character.policy == "licensed" else "-"
    fields = [
        character.id,
        f"@{character.handle}",
        character.name,
        holder,
        character.policy,
        fee,
        character.created_at.date().isoformat(),
        ", ".join(json.loads(character.aliases_json)),
        character.description[:80],
    ]
    return "\t".join(printable(field) for field in fields)


@characters.command("retire")
def retire(
    character_id: Annotated[str, typer.Argument(help="The character (chr_...).")],
    reason: Annotated[
        str, typer.Option(help="Why, in 10-2000 characters: the holder's members are told.")
    ],
) -> None:
    """Retire a character for good: no longer detected, listed or claimable; its claims in force
    are withdrawn (each uploader told) and its reference images removed."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.rights.service import retire_character
    from reelmint.domains.uploads import remove_files

    services = open_services()
    try:
        with services.db.write() as db:
            retired = retire_character(
                db=db,
                actor=OPERATOR,
                character_id=character_id,
                reason=reason,
            )
            name = f"{retired.character.name} (@{retired.character.handle})"
        remove_files(services.storage, retired.image_keys)
    finally:
        services.close()
    withdrawn = count_of(retired.claims_ended, "claim")
    typer.echo(printable(f"retired {name}; {withdrawn} withdrawn"))
