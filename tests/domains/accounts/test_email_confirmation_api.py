"""The email confirmation API: `email_confirmed` on GET /v1/me, a new link from
POST /v1/me/email-confirmation (at a pace), and confirming with its token and the account's own
credentials, POST /v1/me/email-confirmation/confirm."""

from __future__ import annotations

from sqlalchemy import select

from reelmint.domains.accounts.email_confirmation import CONFIRM_PATH
from reelmint.domains.notifications.models import EmailMessage
from support import make_account

CONFIRM = "/v1/me/email-confirmation/confirm"


def tokens(services, to: str) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.like(CONFIRM_PATH + "%")
        )
        return [link.removeprefix(CONFIRM_PATH) for link in db.scalars(query)]


def test_a_new_account_confirms_its_address_with_the_emailed_token(client, services):
    new = make_account(services, "new@example.com", email_confirmed=False)
    assert client.get("/v1/me", headers=new.headers).json()["email_confirmed"] is False
    sent = client.post("/v1/me/email-confirmation", headers=new.headers)
    assert sent.status_code == 202
    assert sent.json() == {
        "object": "email_confirmation_request",
        "sent": True,
        "email": "new@example.com",
        "email_confirmed": False,
        "expires_in_days": services.settings.email_confirmation_days,
    }
    too_soon = client.post("/v1/me/email-confirmation", headers=new.headers)
    assert (too_soon.status_code, too_soon.json()["error"]["code"]) == (
        429,
        "confirmation_recently_sent",
    )
    [token] = tokens(services, "new@example.com")
    other = make_account(services, "other@example.com")
    theirs = client.post(CONFIRM, headers=other.headers, json={"token": token})
    assert (theirs.status_code, theirs.json()["error"]["code"]) == (
        403,
        "confirmation_for_another_account",
    )
    assert client.post(CONFIRM, json={"token": token}).status_code == 401
    done = client.post(CONFIRM, headers=new.headers, json={"token": token})
    assert done.status_code == 200
    assert done.json() == {
        "object": "email_confirmation",
        "user_id": new.user.id,
        "email_confirmed": True,
    }
    assert client.get("/v1/me", headers=new.headers).json()["email_confirmed"] is True
    nothing = client.post("/v1/me/email-confirmation", headers=new.headers).json()
    assert (nothing["sent"], nothing["email_confirmed"]) == (False, True)
    assert len(tokens(services, "new@example.com")) == 1


def test_a_bad_token_says_what_to_do(client, services, account):
    made_up = client.post(CONFIRM, headers=account.headers, json={"token": "user_x.abc"})
    assert made_up.status_code == 400
    error = made_up.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_confirmation_link", "token")
    assert "send a new one from Settings" in error["message"]
    extra = client.post(CONFIRM, headers=account.headers, json={"token": "t", "password": "x"})
    assert extra.status_code == 400  # unknown fields are refused


def test_asking_for_a_link_needs_credentials(client):
    assert client.post("/v1/me/email-confirmation").status_code == 401
