"""API tokens from the settings page: shown once, listed by hint, revocable."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from web_helpers import sign_in

from reelmint.api.deps import SESSION_COOKIE
from reelmint.crypto import sha256_hex
from reelmint.domains.accounts.models import ApiToken
from reelmint.domains.notifications.models import EmailMessage
from support import at_once, make_account, running_server


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def tokens_of(services, user_id: str) -> list[ApiToken]:
    with services.db.read() as db:
        return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user_id)))


def mail_to(services, address: str) -> list[EmailMessage]:
    with services.db.read() as db:
        return list(db.scalars(select(EmailMessage).where(EmailMessage.to_address == address)))


def test_a_new_token_is_told_by_email_to_a_confirmed_address_only(services, client, account):
    browser = sign_in(services, client, account)
    browser.post("/settings/tokens", {"name": "laptop"})
    told = [m for m in mail_to(services, account.email) if "API token" in m.subject]
    assert [m.subject for m in told] == ["A new API token for your reelmint account"]
    assert "“laptop”" in told[0].body_text
    assert "rm_" not in told[0].body_text  # never the secret
    client.cookies.clear()
    stranger = make_account(services, "new@example.com", email_confirmed=False)
    made = sign_in(services, client, stranger).post("/settings/tokens", {"name": "x"})
    assert made.status_code == 201
    assert mail_to(services, "new@example.com") == []


def test_a_new_token_is_shown_once_and_works(services, browser, client, account):
    response = browser.post("/settings/tokens", {"name": "laptop"})
    assert response.status_code == 201
    secret = re.search(r'id="new-token" type="text" readonly value="(rm_[^"]+)"', response.text)
    assert secret, "the new token is not on the page"
    assert "only time it is shown" in response.text
    assert 'data-copy="new-token"' in response.text
    listing = browser.get("/settings/tokens").text
    assert secret.group(1) not in listing
    assert "laptop" in listing
    assert f"{secret.group(1)[:10]}…" in listing  # the hint tells tokens apart
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {secret.group(1)}"})
    assert me.status_code == 200
    assert me.json()["email"] == account.email


def test_revoking_a_token_stops_it(services, browser, client, account):
    (token,) = tokens_of(services, account.user.id)
    response = browser.post(f"/settings/tokens/{token.id}/revoke")
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/tokens"
    page = browser.get("/settings/tokens").text
    assert "The token was revoked" in page
    assert "Revoked" in page
    assert f'/settings/tokens/{token.id}/revoke"' not in page
    assert client.get("/v1/me", headers=account.headers).status_code == 401


def test_a_token_needs_a_name(services, browser, account):
    response = browser.post("/settings/tokens", {"name": "   "})
    assert response.status_code == 400
    assert "Give the token a name" in response.text
    assert len(tokens_of(services, account.user.id)) == 1  # only the fixture's


def test_nobody_revokes_another_users_token(services, browser, client):
    other = make_account(services, "grace@example.com")
    (token,) = tokens_of(services, other.user.id)
    response = browser.post(f"/settings/tokens/{token.id}/revoke")
    assert response.status_code == 404
    assert client.get("/v1/me", headers=other.headers).status_code == 200
    assert "grace" not in browser.get("/settings/tokens").text


def test_the_token_form_posted_twice_makes_one_token(services, browser, account):
    before = len(tokens_of(services, account.user.id))  # the fixture's own
    page = browser.get("/settings/tokens").text
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    first = browser.post("/settings/tokens", {"name": "laptop", "form_key": key})
    assert first.status_code == 201
    again = browser.post("/settings/tokens", {"name": "laptop", "form_key": key})
    assert (again.status_code, again.headers["location"]) == (303, "/settings/tokens")
    assert "rm_" not in again.text
    assert "its secret was shown once" in browser.get("/settings/tokens").text
    assert len(tokens_of(services, account.user.id)) == before + 1
    fresh = re.search(r'name="form_key" value="([^"]+)"', browser.get("/settings/tokens").text)
    assert fresh.group(1) != key  # each page a new key: the next token is another
    other = browser.post("/settings/tokens", {"name": "laptop", "form_key": fresh.group(1)})
    assert other.status_code == 201
    assert len(tokens_of(services, account.user.id)) == before + 2


def test_a_refused_name_makes_nothing_and_the_same_form_can_then_make_the_token(
    services, browser, account
):
    before = len(tokens_of(services, account.user.id))
    page = browser.get("/settings/tokens").text
    key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
    refused = browser.post("/settings/tokens", {"name": "   ", "form_key": key})
    assert refused.status_code == 400
    assert len(tokens_of(services, account.user.id)) == before
    made = browser.post("/settings/tokens", {"name": "phone", "form_key": key})
    assert made.status_code == 201
    assert len(tokens_of(services, account.user.id)) == before + 1


def test_the_token_form_posted_twice_at_once_shows_only_a_token_that_exists(
    services, browser, account
):
    """Two posts of one form racing: the loser's transaction is rolled back, so it must not
    show the secret of a token it made there (which would not exist): it says where the
    winner's was shown."""
    session = browser.client.cookies.get(SESSION_COOKIE)
    with running_server(services, workers=0) as live:
        for round_ in range(6):
            page = browser.get("/settings/tokens").text
            key = re.search(r'name="form_key" value="([^"]+)"', page).group(1)
            form = {"name": f"race {round_}", "form_key": key, "csrf_token": browser.csrf}

            def post(form: dict[str, str] = form) -> httpx.Response:
                return httpx.post(
                    live.url + "/settings/tokens",
                    data=form,
                    cookies={SESSION_COOKIE: session},
                    timeout=30,
                )

            replies = at_once([post, post], timeout=60)
            assert sorted(reply.status_code for reply in replies) == [201, 303]
            [shown] = [reply for reply in replies if reply.status_code == 201]
            secret = re.search(r"rm_[A-Za-z0-9_\-]{43}", shown.text).group(0)
            made = [t for t in tokens_of(services, account.user.id) if t.name == f"race {round_}"]
            assert len(made) == 1
            assert sha256_hex(secret) == made[0].token_hash  # the one shown is the one kept
