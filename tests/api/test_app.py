"""The application as a whole: headers every response carries, whatever answered it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reelmint.api.app import create_app


def nosniff(response) -> bool:
    return response.headers.get_list("x-content-type-options") == ["nosniff"]


@pytest.mark.parametrize("path", ["/static/app.css", "/static/app.js", "/static/favicon.svg"])
def test_static_files_are_never_sniffed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert nosniff(response), path
    assert nosniff(client.get(path, headers={"if-none-match": response.headers["etag"]}))


def test_api_answers_are_never_sniffed(client, account):
    answers = [
        client.get("/v1/me", headers=account.headers),  # JSON
        client.get("/v1/me"),  # 401 from the error handlers
        client.get("/v1/nope"),  # no route
        client.delete("/healthz"),  # wrong method
        client.get("/healthz"),
        client.get("/openapi.json"),
        client.get("/static/nope.css"),
    ]
    assert [response.status_code for response in answers] == [200, 401, 404, 405, 200, 200, 404]
    assert all(nosniff(response) for response in answers)


def test_pages_carry_the_header_once(client):
    assert nosniff(client.get("/login"))  # set by the page and the app: not twice


def test_an_unexpected_error_is_never_sniffed_either(services):
    """The 500 is answered by Starlette's outermost middleware, outside any `add_middleware`."""
    app = create_app(services)

    @app.get("/v1/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/boom")
    assert response.status_code == 500
    assert nosniff(response)
