"""Payouts in a real browser: a creator with available tips asks for a payout on the wallet
page, an administrator marks it paid on the operator page with the transfer's reference, and
the creator sees it paid; the pages fit a phone. Chromium against a real server; screenshots
go to test-artifacts/screenshots/."""

from __future__ import annotations

from test_browser import (  # noqa: F401
    PASSWORD,
    assert_fits_a_phone,
    assert_rows_read_as_cards,
    chromium,
    new_page,
    new_phone_page,
    shot,
)
from test_browser_rights import log_in

from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.ledger.service import Leg, platform_account, transfer
from reelmint.domains.payouts.service import reject_payout, request_payout
from reelmint.domains.wallet.tips import tips_account, tips_of


def test_ask_for_a_payout_and_have_it_marked_paid(live_server, chromium):  # noqa: F811
    from playwright.sync_api import expect

    services = live_server.services
    with services.db.write() as db:
        maker = create_user(
            db=db, email="maker@example.com", password=PASSWORD, display_name="Maker"
        )
        root = create_user(
            db=db, email="root@example.com", password=PASSWORD, display_name="Root", role="admin"
        )
        source = platform_account(db=db, name="tip_revenue")
        to = tips_account(db=db, user_id=maker.id, available=True)
        transfer(db=db, key="released", legs=[Leg(source, -40), Leg(to, 40)], kind="t", reason="t")

    # 1. The creator asks for 30 of their 40 available units, saying where to send it.
    page = new_page(chromium, live_server.url)
    log_in(page, "maker@example.com")
    page.goto("/wallet")
    page.get_by_label("Units to be paid for").fill("30")
    page.get_by_label("Where to send it").fill("IBAN DE89 3704 0044 0532 0130 00")
    shot(page, "wallet-payout-form")
    page.get_by_role("button", name="Ask for a payout").click()
    page.wait_for_url("**/wallet#payouts")
    row = page.locator("tr[data-payout]")
    expect(row.locator('[data-role="payout-status"]')).to_have_text("requested")
    expect(row.locator('[data-role="payout-money"]')).to_have_text("12.00 USD")
    with services.db.read() as db:
        assert tips_of(db=db, user_id=maker.id).in_payout == 30

    # 2. The administrator sees it on the operator page (on a phone too) and marks it paid.
    admin_phone = new_phone_page(chromium, live_server.url)
    log_in(admin_phone, "root@example.com")
    admin_phone.goto("/operator#payouts")
    assert_fits_a_phone(admin_phone, "operator-payouts")
    admin = new_page(chromium, live_server.url)
    log_in(admin, "root@example.com")
    admin.goto("/operator")
    waiting = admin.get_by_role("list", name="Payouts to make")
    assert "IBAN DE89 3704 0044 0532 0130 00" in waiting.inner_text()
    waiting.get_by_label("Your reference for the money sent").fill("SEPA 2026-11-22/1")
    shot(admin, "operator-payouts")
    waiting.get_by_role("button", name="Mark paid").click()
    admin.wait_for_url("**/operator?days=30#payouts")
    assert "No payout is waiting." in admin.locator("#payouts").inner_text()

    # 3. The creator sees it paid, with the reference; the units are gone from the ledger.
    page.goto("/wallet")
    expect(row.locator('[data-role="payout-status"]')).to_have_text("paid")
    expect(row.locator('[data-role="payout-detail"]')).to_have_text("SEPA 2026-11-22/1")
    with services.db.read() as db:
        after = tips_of(db=db, user_id=maker.id)
    assert (after.available, after.in_payout) == (10, 0)

    # 4. Both pages fit a phone with their payout tables: a second payout, rejected with a
    #    long reason, reads on a phone; every row a card, every cell after its column's name.
    with services.db.write() as db:
        to = tips_account(db=db, user_id=maker.id, available=True)
        source = platform_account(db=db, name="tip_revenue")
        transfer(db=db, key="more", legs=[Leg(source, -20), Leg(to, 20)], kind="t", reason="t")
        asked = request_payout(
            db=db,
            settings=services.settings,
            actor=db.get_one(User, maker.id),
            units=30,
            key="second",
            note="PayPal maker@example.com",
        )
        reason = "This PayPal account does not take payments: give another way to pay you"
        reject_payout(db=db, actor=db.get_one(User, root.id), payout_id=asked.id, reason=reason)
    phone = new_phone_page(chromium, live_server.url)
    log_in(phone, "maker@example.com")
    phone.goto("/wallet")
    assert_fits_a_phone(phone, "wallet-payouts")
    assert_rows_read_as_cards(phone, "table.payouts")
    assert_rows_read_as_cards(phone, "table.statement")
    rejected = phone.locator(f'tr[data-payout="{asked.id}"] [data-role="payout-detail"]')
    expect(rejected).to_have_text(reason)
    expect(rejected).to_be_visible()
    admin_phone.goto("/operator")
    # The sandbox takes test money: the payout is counted as one paid on test money.
    assert_rows_read_as_cards(admin_phone, 'table:has(tr[data-payouts^="test-paid-"])')
    shot(admin_phone, "phone-operator-tables")
    assert page.problems == []
    assert admin.problems == []
    assert phone.problems == []
    assert admin_phone.problems == []
