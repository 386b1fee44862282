"""A database that cannot be reached is a 503 `database_unavailable` with Retry-After (JSON for
the API, the error page for pages) and one log line; other database errors stay 500s."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from reelmint.bootstrap import Services
from reelmint.db.database import Database
from support import app_serving, free_port
from web.web_helpers import sign_in

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture
def unreachable(services: Services) -> Iterator[Services]:
    """The same platform, its database a PostgreSQL server that is not running."""
    database = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/reelmint")
    yield replace(services, db=database)
    database.dispose()


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "database unavailable" in r.getMessage()]


def _point_app_at(client, services: Services) -> None:
    app_serving(services)
    assert client.app.state.services is services


def test_the_api_answers_503_with_retry_after_and_logs_one_line(
    services, unreachable, client, account, caplog
):
    _point_app_at(client, unreachable)
    with caplog.at_level(logging.WARNING):
        response = client.get("/v1/videos", headers=account.headers)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    error = response.json()["error"]
    assert (error["code"], error["type"]) == ("database_unavailable", "service_unavailable_error")
    assert "try again in a moment" in error["message"]
    [line] = _outage_lines(caplog)
    assert line.exc_info is None
    assert "GET /v1/videos" in line.getMessage()
    assert "Connection refused" in line.getMessage()
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere


def test_a_page_answers_the_error_page_with_retry_after(
    services, unreachable, client, account, caplog
):
    browser = sign_in(services, client, account)
    _point_app_at(client, unreachable)
    with caplog.at_level(logging.WARNING):
        response = browser.get("/settings/account", headers=HTML)

    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-frame-options"] == "DENY"
    assert "The database cannot be reached just now" in response.text
    assert len(_outage_lines(caplog)) == 1
    assert not [r for r in caplog.records if r.exc_info]


def test_an_sqlite_file_that_cannot_be_opened_is_unavailable_too(services, client, tmp_path):
    folder = tmp_path / "a-folder-not-a-file"
    folder.mkdir()
    database = Database(f"sqlite:///{folder}")
    try:
        _point_app_at(client, replace(services, db=database))
        response = client.get("/v1/feed")
    finally:
        database.dispose()
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"


def test_other_database_errors_stay_internal_errors(services, client, tmp_path: Path, caplog):
    """A database without the tables answers "no such table" (an OperationalError too, on
    SQLite): a fault of ours, not an outage."""
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        _point_app_at(client, replace(services, db=database))
        response = client.get("/v1/feed")
    finally:
        database.dispose()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "retry-after" not in response.headers
    assert any(record.exc_info for record in caplog.records)  # its traceback is logged


def test_the_health_check_says_whether_the_database_can_be_reached(services, unreachable, client):
    healthy = client.get("/healthz")
    assert (healthy.status_code, healthy.json()) == (200, {"status": "ok", "database": "ok"})
    _point_app_at(client, unreachable)
    down = client.get("/healthz")
    assert (down.status_code, down.headers["retry-after"]) == (503, "5")
    assert down.json()["error"]["code"] == "database_unavailable"
