"""Changing the email address in the browser: Settings asks with the password (a refusal told
beside the form, what was typed kept); the link, mailed over real SMTP, opens a page that
changes nothing until its button is pressed; Settings shows and cancels a pending change; a
server without email sends the user to its operator."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import form_token, sign_in

from reelmint.api.app import create_app
from reelmint.domains.accounts.email_change import CHANGE_PATH
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.mailer import deliver_due
from reelmint.domains.notifications.models import EmailMessage
from smtp_server import running_smtp
from support import make_account, make_services

SETTINGS = "/settings/account"


def stored(services, user_id: str) -> User:
    with services.db.read() as db:
        return db.get_one(User, user_id)


def change_token(services, to: str) -> str:
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.like(CHANGE_PATH + "%")
        )
        return db.scalars(query).one().removeprefix(CHANGE_PATH)


def press_change(client: TestClient, token: str):
    page = client.get(CHANGE_PATH + token).text
    form = page[page.index('action="/change-email"') :]  # not the navigation's Log out form
    data = {"token": token, "csrf_token": form_token(form)}
    return client.post("/change-email", data=data, follow_redirects=False)


def test_the_emailed_link_changes_the_address_when_its_button_is_pressed(tmp_path, keys_dir):
    with running_smtp() as sink:
        services = make_services(
            tmp_path, f"sqlite:///{tmp_path / 'r.db'}", smtp_host="127.0.0.1", smtp_port=sink.port
        )
        try:
            with TestClient(create_app(services)) as client:
                ada = make_account(services, "ada@example.com")
                browser = sign_in(services, client, ada)
                form = {"email": "ada@new.example", "password": ada.password}
                asked = browser.post(f"{SETTINGS}/email", form, follow_redirects=True)
                assert "We emailed a link to your new address" in asked.text
                assert 'data-role="pending-email"' in asked.text
                assert "<strong>ada@new.example</strong>" in asked.text
                assert deliver_due(services=services, worker_id="test-mailer") == 2
                by_address = {mail.rcpt_tos[0]: mail for mail in sink.received}
                notice = by_address["ada@example.com"]
                assert notice.message["Subject"] == "Your reelmint email address is about to change"
                mail = by_address["ada@new.example"]
                assert mail.message["Subject"] == "Confirm your new email address for reelmint"
                link = re.search(r"https?://\S+(/change-email/\S+)", mail.text)
                assert link, mail.text

                opened = client.get(link.group(1))
                assert opened.status_code == 200
                assert "<strong>ada@new.example</strong> the address of your" in opened.text
                assert "in place of <strong>ada@example.com</strong>" in opened.text
                assert stored(services, ada.user.id).email == "ada@example.com"  # not yet
                token = link.group(1).removeprefix(CHANGE_PATH)
                done = press_change(client, token)
                assert (done.status_code, done.headers["location"]) == (303, SETTINGS)
                assert stored(services, ada.user.id).email == "ada@new.example"
                page = client.get(SETTINGS).text
                assert "Your email address is changed" in page
                assert "<strong>ada@new.example</strong> is confirmed" in page
                assert 'data-role="pending-email"' not in page
                assert deliver_due(services=services, worker_id="test-mailer") == 1
                assert sink.received[-1].rcpt_tos == ["ada@example.com"]
                assert sink.received[-1].message["Subject"] == (
                    "Your reelmint email address was changed"
                )
        finally:
            services.close()


@pytest.mark.parametrize(
    ("email", "password", "status", "told"),
    [
        ("ada@new.example", "not my password", 403, "The password is not right"),
        ("Bob, not an address", None, 400, "is not an email address"),
        ("ada@example.com", None, 400, "is already this account&#39;s address"),
    ],
)
def test_a_refused_change_is_told_beside_the_form_and_changes_nothing(
    mailing, mailing_client, email, password, status, told
):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    make_account(services, "bob@example.com")
    browser = sign_in(services, client, ada)
    form = {"email": email, "password": password or ada.password}
    refused = browser.post(f"{SETTINGS}/email", form)
    assert refused.status_code == status
    assert "Your address was not changed." in refused.text
    assert told in refused.text
    assert f'value="{email}"' in refused.text  # what was typed is kept
    assert stored(services, ada.user.id).pending_email is None


def test_a_pending_change_is_cancelled_from_settings(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    browser = sign_in(services, client, ada)
    browser.post(f"{SETTINGS}/email", {"email": "ada@new.example", "password": ada.password})
    token = change_token(services, "ada@new.example")
    cancelled = browser.post(f"{SETTINGS}/email/cancel", follow_redirects=True)
    assert "The change of email address is cancelled" in cancelled.text
    assert 'data-role="pending-email"' not in cancelled.text
    assert stored(services, ada.user.id).pending_email is None
    gone = client.get(CHANGE_PATH + token)
    assert gone.status_code == 400
    assert "This link does not work." in gone.text
    assert "was cancelled" in gone.text
    nothing = browser.post(f"{SETTINGS}/email/cancel", follow_redirects=True)
    assert "No change of email address was waiting" in nothing.text


def test_a_signed_out_browser_signs_in_first(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    browser = sign_in(services, client, ada)
    browser.post(f"{SETTINGS}/email", {"email": "ada@new.example", "password": ada.password})
    token = change_token(services, "ada@new.example")
    client.cookies.clear()
    opened = client.get(CHANGE_PATH + token, follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/login?" + urlencode({"next": CHANGE_PATH + token})


def test_another_accounts_link_changes_nothing(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    eve = make_account(services, "eve@example.com")
    sign_in(services, client, ada).post(
        f"{SETTINGS}/email", {"email": "ada@new.example", "password": ada.password}
    )
    token = change_token(services, "ada@new.example")
    client.cookies.clear()
    sign_in(services, client, eve)
    opened = client.get(CHANGE_PATH + token)
    assert opened.status_code == 403
    assert "link is for another account" in opened.text
    assert 'action="/change-email"' not in opened.text
    pressed = client.post(
        "/change-email",
        data={"token": token, "csrf_token": form_token(client.get(SETTINGS).text)},
    )
    assert pressed.status_code == 403
    assert stored(services, ada.user.id).email == "ada@example.com"
    assert stored(services, eve.user.id).email == "eve@example.com"


def test_the_change_forms_need_the_csrf_token(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    sign_in(services, client, ada)
    form = {"email": "ada@new.example", "password": ada.password}
    assert client.post(f"{SETTINGS}/email", data=form).status_code == 403
    assert stored(services, ada.user.id).pending_email is None


def test_a_server_without_email_sends_the_user_to_its_operator(services, client, account):
    page = sign_in(services, client, account).get(SETTINGS).text
    assert "reelmint admin change-email" in page
    assert f'action="{SETTINGS}/email"' not in page
