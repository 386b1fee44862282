"""The cameos page: create one by typing back the phrase shown, change who may use it,
approve people, see and delete the videos that use it, revoke it. Forms carry CSRF tokens."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from web_helpers import sign_in

from reelmint.domains.cameos import service as cameos
from reelmint.domains.cameos.models import Cameo
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video
from support import make_account

_PHRASE = re.compile(r'<strong data-role="phrase">([a-z ]+)</strong>')


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 240), (220, 170, 140)).save(out, format="PNG")
    return out.getvalue()


def shown_phrase(browser) -> str:
    page = browser.get("/cameos")
    assert page.status_code == 200
    found = _PHRASE.search(page.text)
    assert found, "the page shows no phrase"
    return found.group(1)


def create(browser, *, phrase: str | None = None, csrf: str | None = None, **fields):
    data = {
        "csrf_token": browser.csrf if csrf is None else csrf,
        "handle": "ada",
        "display_name": "Ada L.",
        "permission": "everyone",
        "restrictions": "horror, politics",
        "consent_phrase": shown_phrase(browser) if phrase is None else phrase,
        **fields,
    }
    files = [("images", ("me.png", io.BytesIO(photo()), "image/png"))]
    return browser.client.post("/cameos", data=data, files=files, follow_redirects=False)


def cameo_count(services) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(Cameo)) or 0


def test_the_nav_links_to_cameos_and_the_page_shows_a_phrase(browser):
    page = browser.get("/cameos").text
    assert '<a href="/cameos" aria-current="page">Cameos</a>' in page
    assert shown_phrase(browser) == shown_phrase(browser)  # the same phrase while it is valid
    assert 'enctype="multipart/form-data"' in page


def test_creating_a_cameo_with_the_shown_phrase(services, browser):
    response = create(browser)
    assert response.status_code == 303
    assert response.headers["location"] == "/cameos?done=created"
    page = browser.get("/cameos?done=created").text
    assert "Your cameo was created" in page
    assert 'data-cameo="ada"' in page
    assert '<img src="/v1/cameos/ada/images/0"' in page
    assert "horror, politics" in page
    image = browser.get("/v1/cameos/ada/images/0")  # the session cookie is enough to look
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")


def test_a_wrong_phrase_is_refused_and_the_form_kept(services, browser):
    phrase = shown_phrase(browser)
    response = create(browser, phrase="not the phrase", display_name="Ada Typed")
    assert response.status_code == 400
    assert "does not match the one shown" in response.text
    assert 'value="Ada Typed"' in response.text
    assert shown_phrase(browser) == phrase  # the same phrase to try again with
    assert cameo_count(services) == 0


def test_a_bad_image_is_refused_on_the_page(services, browser):
    data = {"csrf_token": browser.csrf, "handle": "ada", "display_name": "Ada"}
    data["consent_phrase"] = shown_phrase(browser)
    files = [("images", ("notes.txt", io.BytesIO(b"just some text"), "text/plain"))]
    response = browser.client.post("/cameos", data=data, files=files)
    assert response.status_code == 400
    assert "Cameo image &#39;notes.txt&#39; is not a JPEG, PNG or WebP image" in response.text
    assert cameo_count(services) == 0


def test_creating_without_the_csrf_token_is_refused(services, browser):
    response = create(browser, csrf="forged")
    assert response.status_code == 403
    assert cameo_count(services) == 0


def test_changing_who_may_use_it_and_approving_people(services, browser):
    assert create(browser).status_code == 303
    bob = make_account(services, "bob@example.com")
    saved = browser.post(
        "/cameos/ada/settings",
        {"display_name": "Ada", "permission": "approved", "restrictions": "war"},
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/cameos?done=saved")
    approved = browser.post("/cameos/ada/approvals", {"person": bob.email})
    assert approved.status_code == 303
    page = browser.get("/cameos").text
    assert '<dd data-role="permission">People I approve</dd>' in page
    assert f'data-approved="{bob.user.id}"' in page
    with services.db.read() as db:
        cameo = cameos.get_cameo(db=db, handle="ada")
        assert cameos.permission_for(db=db, user=bob.user, cameo=cameo).allowed
    unknown = browser.post("/cameos/ada/approvals", {"person": "nobody@example.com"})
    assert unknown.status_code == 404
    assert "No user nobody@example.com" in unknown.text
    removed = browser.post(f"/cameos/ada/approvals/{bob.user.id}/remove")
    assert removed.status_code == 303
    with services.db.read() as db:
        cameo = cameos.get_cameo(db=db, handle="ada")
        assert not cameos.permission_for(db=db, user=bob.user, cameo=cameo).allowed
    forged = browser.post("/cameos/ada/settings", {"csrf_token": "x", "permission": "everyone"})
    assert forged.status_code == 403


def test_approving_by_profile_link_and_an_unconfirmed_address(services, browser):
    assert create(browser).status_code == 303
    browser.post("/cameos/ada/settings", {"display_name": "Ada", "permission": "approved"})
    new = make_account(services, "new@example.com", email_confirmed=False)
    by_email = browser.post("/cameos/ada/approvals", {"person": "new@example.com"})
    assert by_email.status_code == 409
    assert "The account with new@example.com has not confirmed that address yet" in by_email.text
    link = f"https://reelmint.example/people/{new.user.id}?tab=videos"
    by_link = browser.post("/cameos/ada/approvals", {"person": link})
    assert by_link.status_code == 303
    assert f'data-approved="{new.user.id}"' in browser.get("/cameos").text
    nonsense = browser.post("/cameos/ada/approvals", {"person": "just a name"})
    assert nonsense.status_code == 400
    assert "Give their profile link" in nonsense.text


def test_the_owner_sees_and_deletes_a_video_using_the_cameo(services, browser):
    assert create(browser).status_code == 303
    bob = make_account(services, "bob@example.com")
    video = create_video(
        services=services,
        user=bob.user,
        request=VideoRequest(prompt="@ada rides a camel", seconds="4", size="480x480", seed=2),
    )
    page = browser.get("/cameos").text
    assert f'data-use="{video.id}"' in page
    assert "@ada rides a camel" in page
    asked = browser.post(f"/cameos/ada/uses/{video.id}/delete")
    assert asked.status_code == 200  # without the script, a page asks first
    assert "Delete this video?" in asked.text
    with services.db.read() as db:
        assert db.get(Video, video.id).deleted_at is None
    done = browser.post(f"/cameos/ada/uses/{video.id}/delete", {"confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, "/cameos?done=deleted")
    with services.db.read() as db:
        gone = db.get(Video, video.id)
    assert (gone.status, gone.deleted_at is not None) == ("cancelled", True)
    assert 'data-role="deleted"' in browser.get("/cameos").text


def test_the_uses_of_a_cameo_are_shown_a_page_at_a_time(services, browser, monkeypatch):
    monkeypatch.setattr(cameos, "USES_PAGE", 2)
    assert create(browser).status_code == 303
    bob = make_account(services, "bob@example.com")
    made = [
        create_video(
            services=services,
            user=bob.user,
            request=VideoRequest(prompt=f"@ada scene {n}", seconds="4", size="480x480", seed=n),
        ).id
        for n in range(3)
    ]
    first = browser.get("/cameos").text
    assert [f'data-use="{v}"' in first for v in made] == [False, True, True]  # newest first
    older = re.search(
        r'href="(/cameos\?uses_of=ada&amp;after=[^"]+)" data-role="older-uses"', first
    )
    assert older, "no link to the older uses"
    second = browser.get(older.group(1).replace("&amp;", "&")).text
    assert [f'data-use="{v}"' in second for v in made] == [True, False, False]
    assert 'data-role="newest-uses"' in second
    assert 'data-role="older-uses"' not in second
    stale = browser.get("/cameos?uses_of=ada&after=video_nosuchvideo")
    assert stale.status_code == 404
    assert "pass the last_id of the previous page" in stale.text
    assert f'data-use="{made[2]}"' in stale.text  # the first page, with the reason


def test_revoking_from_the_page(services, browser):
    assert create(browser).status_code == 303
    bob = make_account(services, "bob@example.com")
    video = create_video(
        services=services,
        user=bob.user,
        request=VideoRequest(prompt="@ada waves", seconds="4", size="480x480", seed=2),
    )
    asked = browser.post("/cameos/ada/revoke")
    assert "Revoke @ada?" in asked.text
    done = browser.post("/cameos/ada/revoke", {"confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, "/cameos?done=revoked")
    page = browser.get("/cameos?done=revoked").text
    assert 'data-role="revoked"' in page
    assert "The cameo was revoked" in page
    assert "/cameos/ada/revoke" not in page
    with services.db.read() as db:
        assert db.get(Video, video.id).status == "cancelled"


def test_another_users_cameo_cannot_be_changed_from_the_page(services, client):
    owner = make_account(services, "owner@example.com")
    browser = sign_in(services, client, owner)
    assert create(browser).status_code == 303
    other = sign_in(services, client, make_account(services, "eve@example.com"))
    for path in ("/cameos/ada/revoke", "/cameos/ada/settings"):
        response = other.post(path, {"confirm": "yes", "permission": "everyone"})
        assert response.status_code == 404
    with services.db.read() as db:
        cameo = cameos.get_cameo(db=db, handle="ada")
    assert (cameo.status, cameo.permission) == ("active", "everyone")
