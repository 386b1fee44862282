"""Settings › Webhooks: list, add (the secret shown once), deliveries, a test event, a new
secret, turning an endpoint back on, deleting; refusals keep what was typed; another user's
endpoint is not found on every page and form; every form needs the CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_helpers import Browser, form_key, sign_in

# tests/ is on sys.path (its conftest.py): the webhook tests' helpers, by their full name.
from domains.webhooks.webhook_helpers import (
    allowing_services,
    announce,
    insert_video,
    running_receiver,
)
from reelmint.api.deps import SESSION_COOKIE
from reelmint.bootstrap import Services
from reelmint.crypto import platform_box
from reelmint.db.base import utcnow
from reelmint.domains.webhooks.dispatch import Dispatcher
from reelmint.domains.webhooks.models import WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.service import (
    EndpointRequest,
    create_endpoint,
    disable_endpoint,
    disabled_reason,
    secret_context,
)
from reelmint.web.webhook_pages import delivery_row
from support import Account, app_serving, at_once, make_account, running_server

PUBLIC = "https://93.184.216.34/hooks"  # an address literal: checked without asking DNS
SECRET = re.compile(r'id="new-secret" type="text" readonly value="(whsec_[^"]+)"')


@pytest.fixture
def browser(services: Services, client: TestClient, account: Account) -> Browser:
    return sign_in(services, client, account)


def register(
    services: Services, account: Account, url: str = PUBLIC, **fields: Any
) -> WebhookEndpoint:
    endpoint, _ = create_endpoint(
        services=services, actor=account.user, request=EndpointRequest(url=url, **fields)
    )
    return endpoint


def endpoints_of(services: Services, user_id: str) -> list[WebhookEndpoint]:
    with services.db.read() as db:
        rows = db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.user_id == user_id))
        return list(rows)


def reload(services: Services, endpoint_id: str) -> WebhookEndpoint | None:
    with services.db.read() as db:
        return db.get(WebhookEndpoint, endpoint_id)


def signing_secret(services: Services, endpoint: WebhookEndpoint) -> str:
    box = platform_box(services.settings.data_dir)
    return box.open(endpoint.secret_sealed, context=secret_context(endpoint.id))


def deliveries(services: Services) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(WebhookDelivery)) or 0


def typed_value(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}"[^>]*?value="([^"]*)"', page, re.S)
    assert found, f"no #{field_id} with a value on the page"
    return found.group(1)


def ticked(page: str) -> list[str]:
    return re.findall(r'name="events" value="([^"]+)" checked', page)


# --- the list, and adding an endpoint ---------------------------------------------------------


def test_the_page_needs_a_signed_in_user(client):
    response = client.get("/settings/webhooks", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fsettings%2Fwebhooks"


def test_the_settings_tabs_lead_to_webhooks(browser):
    account_page = browser.get("/settings/account").text
    assert '<a href="/settings/webhooks">Webhooks</a>' in account_page
    page = browser.get("/settings/webhooks").text
    assert '<a href="/settings/webhooks" aria-current="page">Webhooks</a>' in page
    assert "You have no webhook endpoints yet." in page
    assert ticked(page) == ["video.completed", "video.failed"]  # every event, at first


def test_a_new_endpoint_shows_its_secret_once(services, browser, account):
    form = {"url": PUBLIC, "description": "production", "events": ["video.completed"]}
    response = browser.post("/settings/webhooks", form)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    assert "only time it is shown" in response.text
    secret = SECRET.search(response.text)
    assert secret, "the new secret is not on the page"
    [endpoint] = endpoints_of(services, account.user.id)
    assert signing_secret(services, endpoint) == secret.group(1)  # the one deliveries use
    assert (endpoint.url, endpoint.description) == (PUBLIC, "production")
    assert endpoint.event_list == ["video.completed"]

    listing = browser.get("/settings/webhooks").text
    detail = browser.get(f"/settings/webhooks/{endpoint.id}").text
    for page in (listing, detail):
        assert secret.group(1) not in page
        assert "whsec_" not in page
        assert PUBLIC in page
        assert "<code>video.completed</code>" in page
        assert "<code>video.failed</code>" not in page.split("Add an endpoint")[0]
    assert "production" in listing
    assert 'data-role="state">On<' in listing
    assert endpoint.created_at.strftime("%b %Y") in listing


def test_the_add_form_posted_twice_adds_one_endpoint(services, browser, account):
    key = form_key(browser.get("/settings/webhooks").text)
    form = {"url": PUBLIC, "events": ["video.completed"], "form_key": key}
    first = browser.post("/settings/webhooks", form)
    assert first.status_code == 201
    again = browser.post("/settings/webhooks", form)
    assert (again.status_code, again.headers["location"]) == (303, "/settings/webhooks")
    assert "whsec_" not in again.text
    assert len(endpoints_of(services, account.user.id)) == 1
    assert "already added the endpoint" in browser.get("/settings/webhooks").text
    other = browser.post("/settings/webhooks", {**form, "description": "another"})
    assert other.status_code == 201  # the same form with other words is another request
    assert len(endpoints_of(services, account.user.id)) == 2


@pytest.mark.parametrize(
    ("url", "description", "says"),
    [
        ("ftp://example.com/hooks", "mine", "must start with https:// or http://"),
        ("http://127.0.0.1:8000/hooks", "mine", "loopback address"),
        ("http://169.254.169.254/latest", "mine", "webhooks must reach a public address"),
        (PUBLIC, "x" * 501, "at most 500 are allowed"),
    ],
    ids=["not-http", "loopback", "metadata-service", "long-description"],
)
def test_a_refused_endpoint_keeps_what_was_typed_and_adds_nothing(
    services, browser, account, url, description, says
):
    form = {"url": url, "description": description, "events": ["video.failed"]}
    response = browser.post("/settings/webhooks", form)
    assert response.status_code == 400
    page = response.text
    assert "No endpoint was added." in page
    assert says in page
    assert typed_value(page, "webhook-url") == url
    assert typed_value(page, "webhook-description") == description
    assert ticked(page) == ["video.failed"]
    assert 'aria-invalid="true"' in page
    assert "whsec_" not in page
    assert endpoints_of(services, account.user.id) == []


def test_an_endpoint_needs_an_event(services, browser, account):
    response = browser.post("/settings/webhooks", {"url": PUBLIC, "description": "mine"})
    assert response.status_code == 400
    assert "Events must be a non-empty list" in response.text
    assert typed_value(response.text, "webhook-url") == PUBLIC
    assert ticked(response.text) == []
    assert endpoints_of(services, account.user.id) == []


def test_the_eleventh_endpoint_is_refused_with_the_form_kept(services, browser, account):
    for _ in range(10):
        register(services, account)
    url = "https://93.184.216.35/eleventh"
    response = browser.post("/settings/webhooks", {"url": url, "events": ["video.completed"]})
    assert response.status_code == 409
    assert "delete one before adding another" in response.text
    assert typed_value(response.text, "webhook-url") == url
    assert len(endpoints_of(services, account.user.id)) == 10


# --- one endpoint: deliveries, a test event ---------------------------------------------------


def test_a_test_event_is_queued_and_listed(services, browser, account):
    endpoint = register(services, account)
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    assert "Nothing has been sent to this endpoint yet." in page
    response = browser.post(f"/settings/webhooks/{endpoint.id}/test")
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/webhooks/{endpoint.id}"
    page = browser.get(response.headers["location"]).text
    assert "A test event (webhook.test) is queued" in page
    row = re.search(r"<tr data-delivery=.*?</tr>", page, re.S).group(0)
    assert "<code>webhook.test</code>" in row
    assert ">Pending<" in row
    assert "none yet" in row
    assert deliveries(services) == 1


def test_deliveries_show_each_answer_and_attempt(tmp_path):
    allowing = allowing_services(tmp_path, f"sqlite:///{tmp_path / 'hooks.db'}")
    person = make_account(allowing)
    with running_receiver() as receiver, TestClient(app_serving(allowing)) as client:
        browser = sign_in(allowing, client, person)
        endpoint = register(allowing, person, receiver.url)
        receiver.script = [500]  # the first test event fails (and waits to be retried) ...
        browser.post(f"/settings/webhooks/{endpoint.id}/test")
        with Dispatcher(allowing) as dispatcher:
            dispatcher.run_once()
        browser.post(f"/settings/webhooks/{endpoint.id}/test")  # ... the second is delivered
        with Dispatcher(allowing) as dispatcher:
            dispatcher.run_once()
        page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    allowing.close()
    delivered, retrying = re.findall(r"<tr data-delivery=.*?</tr>", page, re.S)  # newest first
    assert ">Delivered<" in delivered
    assert "HTTP 200" in delivered
    assert ">Retrying<" in retrying
    assert "the receiver answered HTTP 500" in retrying
    assert "next try" in retrying
    attempts = re.search(r'<details class="attempts">.*?</details>', retrying, re.S).group(0)
    assert "<summary>Every attempt" in attempts
    assert "HTTP 500 in" in attempts
    assert "<code>ok</code>" in attempts  # the start of the receiver's answer


# --- a new secret -----------------------------------------------------------------------------


def test_a_new_secret_is_shown_once_and_the_old_one_ends_when_asked(services, browser, account):
    endpoint = register(services, account)
    old = signing_secret(services, endpoint)
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    assert typed_value(page, "keep-old-hours") == "24"  # the API's default
    response = browser.post(
        f"/settings/webhooks/{endpoint.id}/rotate-secret",
        {"keep_old_hours": "0", "form_key": form_key(page)},
    )
    assert response.status_code == 200
    secret = SECRET.search(response.text).group(1)
    assert secret != old
    assert "The old secret no longer signs" in response.text
    rotated = reload(services, endpoint.id)
    assert signing_secret(services, rotated) == secret
    assert rotated.previous_secret_until is None
    assert secret not in browser.get(f"/settings/webhooks/{endpoint.id}").text


def test_the_old_secret_signs_for_the_hours_chosen(services, browser, account):
    endpoint = register(services, account)
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    response = browser.post(
        f"/settings/webhooks/{endpoint.id}/rotate-secret",
        {"keep_old_hours": "5", "form_key": form_key(page)},
    )
    assert response.status_code == 200
    assert 'data-role="old-secret">Until <time' in response.text
    until = reload(services, endpoint.id).previous_secret_until
    assert abs(until - (utcnow() + timedelta(hours=5))) < timedelta(minutes=1)
    assert "the old one signs too until" in browser.get(f"/settings/webhooks/{endpoint.id}").text


@pytest.mark.parametrize("hours", ["73", "-1", "two", "1.5"])
def test_hours_out_of_range_are_refused_with_the_form_kept(services, browser, account, hours):
    endpoint = register(services, account)
    sealed = endpoint.secret_sealed
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    response = browser.post(
        f"/settings/webhooks/{endpoint.id}/rotate-secret",
        {"keep_old_hours": hours, "form_key": form_key(page)},
    )
    assert response.status_code == 400
    assert "The secret was not changed." in response.text
    assert "a whole number of hours from 0 to 72" in response.text
    assert typed_value(response.text, "keep-old-hours") == hours
    assert "whsec_" not in response.text
    assert reload(services, endpoint.id).secret_sealed == sealed


def test_the_new_secret_form_posted_twice_makes_one_secret(services, browser, account):
    endpoint = register(services, account)
    key = form_key(browser.get(f"/settings/webhooks/{endpoint.id}").text)
    path = f"/settings/webhooks/{endpoint.id}/rotate-secret"
    first = browser.post(path, {"keep_old_hours": "24", "form_key": key})
    secret = SECRET.search(first.text).group(1)
    again = browser.post(path, {"keep_old_hours": "24", "form_key": key})
    assert (again.status_code, again.headers["location"]) == (303, path.rsplit("/", 1)[0])
    assert "whsec_" not in again.text
    assert signing_secret(services, reload(services, endpoint.id)) == secret
    assert "already gave the endpoint a new secret" in browser.get(again.headers["location"]).text


def test_the_new_secret_form_posted_twice_at_once_never_fails(services, account):
    """Two posts of one form racing: one makes the secret, the other is told where it was
    shown (the loser's transaction is rolled back, and its page must not use what it made)."""
    endpoint = register(services, account)
    browser = sign_in(services, TestClient(app_serving(services)), account)
    path = f"/settings/webhooks/{endpoint.id}/rotate-secret"
    session = browser.client.cookies.get(SESSION_COOKIE)
    with running_server(services, workers=0) as live:
        for _ in range(6):
            key = form_key(browser.get(f"/settings/webhooks/{endpoint.id}").text)
            form = {"keep_old_hours": "24", "form_key": key, "csrf_token": browser.csrf}

            def post(form: dict[str, str] = form) -> int:
                reply = httpx.post(
                    live.url + path, data=form, cookies={SESSION_COOKIE: session}, timeout=30
                )
                return reply.status_code

            assert sorted(at_once([post, post], timeout=60)) == [200, 303]


def test_a_first_attempt_in_flight_is_sending_not_retrying():
    delivery = WebhookDelivery(status="pending", attempts=1)
    assert delivery_row(delivery, []).label == "Sending"
    assert delivery_row(WebhookDelivery(status="pending", attempts=0), []).label == "Pending"


# --- turning back on, deleting -----------------------------------------------------------------


def turn_off(services: Services, endpoint: WebhookEndpoint) -> None:
    """What the dispatcher does to an endpoint that keeps failing."""
    now = utcnow()
    reason = disabled_reason(
        failing_since=now - timedelta(hours=80), failed=3, last_error="connection refused"
    )
    with services.db.write() as db:
        row = db.get(WebhookEndpoint, endpoint.id)
        disable_endpoint(db=db, endpoint=row, reason=reason, now=now)


def test_turning_back_on_an_endpoint_whose_target_is_refused_says_why_and_keeps_it_off(
    services, browser, account
):
    """Its URL now names a private address (as a host name turned private does): the form
    checks it again, as registering does, and the page says what to change."""
    endpoint = register(services, account)
    turn_off(services, endpoint)
    with services.db.write() as db:
        db.get(WebhookEndpoint, endpoint.id).url = "https://10.0.0.7/hooks"

    response = browser.post(f"/settings/webhooks/{endpoint.id}/enable")
    assert response.status_code == 400
    assert "It was not turned back on." in response.text
    assert "The endpoint stays off" in response.text
    assert "The secret was not changed" not in response.text
    assert "10.0.0.7" in response.text
    assert "This endpoint is turned off" in response.text
    assert reload(services, endpoint.id).disabled_at is not None


def test_an_endpoint_turned_off_for_a_refused_target_gets_advice_that_fits(
    services, browser, account
):
    from reelmint.domains.webhooks.service import refused_reason

    endpoint = register(services, account)
    with services.db.write() as db:
        row = db.get(WebhookEndpoint, endpoint.id)
        reason = refused_reason("webhook_target_forbidden: 10.0.0.7 is a private address")
        disable_endpoint(db=db, endpoint=row, reason=reason, now=utcnow(), refused=True)
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    assert 'data-role="refused-advice"' in page
    assert "check it with a test event" not in page  # test events are refused too
    assert "webhook_target_forbidden: 10.0.0.7 is a private address" in page  # not capitalised


def test_a_turned_off_endpoint_says_why_and_can_be_turned_back_on(services, browser, account):
    endpoint = register(services, account)
    turn_off(services, endpoint)
    listing = browser.get("/settings/webhooks").text
    assert 'data-role="state">Turned off<' in listing
    assert "the last error: connection refused" in listing
    announce(services, insert_video(services, account.user))  # an event it misses
    page = browser.get(f"/settings/webhooks/{endpoint.id}").text
    assert "This endpoint is turned off" in page
    assert f'action="/settings/webhooks/{endpoint.id}/enable"' in page
    row = re.search(r"<tr data-delivery=.*?</tr>", page, re.S).group(0)
    assert ">Not sent<" in row
    assert "not sent: the endpoint was turned off (disabled)" in row
    assert '<td data-label="Delivered or next try"></td>' in row  # left out on a phone

    response = browser.post(f"/settings/webhooks/{endpoint.id}/enable")
    assert response.status_code == 303
    assert response.headers["location"] == f"/settings/webhooks/{endpoint.id}"
    page = browser.get(response.headers["location"]).text
    assert "The endpoint is on: events from now on are sent to it." in page
    assert 'data-role="state">On<' in page
    assert f"/settings/webhooks/{endpoint.id}/enable" not in page
    back_on = reload(services, endpoint.id)
    assert (back_on.disabled_at, back_on.disabled_reason, back_on.failed_in_a_row) == (
        None,
        None,
        0,
    )


def test_deleting_asks_first_without_the_script(services, browser, account):
    endpoint = register(services, account, description="staging")
    asked = browser.post(f"/settings/webhooks/{endpoint.id}/delete", {"confirm": ""})
    assert asked.status_code == 200
    assert "Delete this webhook endpoint?" in asked.text
    assert PUBLIC in asked.text
    assert "staging" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert reload(services, endpoint.id) is not None

    done = browser.post(f"/settings/webhooks/{endpoint.id}/delete", {"confirm": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, "/settings/webhooks")
    assert reload(services, endpoint.id) is None
    page = browser.get("/settings/webhooks").text
    assert "The webhook endpoint was deleted" in page
    assert PUBLIC not in page


# --- authorisation and CSRF -------------------------------------------------------------------


def snapshot(services: Services) -> tuple[tuple[Any, ...], int]:
    """Everything these pages could change."""
    with services.db.read() as db:
        endpoints = tuple(
            (e.id, e.secret_sealed, e.previous_secret_until, e.disabled_at)
            for e in db.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
        )
    return endpoints, deliveries(services)


FORMS = [
    ("/settings/webhooks", {"url": PUBLIC, "events": ["video.completed"]}),
    ("/settings/webhooks/{id}/test", {}),
    ("/settings/webhooks/{id}/enable", {}),
    ("/settings/webhooks/{id}/rotate-secret", {"keep_old_hours": "0"}),
    ("/settings/webhooks/{id}/delete", {"confirm": "yes"}),
]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[path for path, _ in FORMS])
@pytest.mark.parametrize("token", [None, "", "a-guessed-token"], ids=["absent", "empty", "wrong"])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    services, browser, account, path, data, token
):
    endpoint = register(services, account)
    turn_off(services, endpoint)
    before = snapshot(services)
    form = dict(data)
    if token is not None:
        form["csrf_token"] = token
    response = browser.client.post(path.format(id=endpoint.id), data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_failed" in response.text
    assert "whsec_" not in response.text
    assert snapshot(services) == before


def test_another_users_endpoint_is_not_found_on_every_page_and_form(services, browser):
    grace = make_account(services, "grace@example.com")
    theirs = register(services, grace, "https://93.184.216.34/grace-only", description="grace")
    turn_off(services, theirs)
    before = snapshot(services)
    base = f"/settings/webhooks/{theirs.id}"
    calls = [
        ("GET", base, None),
        ("POST", f"{base}/test", {}),
        ("POST", f"{base}/enable", {}),
        ("POST", f"{base}/rotate-secret", {"keep_old_hours": "0"}),
        ("POST", f"{base}/rotate-secret", {"keep_old_hours": "99"}),  # refused form: still 404
        ("POST", f"{base}/delete", {"confirm": ""}),
        ("POST", f"{base}/delete", {"confirm": "yes"}),
    ]
    for method, path, data in calls:
        response = browser.get(path) if method == "GET" else browser.post(path, data)
        assert response.status_code == 404, (method, path, data)
        assert "webhook_not_found" in response.text
        assert "grace-only" not in response.text
    assert snapshot(services) == before
    assert "grace-only" not in browser.get("/settings/webhooks").text


def test_the_pages_escape_what_was_typed_and_hold_no_inline_code(services, browser, account):
    endpoint = register(services, account, description='<script>x()</script> "prod"')
    turn_off(services, endpoint)
    base = f"/settings/webhooks/{endpoint.id}"
    pages = [browser.get("/settings/webhooks").text, browser.get(base).text]
    pages.append(browser.post(f"{base}/delete", {"confirm": ""}).text)
    for html in pages:
        assert "<script>x()" not in html
        assert "&lt;script&gt;x()" in html
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)


def test_hours_of_thousands_of_digits_are_a_400_on_the_new_secret_form(services, browser, account):
    endpoint = register(services, account)
    sealed = reload(services, endpoint.id).secret_sealed
    for hours in ("1" * 4301, "-1", "1_0"):  # int() fails past 4300 digits, and reads 1_0
        refused = browser.post(
            f"/settings/webhooks/{endpoint.id}/rotate-secret", {"keep_old_hours": hours}
        )
        assert refused.status_code == 400, (hours[:10], refused.text[:300])
        assert "whole number of hours" in refused.text
    assert reload(services, endpoint.id).secret_sealed == sealed
