"""Tips on the web: the form on someone else's published video, the wallet's tips received."""

from __future__ import annotations

import re

import pytest
from web_helpers import make_video, sign_in

from reelmint.domains.payments.service import start_purchase
from reelmint.domains.videos.models import Video
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
    fans = browser.get("/wallet").text
    assert 'data-role="purchased">5<' in fans
    assert 'class="wallet-name">purchased credits</td>' in fans
    client.cookies.clear()
    theirs = sign_in(services, client, maker)
    wallet = theirs.get("/wallet").text
    assert re.search(r'data-role="tips"><strong>0</strong> available · 5 pending', wallet)
    assert 'class="wallet-name">tips (pending)</td>' in wallet  # not the pool's key
    assert "tips_pending" not in wallet
    assert 'data-testid="tip-form"' not in theirs.get(f"/videos/{video.id}").text  # not own


def test_a_tip_without_purchased_credits_is_refused_on_the_video_page(services, client, account):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    browser = sign_in(services, client, account)
    refused = browser.post(f"/videos/{video.id}/tip", {"units": "1", "tip_key": "k"})
    assert refused.status_code == 402
    page = refused.text
    assert "free quota and granted credits cannot tip" in page
    assert "user:" not in page  # no internal account names
    # the video page, the refusal by the tip form, singular, and a way to buy credits
    assert (
        'data-testid="tip-error"><strong>No tip was given.</strong> A tip of 1 unit needs' in page
    )
    assert '<a href="/credits">Buy credits</a>' in page
    assert f'href="/create?remix={video.id}"' in page


def test_with_no_purchased_credits_the_page_offers_to_buy_some_instead(services, client, account):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    browser = sign_in(services, client, account)
    page = browser.get(f"/videos/{video.id}").text
    assert 'data-testid="tip-form"' not in page
    assert '<a class="button secondary small" href="/credits">Buy credits to tip</a>' in page
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    page = browser.get(f"/videos/{video.id}").text
    assert 'data-testid="tip-form"' in page
    assert "Buy credits to tip" not in page


def test_a_tip_beyond_the_purchased_credits_keeps_the_form(services, client, account):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    browser.post(f"/videos/{video.id}/tip", {"units": "10", "tip_key": "first"})
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser.post(f"/videos/{video.id}/tip", {"units": "5", "tip_key": "second"})  # 5 left
    refused = browser.post(f"/videos/{video.id}/tip", {"units": "10", "tip_key": "third"})
    assert refused.status_code == 402
    assert "A tip of 10 units needs as many purchased credits; you have 5" in refused.text
    assert 'data-testid="tip-form"' in refused.text


def test_a_tip_on_a_video_that_is_not_there_is_the_error_page(services, client, account):
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    refused = browser.post("/videos/video_nothing_here/tip", {"units": "1", "tip_key": "k"})
    assert refused.status_code == 404
    assert "<h1>Not found</h1>" in refused.text
    assert "<title>Not found (404) · reelmint</title>" in refused.text


def test_a_tip_of_units_that_are_not_a_whole_number_says_so_and_tips_nothing(
    services, client, account
):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    refused = browser.post(f"/videos/{video.id}/tip", {"units": "five", "tip_key": "k"})
    assert refused.status_code == 400
    assert "Units must be a whole number, got &#39;five&#39;" in refused.text
    assert 'data-testid="tip-error"' in refused.text  # on the video page, by the form
    assert 'data-role="purchased">10<' in browser.get("/wallet").text


def test_the_tip_form_of_a_monetized_video_names_who_gets_the_tip(services, client, account):
    from domains.rights.claim_helpers import SURFER, claim, make_holder

    maker = make_account(services, "maker@example.com")
    holder = make_holder(services)
    video = make_video(services, maker.user, prompt=SURFER, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    label = "Tip (it goes to Wave Studios, which monetizes this video)"
    assert label not in browser.get(f"/videos/{video.id}").text
    claim(services, holder, video, "monetize")
    page = browser.get(f"/videos/{video.id}").text
    assert label in page
    key = re.search(r'name="tip_key" value="([^"]+)"', page).group(1)
    sent = browser.post(f"/videos/{video.id}/tip", {"units": "3", "tip_key": key})
    assert sent.status_code == 303
    assert (
        "Tipped: the rights holder that monetizes this video gets it"
        in browser.get(sent.headers["location"]).text
    )
    assert 'data-role="purchased">7<' in browser.get("/wallet").text


def test_an_administrator_gets_no_tip_form_on_a_blocked_video_and_cannot_tip_it(services, client):
    from domains.rights.claim_helpers import SURFER, claim, make_holder

    maker = make_account(services, "maker@example.com")
    admin = make_account(services, "admin@example.com", role="admin")
    video = make_video(services, maker.user, prompt=SURFER, published=True)
    start_purchase(services=services, user=admin.user, pack_id="pack_10")
    claim(services, make_holder(services), video, "block")
    browser = sign_in(services, client, admin)
    page = browser.get(f"/videos/{video.id}")
    assert page.status_code == 200  # administrators see it, to moderate
    assert 'data-testid="tip-form"' not in page.text
    refused = browser.post(f"/videos/{video.id}/tip", {"units": "1", "tip_key": "k"})
    assert refused.status_code == 404
    assert 'data-role="purchased">10<' in browser.get("/wallet").text


@pytest.mark.parametrize("typed", ["1_0", "\uff11", "\u0663", "1e1", " "])
def test_units_are_typed_digits_only(services, client, account, typed):
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    refused = browser.post(f"/videos/{video.id}/tip", {"units": typed, "tip_key": "k"})
    assert refused.status_code == 400
    assert "Units must be a whole number" in refused.text
    assert 'data-role="purchased">10<' in browser.get("/wallet").text


def test_a_tipped_video_no_longer_shown_has_no_link_on_the_wallet(services, client, account):
    maker = make_account(services, "maker@example.com")
    shown = make_video(services, maker.user, published=True)
    gone = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    for video in (shown, gone):
        page = browser.get(f"/videos/{video.id}").text
        key = re.search(r'name="tip_key" value="([^"]+)"', page).group(1)
        browser.post(f"/videos/{video.id}/tip", {"units": "1", "tip_key": key})
    with services.db.write() as db:
        db.get_one(Video, gone.id).published_at = None  # unpublished by its maker

    wallet = browser.get("/wallet").text
    assert f'href="/videos/{shown.id}"' in wallet
    assert f'href="/videos/{gone.id}"' not in wallet
    assert 'data-role="video-gone">no longer shown</span>' in wallet


def test_a_tipped_video_keeps_its_link_for_one_who_blocked_its_maker(services, client, account):
    """Having blocked its maker, the tipper can still open the video: its link stays."""
    from reelmint.domains.accounts import blocks

    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user, published=True)
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    browser = sign_in(services, client, account)
    page = browser.get(f"/videos/{video.id}").text
    key = re.search(r'name="tip_key" value="([^"]+)"', page).group(1)
    browser.post(f"/videos/{video.id}/tip", {"units": "1", "tip_key": key})
    with services.db.write() as db:
        blocks.block(db=db, actor=account.user, user_id=maker.user.id)
    assert browser.get(f"/videos/{video.id}").status_code == 200
    assert f'href="/videos/{video.id}"' in browser.get("/wallet").text
