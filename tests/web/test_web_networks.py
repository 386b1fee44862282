"""The per-network limits as people meet them: the sign-up, login and forgot-password pages and
POST /v1/auth/password-reset refuse one network past its hour's allowance, say when to come
back, keep what was typed, and leave other networks and known browsers alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import form_token

from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.server import make_server
from support import app_serving, make_account, make_services

PASSWORD = "correct horse battery"
HOME = ("198.51.100.7", 40000)
ELSEWHERE = ("203.0.113.9", 40000)


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Services]:
    built = make_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'reelmint.db'}",
        signups_per_network_per_hour=2,
        wrong_passwords_per_network_per_hour=3,
        password_resets_per_network_per_hour=2,
    )
    yield built
    built.close()


@pytest.fixture
def browser(limited: Services) -> Iterator[Callable[..., TestClient]]:
    """A new browser (its own cookies) on a network: HOME unless told."""
    opened: list[TestClient] = []

    def open_one(address: tuple[str, int] = HOME) -> TestClient:
        client = TestClient(app_serving(limited), client=address)
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.close()


def post_form(client: TestClient, path: str, **fields: str):
    token = form_token(client.get(path).text)
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def signup(client: TestClient, email: str, password: str = PASSWORD):
    return post_form(client, "/signup", email=email, password=password)


def login(client: TestClient, email: str, password: str):
    return post_form(client, "/login", email=email, password=password)


def accounts(services: Services) -> list[str]:
    with services.db.read() as db:
        return sorted(db.scalars(select(User.email)))


def test_a_network_opens_its_hours_accounts_then_is_told_to_wait(limited, browser):
    assert signup(browser(), "one@example.com", password="short").status_code == 400
    assert signup(browser(), "one@example.com").status_code == 303
    assert signup(browser(), "two@example.com").status_code == 303
    refused = signup(browser(), "three@example.com")
    assert refused.status_code == 429
    assert "Too many accounts were opened from your network in the last hour" in refused.text
    assert "try again in" in refused.text
    assert 'value="three@example.com"' in refused.text  # what was typed is kept
    assert signup(browser(ELSEWHERE), "four@example.com").status_code == 303
    assert accounts(limited) == ["four@example.com", "one@example.com", "two@example.com"]


def test_wrong_passwords_over_many_addresses_stop_at_the_networks_allowance(limited, browser):
    owner = make_account(limited, "owner@example.com")
    guesser = browser()
    for n in range(3):
        assert login(guesser, f"person{n}@example.com", PASSWORD).status_code == 400
    refused = login(guesser, owner.email, owner.password)
    assert refused.status_code == 429
    assert "Too many wrong passwords from your network" in refused.text
    assert login(browser(ELSEWHERE), owner.email, owner.password).status_code == 303


def test_right_passwords_do_not_use_the_allowance(limited, browser):
    owner = make_account(limited, "owner@example.com")
    for _ in range(5):
        assert login(browser(), owner.email, owner.password).status_code == 303
    assert login(browser(), "nobody@example.com", PASSWORD).status_code == 400


def test_a_browser_that_signed_in_before_is_not_stopped_by_its_network(limited, browser):
    owner = make_account(limited, "owner@example.com")
    own = browser()
    assert login(own, owner.email, owner.password).status_code == 303
    token = form_token(own.get("/settings/account").text)
    assert own.post("/logout", data={"csrf_token": token}).status_code == 200  # keeps the device
    guesser = browser()
    for n in range(3):
        login(guesser, f"person{n}@example.com", PASSWORD)
    assert login(guesser, owner.email, owner.password).status_code == 429
    assert login(own, owner.email, owner.password).status_code == 303


def test_reset_emails_are_limited_per_network_whatever_the_address(limited, browser):
    make_account(limited, "owner@example.com")
    page = browser()
    assert post_form(page, "/forgot-password", email="owner@example.com").status_code == 303
    assert post_form(page, "/forgot-password", email="nobody@example.com").status_code == 303
    refused = post_form(page, "/forgot-password", email="owner@example.com")
    assert refused.status_code == 429
    assert "Too many password reset emails were asked for from your network" in refused.text
    api = browser()
    answer = api.post("/v1/auth/password-reset", json={"email": "nobody@example.com"})
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        429,
        "too_many_reset_requests",
    )
    assert 1 <= int(answer.headers["retry-after"]) <= 3600  # until the hour is over
    other = browser(ELSEWHERE).post("/v1/auth/password-reset", json={"email": "x@example.com"})
    assert other.status_code == 202


def test_only_the_configured_proxies_name_the_client(tmp_path):
    """Through the server's own proxy-header handling: a trusted proxy's X-Forwarded-For is
    read from the right (a client writing its own address on the left changes nothing); the
    header from anyone else is ignored."""
    services = make_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'r.db'}",
        forwarded_allow_ips="10.0.0.5",
        signups_per_network_per_hour=1,
    )
    try:
        server = make_server(services, host="127.0.0.1", port=0, analyse_routes=False)
        server.config.load()
        app = server.config.loaded_app

        def signup_as(peer: str, forwarded: str, email: str) -> int:
            with TestClient(app, client=(peer, 40000)) as client:
                client.headers["X-Forwarded-For"] = forwarded
                return signup(client, email).status_code

        assert signup_as("10.0.0.5", "6.6.6.6, 198.51.100.7", "one@example.com") == 303
        assert signup_as("10.0.0.5", "7.7.7.7, 198.51.100.7", "two@example.com") == 429
        assert signup_as("10.0.0.5", "198.51.100.8", "three@example.com") == 303
        # Not a trusted proxy: its header is ignored, and it is its own network.
        assert signup_as("203.0.113.9", "198.51.100.99", "four@example.com") == 303
        assert signup_as("203.0.113.9", "198.51.100.100", "five@example.com") == 429
    finally:
        services.close()
