"""Following from the web: the Follow buttons on the feed and a video's page, the Following
feed, and the People page (whom you follow, who follows you, who is mutual)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from web_helpers import make_video, sign_in

from reelmint.db.base import utcnow
from reelmint.domains.accounts import follows
from reelmint.domains.accounts.follows import Follow
from reelmint.domains.accounts.models import User
from reelmint.web import people_pages, video_pages
from support import make_account


@pytest.fixture
def bob(services):
    return make_account(services, "bob@example.com", display_name="Bob Builder")


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def follow_rows(services) -> set[tuple[str, str]]:
    with services.db.read() as db:
        return {(f.follower_id, f.followee_id) for f in db.scalars(select(Follow))}


def shown(html: str) -> list[str]:
    """The videos a feed page plays, in order."""
    return re.findall(r'<video[^>]*src="/v1/videos/([^/"]+)/content"', html)


def follow_form(html: str, user_id: str) -> str | None:
    """The action of the follow or unfollow form for `user_id` on a page, if there is one."""
    found = re.search(rf'action="(/people/{user_id}/(?:un)?follow)"', html)
    return found.group(1) if found else None


def test_the_feed_offers_follow_beside_other_creators_only(services, browser, account, bob):
    theirs = make_video(services, bob.user, prompt="A blue train", published=True)
    mine = make_video(services, account.user, prompt="A red car", published=True)
    html = browser.get("/").text
    assert follow_form(html, bob.user.id) == f"/people/{bob.user.id}/follow"
    assert follow_form(html, account.user.id) is None  # nobody follows themselves
    assert theirs.id in html
    assert mine.id in html
    assert 'aria-label="Follow Bob Builder"' in html


def test_visitors_see_no_follow_buttons_and_no_following_tab(services, client, bob):
    make_video(services, bob.user, published=True)
    html = client.get("/").text
    assert follow_form(html, bob.user.id) is None
    assert 'href="/following"' not in html
    for page in ("/following", "/people"):
        response = client.get(page, follow_redirects=False)
        assert response.headers["location"] == f"/login?next=%2F{page[1:]}"


def test_following_from_the_feed_returns_to_it_and_fills_the_following_feed(
    services, browser, account, bob
):
    theirs = make_video(services, bob.user, prompt="A blue train", published=True)
    carol = make_account(services, "carol@example.com")
    other = make_video(services, carol.user, prompt="A green boat", published=True)
    empty = browser.get("/following").text
    assert "Nobody you follow has published a video yet" in empty
    response = browser.post(f"/people/{bob.user.id}/follow", {"next": "/"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert follow_rows(services) == {(account.user.id, bob.user.id)}
    feed = browser.get("/").text
    assert "Followed: their published videos now appear" in feed
    assert follow_form(feed, bob.user.id) == f"/people/{bob.user.id}/unfollow"
    following = browser.get("/following").text
    assert shown(following) == [theirs.id]
    assert other.id in shown(browser.get("/").text)
    assert 'href="/following" aria-current="page"' in following


def test_the_following_feed_pages_within_the_people_followed(
    services, browser, account, bob, monkeypatch
):
    monkeypatch.setattr(video_pages, "FEED_PAGE", 1)
    made = [
        make_video(services, bob.user, published=True, published_ago=timedelta(minutes=m))
        for m in (2, 1)
    ]
    make_video(services, make_account(services, "carol@example.com").user, published=True)
    browser.post(f"/people/{bob.user.id}/follow")
    first = browser.get("/following").text
    older = re.search(r'href="(/following\?older=[^"]+)"', first)
    assert older, "no link to older videos in the Following feed"
    second = browser.get(older.group(1).replace("&amp;", "&")).text
    assert shown(first) == [made[1].id]
    assert shown(second) == [made[0].id]
    # the button on an older page returns to that page
    assert 'name="next" value="/following?older=' in second


def test_the_video_page_names_the_creator_with_a_follow_button(services, browser, account, bob):
    mine = browser.get(f"/videos/{make_video(services, account.user, published=True).id}").text
    assert "by you" in mine
    assert follow_form(mine, account.user.id) is None
    video = make_video(services, bob.user, published=True)
    page = browser.get(f"/videos/{video.id}").text
    assert f'by <a href="/people/{bob.user.id}">Bob Builder</a>' in page
    assert follow_form(page, bob.user.id) == f"/people/{bob.user.id}/follow"
    browser.post(f"/people/{bob.user.id}/follow", {"next": f"/videos/{video.id}"})
    again = browser.get(f"/videos/{video.id}").text
    assert follow_form(again, bob.user.id) == f"/people/{bob.user.id}/unfollow"


def test_the_people_page_lists_both_ways_and_marks_mutual_followers(
    services, browser, account, bob
):
    carol = make_account(services, "carol@example.com", display_name="Carol")
    with services.db.write() as db:
        follows.follow(db=db, actor=account.user, user_id=bob.user.id)
        follows.follow(db=db, actor=bob.user, user_id=account.user.id)
        follows.follow(db=db, actor=carol.user, user_id=account.user.id)
    mine = browser.get("/people").text
    theirs = browser.get("/people?tab=followers").text
    assert 'aria-label="People you follow"' in mine
    assert "Bob Builder" in mine
    assert "Carol" not in mine
    assert 'data-role="mutual"' in mine
    assert 'aria-label="People who follow you"' in theirs
    assert f"/people/{carol.user.id}/follow" in theirs  # follow back
    assert f"/people/{bob.user.id}/unfollow" in theirs
    assert theirs.count('data-role="mutual"') == 1  # Bob, not Carol
    for html in (mine, theirs):
        assert re.search(r'data-role="following-count">1<', html)
        assert re.search(r'data-role="followers-count">2<', html)


def test_the_people_lists_page_on(services, browser, account, monkeypatch):
    monkeypatch.setattr(people_pages, "PEOPLE_PAGE", 2)
    others = [make_account(services, f"u{n}@example.com", display_name=f"U{n}") for n in range(3)]
    for other in others:
        with services.db.write() as db:
            follows.follow(db=db, actor=other.user, user_id=account.user.id)
    first = browser.get("/people?tab=followers").text
    more = re.search(r'href="(/people\?tab=followers&amp;after=[^"]+)"', first)
    assert more, "no link to more followers"
    with services.db.write() as db:  # the last on the page stops following meanwhile
        follows.unfollow(db=db, actor=others[1].user, user_id=account.user.id)
    second = browser.get(more.group(1).replace("&amp;", "&")).text
    # by the name's markup: a bare "U0" can turn up in the page's random CSRF token
    assert [f"<strong>{n}</strong>" in first for n in ("U2", "U1", "U0")] == [True, True, False]
    assert [f"<strong>{n}</strong>" in second for n in ("U0", "U2")] == [True, False]
    assert 'rel="next"' not in second
    # a follow-back button returns to the page it was on
    assert 'name="next" value="/people?tab=followers&amp;after=' in second


def test_unfollowing_from_the_people_page(services, browser, account, bob):
    browser.post(f"/people/{bob.user.id}/follow")
    response = browser.post(f"/people/{bob.user.id}/unfollow", {"next": "/people"})
    assert response.status_code == 303
    assert response.headers["location"] == "/people"
    assert follow_rows(services) == set()
    assert "You follow nobody yet" in browser.get("/people").text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", ""])
def test_the_return_address_stays_on_this_site(services, browser, bob, target):
    response = browser.post(f"/people/{bob.user.id}/follow", {"next": target})
    assert response.headers["location"] == "/people"


def test_following_yourself_or_nobody_is_an_error_page_that_changes_nothing(
    services, browser, account
):
    itself = browser.post(f"/people/{account.user.id}/follow")
    assert itself.status_code == 400
    assert "cannot_follow_self" in itself.text
    missing = browser.post("/people/user_nobody/follow")
    assert missing.status_code == 404
    assert "user_not_found" in missing.text
    assert follow_rows(services) == set()


@pytest.mark.parametrize("action", ["follow", "unfollow"])
@pytest.mark.parametrize("token", [None, "a-guessed-token"], ids=["absent", "wrong"])
def test_a_follow_post_without_the_csrf_token_is_refused(
    services, client, account, bob, action, token
):
    browser = sign_in(services, client, account)
    if action == "unfollow":
        browser.post(f"/people/{bob.user.id}/follow")
    before = follow_rows(services)
    form = {} if token is None else {"csrf_token": token}
    response = client.post(f"/people/{bob.user.id}/{action}", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_failed" in response.text
    assert follow_rows(services) == before


def test_a_creators_profile_shows_their_published_videos_and_counts(services, client, bob):
    draft = make_video(services, bob.user, prompt="A secret draft")
    video = make_video(services, bob.user, prompt="A blue train", published=True)
    with services.db.write() as db:
        follows.follow(db=db, actor=bob.user, user_id=make_account(services).user.id)
    response = client.get(f"/people/{bob.user.id}")  # visitors too, like the feed
    assert response.status_code == 200
    html = response.text
    assert 'data-role="profile-name">Bob Builder' in html
    assert shown(html) == [video.id]
    assert draft.id not in html
    assert re.search(r'data-role="videos-count">1<', html)
    assert re.search(r'data-role="followers-count">0<', html)
    assert re.search(r'data-role="following-count">1<', html)
    assert "bob@example.com" not in html
    assert follow_form(html, bob.user.id) is None  # a visitor has nobody to follow as


def test_the_feed_and_the_people_page_link_to_profiles(services, browser, account, bob):
    make_video(services, bob.user, published=True)
    with services.db.write() as db:
        follows.follow(db=db, actor=bob.user, user_id=account.user.id)
    profile = f'href="/people/{bob.user.id}"'
    assert profile in browser.get("/").text
    assert profile in browser.get("/people?tab=followers").text


def test_following_from_a_profile_returns_to_it_and_shows_mutual(services, browser, account, bob):
    with services.db.write() as db:
        follows.follow(db=db, actor=bob.user, user_id=account.user.id)
    before = browser.get(f"/people/{bob.user.id}").text
    assert 'data-role="follows-you"' in before
    assert follow_form(before, bob.user.id) == f"/people/{bob.user.id}/follow"
    here = f"/people/{bob.user.id}"
    response = browser.post(f"{here}/follow", {"next": here})
    assert response.headers["location"] == here
    after = browser.get(here).text
    assert 'data-role="mutual"' in after
    assert follow_form(after, bob.user.id) == f"/people/{bob.user.id}/unfollow"
    assert re.search(r'data-role="followers-count">1<', after)


def test_your_own_profile_has_no_follow_button(services, browser, account):
    html = browser.get(f"/people/{account.user.id}").text
    assert "This is how others see you" in html
    assert follow_form(html, account.user.id) is None
    assert "You have not published a video yet" in html


def test_a_profile_pages_through_older_videos(services, client, bob, monkeypatch):
    monkeypatch.setattr(people_pages, "PROFILE_PAGE", 1)
    made = [
        make_video(services, bob.user, published=True, published_ago=timedelta(minutes=m))
        for m in (2, 1)
    ]
    first = client.get(f"/people/{bob.user.id}").text
    older = re.search(rf'href="(/people/{bob.user.id}\?older=[^"]+)"', first)
    assert older, "no link to older videos on the profile"
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert (shown(first), shown(second)) == ([made[1].id], [made[0].id])
    assert "Older videos" not in second


def test_a_disabled_or_unknown_creator_has_no_profile(services, client, bob):
    with services.db.write() as db:
        db.get_one(User, bob.user.id).disabled_at = utcnow()
    for user_id in (bob.user.id, "user_nobody"):
        response = client.get(f"/people/{user_id}")
        assert response.status_code == 404
        assert "user_not_found" in response.text


def test_people_are_found_by_name_and_followed_from_the_results(services, browser, account, bob):
    make_video(services, bob.user, published=True)
    here = "/people/search?q=builder"
    html = browser.get(here).text
    assert 'aria-label="People found"' in html
    assert f'href="/people/{bob.user.id}"' in html
    assert follow_form(html, bob.user.id) == f"/people/{bob.user.id}/follow"
    response = browser.post(f"/people/{bob.user.id}/follow", {"next": here})
    assert response.headers["location"] == here
    assert follow_form(browser.get(here).text, bob.user.id) == f"/people/{bob.user.id}/unfollow"
    assert 'action="/people/search"' in browser.get("/people").text  # the form is on People


def test_a_visitor_may_search_and_a_bad_query_is_told_beside_the_form(services, client, bob):
    make_video(services, bob.user, published=True)
    found = client.get("/people/search", params={"q": "Bob"}).text
    assert "Bob Builder" in found
    assert follow_form(found, bob.user.id) is None
    assert "bob@example.com" not in found
    nobody = client.get("/people/search", params={"q": "nobody-here"})
    assert "name contains “nobody-here”" in nobody.text
    short = client.get("/people/search", params={"q": "b"})
    assert short.status_code == 400
    assert 'aria-invalid="true"' in short.text
    assert "2 to 80 characters" in short.text
    assert client.get("/people/search").status_code == 200  # an empty form


def test_a_people_page_after_someone_who_left_the_list_starts_over(services, browser, account, bob):
    with services.db.write() as db:
        follows.follow(db=db, actor=account.user, user_id=bob.user.id)
    for after in ("user_gone", "123_user_gone!", "123_video_x"):  # gone, or a damaged link
        response = browser.get(f"/people?tab=following&after={after}")
        assert response.status_code == 200
        assert f'href="/people/{bob.user.id}"' in response.text
