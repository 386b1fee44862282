"""`reelmint admin characters`: the operator lists the registry and retires a character,
saying why (its holder's members are told); bad input is one line and exit 2."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.domains.accounts.service import create_organisation, find_user
from reelmint.domains.notifications.models import Notification
from reelmint.domains.rights import service as rights


@pytest.fixture
def registry(cli, data_dir):
    """A migrated platform whose rights holder registered two characters."""
    assert cli("migrate").code == 0
    assert (
        cli("admin", "create-user", "olive@wave.example", "--password", "a long password").code == 0
    )
    services = build_services(Settings(data_dir=data_dir))
    with services.db.write() as db:
        owner = find_user(db=db, email="olive@wave.example")
        org = create_organisation(
            db=db, owner=owner, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        made = [
            rights.register_character(
                db=db,
                actor=owner,
                organisation_id=org.id,
                request=rights.CharacterRequest(handle=handle, name=name, **fields),
            )
            for handle, name, fields in [
                ("brightwave", "Captain Brightwave", {"fee_units": 3, "aliases": ("Brightwave",)}),
                ("doggo", "Zorblax Doggo", {"description": "a dog playing in a park"}),
            ]
        ]
    yield services, owner, [c.id for c in made]
    services.close()


def test_list_shows_each_live_character_on_a_line(cli, registry):
    _, _, (bright, doggo) = registry
    listed = cli("admin", "characters", "list")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert [line.split("\t")[:6] for line in lines] == [
        [bright, "@brightwave", "Captain Brightwave", "Wave Studios", "licensed", "3 units"],
        [doggo, "@doggo", "Zorblax Doggo", "Wave Studios", "licensed", "0 units"],
    ]
    assert lines[0].split("\t")[7] == "Brightwave"
    assert lines[1].endswith("a dog playing in a park")
    unknown = cli("admin", "characters", "list", "--org", "org_nothing")
    assert (unknown.code, unknown.out) == (2, "")
    assert "no organisation 'org_nothing'" in unknown.err


def test_retire_needs_a_reason_and_tells_the_holder(cli, registry):
    services, owner, (_, doggo) = registry
    short = cli("admin", "characters", "retire", doggo, "--reason", "no")
    assert (short.code, short.out) == (2, "")
    assert short.err.startswith("error: say why the character is retired in 10-2000")
    assert len(short.err.strip().splitlines()) == 1
    unknown = cli("admin", "characters", "retire", "chr_nothing", "--reason", "a good reason")
    assert (unknown.code, unknown.err) == (2, "error: no character chr_nothing\n")
    done = cli("admin", "characters", "retire", doggo, "--reason", "describes every dog in a park")
    assert done.code == 0, done.err
    assert done.out == "retired Zorblax Doggo (@doggo); 0 claims withdrawn\n"
    assert [
        line.split("\t")[1] for line in cli("admin", "characters", "list").out.splitlines()
    ] == ["@brightwave"]
    with services.db.read() as db:
        told = db.scalars(select(Notification).where(Notification.user_id == owner.id)).all()
    assert [n.kind for n in told if n.kind == "character.retired"] == ["character.retired"]
