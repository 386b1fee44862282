"""The /notifications page, its forms, and the unread count in every page's navigation."""

from __future__ import annotations

import re

import pytest
from smtp_helpers import sign_in, tell
from sqlalchemy import select

from reelmint.domains.notifications.models import Notification
from support import make_account


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account.user)


def nav_count(page: str) -> str | None:
    found = re.search(r'data-role="unread-count"[^>]*>(\d+)<', page)
    return found.group(1) if found else None


def test_the_page_lists_notifications_and_highlights_unread(services, browser, account):
    read = tell(services, account.user, title="Old news", body="Seen it.")
    browser.post(f"/notifications/{read.id}/read")
    tell(
        services,
        account.user,
        title="Quota <changes>",
        body="Para one.\n\nPara two.",
        link="/drafts",
    )
    response = browser.get("/notifications")
    assert response.status_code == 200
    page = response.text
    assert "<strong>Quota &lt;changes&gt;</strong>" in page, "unread is bold; text is escaped"
    assert ">New<" in page
    assert page.count(">New<") == 1, "only the unread one is marked new"
    assert "<p>Para one.</p>" in page
    assert "<p>Para two.</p>" in page
    assert 'href="/drafts">Open</a>' in page
    assert "Old news" in page
    assert "Mark all read (1)" in page
    assert response.headers["cache-control"] == "no-store"


def test_the_nav_shows_the_unread_count_on_every_page(services, browser, account):
    assert nav_count(browser.get("/drafts").text) is None
    for _ in range(2):
        tell(services, account.user)
    for path in ("/drafts", "/settings/tokens", "/", "/notifications"):
        assert nav_count(browser.get(path).text) == "2", path
    browser.post("/notifications/read-all")
    assert nav_count(browser.get("/drafts").text) is None


def test_an_error_page_still_renders_the_layout(services, browser, account):
    tell(services, account.user)
    response = browser.get("/videos/video_doesnotexist")
    assert response.status_code == 404
    assert nav_count(response.text) == "1"


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/notifications", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fnotifications"
    assert "Notifications" not in client.get("/login").text


def test_mark_all_read_returns_to_the_page(services, browser, account):
    for _ in range(3):
        tell(services, account.user)
    response = browser.post("/notifications/read-all", {"next": "/notifications?unread=1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/notifications?unread=1"
    page = browser.get("/notifications?unread=1").text
    assert "Nothing unread." in page
    assert "Mark all read" not in page


def test_mark_one_read(services, browser, account):
    made = tell(services, account.user, title="Hello")
    response = browser.post(f"/notifications/{made.id}/read")
    assert response.status_code == 303
    assert response.headers["location"] == "/notifications"
    page = browser.get("/notifications").text
    assert ">New<" not in page
    assert f'/notifications/{made.id}/read"' not in page


def test_forms_need_the_csrf_token(services, browser, account):
    made = tell(services, account.user)
    for path in ("/notifications/read-all", f"/notifications/{made.id}/read"):
        response = browser.post(path, {"csrf_token": "forged"})
        assert response.status_code == 403, path
    assert nav_count(browser.get("/notifications").text) == "1"


def test_nobody_marks_another_users_notification(services, browser):
    grace = make_account(services, "grace@example.com")
    hers = tell(services, grace.user, title="For Grace only")
    response = browser.post(f"/notifications/{hers.id}/read")
    assert response.status_code == 404
    assert "For Grace only" not in browser.get("/notifications").text


def test_next_never_leaves_the_site(services, browser, account):
    tell(services, account.user)
    response = browser.post("/notifications/read-all", {"next": "https://evil.example/"})
    assert response.headers["location"] == "/notifications"


def test_paging(services, browser, account):
    from reelmint.web.notification_pages import PAGE

    for index in range(PAGE + 2):
        tell(services, account.user, title=f"item {index}", email=False)
    first = browser.get("/notifications").text
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older, "the first page links to older notifications"
    with services.db.write() as db:  # the link works after its notification is gone
        last = db.scalar(select(Notification).where(Notification.title == "item 2"))
        db.delete(last)
    second = browser.get(older.group(1).replace("&amp;", "&")).text
    assert "item 1<" in second
    assert "item 0<" in second
    assert f"item {PAGE + 1}<" not in second


def test_a_made_up_page_link_shows_the_newest_and_says_why(services, browser, account):
    tell(services, account.user, title="the newest one", email=False)
    page = browser.get("/notifications?after=junk")
    assert page.status_code == 404
    assert "That page of notifications is not there" in page.text
    assert "the newest one<" in page.text
    assert "next_cursor" not in page.text  # the API's words are not the page's
