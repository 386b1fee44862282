"""The notifications page in a real browser (Debian's Chromium, driven by Playwright).

A signed-in person sees the unread count in the navigation, opens the page, marks everything
read, and the count goes. The page, with a count in the navigation, fits a phone (no sideways
scrolling, every control at least 40 px tall). Skipped when /usr/bin/chromium is missing,
unless REELMINT_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from smtp_helpers import new_user, tell

from reelmint.api.deps import SESSION_COOKIE
from reelmint.domains.accounts.service import start_web_session

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
TAPPABLE = "button, a.button, .site-nav a, input:not([type=hidden]), select, summary"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("REELMINT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in_page(chromium: Any, live_server: Any, user: Any, **options: Any) -> Any:
    with live_server.services.db.write() as db:
        _, secret = start_web_session(db=db, user=user)
    context = chromium.new_context(base_url=live_server.url, **options)
    context.add_cookies([{"name": SESSION_COOKIE, "value": secret, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.problems = problems
    return page


def test_read_notifications_in_the_browser(live_server, chromium):
    services = live_server.services
    user = new_user(services, "ada@example.com")
    tell(services, user, title="Your daily quota changes", link="/drafts")
    tell(services, user, title="Welcome aboard", body="Make your first video.")
    page = signed_in_page(chromium, live_server, user)
    page.goto("/drafts")
    link = page.get_by_role("link", name="Notifications")
    assert link.locator("[data-role=unread-count]").inner_text() == "2"
    link.click()
    page.wait_for_url("**/notifications")
    assert page.get_by_role("heading", name="Welcome aboard").is_visible()
    assert page.get_by_text("New", exact=True).count() == 2
    page.get_by_role("button", name="Mark all read (2)").click()
    page.wait_for_url("**/notifications")
    assert page.get_by_text("New", exact=True).count() == 0
    assert page.locator("[data-role=unread-count]").count() == 0
    page.get_by_role("link", name="Open").click()
    page.wait_for_url("**/drafts")
    assert page.problems == []


def test_the_notifications_page_fits_a_phone(live_server, chromium):
    services = live_server.services
    user = new_user(services, "phone@example.com")
    for number in range(3):
        tell(services, user, title=f"A rather long notification title, number {number}")
    page = signed_in_page(
        chromium,
        live_server,
        user,
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    for name, path in (("notifications", "/notifications"), ("drafts-with-count", "/drafts")):
        page.goto(path)
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths[0]} > {widths[1]} px"
        small = page.evaluate(
            """(selector) => Array.from(document.querySelectorAll(selector))
                   .filter((el) => el.offsetParent !== null)
                   .map((el) => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
                   .filter(([, height]) => height < 40)""",
            TAPPABLE,
        )
        assert small == [], f"{name} has controls under 40 px: {small}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
    assert page.problems == []
