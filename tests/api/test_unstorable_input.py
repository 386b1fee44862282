"""Input no database can store or page can show (a lone surrogate, a form in a charset that
makes one), or that Python cannot even parse (a broken address in a Referer or a pasted
link): a 4xx that says what to change, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from reelmint.api.app import create_app
from reelmint.terminal import has_control, hidden_character
from support import make_account
from web.web_helpers import sign_in

SURROGATE = b'"a\\ud800b"'  # a lone surrogate, as JSON escapes it


@pytest.fixture
def app_client(services):
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        yield client


def json_post(client: TestClient, path: str, headers: dict[str, str], body: bytes):
    sent = {**headers, "content-type": "application/json"}
    return client.post(path, content=body, headers=sent)


def test_a_lone_surrogate_in_any_json_field_is_a_400_naming_it(services, app_client, account):
    admin = make_account(services, "root@example.com", role="admin")
    bob = make_account(services, "bob@example.com")
    cases = [
        (admin, f"/v1/admin/users/{bob.user.id}/suspend", b'{"reason": %s}', "reason"),
        (account, "/v1/webhooks", b'{"url": "https://example.com/h", "description": %s}', None),
        (account, "/v1/payouts", b'{"units": 1, "note": %s}', "note"),
        (admin, "/v1/admin/backends/preview/cancel-jobs", b'{"reason": %s}', "reason"),
    ]
    for who, path, shape, param in cases:
        refused = json_post(app_client, path, who.headers, shape % SURROGATE)
        assert refused.status_code == 400, (path, refused.text)
        error = refused.json()["error"]
        assert "unpaired surrogate" in error["message"], path
        if param is not None:
            assert error["param"] == param
    assert json_post(app_client, "/v1/me/blocked", account.headers, b"{}").status_code == 405


def test_a_surrogate_counts_as_a_hidden_character_everywhere():
    assert hidden_character("a\ud800b") == "U+D800"
    assert has_control("a\udfffb")
    assert hidden_character("a \U0001f600 b") is None  # a real pair is one character


@pytest.mark.parametrize("charset", ["unicode_escape", "utf-7", "idna", "latin-1", "nope"])
def test_a_form_in_a_charset_other_than_utf8_is_refused(services, app_client, account, charset):
    body = (
        b'--B\r\nContent-Disposition: form-data; name="prompt"\r\n\r\n\\ud800 +2AA- xn--\r\n'
        b"--B--\r\n"
    )
    headers = {
        **account.headers,
        "content-type": f"multipart/form-data; boundary=B; charset={charset}",
    }
    refused = app_client.post("/v1/videos", content=body, headers=headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["code"] == "unsupported_charset"
    browser = sign_in(services, app_client, account)
    page = app_client.post(
        "/settings/account/name",
        content=f"csrf_token={browser.csrf}&display_name=Ada".encode(),
        headers={"content-type": f"application/x-www-form-urlencoded; charset={charset}"},
        follow_redirects=False,
    )
    assert page.status_code == 400
    assert "unsupported_charset" in page.text


def test_a_form_that_says_utf8_is_read(services, app_client, account):
    browser = sign_in(services, app_client, account)
    for charset in ("utf-8", "UTF8", '"utf-8"'):
        done = app_client.post(
            "/settings/account/name",
            content=f"csrf_token={browser.csrf}&display_name=Ada {len(charset)}".encode(),
            headers={"content-type": f"application/x-www-form-urlencoded; charset={charset}"},
            follow_redirects=False,
        )
        assert done.status_code == 303, (charset, done.text[:300])


@pytest.mark.parametrize("referer", ["http://[", "http://[::1", "http://[zz]/x"])
def test_a_broken_referer_leaves_the_error_page_as_it_was(app_client, referer):
    page = app_client.get("/no-such-page", headers={"accept": "text/html", "referer": referer})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("link", ["http://[", "//[zz]/x", "http://a]b/videos/x"])
def test_a_broken_pasted_link_in_a_claim_is_no_video(services, app_client, account, link):
    browser = sign_in(services, app_client, account)
    answer = browser.post("/studio/claims", {"video_id": link, "character_id": "chr_x"})
    assert 400 <= answer.status_code < 500, answer.text[:300]
