"""Following in a real browser: a viewer follows a creator from the feed, finds the video in the
Following feed and the creator on the People page; the creator is told and follows back, and
both are mutual followers. The pages also fit a phone. Chromium against a real server with a
worker; screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from test_browser import (  # noqa: F401
    PASSWORD,
    assert_fits_a_phone,
    chromium,
    finished_published_video,
    new_page,
    new_phone_page,
    shot,
)
from test_browser_rights import log_in

from reelmint.domains.accounts.service import create_api_token, create_user


def test_follow_a_creator_from_the_feed_and_follow_back(live_server, chromium):  # noqa: F811
    from playwright.sync_api import expect

    with live_server.services.db.write() as db:
        creator = create_user(
            db=db, email="maker@example.com", password=PASSWORD, display_name="Maker"
        )
        _, token = create_api_token(db=db, user=creator, name="e2e")
        create_user(db=db, email="viewer@example.com", password=PASSWORD, display_name="Viewer")
    video_id = finished_published_video(live_server, token)

    # 1. The viewer follows the creator from the feed card and lands back on the feed.
    viewer = new_page(chromium, live_server.url)
    log_in(viewer, "viewer@example.com")
    card = viewer.locator("ol.feed li.card").filter(has=viewer.locator(f'video[src*="{video_id}"]'))
    card.get_by_role("button", name="Follow Maker").click()
    viewer.wait_for_url(f"{live_server.url}/")
    assert "Following feed" in viewer.locator(".flash").inner_text()
    expect(card.get_by_role("button", name="Unfollow Maker")).to_have_text("Following ✓")
    shot(viewer, "feed-following-button")

    # 2. The Following feed holds the creator's video; People lists the creator.
    viewer.get_by_role("link", name="Following").click()
    viewer.wait_for_url("**/following")
    assert viewer.locator(f'ol.feed video[src*="{video_id}"]').count() == 1
    shot(viewer, "following")
    viewer.get_by_role("link", name="People").click()
    viewer.wait_for_url("**/people")
    assert "Maker" in viewer.get_by_role("list", name="People you follow").inner_text()
    assert viewer.locator('[data-role="mutual"]').count() == 0

    # 3. The creator is told, and follows back from the People page: now mutual.
    creator_page = new_page(chromium, live_server.url)
    log_in(creator_page, "maker@example.com")
    creator_page.get_by_role("link", name="Notifications").click()
    assert "Viewer now follows you" in creator_page.locator(".notifications").inner_text()
    creator_page.goto("/people")
    followers = creator_page.get_by_role("list", name="People who follow you")
    followers.get_by_role("button", name="Follow Viewer").click()
    creator_page.wait_for_url("**/people")
    expect(creator_page.locator('[data-role="mutual"]').first).to_be_visible()
    shot(creator_page, "people")
    viewer.reload()
    for listed in ("People you follow", "People who follow you"):  # Maker, in both, mutual
        people = viewer.get_by_role("list", name=listed)
        assert "Maker" in people.inner_text()
        expect(people.locator('[data-role="mutual"]')).to_have_count(1)

    # 4. Both pages fit a phone.
    phone = new_phone_page(chromium, live_server.url)
    log_in(phone, "viewer@example.com")
    for name, path in (("following", "/following"), ("people", "/people"), ("feed-follow", "/")):
        phone.goto(path)
        assert_fits_a_phone(phone, name)
    assert viewer.problems == []
    assert creator_page.problems == []
    assert phone.problems == []
