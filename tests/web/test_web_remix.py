"""A remix credits its original on its page (linked, with its creator, when the viewer may
see the original), and publishing a remix tells the original's creator (social news)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import make_video, sign_in

from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.models import Notification
from reelmint.domains.videos.models import Video
from support import make_account


def remix_of(services, original: Video, user, *, published: bool = True) -> Video:
    remix = make_video(services, user, prompt="A blue car in the snow", published=published)
    with services.db.write() as db:
        db.get_one(Video, remix.id).remixed_from_video_id = original.id
    return remix


def told(services, user_id: str) -> list[Notification]:
    with services.db.read() as db:
        return list(db.scalars(select(Notification).where(Notification.user_id == user_id)))


def test_a_remix_credits_its_published_original(services, client, account):
    maker = make_account(services, "maker@example.com", display_name="Maker")
    original = make_video(services, maker.user, published=True)
    remix = remix_of(services, original, account.user)
    page = TestClient(client.app).get(f"/videos/{remix.id}").text  # anyone: a visitor
    assert (
        f'Remix of <a href="/videos/{original.id}">A red car drives along a city street</a> '
        f'by <a href="/people/{maker.user.id}">Maker</a>.'
    ) in page


def test_a_remix_of_your_own_draft_credits_it_to_you_only(services, client, account):
    original = make_video(services, account.user)  # a private draft
    remix = remix_of(services, original, account.user)
    mine = sign_in(services, client, account).get(f"/videos/{remix.id}").text
    assert f'Remix of <a href="/videos/{original.id}">' in mine
    assert "</a> by you." in mine
    theirs = TestClient(client.app).get(f"/videos/{remix.id}").text
    assert "Remix of a video that is no longer shown." in theirs
    assert original.id not in theirs


def test_a_remix_of_a_deleted_or_unpublished_video_says_so(services, client, account):
    maker = make_account(services, "maker@example.com")
    original = make_video(services, maker.user, published=True)
    remix = remix_of(services, original, account.user)
    with services.db.write() as db:
        db.get_one(Video, original.id).published_at = None
    page = sign_in(services, client, account).get(f"/videos/{remix.id}").text
    assert "Remix of a video that is no longer shown." in page
    assert original.id not in page


def test_a_video_that_is_no_remix_says_nothing_of_it(services, client, account):
    video = make_video(services, account.user, published=True)
    assert 'data-testid="remix-of"' not in client.get(f"/videos/{video.id}").text


def test_publishing_a_remix_tells_the_original_creator_once(services, client, account):
    maker = make_account(services, "maker@example.com", display_name="Maker")
    original = make_video(services, maker.user, published=True)
    remix = remix_of(services, original, account.user, published=False)
    browser = sign_in(services, client, account)
    assert told(services, maker.user.id) == []  # a draft remix is nobody's news
    for _ in range(2):  # published, unpublished, published again: told once
        assert browser.post(f"/videos/{remix.id}/publish").status_code == 303
        assert browser.post(f"/videos/{remix.id}/unpublish").status_code == 303
    [news] = told(services, maker.user.id)
    assert (news.kind, news.link) == ("remix_published", f"/videos/{remix.id}")
    assert news.title == f"{account.user.display_name} remixed your video"
    assert "“A red car drives along a city street”" in news.body


def test_no_news_of_your_own_remix_nor_for_who_turned_social_news_off(services, client, account):
    own = make_video(services, account.user, published=True)
    mine = remix_of(services, own, account.user, published=False)
    quiet = make_account(services, "quiet@example.com")
    with services.db.write() as db:
        db.get_one(User, quiet.user.id).notify_social = False
    theirs = remix_of(
        services, make_video(services, quiet.user, published=True), account.user, published=False
    )
    browser = sign_in(services, client, account)
    for remix in (mine, theirs):
        assert browser.post(f"/videos/{remix.id}/publish").status_code == 303
    assert told(services, account.user.id) == []
    assert told(services, quiet.user.id) == []
    with services.db.read() as db:
        assert db.get_one(Video, mine.id).published_at is not None


@pytest.mark.parametrize("status", ["queued", "in_progress", "failed", "cancelled"])
def test_only_a_completed_video_is_remixed_on_the_web(services, client, account, status):
    """As the API's remix (409 `video_not_completed`): neither the form nor a posted one
    queues or charges anything for a video that is not completed."""
    source = make_video(services, account.user, status=status)
    browser = sign_in(services, client, account)
    page = browser.get(f"/create?remix={source.id}")
    assert page.status_code == 409
    assert "video_not_completed" in page.text
    posted = browser.post(
        "/create", {"prompt": "A dog runs on a beach", "seconds": "4", "remix": source.id}
    )
    assert posted.status_code == 409
    with services.db.read() as db:
        assert db.scalars(select(Video).where(Video.remixed_from_video_id == source.id)).all() == []
        assert db.query(Video).count() == 1


def test_a_web_remix_is_the_apis_remix_keeping_seed_length_and_size(services, client, account):
    """The source's model, size, length and seed; what the form posts for length and size is
    not a remix's to change (the page holds them as hidden fields)."""
    maker = make_account(services, "maker@example.com")
    source = make_video(services, maker.user, published=True)  # 4 s, 480x480, seed 7
    browser = sign_in(services, client, account)
    page = browser.get(f"/create?remix={source.id}").text
    assert '<input type="hidden" name="seconds" value="4">' in page
    assert 'name="storyboard"' not in page
    posted = browser.post(
        "/create",
        {"prompt": "A blue bus in the snow", "seconds": "8", "size": "854x480", "remix": source.id},
    )
    assert posted.status_code == 303
    with services.db.read() as db:
        remix = db.scalars(select(Video).where(Video.remixed_from_video_id == source.id)).one()
    assert (remix.seed, remix.seconds, remix.size) == (source.seed, source.seconds, source.size)
    assert (remix.model, remix.backend) == (source.model, source.backend)
    assert remix.prompt == "A blue bus in the snow"


def test_a_web_remix_takes_no_storyboard(services, client, account):
    source = make_video(services, account.user)
    browser = sign_in(services, client, account)
    storyboard = json.dumps({"shots": [{"prompt": "A cow grazes"}]})
    posted = browser.post("/create", {"prompt": "", "storyboard": storyboard, "remix": source.id})
    assert posted.status_code == 400
    assert "remix takes a new prompt only" in posted.text
    with services.db.read() as db:
        assert db.query(Video).count() == 1
