"""POST /v1/auth/password-reset and /confirm: the same answer for any address, a link once."""

from __future__ import annotations

from sqlalchemy import select

from reelmint.domains.accounts.password_reset import RESET_PATH
from reelmint.domains.notifications.models import EmailMessage


def links(services, to: str) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.is_not(None)
        )
        return list(db.scalars(query))


def test_asking_answers_the_same_and_mails_only_accounts(client, services, account):
    known = client.post("/v1/auth/password-reset", json={"email": account.email})
    unknown = client.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json() == unknown.json()
    assert len(links(services, account.email)) == 1
    assert links(services, "nobody@example.com") == []
    again = client.post("/v1/auth/password-reset", json={"email": account.email})
    assert again.json() == known.json()
    assert len(links(services, account.email)) == 1  # one email every few minutes
    bad = client.post("/v1/auth/password-reset", json={"email": "nope"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_email")


def test_a_link_confirms_once(client, services, account):
    client.post("/v1/auth/password-reset", json={"email": account.email})
    [link] = links(services, account.email)
    token = link.removeprefix(RESET_PATH)
    body = {"token": token, "password": "a new long passphrase"}
    weak = client.post("/v1/auth/password-reset/confirm", json={**body, "password": "short"})
    assert (weak.status_code, weak.json()["error"]["code"]) == (400, "weak_password")
    done = client.post("/v1/auth/password-reset/confirm", json=body)
    assert done.status_code == 200
    assert done.json() == {
        "object": "password_reset",
        "user_id": account.user.id,
        "sessions_ended": 0,
    }
    again = client.post("/v1/auth/password-reset/confirm", json=body)
    assert (again.status_code, again.json()["error"]["code"]) == (400, "invalid_reset_link")
    assert again.json()["error"]["param"] == "token"


def test_a_suspended_account_cannot_set_a_password_with_a_link(client, services, account):
    """A link mailed before the suspension is refused, and none is mailed during it: whoever
    holds the mailbox must not set a password that outlives the suspension."""
    from reelmint.domains.accounts.models import User
    from reelmint.domains.accounts.service import OPERATOR, verify_password
    from reelmint.domains.accounts.suspension import suspend_account

    client.post("/v1/auth/password-reset", json={"email": account.email})
    [link] = links(services, account.email)
    with services.db.write() as db:
        suspend_account(db=db, actor=OPERATOR, user_id=account.user.id, reason="spam bot")
    body = {"token": link.removeprefix(RESET_PATH), "password": "a new long passphrase"}
    refused = client.post("/v1/auth/password-reset/confirm", json=body)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "account_suspended")
    page = client.get(link)
    assert page.status_code == 403
    assert "spam bot" in page.text
    with services.db.read() as db:
        assert verify_password(db.get(User, account.user.id).password_hash, account.password)
    with services.db.write() as db:  # past the wait between two links
        db.execute(User.__table__.update().values(password_reset_sent_at=None))
    client.post("/v1/auth/password-reset", json={"email": account.email})
    assert len(links(services, account.email)) == 1  # no new link for a suspended account
