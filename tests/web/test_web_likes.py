"""Likes on the web: the heart on feed cards and the video page, for people signed in."""

from __future__ import annotations

from web_helpers import make_video, sign_in

from support import make_account


def test_like_from_the_feed_and_unlike_on_the_video_page(services, client, account):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    browser = sign_in(services, client, account)
    feed = browser.get("/").text
    assert f'action="/videos/{video.id}/like"' in feed
    assert '<button type="submit" class="secondary small" data-role="like"' in feed  # outline
    liked = browser.post(f"/videos/{video.id}/like", {"next": "/"})
    assert (liked.status_code, liked.headers["location"]) == (303, "/")
    page = browser.get(f"/videos/{video.id}").text
    assert f'action="/videos/{video.id}/unlike"' in page
    assert 'aria-pressed="true"' in page
    assert '<button type="submit" class="small" data-role="unlike"' in page  # filled: liked
    assert 'data-role="likes">1<' in page
    browser.post(f"/videos/{video.id}/unlike", {"next": f"/videos/{video.id}"})
    assert 'data-role="likes">0<' in browser.get(f"/videos/{video.id}").text


def test_visitors_see_the_count_without_a_button(services, client):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    page = client.get(f"/videos/{video.id}").text
    assert '<span class="likes" data-role="likes"' in page
    assert f"/videos/{video.id}/like" not in page


def test_a_like_without_the_form_token_is_refused(services, client, account):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    browser = sign_in(services, client, account)
    refused = browser.post(f"/videos/{video.id}/like", {"csrf_token": "wrong"})
    assert refused.status_code == 403
    assert 'data-role="likes">0<' in browser.get(f"/videos/{video.id}").text
