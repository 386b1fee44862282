"""The credits page: packs, balances, purchases (test money marked), buying and coming back."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import form_key, sign_in

# tests/ is on sys.path (its conftest.py): the payments tests' helpers, by their full name.
from domains.payments.payment_helpers import (
    books,
    checkout_completed,
    dispute,
    fake_stripe,
    make_stripe_services,
    post_webhook,
    spend,
)
from reelmint.api.app import create_app
from reelmint.domains.payments.models import Purchase
from support import make_account, make_services


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def purchases_of(services, user_id):
    with services.db.read() as db:
        return list(db.scalars(select(Purchase).where(Purchase.user_id == user_id)))


def test_the_page_needs_a_signed_in_user(client):
    response = client.get("/credits", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcredits"


def test_the_page_lists_packs_and_balances_as_test_money(browser):
    page = browser.get("/credits")
    assert page.status_code == 200
    html = page.text
    assert "10 generations" in html
    assert "$4.00" in html
    assert "10 units" in html
    assert "365 days after purchase" in html
    assert 'data-role="test-money-notice"' in html
    assert "(test money)" in html  # on the Buy button
    assert re.search(r'data-balance="purchased">0 units<', html)
    assert re.search(r'data-balance="owed">0 units<', html)
    assert 'action="/credits/buy"' in html
    assert 'aria-current="page">Credits<' in html
    assert "You have bought no credits yet." in html


def test_a_zero_decimal_currency_is_shown_as_it_is_charged(tmp_path):
    """A JPY pack priced 500 (yen: JPY has no minor unit) costs ¥500, as Stripe charges it."""
    pack = {"id": "pack_yen", "name": "Yen pack", "units": 10, "price_cents": 500}
    services = make_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'y.db'}",
        credit_packs=[{**pack, "currency": "jpy", "valid_days": 30}],
    )
    try:
        with TestClient(create_app(services)) as client:
            browser = sign_in(services, client, make_account(services))
            html = browser.get("/credits").text
            assert "Buy Yen pack for ¥500" in html
            assert "5.00" not in html
    finally:
        services.close()


def test_the_page_says_how_this_server_spends_and_prices(tmp_path, browser):
    default = browser.get("/credits").text
    assert "about\n    10 seconds of 480p preview video." in default
    assert "Purchased credits are spent after your free quota and granted credits." in default
    services = make_services(
        tmp_path / "other",
        f"sqlite:///{tmp_path / 'o.db'}",
        spend_order=["purchased", "quota"],
        price_units_per_10s=2,
    )
    try:
        with TestClient(create_app(services)) as client:
            page = sign_in(services, client, make_account(services)).get("/credits").text
            assert "about\n    5 seconds of 480p preview video." in page
            assert "Purchased credits are spent first." in page
    finally:
        services.close()


def test_buying_a_pack_credits_it_and_shows_the_outcome(services, browser, account):
    response = browser.post("/credits/buy", {"pack_id": "pack_10"})
    assert response.status_code == 303
    (purchase,) = purchases_of(services, account.user.id)
    assert response.headers["location"] == f"/credits/return?purchase={purchase.id}"
    outcome = browser.get(response.headers["location"]).text
    assert 'data-status="completed"' in outcome
    assert "10 units were added to your credits" in outcome
    assert "This was test money" in outcome
    assert "test money</span>" in outcome
    assert books(services, account.user.id).purchased == 10
    page = browser.get("/credits").text
    assert re.search(r'data-balance="purchased">10 units<', page)
    assert f'id="{purchase.id}"' in page
    assert "Paid" in page
    assert page.count("test money</span>") >= 1


def test_the_same_buy_button_posted_twice_is_one_purchase(services, browser, account):
    """A second post of one page's button (a browser retry, the back button, a double click
    the script missed) goes where the first did; the button on a new page buys again."""
    key = form_key(browser.get("/credits").text)
    first = browser.post("/credits/buy", {"pack_id": "pack_10", "form_key": key})
    again = browser.post("/credits/buy", {"pack_id": "pack_10", "form_key": key})
    assert again.headers["location"] == first.headers["location"]
    assert len(purchases_of(services, account.user.id)) == 1
    assert books(services, account.user.id).purchased == 10
    fresh = form_key(browser.get("/credits").text)
    assert fresh != key  # a new page: a new purchase
    browser.post("/credits/buy", {"pack_id": "pack_10", "form_key": fresh})
    assert len(purchases_of(services, account.user.id)) == 2


def test_a_buy_without_the_csrf_token_is_refused(services, browser, account):
    response = browser.post("/credits/buy", {"pack_id": "pack_10", "csrf_token": "wrong"})
    assert response.status_code == 403
    assert purchases_of(services, account.user.id) == []


def test_an_unknown_pack_shows_the_error_on_the_page(services, browser, account):
    response = browser.post("/credits/buy", {"pack_id": "pack_nope"})
    assert response.status_code == 404
    assert "Nothing was bought." in response.text
    assert "pack_10" in response.text
    assert purchases_of(services, account.user.id) == []


def test_nobody_sees_another_users_purchase(services, browser):
    other = make_account(services, "grace@example.com")
    other_browser = sign_in(services, TestClient(create_app(services)), other)
    other_browser.post("/credits/buy", {"pack_id": "pack_10"})
    (theirs,) = purchases_of(services, other.user.id)
    response = browser.get(f"/credits/return?purchase={theirs.id}")
    assert response.status_code == 404
    unnamed = browser.get("/credits/return")
    assert unnamed.status_code == 404
    assert "No purchase was named; your purchases are on the Credits page." in unnamed.text
    assert theirs.id not in browser.get("/credits").text


def test_a_blocked_wallet_is_explained(services, browser, account):
    browser.post("/credits/buy", {"pack_id": "pack_10"})
    (purchase,) = purchases_of(services, account.user.id)
    spend(services, account.user.id, 4, key="spend-4")
    from reelmint.domains.payments.base import ProviderEvent
    from reelmint.domains.payments.service import handle_event

    handle_event(
        services=services,
        event=ProviderEvent(
            provider="sandbox",
            event_id="evt_dispute",
            type="dispute",
            kind="dispute_opened",
            purchase_id=purchase.id,
        ),
    )
    page = browser.get("/credits").text
    assert re.search(r'data-balance="owed">4 units<', page)
    assert 'data-role="wallet-blocked"' in page
    assert "Disputed" in page
    assert "refunded or disputed after its credits were spent, and 4 units are still owed" in (
        browser.get("/wallet").text
    )
    assert "and\n    4 units are still owed." in page
    back = f"/credits/return?purchase={purchase.id}"
    assert "10 units were taken back while the dispute lasts" in browser.get(back).text
    handle_event(
        services=services,
        event=ProviderEvent(
            provider="sandbox",
            event_id="evt_lost",
            type="dispute",
            kind="dispute_closed",
            dispute_status="lost",
            purchase_id=purchase.id,
        ),
    )
    lost = browser.get(back).text
    assert 'data-role="dispute-lost"' in lost
    assert "while the dispute lasts" not in lost


# --- Stripe: the page links on to Stripe, and the return page waits for the webhook ------------


@pytest.fixture
def stripe_site(tmp_path, keys_dir):
    with fake_stripe() as stripe_api:
        built = make_stripe_services(
            tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}", stripe_api.url, keys_dir
        )
        with TestClient(create_app(built)) as test_client:
            yield built, test_client
        built.close()


def test_with_stripe_the_buyer_is_sent_on_and_the_webhook_completes(stripe_site):
    services, client = stripe_site
    account = make_account(services)
    browser = sign_in(services, client, account)
    page = browser.get("/credits").text
    assert "Stripe's test mode" in page  # an sk_test_ key: test money
    key = form_key(page)
    response = browser.post("/credits/buy", {"pack_id": "pack_10", "form_key": key})
    assert response.status_code == 200
    assert 'href="https://checkout.stripe.test/c/pay/cs_test_0001"' in response.text
    again = browser.post("/credits/buy", {"pack_id": "pack_10", "form_key": key})
    assert 'href="https://checkout.stripe.test/c/pay/cs_test_0001"' in again.text
    (purchase,) = purchases_of(services, account.user.id)

    waiting = browser.get(f"/credits/return?purchase={purchase.id}").text
    assert 'data-status="pending"' in waiting
    assert "Waiting for the payment to be confirmed" in waiting
    cancelled = browser.get(f"/credits/return?purchase={purchase.id}&cancelled=1").text
    assert "The checkout was cancelled" in cancelled
    listed = browser.get("/credits").text
    assert "Awaiting payment" in listed
    assert "Complete payment" in listed

    assert post_webhook(client, checkout_completed("evt_1", purchase)).status_code == 200
    done = browser.get(f"/credits/return?purchase={purchase.id}").text
    assert 'data-status="completed"' in done
    # An sk_test_ key is Stripe's test mode: test money too.
    assert "This was test money" in done
    post_webhook(client, dispute("evt_2", payment_intent="pi_test_1", amount=400))
    assert "Disputed" in browser.get("/credits").text
