"""Webhooks in a real browser: from Settings, a refused address puts the keyboard back on the
field with what was typed; a public one is added, its signing secret shown once and on no page
after; the list fits a phone. Chromium against a real server; screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from test_browser import (  # noqa: F401
    PASSWORD,
    assert_fits_a_phone,
    chromium,
    log_in_as,
    new_page,
    new_phone_page,
    shot,
)

from reelmint.domains.accounts.service import create_user

PUBLIC = "https://93.184.216.34/hooks"  # an address literal: checked without asking DNS


def test_add_an_endpoint_and_see_its_secret_once(live_server, chromium):  # noqa: F811
    from playwright.sync_api import expect

    with live_server.services.db.write() as db:
        create_user(db=db, email="hooks@example.com", password=PASSWORD, display_name="Hooks")
    page = new_page(chromium, live_server.url)
    log_in_as(page, "hooks@example.com")

    # 1. Settings, then its Webhooks tab.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Webhooks").click()
    page.wait_for_url("**/settings/webhooks")
    expect(page.get_by_text("You have no webhook endpoints yet.")).to_be_visible()

    # 2. A private address is refused: the message, the typed text kept, the keyboard on it.
    page.get_by_label("URL").fill("http://127.0.0.1:8000/hooks")
    page.get_by_label("Description (optional)").fill("production")
    page.get_by_label("video.failed").uncheck()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("No endpoint was added.")
    expect(page.get_by_role("alert")).to_contain_text("loopback address")
    assert page.evaluate("() => document.activeElement.id") == "webhook-url"
    expect(page.get_by_label("Description (optional)")).to_have_value("production")
    expect(page.get_by_label("video.failed")).not_to_be_checked()

    # 3. A public address is added; its secret is shown once, with a Copy button.
    page.get_by_label("URL").fill(PUBLIC)
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    shot(page, "webhook-secret")

    # 4. Never again: not on the endpoint's page, nor on the list.
    page.get_by_role("link", name="Go to the endpoint").click()
    page.wait_for_url("**/settings/webhooks/wh_*")
    expect(page.locator("#main")).to_contain_text(PUBLIC)
    assert secret not in page.content()
    page.get_by_role("link", name="All your webhook endpoints").click()
    page.wait_for_url("**/settings/webhooks")
    expect(page.locator("#main")).to_contain_text("production")
    assert secret not in page.content()
    shot(page, "webhooks")

    # 5. The list and the endpoint's page fit a phone.
    phone = new_phone_page(chromium, live_server.url)
    log_in_as(phone, "hooks@example.com")
    phone.goto("/settings/webhooks")
    assert_fits_a_phone(phone, "webhooks")
    phone.get_by_role("link", name=f"Deliveries and settings of {PUBLIC}").click()
    assert_fits_a_phone(phone, "webhook-endpoint")
    assert page.problems == []
    assert phone.problems == []
