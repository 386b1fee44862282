"""A NUL character in a URL, a query or a body is the caller's bad input on both databases:
a 4xx, never a 500. PostgreSQL's driver refuses NUL in text; whatever slips past the services'
own checks is answered by the safety net (`db.base.unstorable_text`) with 400
`invalid_request`, as JSON for the API and as the error page for a browser."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DataError

from reelmint.api.app import create_app
from reelmint.db.base import unstorable_text
from reelmint.domains.accounts.models import ApiToken
from support import make_account
from web.web_helpers import sign_in

API_GETS = [
    "/v1/payouts/payout_%00",
    "/v1/payouts?after=payout_%00",
    "/v1/webhooks/wh_%00",
    "/v1/webhooks/wh_%00/deliveries",
    "/v1/users?q=ab%00",
    "/v1/notifications?after=%00",
]
PAGE_GETS = ["/people/search?q=ab%00", "/notifications?after=%00", "/people?after=%00"]


@pytest.fixture
def app_client(services_on):
    with TestClient(create_app(services_on), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", API_GETS)
def test_the_api_answers_a_nul_in_the_address_with_a_400(services_on, app_client, path):
    ada = make_account(services_on, "ada@example.com")
    answer = app_client.get(path, headers=ada.headers)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert "NUL character (%00)" in error["message"]


@pytest.mark.parametrize("path", PAGE_GETS)
def test_a_page_answers_a_nul_in_the_address_with_the_error_page(services_on, app_client, path):
    ada = make_account(services_on, "ada@example.com")
    sign_in(services_on, app_client, ada)
    page = app_client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 400, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "NUL character" in page.text
    assert ">Log out</button>" in page.text  # the layout of the signed-in visitor it is


def test_a_nul_in_a_token_name_is_refused_and_nothing_is_made(services_on, app_client):
    ada = make_account(services_on, "ada@example.com")
    browser = sign_in(services_on, app_client, ada)
    refused = browser.post("/settings/tokens", {"name": "lap\u0000top"})
    assert refused.status_code == 400, refused.text
    assert "printable characters" in refused.text
    with services_on.db.read() as db:
        assert db.scalars(select(ApiToken.name).where(ApiToken.user_id == ada.user.id)).all() == [
            "tests"
        ]


def test_the_safety_net_answers_what_postgresql_refuses(postgres_url):
    """Whatever NUL slips past the services' checks: psycopg refuses it before sending, and
    that fault becomes a 400, while other data faults stay the server's."""
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            with pytest.raises(DataError) as nul:
                connection.execute(text("select :x"), {"x": "a\x00b"})
            connection.rollback()
            with pytest.raises(DataError) as other:
                connection.execute(text("select 1 / 0 + :x"), {"x": 1})
    finally:
        engine.dispose()
    refusal = unstorable_text(nul.value)
    assert refusal is not None
    assert (refusal.status, refusal.code) == (400, "invalid_request")
    assert unstorable_text(other.value) is None
    assert unstorable_text(ValueError("NUL (0x00)")) is None
