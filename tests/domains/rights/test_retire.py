"""Retiring a character: by its holder's members, or by an administrator who says why; what it
stops (detection, the catalogue, claims) and what it ends (claims in force, reference images).
SQLite and PostgreSQL; the API and the studio form on SQLite."""

from __future__ import annotations

import pytest
from claim_helpers import SURFER, claim, make_holder, make_video
from PIL import Image
from sqlalchemy import select

from reelmint.domains.accounts.service import create_api_token
from reelmint.domains.notifications.models import Notification
from reelmint.domains.rights import claims
from reelmint.domains.rights import images as character_images
from reelmint.domains.rights import service as rights
from reelmint.domains.rights.models import Claim
from reelmint.domains.uploads import ImageUpload
from reelmint.errors import ServiceError
from support import make_account


@pytest.fixture
def holder(services_on):
    return make_holder(services_on)


def retire(services, actor, character_id, reason=""):
    with services.db.write() as db:
        return rights.retire_character(db=db, actor=actor, character_id=character_id, reason=reason)


def refused(call) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def kinds_for(services, user) -> list[str]:
    with services.db.read() as db:
        found = db.scalars(select(Notification.kind).where(Notification.user_id == user.id))
        return sorted(found)


def with_image(services, holder, tmp_path) -> str:
    path = tmp_path / "ref.png"
    Image.new("RGB", (300, 300), (200, 60, 40)).save(path, format="PNG")
    added = character_images.add_images(
        services=services,
        actor=holder.member,
        character_id=holder.character_id,
        images=[ImageUpload(path=path, name="ref.png")],
    )
    return added[0].storage_key


def test_a_retired_character_is_not_detected_listed_or_claimable(services_on, holder, tmp_path):
    uploader = make_account(services_on, "uploader@example.com").user
    video = make_video(services_on, uploader)
    standing = claim(services_on, holder, video, "block")
    key = with_image(services_on, holder, tmp_path)
    retired = retire(services_on, holder.member, holder.character_id)
    assert (retired.claims_ended, retired.image_keys) == (1, [key])
    with services_on.db.read() as db:
        assert rights.list_characters(db=db) == []
        assert rights.characters_in(db=db, settings=services_on.settings, texts=[SURFER]) == []
        assert db.get(Claim, standing.id).status == "released"
        assert claims.effective_claim(db=db, video=video.id) is None
    assert "claim.released" in kinds_for(services_on, uploader)
    error = refused(lambda: claim(services_on, holder, video, "track"))
    assert error.code == "character_not_found"
    error = refused(lambda: retire(services_on, holder.member, holder.character_id))
    assert error.code == "character_not_found"
    # Its handle stays taken: a new character cannot answer to the old @mentions.
    with services_on.db.write() as db:
        error = refused(
            lambda: rights.register_character(
                db=db,
                actor=holder.member,
                organisation_id=holder.organisation_id,
                request=rights.CharacterRequest(handle="brightwave", name="New Wave"),
            )
        )
    assert error.code == "handle_taken"


def test_only_members_and_administrators_retire_and_administrators_say_why(services_on, holder):
    stranger = make_account(services_on, "stranger@example.com").user
    admin = make_account(services_on, "root@example.com", role="admin").user
    error = refused(lambda: retire(services_on, stranger, holder.character_id, "because I can"))
    assert (error.code, error.status) == ("organisation_not_found", 404)
    for reason in ("", "spam", "ok\u202e reason that hides"):
        error = refused(
            lambda reason=reason: retire(services_on, admin, holder.character_id, reason)
        )
        assert (error.code, error.param) == ("invalid_reason", "reason")
    assert kinds_for(services_on, holder.member) == []
    retire(services_on, admin, holder.character_id, "its description is of ordinary surfing")
    with services_on.db.read() as db:
        told = db.scalars(
            select(Notification).where(Notification.user_id == holder.member.id)
        ).one()
    assert told.kind == "character.retired"
    assert "its description is of ordinary surfing" in told.body


def test_the_api_retires_and_removes_the_images(client, services, tmp_path):
    holder = make_holder(services)
    key = with_image(services, holder, tmp_path)
    assert services.storage.exists(key)
    token = make_account(services, "member2@example.com")
    other = client.delete(f"/v1/characters/{holder.character_id}", headers=token.headers)
    assert (other.status_code, other.json()["error"]["code"]) == (404, "organisation_not_found")
    with services.db.write() as db:
        _, member_token = create_api_token(db=db, user=holder.member, name="studio")
    done = client.delete(
        f"/v1/characters/{holder.character_id}",
        headers={"Authorization": f"Bearer {member_token}"},
    )
    assert done.status_code == 200, done.text
    assert done.json() == {
        "id": holder.character_id,
        "object": "character.deleted",
        "deleted": True,
        "claims_released": 0,
    }
    assert not services.storage.exists(key)
    gone = client.get(f"/v1/characters/{holder.character_id}")
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "character_not_found")


def test_a_retired_character_keeps_its_name_in_the_holders_records(services_on, holder):
    retire(services_on, holder.member, holder.character_id)
    with services_on.db.read() as db:
        names = rights.character_names(db=db, organisation_id=holder.organisation_id)
    assert names == {holder.character_id: "Captain Brightwave"}
