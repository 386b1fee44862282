"""The studio's character form: a refusal keeps every field as typed (the fee and the policy
most of all), the handle's rule is shown by the field, a registration says so; the navigation
shows Studio to members of a rights-holder organisation whatever their role."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import sign_in

from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.rights.models import Character
from support import make_account

STUDIO_LINK = re.compile(r'<a href="/studio"[^>]*>Studio</a>')


def holder(services, email: str = "owner@wave.example.com", kind: str = "rights_holder"):
    """An organisation's owner (role `user`, as `admin create-org --owner` leaves them)."""
    owner = make_account(services, email, display_name="Olive Owner")
    with services.db.write() as db:
        organisation = create_organisation(
            db=db, owner=owner.user, name="Wave Studios", slug="wave", kind=kind
        )
        return owner, organisation.id


def characters(services) -> list[Character]:
    with services.db.read() as db:
        return list(db.scalars(select(Character)).all())


def selected(page: str, name: str) -> str:
    """The selected option's value of the select `name`."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select_html, f"no select {name}"
    found = re.findall(r'<option value="([^"]*)" selected>', select_html.group(1))
    assert len(found) == 1, found
    return found[0]


def value_of(page: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page, re.S)
    assert found, f"no input {name}"
    return found.group(1)


def test_a_refused_character_keeps_every_field_as_typed(services, client):
    owner, organisation_id = holder(services)
    browser = sign_in(services, client, owner)
    form = {
        "organisation_id": organisation_id,
        "name": "Z",
        "handle": "bad-handle",
        "aliases": "zed, zee",
        "description": "A zebra",
        "fee_units": "7",
        "policy": "open",
        "audience": "approved",
        "banned_themes": "gore",
    }
    refused = browser.post("/studio/characters", form)
    assert refused.status_code == 400
    page = refused.text
    assert "The character was not registered.</strong> A handle is 2-30 lower-case" in page
    assert value_of(page, "name") == "Z"
    assert value_of(page, "handle") == "bad-handle"
    assert value_of(page, "aliases") == "zed, zee"
    assert ">A zebra</textarea>" in page
    assert value_of(page, "fee_units") == "7"
    assert selected(page, "policy") == "open"
    assert selected(page, "audience") == "approved"
    assert value_of(page, "banned_themes") == "gore"
    handle_input = re.search(r'<input[^>]*name="handle"[^>]*>', page, re.S).group(0)
    assert 'aria-invalid="true"' in handle_input
    assert characters(services) == []


def test_the_handle_field_shows_its_rule_and_its_length_agrees(services, client):
    owner, _ = holder(services)
    page = sign_in(services, client, owner).get("/studio").text
    handle_input = re.search(r'<input[^>]*name="handle"[^>]*>', page, re.S).group(0)
    assert 'maxlength="30"' in handle_input
    assert 'data-role="handle-rule">2-30 lower-case letters, digits or underscores' in page
    # a fresh form starts licensed, for everyone, free
    assert selected(page, "policy") == "licensed"
    assert selected(page, "audience") == "everyone"
    assert value_of(page, "fee_units") == "0"
    assert value_of(page, "share_percent") == "70"


@pytest.mark.parametrize("typed", ["101", "-1", "70.5", "lots"])
def test_a_share_that_is_not_a_whole_percentage_is_refused_and_kept(services, client, typed):
    owner, organisation_id = holder(services)
    browser = sign_in(services, client, owner)
    form = {"organisation_id": organisation_id, "name": "Wave Man", "handle": "wave_man"}
    refused = browser.post("/studio/characters", {**form, "share_percent": typed})
    assert refused.status_code == 400
    assert "Your share of the fee must be a whole percentage from 0 to 100" in refused.text
    assert value_of(refused.text, "share_percent") == typed
    share_input = re.search(r'<input[^>]*name="share_percent"[^>]*>', refused.text).group(0)
    assert 'aria-invalid="true"' in share_input
    assert characters(services) == []


def test_a_registered_character_is_announced(services, client):
    owner, organisation_id = holder(services)
    browser = sign_in(services, client, owner)
    form = {
        "organisation_id": organisation_id,
        "name": "Wave Man",
        "handle": "wave_man",
        "fee_units": "7",
        "share_percent": "85",
        "policy": "licensed",
        "audience": "approved",
        "banned_themes": "gore",
    }
    done = browser.post("/studio/characters", form)
    [character] = characters(services)
    assert done.status_code == 303
    assert done.headers["location"] == f"/studio#character-{character.id}"
    assert (character.fee_units, character.policy, character.audience) == (
        7,
        "licensed",
        "approved",
    )
    assert character.holder_share_bps == 8500
    page = browser.get("/studio").text
    assert '<div class="flash" role="status">Registered:' in page
    assert value_of(page, "handle") == ""  # the form is blank again


def test_studio_is_in_the_navigation_of_a_rights_holder_member_only(services, client):
    owner, _ = holder(services)
    assert owner.user.role == "user"
    assert STUDIO_LINK.search(sign_in(services, client, owner).get("/wallet").text)
    plain = make_account(services, "plain@example.com")
    other = TestClient(client.app)
    assert not STUDIO_LINK.search(sign_in(services, other, plain).get("/wallet").text)
    admin = make_account(services, "admin@example.com", role="admin")
    third = TestClient(client.app)
    assert STUDIO_LINK.search(sign_in(services, third, admin).get("/wallet").text)


def test_an_enterprise_organisation_gives_no_studio(services, client):
    owner, _ = holder(services, kind="enterprise")
    assert not STUDIO_LINK.search(sign_in(services, client, owner).get("/wallet").text)


def test_a_member_of_several_studios_can_jump_between_them(services, client):
    owner, _ = holder(services)
    sign_in(services, client, owner)
    assert 'aria-label="Your organisations"' not in client.get("/studio").text  # one: no list
    with services.db.write() as db:
        create_organisation(
            db=db, owner=owner.user, name="Tide Pictures", slug="tide", kind="rights_holder"
        )
    page = client.get("/studio").text
    switch = page[page.index('aria-label="Your organisations"') :].split("</nav>", 1)[0]
    assert re.findall(r'<a href="#org-(\w+)">([^<]+)</a>', switch) == [
        ("tide", "Tide Pictures"),  # by name, as the sections below
        ("wave", "Wave Studios"),
    ]
    for slug in ("wave", "tide"):
        assert f'<section class="studio" id="org-{slug}"' in page


def test_a_member_retires_a_character_from_the_studio_once_the_box_is_ticked(services, client):
    from reelmint.domains.rights import service as rights

    owner, organisation_id = holder(services)
    with services.db.write() as db:
        character = rights.register_character(
            db=db,
            actor=owner.user,
            organisation_id=organisation_id,
            request=rights.CharacterRequest(handle="brightwave", name="Captain Brightwave"),
        )
    browser = sign_in(services, client, owner)
    page = browser.get("/studio").text
    assert f'action="/studio/characters/{character.id}/retire"' in page
    unticked = browser.post(f"/studio/characters/{character.id}/retire")
    assert unticked.status_code == 400
    assert "tick the box to confirm" in unticked.text.lower()
    assert characters(services)[0].retired_at is None
    done = browser.post(f"/studio/characters/{character.id}/retire", {"confirm": "yes"})
    assert (done.status_code, done.headers["location"].split("?")[0]) == (303, "/studio")
    assert (
        "Retired: prompts no longer name the character"
        in browser.get(done.headers["location"]).text
    )
    assert characters(services)[0].retired_at is not None
    stranger = sign_in(services, client, make_account(services, "stranger@example.com"))
    again = stranger.post(f"/studio/characters/{character.id}/retire", {"confirm": "yes"})
    assert again.status_code == 404
