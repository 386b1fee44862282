"""Following in a real browser: a viewer follows a creator from the feed, finds the video in the
Following feed, the creator on the People page and, by a search for their name, their profile;
the creator is told, opens the follower's profile from the notification and follows back, and
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

    viewer.get_by_label("Find people by name").fill("mak")  # found by name, then the profile
    viewer.get_by_role("button", name="Search").click()
    viewer.wait_for_url("**/people/search?q=mak")
    viewer.get_by_role("list", name="People found").get_by_role("link", name="Maker").click()
    viewer.wait_for_url(f"**/people/{creator.id}")
    expect(viewer.locator('[data-role="profile-name"]')).to_contain_text("Maker")
    assert viewer.locator(f'ol.feed video[src*="{video_id}"]').count() == 1
    shot(viewer, "profile")

    # 3. The creator is told, opens the follower's profile from it and follows back: mutual.
    creator_page = new_page(chromium, live_server.url)
    log_in(creator_page, "maker@example.com")
    creator_page.get_by_role("link", name="Notifications").click()
    told = creator_page.locator(".notifications li").filter(has_text="Viewer now follows you")
    told.get_by_role("link", name="Open").click()
    creator_page.wait_for_url("**/people/user_*")
    expect(creator_page.locator('[data-role="follows-you"]')).to_have_text("Follows you")
    creator_page.get_by_role("button", name="Follow Viewer").click()
    expect(creator_page.locator('[data-role="mutual"]')).to_have_text("Mutual")
    shot(creator_page, "profile-mutual")
    viewer.goto("/people")
    for tab in ("Following", "Followers"):  # Maker, in both lists, mutual
        viewer.get_by_role("navigation", name="Lists of people").get_by_role(
            "link", name=tab
        ).click()
        people = viewer.locator("ul.people-list")
        assert "Maker" in people.inner_text()
        expect(people.locator('[data-role="mutual"]')).to_have_count(1)
    shot(viewer, "people")

    # 4. Both pages fit a phone.
    phone = new_phone_page(chromium, live_server.url)
    log_in(phone, "viewer@example.com")
    pages = [("following", "/following"), ("people", "/people"), ("feed-follow", "/")]
    more = [("profile", f"/people/{creator.id}"), ("people-search", "/people/search?q=mak")]
    for name, path in [*pages, *more]:
        phone.goto(path)
        assert_fits_a_phone(phone, name)
    assert viewer.problems == []
    assert creator_page.problems == []
    assert phone.problems == []
