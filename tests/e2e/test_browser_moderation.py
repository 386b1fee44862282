"""Moderation in a real browser: a viewer reports a video from its page; an administrator finds
it on Operator › Reports, takes it down from its page (the report is actioned, the reporter
told), then suspends its creator on Operator › Accounts, whose sign-in is then refused with the
reason. Chromium against a real server with a worker; screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from sqlalchemy import select
from test_browser import (  # noqa: F401
    PASSWORD,
    chromium,
    finished_published_video,
    new_page,
    shot,
)
from test_browser_rights import log_in

from reelmint.domains.accounts.service import create_api_token, create_user
from reelmint.domains.videos.models import VideoReport


def test_report_take_down_and_suspend(live_server, chromium):  # noqa: F811
    from playwright.sync_api import expect

    services = live_server.services
    with services.db.write() as db:
        creator = create_user(
            db=db, email="maker@example.com", password=PASSWORD, display_name="Maker"
        )
        _, token = create_api_token(db=db, user=creator, name="e2e")
        create_user(db=db, email="viewer@example.com", password=PASSWORD, display_name="Viewer")
        create_user(
            db=db, email="mod@example.com", password=PASSWORD, display_name="Mod", role="admin"
        )
    video_id = finished_published_video(live_server, token)

    # 1. The viewer reports the video from its page.
    viewer = new_page(chromium, live_server.url)
    log_in(viewer, "viewer@example.com")
    viewer.goto(f"/videos/{video_id}")
    viewer.get_by_text("Report this video").click()
    viewer.get_by_label("What is wrong?").select_option("spam")
    viewer.get_by_label("Anything the moderators should know (optional)").fill("posted 40 times")
    viewer.get_by_role("button", name="Report", exact=True).click()
    viewer.wait_for_url(f"**/videos/{video_id}")
    assert "Reported" in viewer.locator(".flash").inner_text()
    expect(viewer.get_by_test_id("reported")).to_be_visible()
    shot(viewer, "video-reported")

    # 2. The administrator finds it on Operator › Reports and takes it down from its page.
    moderator = new_page(chromium, live_server.url)
    log_in(moderator, "mod@example.com")
    moderator.goto("/operator/reports")
    card = moderator.locator(f'[data-video="{video_id}"]')
    expect(card.locator('[data-role="open-reports"]')).to_have_text("1 open report")
    assert "posted 40 times" in card.inner_text()
    shot(moderator, "operator-reports")
    card.locator('[data-role="take-down-link"]').click()
    moderator.wait_for_url(f"**/videos/{video_id}*")
    moderator.get_by_label("Take down (moderation): why, for its owner to read").fill(
        "spam: the same video posted 40 times"
    )
    moderator.get_by_role("button", name="Take down").click()
    moderator.wait_for_url(f"**/videos/{video_id}")
    with services.db.read() as db:
        statuses = db.scalars(select(VideoReport.status)).all()
    assert statuses == ["actioned"]
    viewer.goto("/notifications")
    expect(viewer.get_by_text("A video you reported was taken down")).to_be_visible()

    # 3. The administrator suspends the creator; the creator's sign-in says why.
    moderator.goto("/operator/accounts")
    moderator.get_by_label("Its email address").fill("maker@example.com")
    moderator.get_by_label("Why (one line; the person reads it)").fill("spam account")
    moderator.get_by_role("button", name="Suspend").click()
    moderator.wait_for_url("**/operator/accounts")
    expect(moderator.locator('[data-role="reason"]')).to_have_text("spam account")
    shot(moderator, "operator-accounts")

    maker = new_page(chromium, live_server.url)
    maker.goto("/login")
    maker.get_by_label("Email").fill("maker@example.com")
    maker.get_by_label("Password").fill(PASSWORD)
    maker.get_by_role("button", name="Log in").click()
    expect(maker.get_by_role("alert")).to_contain_text("spam account")
    assert "/login" in maker.url
