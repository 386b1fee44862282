"""Changing the email address over the API: POST /v1/me/email-change (with the password),
`pending_email` on GET /v1/me, POST /v1/me/email-change/confirm with the emailed token and the
account's own credentials, DELETE to cancel, or POST /v1/email-change/cancel with the token
mailed to the old address and no credentials; wrong passwords counted as failed sign-ins."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from reelmint.domains.accounts.email_change import CANCEL_PATH, CHANGE_PATH
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.models import EmailMessage
from support import make_account

ASK = "/v1/me/email-change"
CONFIRM = "/v1/me/email-change/confirm"
STOP = "/v1/email-change/cancel"


def tokens(services, to: str, path: str = CHANGE_PATH) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.like(path + "%")
        )
        return [link.removeprefix(path) for link in db.scalars(query)]


def error_of(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_asking_then_confirming_changes_the_address(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    asked = client.post(
        ASK, headers=ada.headers, json={"email": "New@Example.com", "password": ada.password}
    )
    assert asked.status_code == 202
    assert asked.json() == {
        "object": "email_change_request",
        "email": "ada@example.com",
        "pending_email": "new@example.com",
        "expires_in_days": services.settings.email_confirmation_days,
    }
    me = client.get("/v1/me", headers=ada.headers).json()
    assert (me["email"], me["pending_email"]) == ("ada@example.com", "new@example.com")
    [token] = tokens(services, "new@example.com")
    other = make_account(services, "other@example.com")
    theirs = client.post(CONFIRM, headers=other.headers, json={"token": token})
    assert error_of(theirs) == (403, "confirmation_for_another_account")
    assert client.post(CONFIRM, json={"token": token}).status_code == 401
    done = client.post(CONFIRM, headers=ada.headers, json={"token": token})
    assert done.status_code == 200
    assert done.json() == {
        "object": "email_change",
        "email": "new@example.com",
        "email_confirmed": True,
    }
    me = client.get("/v1/me", headers=ada.headers).json()
    assert (me["email"], me["pending_email"], me["email_confirmed"]) == (
        "new@example.com",
        None,
        True,
    )
    again = client.post(CONFIRM, headers=ada.headers, json={"token": token})
    assert error_of(again) == (400, "invalid_email_change_link")
    assert "was used already" in again.json()["error"]["message"]


def test_cancelling_a_change(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    body = {"email": "new@example.com", "password": ada.password}
    assert client.post(ASK, headers=ada.headers, json=body).status_code == 202
    cancelled = client.delete(ASK, headers=ada.headers)
    assert cancelled.status_code == 200
    assert cancelled.json() == {
        "object": "email_change_request",
        "email": "ada@example.com",
        "pending_email": None,
        "expires_in_days": None,
        "cancelled": True,
    }
    assert client.delete(ASK, headers=ada.headers).json()["cancelled"] is False
    [token] = tokens(services, "new@example.com")
    gone = client.post(CONFIRM, headers=ada.headers, json={"token": token})
    assert error_of(gone) == (400, "invalid_email_change_link")


def test_refusals_name_what_to_change(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    make_account(services, "bob@example.com")
    wrong = client.post(ASK, headers=ada.headers, json={"email": "n@example.com", "password": "x"})
    assert error_of(wrong) == (403, "wrong_password")
    assert wrong.json()["error"]["param"] == "password"
    bad = {"email": "nope", "password": ada.password}
    refused = client.post(ASK, headers=ada.headers, json=bad)
    assert error_of(refused) == (400, "invalid_email")
    assert refused.json()["error"]["param"] == "email"
    extra = {"email": "n@example.com", "password": ada.password, "confirmed": True}
    assert client.post(ASK, headers=ada.headers, json=extra).status_code == 400
    assert client.post(ASK, json={"email": "n@example.com", "password": "x"}).status_code == 401
    assert client.get("/v1/me", headers=ada.headers).json()["pending_email"] is None


def test_wrong_passwords_here_count_as_failed_sign_ins(mailing, mailing_client):
    """A stolen API token cannot be used to guess the password faster than the login page
    allows: wrong passwords lock the account's sign-in, and the lock refuses this too; a right
    password (even one whose request fails for another reason) clears the count."""
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    make_account(services, "bob@example.com")
    limit = services.settings.login_max_failures

    def failures() -> int:
        with services.db.read() as db:
            return db.get_one(User, ada.user.id).failed_logins

    wrong = {"email": "n@example.com", "password": "not the password"}
    for _ in range(limit - 1):
        assert error_of(client.post(ASK, headers=ada.headers, json=wrong))[1] == "wrong_password"
    assert failures() == limit - 1
    same = {"email": "ada@example.com", "password": ada.password}
    assert error_of(client.post(ASK, headers=ada.headers, json=same))[1] == "same_email"
    assert failures() == 0  # the right password cleared it, though the request failed
    for _ in range(limit):
        client.post(ASK, headers=ada.headers, json=wrong)
    right = {"email": "n@example.com", "password": ada.password}
    locked = client.post(ASK, headers=ada.headers, json=right)
    assert error_of(locked) == (429, "too_many_attempts")
    assert client.get("/v1/me", headers=ada.headers).json()["pending_email"] is None


def test_an_expired_change_is_no_longer_shown_as_pending(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    body = {"email": "new@example.com", "password": ada.password}
    assert client.post(ASK, headers=ada.headers, json=body).status_code == 202
    days = timedelta(days=services.settings.email_confirmation_days)
    with services.db.write() as db:
        user = db.get_one(User, ada.user.id)
        user.email_change_sent_at -= days
    assert client.get("/v1/me", headers=ada.headers).json()["pending_email"] is None


def test_the_old_addresss_link_cancels_without_credentials(mailing, mailing_client):
    services, client = mailing, mailing_client
    ada = make_account(services, "ada@example.com")
    body = {"email": "thief@example.com", "password": ada.password}
    assert client.post(ASK, headers=ada.headers, json=body).status_code == 202
    [cancel] = tokens(services, "ada@example.com", CANCEL_PATH)
    [change] = tokens(services, "thief@example.com")
    wrong_kind = client.post(STOP, json={"token": change})
    assert error_of(wrong_kind) == (400, "invalid_cancel_link")
    assert wrong_kind.json()["error"]["param"] == "token"
    assert client.post(STOP, json={"token": cancel, "extra": 1}).status_code == 400
    me = client.get("/v1/me", headers=ada.headers).json()
    assert me["pending_email"] == "thief@example.com"  # nothing refused changed anything

    stopped = client.post(STOP, json={"token": cancel})  # no Authorization header
    assert stopped.status_code == 200
    assert stopped.json() == {
        "object": "email_change_request",
        "email": "ada@example.com",
        "pending_email": None,
        "expires_in_days": None,
        "cancelled": True,
    }
    assert client.get("/v1/me", headers=ada.headers).json()["pending_email"] is None
    gone = client.post(CONFIRM, headers=ada.headers, json={"token": change})
    assert error_of(gone) == (400, "invalid_email_change_link")
    again = client.post(STOP, json={"token": cancel})
    assert error_of(again) == (400, "invalid_cancel_link")
    assert "nothing was changed" in again.json()["error"]["message"]
    as_change = client.post(CONFIRM, headers=ada.headers, json={"token": cancel})
    assert error_of(as_change) == (400, "invalid_email_change_link")
    with services.db.write() as db:  # the resend wait is over
        db.get_one(User, ada.user.id).email_change_sent_at -= timedelta(hours=1)
    blocked = client.post(ASK, headers=ada.headers, json=body)  # until a new password
    assert error_of(blocked) == (409, "email_change_stopped")
    assert "reset the password" in blocked.json()["error"]["message"]
