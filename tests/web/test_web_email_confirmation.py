"""Confirming an email address in the browser: sign-up mails a link (over real SMTP); opening it
shows a button and confirms nothing until it is pressed; pressing it confirms; a reminder on
every page until then; Settings sends a new link, at a pace."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import form_token, sign_in

from reelmint.api.app import create_app
from reelmint.domains.accounts.email_confirmation import CONFIRM_PATH
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.mailer import deliver_due
from reelmint.domains.notifications.models import EmailMessage
from smtp_server import running_smtp
from support import make_account, make_services

PASSWORD = "correct horse battery"
REMINDER = 'data-role="confirm-email"'


def is_confirmed(services, email: str) -> bool:
    with services.db.read() as db:
        user = db.scalars(select(User).where(User.email == email)).one()
        return user.email_confirmed_at is not None


def confirmation_token(services, to: str) -> str:
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.like(CONFIRM_PATH + "%")
        )
        return (
            db.scalars(query.order_by(EmailMessage.created_at.desc()))
            .first()
            .removeprefix(CONFIRM_PATH)
        )


def press_confirm(client: TestClient, token: str):
    page = client.get(CONFIRM_PATH + token).text
    form = page[page.index('action="/confirm-email"') :]  # not the navigation's Log out form
    data = {"token": token, "csrf_token": form_token(form)}
    return client.post("/confirm-email", data=data, follow_redirects=False)


def test_sign_up_mails_a_link_that_confirms_when_its_button_is_pressed(tmp_path, keys_dir):
    with running_smtp() as sink:
        services = make_services(
            tmp_path, f"sqlite:///{tmp_path / 'r.db'}", smtp_host="127.0.0.1", smtp_port=sink.port
        )
        try:
            with TestClient(create_app(services)) as client:
                token = form_token(client.get("/signup").text)
                data = {"email": "new@example.com", "password": PASSWORD, "csrf_token": token}
                welcome = client.post("/signup", data=data)
                assert "We emailed you a link to confirm your address" in welcome.text
                assert "your free daily quota starts once you have opened it" in welcome.text
                assert REMINDER in welcome.text
                assert deliver_due(services=services, worker_id="test-mailer") == 1
                [mail] = sink.received
                assert mail.message["Subject"] == "Confirm your email address for reelmint"
                link = re.search(r"https?://\S+(/confirm-email/\S+)", mail.text)
                assert link, mail.text
                opened = client.get(link.group(1))
                assert opened.status_code == 200
                assert "<strong>new@example.com</strong> is the address of your" in opened.text
                assert not is_confirmed(services, "new@example.com")  # opening is not confirming
                done = press_confirm(client, link.group(1).removeprefix(CONFIRM_PATH))
                assert (done.status_code, done.headers["location"]) == (303, "/settings/account")
                assert is_confirmed(services, "new@example.com")
                settings = client.get("/settings/account").text
                assert "Your email address is confirmed" in settings
                assert "<strong>new@example.com</strong> is confirmed." in settings
                assert REMINDER not in client.get("/create").text
        finally:
            services.close()


def new_account(services, client):
    """An unconfirmed account signed in on `client`, with a confirmation link sent."""
    new = make_account(services, "new@example.com", email_confirmed=False)
    browser = sign_in(services, client, new)
    sent = client.post("/settings/account/email-confirmation", data={"csrf_token": browser.csrf})
    assert "We emailed you a new link to confirm your address" in sent.text
    return browser


def test_a_signed_out_browser_signs_in_first_then_confirms(mailing, mailing_client):
    services, client = mailing, mailing_client
    new_account(services, client)
    token = confirmation_token(services, "new@example.com")
    client.cookies.clear()
    opened = client.get(CONFIRM_PATH + token, follow_redirects=False)
    assert opened.status_code == 303
    target = opened.headers["location"]
    assert target == "/login?" + urlencode({"next": CONFIRM_PATH + token})
    page = client.get(target).text
    form = {
        "email": "new@example.com",
        "password": PASSWORD,
        "next": f"{CONFIRM_PATH}{token}",
        "csrf_token": form_token(page),
    }
    signed_in = client.post("/login", data=form, follow_redirects=False)
    assert signed_in.headers["location"] == CONFIRM_PATH + token
    assert not is_confirmed(services, "new@example.com")  # not until the button is pressed
    done = press_confirm(client, token)
    assert (done.status_code, done.headers["location"]) == (303, "/settings/account")
    assert is_confirmed(services, "new@example.com")


def test_another_accounts_link_confirms_nothing(mailing, mailing_client):
    services, client = mailing, mailing_client
    new_account(services, client)
    token = confirmation_token(services, "new@example.com")
    client.cookies.clear()
    sign_in(services, client, make_account(services, "other@example.com", email_confirmed=False))
    page = client.get(CONFIRM_PATH + token)
    assert page.status_code == 403
    assert "This link is for another account" in page.text
    assert 'action="/confirm-email"' not in page.text
    assert not is_confirmed(services, "new@example.com")


def test_a_link_that_no_longer_works_says_what_to_do(mailing, mailing_client):
    services, client = mailing, mailing_client
    browser = new_account(services, client)
    page = client.get(CONFIRM_PATH + "user_nobody.abc")
    assert page.status_code == 400
    assert "This link does not work." in page.text
    assert "send a new one from Settings." in page.text
    assert 'action="/confirm-email"' not in page.text
    made_up = client.post(
        "/confirm-email", data={"token": "user_nobody.abc", "csrf_token": browser.csrf}
    )
    assert made_up.status_code == 400
    assert "This link does not work." in made_up.text


def test_a_confirmed_account_is_told_there_is_nothing_to_do(client, services, account):
    sign_in(services, client, account)
    page = client.get(CONFIRM_PATH + "user_nobody.abc")  # even an old link
    assert page.status_code == 200
    assert "is confirmed. There is nothing" in page.text
    assert REMINDER not in client.get("/create").text
    assert "Send a new link" not in client.get("/settings/account").text


def test_the_reminder_and_settings_send_a_new_link_at_a_pace(mailing, mailing_client):
    services, client = mailing, mailing_client
    browser = new_account(services, client)
    page = client.get("/create").text
    assert REMINDER in page
    assert "we emailed to new@example.com" in page
    settings = client.get("/settings/account").text
    assert REMINDER not in settings  # the page says it itself, with the button
    assert "is not confirmed yet" in settings
    assert REMINDER not in client.get(CONFIRM_PATH + "user_nobody.abc").text
    first = confirmation_token(services, "new@example.com")
    form = {"csrf_token": browser.csrf}
    again = client.post("/settings/account/email-confirmation", data=form)
    assert again.status_code == 429
    assert "No new link was sent." in again.text
    assert "ask again in" in again.text
    assert confirmation_token(services, "new@example.com") == first
    forged = client.post("/settings/account/email-confirmation", data={"csrf_token": "x"})
    assert forged.status_code == 403


def test_a_server_without_email_does_not_ask_for_what_cannot_arrive(client, services):
    assert not services.settings.sends_email
    new = make_account(services, "new@example.com", email_confirmed=False)
    sign_in(services, client, new)
    assert REMINDER not in client.get("/create").text
    settings = client.get("/settings/account").text
    assert "this server\n    sends no email" in settings
    assert "reelmint\n    admin confirm-email" in settings
    assert "Send a new link" not in settings


def test_the_pages_say_the_free_quota_starts_once_the_address_is_confirmed(mailing, mailing_client):
    services, client = mailing, mailing_client
    new_account(services, client)
    waiting = "starts once you"
    create = client.get("/create").text
    assert "your free daily quota does\n      not start" in create  # the reminder says it
    assert waiting in create
    assert "Your free daily quota starts once you" in create  # the price box's verdict
    assert waiting in client.get("/wallet").text
    assert 'data-role="quota-withheld"' in client.get("/quota").text
    assert "your free daily quota does not start" in client.get("/settings/account").text
    with services.db.write() as db:
        user = db.scalars(select(User).where(User.email == "new@example.com")).one()
        user.email_confirmed_at = user.created_at
    create = client.get("/create").text
    assert waiting not in create
    assert "It will be paid from" in create
    assert 'data-role="quota-withheld"' not in client.get("/quota").text
