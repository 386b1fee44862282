"""Tips on the web: the form on someone else's published video, the wallet's tips received."""

from __future__ import annotations

import re

from web_helpers import make_video, sign_in

from reelmint.domains.payments.service import start_purchase
from support import make_account


def test_tip_a_creator_once_per_form_and_see_it_in_their_wallet(services, client, account):
    maker = make_account(services, "maker@example.com", display_name="Maker")
    video = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    page = browser.get(f"/videos/{video.id}").text
    assert 'data-testid="tip-form"' in page
    key = re.search(r'name="tip_key" value="([^"]+)"', page).group(1)
    form = {"units": "5", "tip_key": key}
    first = browser.post(f"/videos/{video.id}/tip", form)
    assert (first.status_code, first.headers["location"]) == (303, f"/videos/{video.id}")
    browser.post(f"/videos/{video.id}/tip", form)  # a double submit: one tip
    assert 'data-role="purchased">5<' in browser.get("/wallet").text
    client.cookies.clear()
    theirs = sign_in(services, client, maker)
    wallet = theirs.get("/wallet").text
    assert re.search(r'data-role="tips"><strong>0</strong> available · 5 pending', wallet)
    assert 'data-testid="tip-form"' not in theirs.get(f"/videos/{video.id}").text  # not own


def test_a_tip_without_purchased_credits_is_refused(services, client, account):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    browser = sign_in(services, client, account)
    refused = browser.post(f"/videos/{video.id}/tip", {"units": "1", "tip_key": "k"})
    assert refused.status_code == 402
    assert "free quota and granted credits cannot tip" in refused.text
    assert "user:" not in refused.text  # no internal account names


def test_a_tip_of_units_that_are_not_a_whole_number_says_so_and_tips_nothing(
    services, client, account
):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    refused = browser.post(f"/videos/{video.id}/tip", {"units": "five", "tip_key": "k"})
    assert refused.status_code == 400
    assert "units must be a whole number, got &#39;five&#39;" in refused.text
    assert 'data-role="purchased">10<' in browser.get("/wallet").text
