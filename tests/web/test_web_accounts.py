"""Sign up, log in, log out: cookies, CSRF, errors on the form, and no open redirects."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import form_token, sign_in

from reelmint.api.app import create_app
from reelmint.api.deps import SESSION_COOKIE
from reelmint.domains.accounts.models import User, WebSession
from reelmint.domains.notifications.models import EmailMessage
from reelmint.web.csrf import ANONYMOUS_CSRF_COOKIE
from support import make_account, make_services

PASSWORD = "correct horse battery"


def users(services) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(User))


def sessions(services) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(WebSession))


def set_cookies(response) -> dict[str, str]:
    """Each Set-Cookie header of a response, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def signup(client: TestClient, **fields: str):
    token = form_token(client.get("/signup").text)
    data = {"email": "new@example.com", "password": PASSWORD, "csrf_token": token, **fields}
    return client.post("/signup", data=data, follow_redirects=False)


def login(client: TestClient, email: str, password: str, next_path: str = ""):
    token = form_token(client.get("/login").text)
    data = {"email": email, "password": password, "csrf_token": token, "next": next_path}
    return client.post("/login", data=data, follow_redirects=False)


# --- sign up --------------------------------------------------------------------------------


def test_the_signup_form_carries_a_double_submit_token(client):
    page = client.get("/signup")
    assert page.status_code == 200
    cookie = set_cookies(page)[ANONYMOUS_CSRF_COOKIE]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert form_token(page.text) == client.cookies[ANONYMOUS_CSRF_COOKIE]


def test_the_signup_form_promises_a_confirmation_email_only_when_email_is_sent(client, mailing):
    assert "We email you a link to confirm it." not in client.get("/signup").text  # email off
    with TestClient(create_app(mailing)) as sending:
        assert "We email you a link to confirm it." in sending.get("/signup").text


def test_signing_up_starts_a_session_with_a_safe_cookie(services, client):
    response = signup(client, display_name="Newt")
    assert response.status_code == 303
    assert response.headers["location"] == "/create"
    cookie = set_cookies(response)[SESSION_COOKIE]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Max-Age=2592000" in cookie  # 30 days
    assert "Secure" not in cookie
    assert users(services) == 1
    drafts = client.get("/drafts")
    assert drafts.status_code == 200
    assert "Newt" in drafts.text
    assert "Welcome to reelmint" in drafts.text  # the flash message, once
    assert "Welcome to reelmint" not in client.get("/drafts").text


def test_signing_up_without_a_name_shows_nothing_of_the_email_to_anyone(services, client):
    """The name given when none is typed is "Creator" and a number: a stranger reading the
    profile (and so the feed, a search, "... followed you") learns nothing of the address."""
    assert "before the @" not in client.get("/signup").text
    assert signup(client, email="jane.doe.1987@example.com").status_code == 303
    with services.db.read() as db:
        user = db.scalar(select(User))
    with TestClient(create_app(services)) as stranger:
        shown = stranger.get(f"/v1/users/{user.id}").json()["display_name"]
        page = stranger.get(f"/people/{user.id}").text
    assert re.fullmatch(r"Creator \d{4}", shown)
    assert "jane" not in page.casefold()
    assert shown in page


def test_cookies_are_secure_host_cookies_when_the_server_says_so(tmp_path):
    """Over HTTPS every cookie is `__Host-` (Secure, Path=/, no Domain): a sibling subdomain
    cannot set one; cookies under the plain names, which it could, are never read."""
    services = make_services(tmp_path, f"sqlite:///{tmp_path / 'web.db'}", secure_cookies=True)
    try:
        with TestClient(create_app(services), base_url="https://testserver") as client:
            page = client.get("/signup")
            csrf = set_cookies(page)["__Host-" + ANONYMOUS_CSRF_COOKIE]
            token = form_token(page.text)
            tossed = {"email": "t@example.com", "password": PASSWORD, "csrf_token": "t" * 40}
            client.cookies.set(ANONYMOUS_CSRF_COOKIE, "t" * 40)  # as a sibling could set it
            assert client.post("/signup", data=tossed, follow_redirects=False).status_code == 403
            response = client.post(
                "/signup",
                data={"email": "s@example.com", "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            assert response.status_code == 303
            made = set_cookies(response)
            kept = {name: made.pop(name) for name in list(made) if name.startswith("__Host-")}
            for cookie in (csrf, *kept.values()):
                assert "Secure" in cookie
                assert "Path=/" in cookie
                assert "Domain" not in cookie
            assert set(kept) >= {"__Host-" + SESSION_COOKIE, "__Host-reelmint_device"}
            # The plain-named cookies of before are deleted from the browser, never set.
            assert set(made) == {SESSION_COOKIE, "reelmint_device"}
            assert all("Max-Age=0" in cookie for cookie in made.values())
            assert "Welcome to reelmint" in client.get("/drafts").text  # signed in, flashed
            secret = client.cookies.get("__Host-" + SESSION_COOKIE)
            client.cookies.clear()
            client.cookies.set(SESSION_COOKIE, secret)  # the plain name is not read
            assert client.get("/drafts", follow_redirects=False).status_code == 303
    finally:
        services.close()


@pytest.mark.parametrize("token", ["", "forged-token-forged-token-forged"])
def test_signup_without_the_matching_token_is_refused_and_creates_nothing(services, client, token):
    client.get("/signup")  # the browser has a cookie; the forged form does not match it
    response = client.post(
        "/signup",
        data={"email": "x@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "csrf_failed" in response.text
    assert SESSION_COOKIE not in set_cookies(response)
    assert users(services) == 0


def test_signup_without_the_cookie_is_refused(services):
    with TestClient(create_app(services)) as first, TestClient(create_app(services)) as second:
        token = form_token(first.get("/signup").text)
        # Another browser (an attacker's page) replays a token it saw, without the cookie.
        response = second.post(
            "/signup",
            data={"email": "x@example.com", "password": PASSWORD, "csrf_token": token},
        )
    assert response.status_code == 403
    assert users(services) == 0


def test_a_refused_signup_keeps_the_fields_but_not_the_password(services, client):
    response = signup(client, email="Keep.Me@example.com", password="short1", display_name="Kim")
    assert response.status_code == 400
    assert "at least 10 characters" in response.text
    assert 'value="Keep.Me@example.com"' in response.text
    assert 'value="Kim"' in response.text
    assert "short1" not in response.text
    assert users(services) == 0


def test_a_taken_email_is_shown_on_the_form(services, client, account):
    response = signup(client, email=account.email)
    assert response.status_code == 409
    assert "log in instead" in response.text
    assert users(services) == 1


def test_closed_signup_refuses_the_page_and_the_form(tmp_path):
    services = make_services(tmp_path, f"sqlite:///{tmp_path / 'web.db'}", signup_open=False)
    try:
        with TestClient(create_app(services)) as client:
            page = client.get("/signup")
            assert page.status_code == 403
            assert "Sign-up is closed" in page.text
            token = client.cookies[ANONYMOUS_CSRF_COOKIE]
            response = client.post(
                "/signup",
                data={"email": "x@example.com", "password": PASSWORD, "csrf_token": token},
            )
            assert response.status_code == 403
            assert "signup_closed" in response.text
            assert "/signup" not in client.get("/login").text  # no link to a closed door
        assert users(services) == 0
    finally:
        services.close()


# --- log in and out -------------------------------------------------------------------------


def test_a_wrong_password_is_shown_on_the_form(services, client, account):
    response = login(client, account.email, "not the password at all")
    assert response.status_code == 400
    assert "Wrong email or password" in response.text
    assert f'value="{account.email}"' in response.text
    assert "not the password at all" not in response.text
    assert SESSION_COOKIE not in set_cookies(response)
    assert sessions(services) == 0


def test_logging_in_goes_to_a_local_next(client, account):
    response = login(client, account.email.upper(), account.password, next_path="/drafts?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/drafts?x=1"
    assert client.get("/drafts").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/drafts\r\nSet-Cookie: x=y",
        "evil.example",
    ],
)
def test_logging_in_never_redirects_off_site(client, account, target):
    response = login(client, account.email, account.password, next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_without_the_token_is_refused(services, client, account):
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": account.email, "password": account.password, "csrf_token": "nope"},
    )
    assert response.status_code == 403
    assert sessions(services) == 0


def test_logging_in_again_replaces_the_old_session(services, client, account):
    login(client, account.email, account.password)
    first = client.cookies[SESSION_COOKIE]
    assert client.get("/login", follow_redirects=False).status_code == 303  # already in
    # The same browser posts the login form again (say, from a page left open).
    response = client.post(
        "/login",
        data={
            "email": account.email,
            "password": account.password,
            "csrf_token": client.cookies[ANONYMOUS_CSRF_COOKIE],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.cookies[SESSION_COOKIE] != first
    assert sessions(services) == 1


def live_sessions(services, user_id: str) -> int:
    with services.db.read() as db:
        query = select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id)
        return db.scalar(query)


def test_signing_up_while_signed_in_to_another_account_ends_that_session(services, client, account):
    client.get("/signup")  # the form, left open in a tab
    assert login(client, account.email, account.password).status_code == 303  # in another
    old = client.cookies[SESSION_COOKIE]
    token = client.cookies[ANONYMOUS_CSRF_COOKIE]  # the open form's token
    response = client.post(
        "/signup",
        data={"email": "new@example.com", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.cookies[SESSION_COOKIE] != old
    assert live_sessions(services, account.user.id) == 0  # not left alive, unseen
    assert sessions(services) == 1  # the new account's, in this browser
    with TestClient(create_app(services), cookies={SESSION_COOKIE: old}) as stale:
        assert stale.get("/drafts", follow_redirects=False).status_code == 303


def test_logout_needs_the_token_and_ends_the_session(services, client, account):
    browser = sign_in(services, client, account)
    refused = browser.post("/logout", {"csrf_token": "wrong"})
    assert refused.status_code == 403
    assert client.get("/drafts", follow_redirects=False).status_code == 200
    response = browser.post("/logout")
    assert response.status_code == 303
    assert sessions(services) == 0
    assert client.get("/drafts", follow_redirects=False).status_code == 303


def test_pages_for_members_send_visitors_to_log_in_and_back(client):
    response = client.get("/drafts?after=video_x", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/drafts?after=video_x"]}
    page = client.get(response.headers["location"])
    assert 'name="next" value="/drafts?after=video_x"' in page.text


@pytest.mark.parametrize(
    "action", ["/videos/video_x/like", "/credits/buy", "/people/user_x/follow"]
)
def test_a_form_posted_after_the_session_ended_comes_back_to_its_page(client, action):
    """A button on a page left open after the session ended (logged out in another tab) goes
    to log in and back to the page it was on: its own address takes posts only (405)."""
    page = "/videos/video_x?from=feed"
    response = client.post(
        action,
        data={"csrf_token": "stale"},
        headers={"referer": f"http://testserver{page}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.path, parse_qs(location.query)) == ("/login", {"next": [page]})


def test_a_form_posted_from_another_site_after_the_session_ended_comes_back_home(client):
    response = client.post(
        "/credits/buy",
        data={"csrf_token": "stale"},
        headers={"referer": "https://elsewhere.example/credits"},
        follow_redirects=False,
    )
    assert parse_qs(urlsplit(response.headers["location"]).query) == {"next": ["/"]}


def test_logging_out_once_the_session_ended_goes_home(services, client, account):
    browser = sign_in(services, client, account)
    form = {"csrf_token": browser.csrf}
    assert browser.post("/logout").status_code == 303  # in another tab
    response = client.post("/logout", data=form, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/")


def test_only_the_session_cookie_signs_a_visitor_in(services, client, account):
    """A site behind an HTTP Basic proxy still works; an API token does not open pages."""
    sign_in(services, client, account)
    behind_proxy = client.get("/drafts", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert behind_proxy.status_code == 200
    client.cookies.clear()
    with_token = client.get("/drafts", headers=account.headers, follow_redirects=False)
    assert with_token.status_code == 303
    assert with_token.headers["location"].startswith("/login")


# --- too many wrong passwords, and a forgotten one -------------------------------------------


def test_too_many_wrong_passwords_lock_the_login_form_with_429(services, client, account):
    for _ in range(services.settings.login_max_failures):
        assert login(client, account.email, "not the password at all").status_code == 400
    locked = login(client, account.email, account.password)
    assert locked.status_code == 429
    assert "too many wrong passwords" in locked.text.lower()
    assert "try again in 1 minute" in locked.text
    assert "Forgot your password?" in locked.text
    assert SESSION_COOKIE not in set_cookies(locked)
    assert sessions(services) == 0


def forgot(client: TestClient, email: str):
    page = client.get("/login")
    assert 'href="/forgot-password"' in page.text
    token = form_token(client.get("/forgot-password").text)
    return client.post(
        "/forgot-password", data={"email": email, "csrf_token": token}, follow_redirects=False
    )


def outbox(services, to: str) -> list[EmailMessage]:
    with services.db.read() as db:
        query = select(EmailMessage).where(EmailMessage.to_address == to)
        return list(db.scalars(query.order_by(EmailMessage.created_at)))


def test_asking_for_a_reset_answers_the_same_for_any_address(services, client, account):
    known = forgot(client, account.email)
    unknown = forgot(client, "nobody@example.com")
    for response in (known, unknown):
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert set_cookies(response)["reelmint_flash"] == set_cookies(known)["reelmint_flash"]
    assert "If an account exists for that address" in client.get("/login").text
    [mail] = outbox(services, account.email)
    assert mail.link.startswith("/reset-password/")
    assert outbox(services, "nobody@example.com") == []


def test_a_server_without_email_says_where_the_reset_link_is(services, client, account):
    assert not services.settings.sends_email
    page = client.get("/forgot-password").text
    assert 'data-role="no-email"' in page
    assert "reelmint admin reset-link" in page
    assert "we email it a link" not in page
    forgot(client, account.email)
    told = client.get("/login").text
    assert "waits in this server&#39;s outbox" in told
    assert "Check your inbox" not in told
    sign_in(services, client, account)
    assert "also sent to your email address" not in client.get("/notifications").text
    assert "by email" not in client.get("/quota").text


def test_a_server_with_email_says_it_emails_the_link(mailing, tmp_path):
    from fastapi.testclient import TestClient

    from support import app_serving, make_account

    person = make_account(mailing, "mailed@example.com")
    with TestClient(app_serving(mailing)) as browser:
        page = browser.get("/forgot-password").text
        assert 'data-role="no-email"' not in page
        assert "we email it a link" in page
        forgot(browser, person.email)
        assert "waits in this server" not in browser.get("/login").text
        sign_in(mailing, browser, person)
        assert "also sent to your email address" in browser.get("/notifications").text
        assert "in your notifications and by email" in browser.get("/quota").text


def test_the_reset_form_needs_the_matching_token(services, client, account):
    client.get("/forgot-password")
    refused = client.post("/forgot-password", data={"email": account.email, "csrf_token": "x"})
    assert refused.status_code == 403
    assert outbox(services, account.email) == []


def test_a_malformed_address_is_shown_on_the_form(services, client):
    response = forgot(client, "not an address")
    assert response.status_code == 400
    assert "is not an email address" in response.text
    assert 'value="not an address"' in response.text


def test_a_reset_link_sets_the_password_signs_out_others_and_signs_this_browser_in(
    services, client, account
):
    other = sign_in(services, TestClient(create_app(services)), account)  # another browser
    forgot(client, account.email)
    link = outbox(services, account.email)[0].link
    page = client.get(link)
    assert page.status_code == 200
    assert 'name="password"' in page.text
    token = form_token(page.text)
    reset_token = link.removeprefix("/reset-password/")
    assert f'name="token" value="{reset_token}"' in page.text
    weak = client.post(
        "/reset-password",
        data={"token": reset_token, "password": "short", "csrf_token": token},
        follow_redirects=False,
    )
    assert weak.status_code == 400
    assert "at least 10 characters" in weak.text
    done = client.post(
        "/reset-password",
        data={"token": reset_token, "password": "a new long passphrase", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    assert SESSION_COOKIE in set_cookies(done)
    assert client.get("/drafts", follow_redirects=False).status_code == 200
    assert other.get("/drafts", follow_redirects=False).status_code == 303  # signed out
    assert sessions(services) == 1
    used = client.get(link)
    assert used.status_code == 400
    assert "already used" in used.text
    client.cookies.delete(SESSION_COOKIE)
    assert login(client, account.email, account.password).status_code == 400
    assert login(client, account.email, "a new long passphrase").status_code == 303


def test_a_reset_link_used_while_signed_in_to_another_account_ends_that_session(
    services, client, account
):
    other = make_account(services, "bob@example.com")
    forgot(client, account.email)
    link = outbox(services, account.email)[0].link
    assert client.get(link).status_code == 200  # the form, left open in a tab
    assert login(client, other.email, other.password).status_code == 303  # Bob, in another
    old = client.cookies[SESSION_COOKIE]
    token = client.cookies[ANONYMOUS_CSRF_COOKIE]
    reset_token = link.removeprefix("/reset-password/")
    done = client.post(
        "/reset-password",
        data={"token": reset_token, "password": "a new long passphrase", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert client.cookies[SESSION_COOKIE] != old
    assert live_sessions(services, other.user.id) == 0
    assert (live_sessions(services, account.user.id), sessions(services)) == (1, 1)


def test_a_made_up_reset_link_is_refused(services, client, account):
    page = client.get(f"/reset-password/{account.user.id}.bm90LWEtbWFj")
    assert page.status_code == 400
    assert 'href="/forgot-password"' in page.text
    token = client.cookies[ANONYMOUS_CSRF_COOKIE]
    response = client.post(
        "/reset-password",
        data={"token": "user_x.y", "password": "a new long passphrase", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "invalid_reset_link" not in response.text  # the message, not the code, is shown
    assert "Ask for a new link" in response.text
    assert login(client, account.email, account.password).status_code == 303


def test_a_suspended_account_is_told_why_on_the_login_form(services, client, account):
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import suspend_account

    with services.db.write() as db:
        suspend_account(db=db, actor=OPERATOR, user_id=account.user.id, reason="spam in the feed")
    response = login(client, account.email, account.password)
    assert response.status_code == 403
    assert "suspended since" in response.text
    assert "spam in the feed" in response.text
    assert SESSION_COOKIE not in set_cookies(response)
    assert sessions(services) == 0
    wrong = login(client, account.email, "not the password at all")
    assert "Wrong email or password" in wrong.text
    assert "spam in the feed" not in wrong.text
