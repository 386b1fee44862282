"""Extending a video on the web: the Extend button, its form, the price of the whole video."""

from __future__ import annotations

import json

import pytest
from markupsafe import escape
from web_helpers import form_key, make_video, sign_in

from reelmint.domains.videos.models import Video
from support import make_account


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def videos_of(services, user_id: str) -> list[Video]:
    with services.db.read() as db:
        return db.query(Video).filter(Video.user_id == user_id).all()


def test_the_video_page_offers_extend_and_the_form_says_how_much_room_is_left(services, browser):
    source = make_video(services, browser.account.user, prompt="A red car in a city at night")
    assert f'href="/videos/{source.id}/extend"' in browser.get(f"/videos/{source.id}").text
    page = browser.get(f"/videos/{source.id}/extend")
    assert page.status_code == 200
    assert "you can add up to 16 s" in page.text
    assert 'data-base-seconds="4.0"' in page.text
    assert "The extended video costs" in page.text  # priced whole, for 8 s by default


def test_extending_queues_the_whole_video_and_goes_to_drafts(services, browser):
    source = make_video(services, browser.account.user, prompt="A red car in a city at night")
    response = browser.post(
        f"/videos/{source.id}/extend",
        {"prompt": "The car stops and a dog jumps out", "seconds": "4"},
    )
    assert (response.status_code, response.headers["location"]) == (303, "/drafts")
    [new] = [v for v in videos_of(services, browser.account.user.id) if v.id != source.id]
    assert (new.remixed_from_video_id, new.seconds, new.status) == (source.id, 8, "queued")
    shots = json.loads(new.storyboard_json)["shots"]
    assert shots[0] == json.loads(source.storyboard_json)["shots"][0]
    assert shots[-1]["setting"] == "city"


def test_the_same_extend_form_posted_twice_makes_one_video(services, browser):
    source = make_video(services, browser.account.user, prompt="A red car in a city at night")
    key = form_key(browser.get(f"/videos/{source.id}/extend").text)
    form = {"prompt": "The car stops", "seconds": "4", "form_key": key}
    for _ in range(2):
        response = browser.post(f"/videos/{source.id}/extend", form)
        assert (response.status_code, response.headers["location"]) == (303, "/drafts")
    assert len(videos_of(services, browser.account.user.id)) == 2  # the source and one more


def test_a_refused_extension_keeps_the_form_and_says_why(services, browser):
    source = make_video(services, browser.account.user)
    response = browser.post(f"/videos/{source.id}/extend", {"prompt": "a dog", "seconds": "30"})
    assert response.status_code == 400
    assert "The video was not extended." in response.text
    assert str(escape("add between 1 and 16 s")) in response.text
    assert ">a dog</textarea>" in response.text
    assert len(videos_of(services, browser.account.user.id)) == 1


@pytest.mark.parametrize(
    ("seconds", "says"),
    [("0.001", "add between 1 and 16 s"), ("4.01", "add 4 or 4.041667")],
)
def test_an_extension_adds_a_shot_of_whole_frames_or_is_refused(services, browser, seconds, says):
    """As the API: at least a shot's shortest (1 s), and a whole number of frames."""
    source = make_video(services, browser.account.user)
    response = browser.post(f"/videos/{source.id}/extend", {"prompt": "a dog", "seconds": seconds})
    assert response.status_code == 400
    assert says in response.text
    assert len(videos_of(services, browser.account.user.id)) == 1


def test_only_completed_videos_one_may_see_are_extended(services, client, browser):
    queued = make_video(services, browser.account.user, status="queued")
    assert browser.get(f"/videos/{queued.id}/extend").status_code == 409
    other = make_account(services, "bob@example.com")
    private = make_video(services, other.user, prompt="A secret plan")
    hidden = browser.get(f"/videos/{private.id}/extend")
    assert hidden.status_code == 404
    assert "A secret plan" not in hidden.text
    refused = browser.post(f"/videos/{private.id}/extend", {"prompt": "more", "seconds": "4"})
    assert refused.status_code == 404
    shared = make_video(services, other.user, published=True)
    assert browser.get(f"/videos/{shared.id}/extend").status_code == 200
    client.cookies.clear()
    assert client.get(f"/videos/{shared.id}/extend", follow_redirects=False).status_code == 303


def test_the_price_is_the_sources_backends(services, browser):
    from reelmint.domains.pricing.service import price_of
    from reelmint.engine.backends.base import Size

    source = make_video(services, browser.account.user)
    with services.db.write() as db:
        row = db.get_one(Video, source.id)
        row.backend, row.model = "wan", "wan"
    page = browser.get(f"/videos/{source.id}/extend").text
    units = price_of(
        settings=services.settings, backend="wan", seconds=8, size=Size.parse("480x480")
    ).units
    preview = price_of(
        settings=services.settings, backend="preview", seconds=8, size=Size.parse("480x480")
    ).units
    assert units != preview
    assert f'data-role="price">{units} unit' in page
    assert 'data-backend="wan"' in page


def test_someone_elses_video_made_from_their_image_offers_no_extend(services, browser):
    other = make_account(services, "bob@example.com")
    theirs = make_video(services, other.user, published=True)
    with services.db.write() as db:
        db.get_one(Video, theirs.id).input_reference_key = f"inputs/{theirs.id}/reference.png"
    assert f"/videos/{theirs.id}/extend" not in browser.get(f"/videos/{theirs.id}").text
    assert browser.get(f"/videos/{theirs.id}/extend").status_code == 403
