"""Stopping a change of email address in the browser with the link mailed (over real SMTP) to
the old address: it works signed out; opening it changes nothing; its button (a signed-out
form, CSRF-checked) stops the change and says how to take the account back; a dead, changed
or wrong kind of link says so (400) and changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import form_token, sign_in

from reelmint.api.app import create_app
from reelmint.db.base import utcnow
from reelmint.domains.accounts.email_change import (
    CANCEL_PATH,
    CHANGE_PATH,
    request_email_change,
)
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.mailer import deliver_due
from reelmint.domains.notifications.models import EmailMessage
from reelmint.web.csrf import ANONYMOUS_CSRF_COOKIE
from smtp_server import running_smtp
from support import make_account, make_services

SETTINGS = "/settings/account"
DEAD = "This link no longer works."


def state(services, user_id: str) -> tuple[object, ...]:
    """What a cancel link could change, and what it must never change."""
    with services.db.read() as db:
        user = db.get_one(User, user_id)
        return (user.email, user.pending_email, user.email_change_sent_at, user.password_hash)


def link_to(services, to: str, path: str) -> str:
    """The token of the newest link at `path` mailed to `to`."""
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.like(path + "%")
        )
        links = db.scalars(query.order_by(EmailMessage.created_at)).all()
        return links[-1].removeprefix(path)


def ask(services, account, new_email: str, now=None) -> None:
    with services.db.write() as db:
        request_email_change(
            db=db,
            settings=services.settings,
            user=db.get_one(User, account.user.id),
            new_email=new_email,
            password=account.password,
            now=now,
        )


def press_stop(client: TestClient, token: str):
    """Open the cancel link's page and press its button, as a browser would."""
    page = client.get(CANCEL_PATH + token)
    assert page.status_code == 200, page.text
    form = page.text[page.text.index('action="/cancel-email-change"') :]
    return client.post(
        "/cancel-email-change", data={"token": token, "csrf_token": form_token(form)}
    )


def test_the_mailed_cancel_link_stops_the_change_signed_out(tmp_path, keys_dir):
    with running_smtp() as sink:
        services = make_services(
            tmp_path, f"sqlite:///{tmp_path / 'r.db'}", smtp_host="127.0.0.1", smtp_port=sink.port
        )
        try:
            with TestClient(create_app(services)) as client:
                ada = make_account(services, "ada@example.com")
                browser = sign_in(services, client, ada)
                form = {"email": "thief@example.com", "password": ada.password}
                browser.post(f"{SETTINGS}/email", form)
                assert deliver_due(services=services, worker_id="test-mailer") == 2
                by_address = {mail.rcpt_tos[0]: mail for mail in sink.received}
                warning = by_address["ada@example.com"]
                assert warning.message["Subject"] == (
                    "Your reelmint email address is about to change"
                )
                assert "Stop the change" in warning.text
                assert "reset it with 'Forgot your password?'" in warning.text
                link = re.search(r"https?://\S+(/cancel-email-change/\S+)", warning.text)
                assert link, warning.text
                change = re.search(r"/change-email/(\S+)", by_address["thief@example.com"].text)
                assert change, by_address["thief@example.com"].text

                client.cookies.clear()  # the owner has no session (maybe not even a password)
                before = state(services, ada.user.id)
                for _ in range(2):  # a mail scanner's prefetch, then the owner
                    opened = client.get(link.group(1), follow_redirects=False)
                    assert opened.status_code == 200
                    assert "from <strong>ada@example.com</strong> to" in opened.text
                    assert "<strong>thief@example.com</strong>" in opened.text
                    assert 'action="/cancel-email-change"' in opened.text
                    assert state(services, ada.user.id) == before  # opening changes nothing
                assert before[1] == "thief@example.com"

                token = link.group(1).removeprefix(CANCEL_PATH)
                done = press_stop(client, token)
                assert done.status_code == 200
                assert "The change is stopped" in done.text
                assert "stays <strong>ada@example.com</strong>" in done.text
                assert 'href="/forgot-password"' in done.text
                assert 'href="/settings/tokens"' in done.text
                assert "signs out" in done.text
                assert state(services, ada.user.id)[:2] == ("ada@example.com", None)

                sign_in(services, client, ada)  # the thief's change link is dead
                dead = client.get(CHANGE_PATH + change.group(1))
                assert dead.status_code == 400
                assert "This link does not work." in dead.text
                assert state(services, ada.user.id)[:2] == ("ada@example.com", None)
                assert "No new change of address can be asked for" in done.text

                settings = client.get(SETTINGS)  # Settings says why, and what to do
                assert 'data-role="email-change-stopped"' in settings.text
                assert '<a href="/forgot-password">reset it</a>' in settings.text
                with services.db.write() as db:  # the resend wait is over
                    db.get_one(User, ada.user.id).email_change_sent_at -= timedelta(hours=1)
                again = client.post(
                    f"{SETTINGS}/email", data={**form, "csrf_token": form_token(settings.text)}
                )
                assert again.status_code == 409
                assert "Your address was not changed." in again.text
                assert "reset the password" in again.text.lower()
                assert state(services, ada.user.id)[:2] == ("ada@example.com", None)
        finally:
            services.close()


def test_a_signed_in_owner_may_stop_it_too(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    sign_in(services, client, ada)
    ask(services, ada, "new@example.com")
    assert press_stop(client, link_to(services, "ada@example.com", CANCEL_PATH)).status_code == 200
    assert state(services, ada.user.id)[1] is None


def assert_dead(services, client: TestClient, account, token: str) -> None:
    """Opening `token` as a cancel link, and posting it, both say it no longer works (400)
    and change nothing."""
    before = state(services, account.user.id)
    page = client.get(CANCEL_PATH + token)
    assert page.status_code == 400
    assert DEAD in page.text
    assert "nothing was changed" in page.text
    assert 'action="/cancel-email-change"' not in page.text
    client.get("/forgot-password")  # the browser has a signed-out form cookie
    data = {"token": token, "csrf_token": client.cookies[ANONYMOUS_CSRF_COOKIE]}
    pressed = client.post("/cancel-email-change", data=data)
    assert pressed.status_code == 400
    assert DEAD in pressed.text
    assert state(services, account.user.id) == before


def test_a_used_link_no_longer_works(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "new@example.com")
    token = link_to(services, "ada@example.com", CANCEL_PATH)
    assert press_stop(client, token).status_code == 200
    assert_dead(services, client, ada, token)


def test_a_link_to_a_change_done_since_no_longer_works(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "new@example.com")
    token = link_to(services, "ada@example.com", CANCEL_PATH)
    browser = sign_in(services, client, ada)
    change = link_to(services, "new@example.com", CHANGE_PATH)
    done = browser.post("/change-email", {"token": change})
    assert (done.status_code, state(services, ada.user.id)[:2]) == (303, ("new@example.com", None))
    client.cookies.clear()
    assert_dead(services, client, ada, token)
    assert state(services, ada.user.id)[0] == "new@example.com"


def test_a_link_replaced_by_a_newer_request_no_longer_works(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "first@example.com", now=utcnow() - timedelta(minutes=10))
    first = link_to(services, "ada@example.com", CANCEL_PATH)
    ask(services, ada, "second@example.com")
    assert_dead(services, client, ada, first)
    assert state(services, ada.user.id)[1] == "second@example.com"
    assert press_stop(client, link_to(services, "ada@example.com", CANCEL_PATH)).status_code == 200
    assert state(services, ada.user.id)[1] is None


def test_an_expired_link_no_longer_works(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    days = timedelta(days=services.settings.email_confirmation_days)
    ask(services, ada, "new@example.com", now=utcnow() - days - timedelta(seconds=1))
    assert_dead(services, client, ada, link_to(services, "ada@example.com", CANCEL_PATH))
    assert state(services, ada.user.id)[1] == "new@example.com"  # pending, but dead


@pytest.mark.parametrize("tamper", ["user_nobody.abc", "{user}.{mac}x", "{user}.", "{user}"])
def test_a_changed_or_made_up_link_no_longer_works(mailing, mailing_client, tamper):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "new@example.com")
    user, _, mac = link_to(services, "ada@example.com", CANCEL_PATH).partition(".")
    assert_dead(services, client, ada, tamper.format(user=user, mac=mac))
    assert state(services, ada.user.id)[1] == "new@example.com"


def test_a_change_link_is_no_cancel_link_nor_the_other_way_round(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "new@example.com")
    cancel = link_to(services, "ada@example.com", CANCEL_PATH)
    change = link_to(services, "new@example.com", CHANGE_PATH)
    assert_dead(services, client, ada, change)
    browser = sign_in(services, client, ada)
    opened = browser.get(CHANGE_PATH + cancel)
    assert opened.status_code == 400
    assert "This link does not work." in opened.text
    pressed = browser.post("/change-email", {"token": cancel})
    assert pressed.status_code == 400
    assert state(services, ada.user.id)[:2] == ("ada@example.com", "new@example.com")


@pytest.mark.parametrize("csrf", [None, "", "a-guessed-token-a-guessed-token"])
def test_the_button_needs_the_csrf_token(mailing, mailing_client, csrf):
    """Another site cannot press it for the owner (it would only stop a change, but a form
    that acts must come from reelmint)."""
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "new@example.com")
    token = link_to(services, "ada@example.com", CANCEL_PATH)
    assert client.get(CANCEL_PATH + token).status_code == 200  # the browser has the cookie
    data = {"token": token} if csrf is None else {"token": token, "csrf_token": csrf}
    refused = client.post("/cancel-email-change", data=data)
    assert refused.status_code == 403
    assert "csrf_failed" in refused.text
    assert state(services, ada.user.id)[1] == "new@example.com"


def test_the_button_needs_the_browsers_own_cookie(mailing):
    """A token seen in one browser, replayed from another without its cookie, is refused."""
    services = mailing
    ada = make_account(services, "ada@example.com")
    ask(services, ada, "new@example.com")
    token = link_to(services, "ada@example.com", CANCEL_PATH)
    app = create_app(services)
    with TestClient(app) as first, TestClient(app) as second:
        seen = form_token(first.get(CANCEL_PATH + token).text)
        replayed = second.post("/cancel-email-change", data={"token": token, "csrf_token": seen})
        assert replayed.status_code == 403
    assert state(services, ada.user.id)[1] == "new@example.com"
