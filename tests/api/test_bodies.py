"""Bodies the API's endpoints read through FastAPI: capped (413 `too_large`, signed in or not,
declared or streamed), and a JSON key twice in one object refused (400 `invalid_json`), with
nothing changed. Every API route goes through `ApiRoute`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute

from reelmint.api.app import create_app
from reelmint.api.bodies import API_BODY_LIMIT, ApiRoute
from reelmint.web.security import PageRoute

HUGE = API_BODY_LIMIT + 1


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_an_anonymous_body_over_the_limit_is_refused_before_it_is_parsed(client):
    body = json.dumps({"email": "a@example.com", "pad": "x" * HUGE})
    refused = client.post(
        "/v1/auth/password-reset", content=body, headers={"Content-Type": "application/json"}
    )
    assert error(refused) == (413, "too_large")
    assert f"larger than {API_BODY_LIMIT} bytes" in refused.json()["error"]["message"]


def test_a_streamed_body_is_refused_once_it_passes_the_limit(client, account):
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"display_name": "'
        for _ in range(HUGE // 4096 + 1):
            yield b"x" * 4096
        yield b'"}'

    refused = client.patch(
        "/v1/me", content=chunks(), headers={**account.headers, "Content-Type": "application/json"}
    )
    assert error(refused) == (413, "too_large")
    me = client.get("/v1/me", headers=account.headers).json()
    assert not me["display_name"].startswith("xxx")


def test_a_body_under_the_limit_still_reaches_the_endpoint(client, account):
    renamed = client.patch("/v1/me", headers=account.headers, json={"display_name": "Ada L"})
    assert renamed.status_code == 200
    assert renamed.json()["display_name"] == "Ada L"


def test_a_key_twice_in_one_object_is_refused_and_changes_nothing(client, account):
    twice = '{"display_name": "A", "display_name": "B"}'
    headers = {**account.headers, "Content-Type": "application/json"}
    refused = client.patch("/v1/me", content=twice, headers=headers)
    assert error(refused) == (400, "invalid_json")
    assert "the key 'display_name' appears twice" in refused.json()["error"]["message"]
    assert client.get("/v1/me", headers=account.headers).json()["display_name"] != "B"
    hook = '{"url": "https://a.example.com/hook", "url": "https://b.example.com/hook"}'
    assert error(client.post("/v1/webhooks", content=hook, headers=headers)) == (
        400,
        "invalid_json",
    )
    assert client.get("/v1/webhooks", headers=account.headers).json()["data"] == []


def test_a_number_too_long_to_read_says_so_in_plain_words(client, account):
    headers = {**account.headers, "Content-Type": "application/json"}
    refused = client.patch("/v1/me", content='{"timezone": ' + "9" * 5000 + "}", headers=headers)
    assert error(refused) == (400, "invalid_json")
    message = refused.json()["error"]["message"]
    assert "more than 4300 digits" in message
    assert "sys.set_int_max_str_digits" not in message


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, inside included routers too (FastAPI keeps those as routers)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        if inner is not None and inner is not route and hasattr(inner, "routes"):
            yield from api_routes(inner.routes)


def test_every_route_that_parses_a_body_is_capped(services):
    """A router made without `route_class=ApiRoute` (or PageRoute) would read bodies of any
    size: every route with a body FastAPI parses must be one of the capped classes."""
    routes = list(api_routes(create_app(services).routes))
    with_body = [route for route in routes if route.body_field is not None]
    assert with_body  # the check looks at something
    uncapped = [route.path for route in with_body if not isinstance(route, ApiRoute | PageRoute)]
    assert uncapped == []
