"""The account settings page: your name, your password and social notifications, changed with
CSRF-protected forms; a refusal shows beside its form and changes nothing; a new password signs
out other browsers."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import form_token, make_video, sign_in

from reelmint.domains.accounts import closure
from reelmint.domains.accounts.models import User, WebSession
from reelmint.domains.accounts.service import authenticate
from reelmint.domains.notifications.models import EmailMessage
from reelmint.errors import Unauthorized
from reelmint.web.session import SESSION_COOKIE
from support import join_organisation, make_account


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def stored_name(services, account) -> str:
    with services.db.read() as db:
        return db.get_one(User, account.user.id).display_name


def test_the_page_shows_your_email_and_name_and_links_the_other_settings(browser, account):
    html = browser.get("/settings/account").text
    assert account.email in html
    assert f'value="{account.user.display_name}"' in html
    for link in ('href="/settings/tokens"', 'href="/quota"', f'href="/people/{account.user.id}"'):
        assert link in html
    assert 'href="/settings/account" aria-current="page"' in html  # the nav's Settings


def test_renaming_shows_the_new_name_everywhere(services, browser, account):
    response = browser.post("/settings/account/name", {"display_name": "  Ada   Lovelace "})
    assert (response.status_code, response.headers["location"]) == (303, "/settings/account")
    page = browser.get("/settings/account").text
    assert "Your name was changed" in page
    assert "Signed in as <strong>Ada Lovelace</strong>" in page
    assert stored_name(services, account) == "Ada Lovelace"


def test_a_bad_name_is_told_beside_the_form_and_changes_nothing(services, browser, account):
    before = stored_name(services, account)
    response = browser.post("/settings/account/name", {"display_name": "x" * 81})
    assert response.status_code == 400
    assert "Your name was not changed" in response.text
    assert 'aria-invalid="true" aria-describedby="name-error"' in response.text
    assert stored_name(services, account) == before


def social_news(services, account) -> bool:
    with services.db.read() as db:
        return db.get_one(User, account.user.id).notify_social


def social_box_ticked(html: str) -> bool:
    """Whether the page's social notifications checkbox is ticked."""
    found = re.search(r'<input id="notify_social"[^>]*>', html)
    assert found, "the page has no social notifications checkbox"
    return re.search(r"\schecked[\s>]", found.group(0)) is not None


def test_social_notifications_are_turned_off_and_on_with_the_checkbox(services, browser, account):
    assert social_box_ticked(browser.get("/settings/account").text)
    off = browser.post("/settings/account/notifications")  # an unticked box sends nothing
    assert (off.status_code, off.headers["location"]) == (303, "/settings/account")
    page = browser.get("/settings/account").text
    assert "You will no longer be told of new followers or of likes." in page
    assert not social_box_ticked(page)
    assert social_news(services, account) is False
    on = browser.post("/settings/account/notifications", {"notify_social": "on"})
    assert on.status_code == 303
    page = browser.get("/settings/account").text
    assert "You will be told of new followers" in page
    assert social_box_ticked(page)
    assert social_news(services, account) is True


def test_the_notifications_form_needs_the_csrf_token(services, client, account):
    sign_in(services, client, account)
    response = client.post("/settings/account/notifications", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert social_news(services, account) is True


def test_a_new_password_keeps_this_browser_and_signs_out_the_others(services, client, account):
    other = TestClient(client.app)
    sign_in(services, other, account)
    assert other.get("/settings/account", follow_redirects=False).status_code == 200
    browser = sign_in(services, client, account)
    old_cookie = client.cookies.get(SESSION_COOKIE)
    form = {"current_password": account.password, "password": "a brand new password"}
    response = browser.post("/settings/account/password", form)
    assert (response.status_code, response.headers["location"]) == (303, "/settings/account")
    assert response.cookies.get(SESSION_COOKIE) not in (None, old_cookie)  # a new session
    assert "Your password was changed" in browser.get("/settings/account").text
    assert other.get("/settings/account", follow_redirects=False).status_code == 303  # to login
    copied = TestClient(client.app, cookies={SESSION_COOKIE: old_cookie})  # a stolen copy
    assert copied.get("/settings/account", follow_redirects=False).status_code == 303
    with services.db.write() as db:
        assert authenticate(db=db, email=account.email, password="a brand new password")
    with services.db.read() as db:  # its owner is told by email: a stolen session shows
        mail = db.scalars(select(EmailMessage).where(EmailMessage.to_address == account.email))
        told = [m for m in mail if m.subject == "Your reelmint password was changed"]
    assert len(told) == 1
    assert "reset your password" in told[0].body_text
    assert "a brand new password" not in told[0].body_text


@pytest.mark.parametrize(
    ("current", "new", "status", "told"),
    [
        ("not my password", "a brand new password", 403, "current password is not right"),
        (None, "short", 400, "at least 10 characters"),
    ],
)
def test_a_refused_password_change_is_told_and_changes_nothing(
    services, browser, account, current, new, status, told
):
    form = {"current_password": current or account.password, "password": new}
    response = browser.post("/settings/account/password", form)
    assert response.status_code == status
    assert "Your password was not changed" in response.text
    assert told in response.text
    with services.db.write() as db:
        assert authenticate(db=db, email=account.email, password=account.password)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/settings/account/name", {"display_name": "Mallory"}),
        ("/settings/account/password", {"current_password": None, "password": "y" * 12}),
        ("/settings/account/close", {"password": None, "confirmation": "close my account"}),
    ],
)
def test_settings_forms_need_the_csrf_token(services, client, account, path, form):
    """Every field right but the form's token: nothing changes (with a wrong password the
    password and close forms would refuse anyway, and the test could not fail)."""
    sign_in(services, client, account)
    before = stored_name(services, account)
    data = {name: account.password if value is None else value for name, value in form.items()}
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403
    assert stored_name(services, account) == before
    with services.db.write() as db:
        assert authenticate(db=db, email=account.email, password=account.password) is not None
        assert not closure.is_closed(db.get_one(User, account.user.id))


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/settings/account", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Fsettings%2Faccount"


@pytest.mark.parametrize(
    "words",
    ["Close my account", "Close my account.", "  CLOSE  my account .  ", "close my account"],
)
def test_closing_the_account_signs_out_and_says_so(services, client, account, words):
    browser = sign_in(services, client, account)
    form = {"password": account.password, "confirmation": words}
    response = browser.post("/settings/account/close", form)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert "Your account was closed" in client.get("/").text
    assert client.get("/settings/account", follow_redirects=False).status_code == 303  # to login
    with services.db.read() as db:
        assert closure.is_closed(db.get_one(User, account.user.id))
    with services.db.write() as db, pytest.raises(Unauthorized):
        authenticate(db=db, email=account.email, password=account.password)


def test_the_close_section_says_what_closing_gives_up(services, client, account):
    from reelmint.domains.payments.service import start_purchase
    from reelmint.domains.wallet import tips

    browser = sign_in(services, client, account)
    assert 'data-testid="close-forfeit"' not in browser.get("/settings/account").text
    fan = make_account(services, "fan@example.com").user
    start_purchase(services=services, user=fan, pack_id="pack_10")
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    with services.db.write() as db:
        tips.tip(
            db=db,
            settings=services.settings,
            actor=fan,
            video_id=make_video(services, account.user, published=True).id,
            units=5,
            key="k",
        )
    page = browser.get("/settings/account").text
    assert 'data-testid="close-forfeit"' in page
    assert "<li>10 units of purchased credits</li>" in page
    assert "<li>5 units of tips still pending" in page
    assert "granted credits" not in page.split('data-testid="close-forfeit"')[1].split("</ul>")[0]


@pytest.mark.parametrize(
    ("password", "words", "status", "told"),
    [
        (None, "close it", 400, "Type &#34;close my account&#34; to confirm"),
        (None, "close my account!", 400, "Type &#34;close my account&#34; to confirm"),
        (None, "close my account. now", 400, "Type &#34;close my account&#34; to confirm"),
        ("not my password", "close my account", 403, "The password is not right"),
    ],
)
def test_a_refused_closure_is_told_and_changes_nothing(
    services, browser, account, password, words, status, told
):
    form = {"password": password or account.password, "confirmation": words}
    response = browser.post("/settings/account/close", form)
    assert response.status_code == status
    assert "Your account was not closed" in response.text
    assert told in response.text
    typed = html.escape(words, quote=True).replace("&#x27;", "&#39;")
    assert f'value="{typed}"' in response.text  # the phrase as typed; never the password
    assert (password or account.password) not in response.text
    with services.db.read() as db:
        assert not closure.is_closed(db.get_one(User, account.user.id))


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/settings/account/password", {"current_password": "wrong", "password": "y" * 12}),
        ("/settings/account/close", {"password": "wrong", "confirmation": "close my account"}),
    ],
)
def test_wrong_passwords_in_settings_count_as_failed_sign_ins(
    services, browser, account, path, form
):
    """A browser left signed in cannot be used to guess the password faster than the login
    page allows: once sign-in is locked, these forms are refused too, even with the right
    password, and nothing changes."""
    for _ in range(services.settings.login_max_failures):
        assert browser.post(path, form).status_code == 403
    right = {name: account.password if value == "wrong" else value for name, value in form.items()}
    locked = browser.post(path, right)
    assert locked.status_code == 429
    assert "Too many wrong passwords for this account" in locked.text
    with services.db.read() as db:
        user = db.get_one(User, account.user.id)
        assert user.login_locked_until is not None
        assert not closure.is_closed(user)


def test_a_form_refused_before_its_password_is_checked_clears_nothing(services, browser, account):
    """Closing without the typed words is refused before the password is looked at: it must
    not wipe the count, or guesses could go on for ever between such posts."""
    guess = {"password": "a guess", "confirmation": "close my account"}
    for _ in range(services.settings.login_max_failures - 1):
        assert browser.post("/settings/account/close", guess).status_code == 403
    blank = {"password": "another guess", "confirmation": ""}
    assert browser.post("/settings/account/close", blank).status_code == 400
    with services.db.read() as db:
        user = db.get_one(User, account.user.id)
        assert user.failed_logins == services.settings.login_max_failures
        assert user.login_locked_until is not None


def test_a_right_password_clears_the_count_though_the_form_is_refused(services, browser, account):
    for _ in range(services.settings.login_max_failures - 1):
        browser.post("/settings/account/password", {"current_password": "x", "password": "y" * 12})
    short = {"current_password": account.password, "password": "short"}
    assert browser.post("/settings/account/password", short).status_code == 400
    with services.db.read() as db:
        assert db.get_one(User, account.user.id).failed_logins == 0


def test_the_only_owner_of_an_organisation_is_told_how_to_hand_it_over(services, browser, account):
    from reelmint.domains.accounts.service import create_organisation

    other = make_account(services, "bob@example.com").user
    with services.db.write() as db:
        studio = create_organisation(db=db, owner=account.user, name="Studio A", slug="studio-a")
        join_organisation(db, owner=account.user, organisation=studio, user=other)
    form = {"password": account.password, "confirmation": "close my account"}
    response = browser.post("/settings/account/close", form)
    assert response.status_code == 409
    assert "the only owner of the organisation &#39;Studio A&#39;" in response.text
    with services.db.read() as db:
        assert not closure.is_closed(db.get_one(User, account.user.id))


def test_the_settings_page_downloads_your_data(services, client, account):
    assert client.get("/settings/account/export", follow_redirects=False).status_code == 303
    browser = sign_in(services, client, account)
    assert 'href="/settings/account/export"' in browser.get("/settings/account").text
    response = browser.get("/settings/account/export")
    assert response.headers["content-type"] == "application/zip"
    document = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("account.json"))
    assert document["account"]["id"] == account.user.id


# --- where you are signed in ------------------------------------------------------------------

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def logged_in(client: TestClient, account, user_agent: str) -> TestClient:
    """A browser of its own, signed in through the login form with `user_agent`."""
    browser = TestClient(client.app, headers={"user-agent": user_agent})
    token = form_token(browser.get("/login").text)
    data = {"email": account.email, "password": account.password, "csrf_token": token}
    assert browser.post("/login", data=data, follow_redirects=False).status_code == 303
    return browser


def browser_cards(html: str) -> list[str]:
    return re.findall(r'<li class="card token" data-role="browser">(.*?)</li>', html, re.S)


def signed_out(browser: TestClient) -> bool:
    return browser.get("/settings/account", follow_redirects=False).status_code == 303


def test_settings_lists_the_signed_in_browsers_this_one_first(client, account):
    logged_in(client, account, PHONE)
    mine = logged_in(client, account, FIREFOX)
    cards = browser_cards(mine.get("/settings/account").text)
    assert len(cards) == 2
    assert "Firefox on Linux" in cards[0]
    assert "This browser" in cards[0]
    assert "Sign out</button>" not in cards[0]
    assert "Safari on iPhone" in cards[1]
    assert "This browser" not in cards[1]
    assert "Sign out</button>" in cards[1]


def test_one_other_browser_is_signed_out_and_the_rest_stay(services, client, account):
    phone = logged_in(client, account, PHONE)
    laptop = logged_in(client, account, FIREFOX)
    mine = logged_in(client, account, FIREFOX)
    page = mine.get("/settings/account").text
    [phone_card] = [card for card in browser_cards(page) if "iPhone" in card]
    action = re.search(r'action="(/settings/account/sessions/[^"]+/end)"', phone_card).group(1)
    response = mine.post(action, data={"csrf_token": form_token(page)}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/settings/account")
    assert "That browser is signed out" in mine.get("/settings/account").text
    assert signed_out(phone)
    assert not signed_out(laptop)
    assert not signed_out(mine)


def test_signing_out_everywhere_else_keeps_only_this_browser(client, account):
    others = [logged_in(client, account, agent) for agent in (PHONE, FIREFOX)]
    mine = logged_in(client, account, FIREFOX)
    token = form_token(mine.get("/settings/account").text)
    response = mine.post(
        "/settings/account/sessions/others/end",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    page = mine.get("/settings/account").text
    assert "Every other browser signed in to your account is signed out" in page
    assert len(browser_cards(page)) == 1
    assert all(signed_out(other) for other in others)
    again = mine.post(
        "/settings/account/sessions/others/end",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert "No other browser was signed in" in mine.get("/settings/account").text


def test_another_accounts_browser_cannot_be_signed_out(services, client, account):
    bob = make_account(services, "bob@example.com")
    bobs = logged_in(client, bob, PHONE)
    with services.db.read() as db:
        [bobs_session] = db.scalars(select(WebSession).where(WebSession.user_id == bob.user.id))
    mine = logged_in(client, account, FIREFOX)
    token = form_token(mine.get("/settings/account").text)
    response = mine.post(
        f"/settings/account/sessions/{bobs_session.id}/end",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert "no such browser is signed in to your account" in response.text.lower()
    assert not signed_out(bobs)


def test_signing_browsers_out_needs_the_csrf_token(client, account):
    phone = logged_in(client, account, PHONE)
    mine = logged_in(client, account, FIREFOX)
    response = mine.post(
        "/settings/account/sessions/others/end",
        data={"csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not signed_out(phone)


def test_signing_out_this_browser_by_its_id_logs_it_out(services, client, account):
    """The page offers no button for this browser (Log out does that), but a post naming it
    signs it out as Log out would, cookie and all."""
    mine = logged_in(client, account, FIREFOX)
    with services.db.read() as db:
        [session] = db.scalars(select(WebSession).where(WebSession.user_id == account.user.id))
    token = form_token(mine.get("/settings/account").text)
    response = mine.post(
        f"/settings/account/sessions/{session.id}/end",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert SESSION_COOKIE not in mine.cookies
    assert signed_out(mine)
