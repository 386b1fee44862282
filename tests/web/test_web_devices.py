"""The device cookie in the browser: signing in remembers the browser, so a stranger who
locks the account by guessing at the login page does not lock its owner out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import form_token

from reelmint.api.app import create_app
from reelmint.api.deps import CSRF_HEADER, SESSION_COOKIE
from reelmint.domains.accounts.devices import DEVICE_COOKIE, DEVICE_LIFETIME, forget_devices
from reelmint.domains.accounts.models import LoginDevice, User, WebSession

WRONG = "not the password at all"


@pytest.fixture
def stranger(services) -> Iterator[TestClient]:
    """Another browser, with cookies of its own."""
    with TestClient(create_app(services)) as other:
        yield other


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def login(client: TestClient, email: str, password: str):
    token = form_token(client.get("/login").text)
    data = {"email": email, "password": password, "csrf_token": token}
    return client.post("/login", data=data, follow_redirects=False)


def logout(client: TestClient) -> None:
    token = form_token(client.get("/settings/account").text)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert SESSION_COOKIE not in client.cookies


def devices(services, user_id: str) -> int:
    with services.db.read() as db:
        query = select(func.count()).select_from(LoginDevice)
        return db.scalar(query.where(LoginDevice.user_id == user_id))


def lock_out(services, stranger: TestClient, email: str) -> None:
    for _ in range(services.settings.login_max_failures):
        assert login(stranger, email, WRONG).status_code == 400
    assert login(stranger, email, WRONG).status_code == 429


def test_signing_in_remembers_the_browser_with_a_safe_lasting_cookie(services, client, account):
    response = login(client, account.email, account.password)
    assert response.status_code == 303
    cookie = set_cookies(response)[DEVICE_COOKIE]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert f"Max-Age={int(DEVICE_LIFETIME.total_seconds())}" in cookie
    first = client.cookies[DEVICE_COOKIE]
    logout(client)
    assert client.cookies[DEVICE_COOKIE] == first  # signing out keeps it
    assert login(client, account.email, account.password).status_code == 303
    assert client.cookies[DEVICE_COOKIE] == first  # and signing in again reuses it
    assert devices(services, account.user.id) == 1


def test_a_stranger_locking_the_account_does_not_lock_the_owners_browser(
    services, client, stranger, account
):
    assert login(client, account.email, account.password).status_code == 303
    logout(client)
    lock_out(services, stranger, account.email)
    refused = login(stranger, account.email, account.password)
    assert refused.status_code == 429
    assert "a browser that has signed in to it before can still sign in" in refused.text
    assert SESSION_COOKIE not in set_cookies(refused)
    assert login(client, account.email, account.password).status_code == 303
    assert client.get("/settings/account").status_code == 200
    assert login(stranger, account.email, account.password).status_code == 429  # still locked


def test_wrong_passwords_in_the_owners_browser_lock_only_it(services, client, stranger, account):
    assert login(client, account.email, account.password).status_code == 303
    logout(client)
    for _ in range(services.settings.login_max_failures):
        assert login(client, account.email, WRONG).status_code == 400
    locked = login(client, account.email, account.password)
    assert locked.status_code == 429
    assert "too many wrong passwords in this browser" in locked.text.lower()
    assert login(stranger, account.email, account.password).status_code == 303


def test_settings_forms_work_from_the_owners_browser_while_strangers_are_locked_out(
    services, client, stranger, account
):
    assert login(client, account.email, account.password).status_code == 303
    mine = client.cookies[DEVICE_COOKIE]
    with TestClient(create_app(services)) as laptop:  # another browser of the owner's
        assert login(laptop, account.email, account.password).status_code == 303
    assert devices(services, account.user.id) == 2
    lock_out(services, stranger, account.email)
    token = form_token(client.get("/settings/account").text)
    form = {"current_password": account.password, "password": "a brand new passphrase"}
    response = client.post(
        "/settings/account/password",
        data={"csrf_token": token, **form},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert devices(services, account.user.id) == 1  # the laptop is forgotten, this one kept
    assert client.cookies[DEVICE_COOKIE] == mine
    with services.db.read() as db:
        user = db.get_one(User, account.user.id)
        assert user.login_locked_until is not None  # the stranger's lock stands


def test_closing_the_account_forgets_the_browser(services, client, account):
    assert login(client, account.email, account.password).status_code == 303
    token = form_token(client.get("/settings/account").text)
    form = {"password": account.password, "confirmation": "close my account"}
    response = client.post(
        "/settings/account/close", data={"csrf_token": token, **form}, follow_redirects=False
    )
    assert response.status_code == 303
    assert set_cookies(response)[DEVICE_COOKIE].startswith(f'{DEVICE_COOKIE}=""')
    assert devices(services, account.user.id) == 0


def test_a_new_password_leaves_the_browser_remembered(services, client, stranger, account):
    """A browser signed in before device cookies existed (a session, no device) that sets a
    new password is remembered then, so the owner is never left with no device."""
    assert login(client, account.email, account.password).status_code == 303
    client.cookies.delete(DEVICE_COOKIE)
    with services.db.write() as db:
        forget_devices(db=db, user_id=account.user.id)
    token = form_token(client.get("/settings/account").text)
    form = {"current_password": account.password, "password": "a brand new passphrase"}
    response = client.post(
        "/settings/account/password", data={"csrf_token": token, **form}, follow_redirects=False
    )
    assert response.status_code == 303
    assert devices(services, account.user.id) == 1
    assert DEVICE_COOKIE in client.cookies
    logout(client)
    lock_out(services, stranger, account.email)
    assert login(client, account.email, "a brand new passphrase").status_code == 303


def test_the_api_counts_a_browsers_password_on_its_device(services, client, stranger, account):
    """`POST /v1/me/email-change` called with the browser's session counts as the Settings
    form does: a stranger's lock does not stop it (here it goes on to 409 `email_off`)."""
    assert login(client, account.email, account.password).status_code == 303
    lock_out(services, stranger, account.email)
    with services.db.read() as db:
        [session] = db.scalars(select(WebSession).where(WebSession.user_id == account.user.id))
    body = {"email": "ada@new.example", "password": account.password}
    answer = client.post(
        "/v1/me/email-change", json=body, headers={CSRF_HEADER: session.csrf_token}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "email_off")
    client.cookies.delete(DEVICE_COOKIE)
    answer = client.post(
        "/v1/me/email-change", json=body, headers={CSRF_HEADER: session.csrf_token}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (429, "too_many_attempts")
