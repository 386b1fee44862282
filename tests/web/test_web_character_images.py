"""Character reference images in the studio (upload with the CSRF token, thumbnails, delete
buttons, refusals on the page) and the drafts page marking a video blocked by a claim."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from web_helpers import Browser, sign_in

from domains.rights.claim_helpers import CAR, SURFER, make_holder, make_video
from reelmint.api.app import create_app
from reelmint.domains.rights import claims
from support import Account, make_account


@pytest.fixture
def holder(services):
    return make_holder(services)


@pytest.fixture
def studio(services, client, holder) -> Browser:
    """The holder's member, signed in."""
    member = Account(user=holder.member, email="studio@example.com", password="", token="")
    return sign_in(services, client, member)


@pytest.fixture
def second_client(services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as other:
        yield other


def photo(size: tuple[int, int] = (180, 140)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (230, 120, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(browser: Browser, character_id: str, *contents: bytes, csrf: str | None = None):
    files = [("images", (f"{n}.png", io.BytesIO(c), "image/png")) for n, c in enumerate(contents)]
    return browser.client.post(
        f"/studio/characters/{character_id}/images",
        data={"csrf_token": browser.csrf if csrf is None else csrf},
        files=files,
        follow_redirects=False,
    )


def stored_files(services) -> list[Path]:
    root = services.settings.storage_dir / "characters"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_studio_offers_an_upload_form_per_character(studio, holder):
    page = studio.get("/studio").text
    action = f'action="/studio/characters/{holder.character_id}/images"'
    assert action in page
    form = page[page.index(action) - 200 : page.index(action) + 400]
    assert 'enctype="multipart/form-data"' in form
    assert f'name="csrf_token" value="{studio.csrf}"' in form
    assert "No reference images yet" in page


def test_uploading_shows_thumbnails_and_deleting_removes_one(services, studio, holder):
    made = upload(studio, holder.character_id, photo(), photo((240, 120)))
    assert made.status_code == 303, made.text
    assert made.headers["location"] == f"/studio#character-{holder.character_id}"
    page = studio.get("/studio").text
    for position in (0, 1):
        src = f"/v1/characters/{holder.character_id}/images/{position}"
        assert f'<img src="{src}"' in page
        assert f'action="/studio/characters/{holder.character_id}/images/{position}/delete"' in (
            page
        )
    assert studio.client.get(f"/v1/characters/{holder.character_id}/images/1").status_code == 200
    assert len(stored_files(services)) == 2

    deleted = studio.post(f"/studio/characters/{holder.character_id}/images/0/delete")
    assert deleted.status_code == 303
    page = studio.get("/studio").text
    assert f"/v1/characters/{holder.character_id}/images/0" not in page
    assert f'<img src="/v1/characters/{holder.character_id}/images/1"' in page
    assert len(stored_files(services)) == 1
    for position in ("9", "99999999999999999999"):  # none there; past any database integer
        missing = studio.post(f"/studio/characters/{holder.character_id}/images/{position}/delete")
        assert missing.status_code == 404, position
        assert "has no image" in missing.text
    assert len(stored_files(services)) == 1


def test_uploading_without_the_csrf_token_is_refused(services, studio, holder):
    response = upload(studio, holder.character_id, photo(), csrf="forged")
    assert response.status_code == 403
    assert stored_files(services) == []


def test_deleting_without_the_csrf_token_is_refused(services, studio, holder):
    assert upload(studio, holder.character_id, photo()).status_code == 303
    response = studio.post(
        f"/studio/characters/{holder.character_id}/images/0/delete", {"csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert len(stored_files(services)) == 1


def test_a_bad_image_is_refused_on_the_page(services, studio, holder):
    response = upload(studio, holder.character_id, photo(), b"just some text")
    assert response.status_code == 400
    assert 'id="image-error"' in response.text
    assert "Character image &#39;1.png&#39; is not a JPEG, PNG or WebP image" in response.text
    assert stored_files(services) == []


def test_someone_outside_the_rights_holder_cannot_upload(services, second_client, holder):
    fan = sign_in(services, second_client, make_account(services, "fan@example.com"))
    response = upload(fan, holder.character_id, photo())
    assert response.status_code == 403
    assert "Only members of Wave Studios" in response.text
    assert stored_files(services) == []


def test_drafts_mark_a_video_blocked_by_a_claim(services, client, account, holder):
    blocked = make_video(services, account.user, prompt=SURFER)
    tracked = make_video(services, account.user, prompt=SURFER)
    free = make_video(services, account.user, prompt=CAR)
    for video, action in ((blocked, "block"), (tracked, "track")):
        with services.db.write() as db:
            claims.create_claim(
                db=db,
                settings=services.settings,
                actor=holder.member,
                video_id=video.id,
                character_id=holder.character_id,
                action=action,
            )
    page = sign_in(services, client, account).get("/drafts").text
    marker = 'data-testid="claim-blocked"'
    assert page.count(marker) == 1
    card = page[page.index(f'id="{blocked.id}"') :]
    card = card[: card.index("</li>")]
    assert marker in card
    assert f'href="/videos/{blocked.id}#claims"' in card
    for other in (tracked, free):
        card = page[page.index(f'id="{other.id}"') :]
        assert marker not in card[: card.index("</li>")]
