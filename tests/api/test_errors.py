"""Errors raised outside any route (no such address, wrong method): JSON for the API and for
clients that do not ask for HTML; the site's error page for a browser asking for a page. And
how a validation error names the field (`param`)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Cookie, FastAPI, Header
from fastapi.testclient import TestClient
from pydantic import BaseModel

from reelmint.api.errors import install_error_handlers
from web.web_helpers import sign_in

HTML = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("path", ["/settings/nope", "/nope", "/cameos/nope", "/studio/nope"])
def test_a_browser_gets_the_error_page_for_an_unknown_page(services, client, account, path):
    browser = sign_in(services, client, account)
    response = browser.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in response.text
    assert f"There is no page at {path}; check the address" in response.text
    assert f"Signed in as <strong>{account.user.display_name}</strong>" in response.text
    assert response.headers["x-frame-options"] == "DENY"  # the pages' security headers


def test_a_visitor_gets_the_error_page_too(client):
    response = client.get("/nope", headers=HTML)
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text
    assert 'href="/login"' in response.text


def test_a_page_address_with_the_wrong_method_is_a_page(services, client, account):
    browser = sign_in(services, client, account)
    response = browser.get("/settings/account/close", headers=HTML)
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["allow"] == "POST"


def test_a_wrong_method_names_every_method_the_path_takes(client, account):
    """`GET /v1/videos/{id}` and `DELETE /v1/videos/{id}` are two routes: both are named."""
    response = client.patch("/v1/videos/video_x", headers=account.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET"
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert error["message"] == "PATCH is not allowed on /v1/videos/video_x; use DELETE or GET"


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/v1/nothing-here", HTML),  # the API is JSON, whoever asks
        ("/v1", HTML),
        ("/nope", {"accept": "application/json"}),
        ("/nope", {}),  # httpx sends Accept: */*
        ("/static/nothing.css", HTML),
    ],
)
def test_the_api_and_other_clients_keep_json(client, path, headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_settings_opens_on_the_account_page(services, client, account):
    assert client.get("/settings", follow_redirects=False).headers["location"].startswith("/login?")
    browser = sign_in(services, client, account)
    response = browser.get("/settings", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/settings/account")


def test_the_error_page_leads_back_to_a_page_of_this_site(services, client, account):
    browser = sign_in(services, client, account)
    came_from = {**HTML, "referer": "http://testserver/people?tab=following"}
    page = browser.get("/videos/video_nothing_here", headers=came_from).text
    assert '<a class="button" href="/people?tab=following" data-role="back">Go back</a>' in page
    elsewhere = {**HTML, "referer": "https://evil.example/people"}
    assert (
        'data-role="back"' not in browser.get("/videos/video_nothing_here", headers=elsewhere).text
    )
    itself = {**HTML, "referer": "http://testserver/videos/video_nothing_here"}
    assert 'data-role="back"' not in browser.get("/videos/video_nothing_here", headers=itself).text


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/claims", "post"),
        ("/v1/payouts", "post"),
        ("/v1/me", "patch"),
        ("/v1/webhooks", "post"),
    ],
)
def test_a_json_endpoint_says_when_the_body_is_not_json(client, account, path, method):
    broken = client.request(
        method.upper(),
        path,
        headers={**account.headers, "content-type": "application/json"},
        content=b'{"units": 5,',
    )
    assert broken.status_code == 400
    error = broken.json()["error"]
    assert error["code"] == "invalid_json"
    assert error["message"].startswith("the body is not valid JSON (at character 12)")
    form = client.request(
        method.upper(), path, headers=account.headers, data={"units": "5"}
    )  # form-encoded
    assert form.status_code == 415
    assert form.json()["error"]["code"] == "unsupported_media_type"
    assert "application/x-www-form-urlencoded" in form.json()["error"]["message"]


def test_a_page_size_out_of_bounds_is_invalid_limit_on_every_list(client, account):
    for path in ("/v1/videos", "/v1/claims", "/v1/notifications", "/v1/feed"):
        refused = client.get(f"{path}?limit=100000", headers=account.headers)
        assert refused.status_code == 400, path
        assert refused.json()["error"]["code"] == "invalid_limit", path


def test_a_missing_body_says_so(client, account):
    refused = client.post("/v1/webhooks", headers=account.headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_json"
    assert "the body is missing" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[]", "the body is an array"),
        (b'"units"', "the body is a string"),
        (b"5", "the body is a number"),
        (b"true", "the body is true or false"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/webhooks", "/v1/payouts", "/v1/claims"])
def test_json_that_is_not_an_object_says_what_it_is(client, account, path, body, says):
    refused = client.post(
        path, headers={**account.headers, "content-type": "application/json"}, content=body
    )
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_json", None)
    assert error["message"] == f"{says}; send a JSON object with the fields"


def test_a_body_without_a_content_type_is_told_to_send_one(client, account):
    refused = client.post("/v1/webhooks", headers=account.headers, content=b'{"url": "x"}')
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_json"
    assert "sent without a Content-Type" in error["message"]
    assert "Content-Type: application/json" in error["message"]


def test_a_path_parameter_is_named_as_the_field_not_by_where_it_is(client, account):
    refused = client.get("/v1/videos/video_" + "a" * 70, headers=account.headers)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_request", "video_id")
    assert error["message"].startswith("video_id: ")


class Search(BaseModel):
    query: int


def probe_app() -> FastAPI:
    """An app with the API's error handlers and a header, a cookie and a body to get wrong."""
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/probe")
    def probe(
        search: Search,
        retries: Annotated[int, Header(alias="X-Retries")] = 0,
        page: Annotated[int, Cookie()] = 0,
    ) -> None:
        return None

    return app


def test_headers_cookies_and_body_fields_are_named_as_sent():
    """Only the first part of a location says where in the request it is: a header keeps its
    own name, and a body field called `query` is still named."""
    client = TestClient(probe_app())
    cases = [
        ({"json": {"query": 1}, "headers": {"X-Retries": "many"}}, "X-Retries"),
        ({"json": {"query": 1}, "headers": {"Cookie": "page=two"}}, "page"),
        ({"json": {"query": "words"}}, "query"),
    ]
    for kwargs, param in cases:
        refused = client.post("/probe", **kwargs)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["param"] == param
        assert refused.json()["error"]["message"].startswith(f"{param}: ")
