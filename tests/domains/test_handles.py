"""@handles: one namespace across cameos and characters, also when both are claimed at once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.cameos import service as cameos
from reelmint.domains.cameos.models import Cameo
from reelmint.domains.handles import claim_handle
from reelmint.domains.rights import service as rights
from reelmint.domains.rights.models import Character
from reelmint.errors import Conflict
from support import make_account, while_held_open


def holder_and_person(services):
    holder = make_account(services, "studio@example.com").user
    person = make_account(services, "ada@example.com").user
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=holder, name="Wave", slug="wave", kind="rights_holder"
        ).id
        phrase = cameos.start_consent(db=db, settings=services.settings, user=person).phrase
    return holder, org, person, phrase


def test_a_handle_a_cameo_or_a_character_has_is_taken(services_on):
    holder, org, _, _ = holder_and_person(services_on)
    with services_on.db.write() as db:
        rights.register_character(
            db=db,
            actor=holder,
            organisation_id=org,
            request=rights.CharacterRequest(handle="ada", name="Ada the Robot"),
        )
    with services_on.db.write() as db, pytest.raises(Conflict) as taken:
        claim_handle(db, "ada")
    assert taken.value.code == "handle_taken"
    assert "@ada is taken; choose another" in taken.value.message
    with services_on.db.write() as db:
        claim_handle(db, "bob")  # free: nothing raised, nothing written


def test_a_cameo_and_a_character_claiming_one_handle_at_once_get_one(services_on):
    """The character is registered and, before its transaction commits, a cameo asks for the
    same handle: the cameo waits for it and is then refused, not made beside it."""
    holder, org, person, phrase = holder_and_person(services_on)

    def character(db) -> str:
        rights.register_character(
            db=db,
            actor=holder,
            organisation_id=org,
            request=rights.CharacterRequest(handle="ada", name="Ada the Robot"),
        )
        return "character"

    def cameo(db) -> str:
        cameos.insert_cameo(
            db=db,
            settings=services_on.settings,
            user=person,
            request=cameos.CameoRequest(handle="ada", display_name="Ada"),
            images=[],
            consent_phrase=phrase,
        )
        return "cameo"

    assert while_held_open(services_on, character, cameo) == ("character", "handle_taken")
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Cameo)) == 0
        assert db.scalar(select(func.count()).select_from(Character)) == 1
