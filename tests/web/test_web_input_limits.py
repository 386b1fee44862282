"""Page posts that are too big, too many or too deep: each is refused with an HTML error page
(400 or 413) before it can cost memory or disk, never a 500; the upload forms keep their own
larger caps."""

from __future__ import annotations

import io
import itertools
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.exceptions import RequestValidationError
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from web_helpers import form_token, sign_in

from domains.rights.claim_helpers import make_holder
from reelmint.domains.videos.models import Video
from reelmint.web.forms import MAX_STORYBOARD_CHARS
from reelmint.web.security import PAGE_FORM_LIMIT, PageRoute, _first_problem
from support import Account, make_account, post_through_asgi

URLENCODED = {"content-type": "application/x-www-form-urlencoded"}


def login_body(client: TestClient, email: str, password: str, *, size: int = 0) -> bytes:
    """A login form for `email`, padded with an unknown field to `size` bytes if asked."""
    token = form_token(client.get("/login").text)
    body = urlencode({"email": email, "password": password, "csrf_token": token}).encode()
    if size:
        body += b"&pad=" + b"x" * (size - len(body) - len(b"&pad="))
        assert len(body) == size
    return body


def assert_error_page(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert code in response.text
    assert response.headers["cache-control"] == "no-store"  # the page's security headers


def every_route(routes: list[Any]) -> Iterator[Any]:
    """The routes of an app, also inside included routers (FastAPI may keep them there)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from every_route(included.routes) if included is not None else (route,)


def videos(services) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(Video))


# --- a form Starlette cannot parse --------------------------------------------------------------


def test_a_form_with_too_many_fields_is_a_400_page(client, account):
    body = login_body(client, account.email, account.password) + b"&" + b"f=1&" * 1100
    response = client.post("/login", content=body, headers=URLENCODED, follow_redirects=False)
    assert_error_page(response, 400, "invalid_request")
    assert "send fewer and shorter fields" in response.text


def test_a_multipart_field_over_a_mebibyte_is_refused_not_a_500(services, client, account):
    browser = sign_in(services, client, account)
    response = browser.post("/create", files={"prompt": (None, "x" * (1024 * 1024 + 1))})
    assert_error_page(response, 413, "too_large")
    assert videos(services) == 0


# --- the cap on page posts without uploads --------------------------------------------------


def test_a_login_one_byte_over_the_cap_is_a_413_page(client, account):
    body = login_body(client, account.email, account.password, size=PAGE_FORM_LIMIT + 1)
    response = client.post("/login", content=body, headers=URLENCODED, follow_redirects=False)
    assert_error_page(response, 413, "too_large")
    assert client.get("/drafts", follow_redirects=False).status_code == 303  # not signed in


def test_a_login_at_the_cap_still_signs_in(client, account):
    body = login_body(client, account.email, account.password, size=PAGE_FORM_LIMIT)
    response = client.post("/login", content=body, headers=URLENCODED, follow_redirects=False)
    assert response.status_code == 303, response.text[:300]
    assert client.get("/drafts").status_code == 200


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(client, account):
    read: list[int] = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield b"email=a"

    headers = {**URLENCODED, "content-length": str(PAGE_FORM_LIMIT + 1)}
    response = client.post("/login", content=body(), headers=headers, follow_redirects=False)
    assert_error_page(response, 413, "too_large")
    assert read == []


def test_a_streamed_body_stops_being_read_past_the_cap(client):
    """No Content-Length: the body is read until it passes the cap, and not one chunk more."""
    chunk = b"x" * 65536
    endless = itertools.repeat(chunk, 1000)  # a client that never stops; the test fails below
    headers = [
        (b"content-type", URLENCODED["content-type"].encode()),
        (b"transfer-encoding", b"chunked"),
    ]
    reply = post_through_asgi(client.app, "/login", endless, headers)
    assert reply.status == 413
    assert reply.bytes_read <= PAGE_FORM_LIMIT + len(chunk)
    assert b"too_large" in reply.body


def test_the_largest_storyboard_fits_under_the_cap(services, client, account):
    """50,000 characters that each take 9 bytes in a form (3 in UTF-8, each %XX-escaped) are
    refused for what they say, not for their size."""
    browser = sign_in(services, client, account)
    storyboard = "語" * MAX_STORYBOARD_CHARS
    form = {"csrf_token": browser.csrf, "prompt": "字" * 2000, "storyboard": storyboard}
    assert len(urlencode(form)) <= PAGE_FORM_LIMIT
    response = browser.post("/create", {"prompt": form["prompt"], "storyboard": storyboard})
    assert response.status_code == 400, response.text[:300]
    assert "storyboard is not valid JSON" in response.text
    assert videos(services) == 0


def test_every_page_post_either_takes_the_capped_form_or_is_an_upload_form(client):
    """A page post whose handler reads the body itself (no form fields for FastAPI to read)
    is outside the page cap, so it must cap the body itself: only the image uploads do."""
    own_readers = {
        route.path
        for route in every_route(client.app.routes)
        if isinstance(route, PageRoute) and "POST" in route.methods and route.body_field is None
    }
    assert own_readers == {"/cameos", "/studio/characters/{character_id}/images"}


def test_an_upload_form_takes_an_image_larger_than_the_page_cap(services, client):
    holder = make_holder(services)
    member = Account(user=holder.member, email="studio@example.com", password="", token="")
    studio = sign_in(services, client, member)
    noise = random.Random(7).randbytes(640 * 640 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (640, 640), noise).save(out, format="PNG")
    assert len(out.getvalue()) > PAGE_FORM_LIMIT
    response = client.post(
        f"/studio/characters/{holder.character_id}/images",
        data={"csrf_token": studio.csrf},
        files=[("images", ("noise.png", io.BytesIO(out.getvalue()), "image/png"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]


# --- a storyboard too deep to parse ---------------------------------------------------------


@pytest.mark.parametrize(
    "storyboard",
    ["[" * 20_000 + "]" * 20_000, '{"seed": ' + "1" * 5000 + "}"],
    ids=["nested-20000-deep", "number-of-5000-digits"],
)
def test_a_storyboard_python_cannot_parse_is_a_400_on_the_form(
    services, client, account, storyboard
):
    browser = sign_in(services, client, account)
    response = browser.post("/create", {"prompt": "A red car", "storyboard": storyboard})
    assert response.status_code == 400, response.text[:300]
    assert "storyboard is not valid JSON" in response.text
    assert 'name="storyboard"' in response.text  # the form again, to correct
    assert videos(services) == 0


# --- a damaged feed cursor ------------------------------------------------------------------


@pytest.mark.parametrize("older", ["%C2%B2_video_x", "%D9%A3_video_x"])
def test_a_cursor_with_digits_that_are_not_ascii_is_a_400_page(client, older):
    response = client.get(f"/?older={older}")
    assert_error_page(response, 400, "invalid_cursor")


def _multipart(fields: dict[str, str], boundary: str = "zzz") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def test_a_multipart_form_cut_off_before_its_closing_boundary_is_a_400_page(
    services, client, account
):
    """Starlette's parser takes such a body without its unfinished last field: a name cut
    short would be saved cut short."""
    browser = sign_in(services, client, account)
    headers = {"content-type": "multipart/form-data; boundary=zzz"}
    whole = _multipart({"csrf_token": browser.csrf, "display_name": "Ada Lovelace"})
    cut = whole[: whole.index(b"Lovelace") + len(b"Love")]
    for body in (cut, whole[: -len(b"--zzz--\r\n")]):
        response = client.post(
            "/settings/account/name", content=body, headers=headers, follow_redirects=False
        )
        assert_error_page(response, 400, "invalid_multipart")
        assert "closing boundary (--zzz--)" in response.text
    with services.db.read() as db:
        assert db.get_one(type(account.user), account.user.id).display_name != "Ada Love"
    done = client.post(
        "/settings/account/name", content=whole, headers=headers, follow_redirects=False
    )
    assert done.status_code == 303, done.text[:300]
    with services.db.read() as db:
        assert db.get_one(type(account.user), account.user.id).display_name == "Ada Lovelace"


@pytest.mark.parametrize("part", ["path", "body", "header", "cookie"])
def test_an_error_page_names_the_field_not_the_part_of_the_request(part):
    error = {"loc": (part, "handle"), "msg": "String should match pattern", "type": "x"}
    problem = _first_problem(RequestValidationError([error]))
    assert problem == "handle: String should match pattern"


def test_a_bad_value_in_a_pages_address_says_to_follow_its_links(services, client, account):
    admin = sign_in(services, client, make_account(services, "root@example.com", role="admin"))
    maybe = admin.get("/operator/payments?settled=maybe")
    assert_error_page(maybe, 400, "invalid_request")
    assert "Settled must be yes or no (true or false, 1 or 0)." in maybe.text
    error = {"loc": ("query", "order"), "msg": "Input should be 'new' or 'old'", "type": "enum"}
    problem = _first_problem(RequestValidationError([error]))
    assert problem == "the address's order is not one this page takes; follow the page's own links"
