"""Who may call the API: bearer tokens, session cookies with CSRF, and nobody else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from reelmint.api.app import create_app
from reelmint.api.deps import CSRF_HEADER, SESSION_COOKIE, CurrentUser
from reelmint.domains.accounts.service import start_web_session


def test_a_token_identifies_its_user(client, account):
    response = client.get("/v1/me", headers=account.headers)
    assert response.status_code == 200
    assert response.json()["email"] == account.email


def test_no_credentials_is_a_401_with_advice(client):
    response = client.get("/v1/me")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert "Bearer" in error["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_wrong_token_or_scheme_is_refused(client, account):
    for header in (f"Bearer {account.token}x", "Bearer rm_nope", f"Basic {account.token}"):
        response = client.get("/v1/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["error"]["code"] in {"invalid_token", "unauthorized"}


def test_a_session_cookie_reads_but_cannot_change_without_the_csrf_token(services, account):
    app = create_app(services)

    @app.post("/test/change")
    def change(user: CurrentUser) -> dict[str, str]:
        return {"changed_by": user.id}

    with services.db.write() as db:
        session, secret = start_web_session(db=db, user=account.user)
    with TestClient(app) as browser:
        browser.cookies.set(SESSION_COOKIE, secret)
        assert browser.get("/v1/me").status_code == 200
        # What a forged cross-site form would send: the cookie, without the token.
        response = browser.post("/test/change")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "csrf_failed"
        wrong = browser.post("/test/change", headers={CSRF_HEADER: "guess"})
        assert wrong.status_code == 403
        right = browser.post("/test/change", headers={CSRF_HEADER: session.csrf_token})
        assert right.json() == {"changed_by": account.user.id}


def test_a_token_needs_no_csrf_token(services, account):
    app = create_app(services)

    @app.post("/test/change")
    def change(user: CurrentUser) -> dict[str, str]:
        return {"changed_by": user.id}

    with TestClient(app) as api:
        assert api.post("/test/change", headers=account.headers).status_code == 200


def test_unknown_endpoints_are_json_errors(client):
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
