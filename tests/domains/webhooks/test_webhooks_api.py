"""The /v1/webhooks endpoints: shapes, the secret shown once, errors with stable codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from webhook_helpers import allowing_services, new_person, running_receiver, verify_standard_webhook

from reelmint.api.app import create_app
from reelmint.api.deps import CSRF_HEADER, SESSION_COOKIE
from reelmint.api.idempotency import IdempotencyRecord
from reelmint.crypto import platform_box
from reelmint.domains.accounts.service import start_web_session
from reelmint.domains.webhooks.dispatch import Dispatcher
from reelmint.domains.webhooks.models import WebhookEndpoint
from reelmint.domains.webhooks.service import secret_context
from support import at_once

PUBLIC = "https://93.184.216.34/hooks"  # an address literal: checked without asking DNS


@pytest.fixture
def api(services):
    with TestClient(create_app(services)) as client:
        yield client


@pytest.fixture
def ada(services):
    return new_person(services)


def create(api, person, **body):
    return api.post("/v1/webhooks", json={"url": PUBLIC, **body}, headers=person.headers)


def test_create_shows_the_secret_once_then_never_again(api, ada):
    response = create(api, ada, description="production")
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    made = response.json()
    assert made["object"] == "webhook_endpoint"
    assert made["url"] == PUBLIC
    assert made["events"] == ["video.completed", "video.failed"]
    assert made["description"] == "production"
    assert made["secret"].startswith("whsec_")
    assert isinstance(made["created_at"], int)
    assert (made["disabled_at"], made["disabled_reason"]) == (None, None)

    listed = api.get("/v1/webhooks", headers=ada.headers).json()
    assert listed["object"] == "list"
    assert [item["id"] for item in listed["data"]] == [made["id"]]
    assert listed["data"][0]["secret"] is None
    one = api.get(f"/v1/webhooks/{made['id']}", headers=ada.headers).json()
    assert one["secret"] is None
    assert one["id"] == made["id"]
    assert made["secret"] not in api.get("/v1/webhooks", headers=ada.headers).text


def test_rotate_secret_returns_a_new_secret(api, ada):
    made = create(api, ada).json()
    response = api.post(f"/v1/webhooks/{made['id']}/rotate-secret", headers=ada.headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    assert rotated["secret_rotated_at"] is not None
    # The old secret signs too for a day by default; a number of hours, or 0 to end it now.
    day = rotated["previous_secret_expires_at"] - rotated["secret_rotated_at"]
    assert day == 24 * 3600
    path = f"/v1/webhooks/{made['id']}/rotate-secret"
    now = api.post(path, headers=ada.headers, json={"keep_old_hours": 0}).json()
    assert now["previous_secret_expires_at"] is None
    refused = api.post(path, headers=ada.headers, json={"keep_old_hours": 100})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "keep_old_hours"


def keyed(person, key):
    return {**person.headers, "Idempotency-Key": key}


def test_a_create_retried_with_its_key_gives_the_first_answer_and_one_endpoint(api, services, ada):
    first = api.post("/v1/webhooks", json={"url": PUBLIC}, headers=keyed(ada, "hook-1"))
    again = api.post("/v1/webhooks", json={"url": PUBLIC}, headers=keyed(ada, "hook-1"))
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.json()["secret"].startswith("whsec_")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["cache-control"] == "no-store"
    assert "idempotent-replayed" not in first.headers
    assert len(api.get("/v1/webhooks", headers=ada.headers).json()["data"]) == 1
    # The stored answer keeps the secret sealed, as the endpoint does.
    with services.db.read() as db:
        stored = db.scalar(select(IdempotencyRecord.response_body))
    assert first.json()["secret"] not in stored
    assert first.json()["secret"].removeprefix("whsec_") not in stored


def test_the_same_key_for_another_webhook_request_is_refused(api, ada):
    api.post("/v1/webhooks", json={"url": PUBLIC}, headers=keyed(ada, "hook-1"))
    other = {"url": PUBLIC, "description": "staging"}
    refused = api.post("/v1/webhooks", json=other, headers=keyed(ada, "hook-1"))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "idempotency_key_reused"
    bad = api.post("/v1/webhooks", json={"url": PUBLIC}, headers=keyed(ada, "x" * 256))
    assert bad.json()["error"]["code"] == "invalid_idempotency_key"
    assert len(api.get("/v1/webhooks", headers=ada.headers).json()["data"]) == 1


def test_racing_creates_with_one_key_make_one_endpoint(api, ada):
    def post():
        return api.post("/v1/webhooks", json={"url": PUBLIC}, headers=keyed(ada, "race"))

    answers = at_once([post] * 4, timeout=60)
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["secret"] for answer in answers}) == 1
    assert len(api.get("/v1/webhooks", headers=ada.headers).json()["data"]) == 1


def test_a_rotation_retried_with_its_key_rotates_once(api, services, ada):
    made = create(api, ada).json()
    path = f"/v1/webhooks/{made['id']}/rotate-secret"
    first = api.post(path, headers=keyed(ada, "rot-1"))
    again = api.post(path, headers=keyed(ada, "rot-1"))
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    # The secret made at creation still signs beside the new one: a second rotation would
    # have put the first rotation's secret, never seen by the receiver, in its place.
    with services.db.read() as db:
        endpoint = db.get(WebhookEndpoint, made["id"])
        box = platform_box(services.settings.data_dir)
        previous = box.open(endpoint.previous_secret_sealed, context=secret_context(made["id"]))
        current = box.open(endpoint.secret_sealed, context=secret_context(made["id"]))
    assert (previous, current) == (made["secret"], first.json()["secret"])
    refused = api.post(path, headers=keyed(ada, "rot-1"), json={"keep_old_hours": 0})
    assert refused.json()["error"]["code"] == "idempotency_key_reused"


def test_delete_removes_the_endpoint(api, ada):
    made = create(api, ada).json()
    response = api.delete(f"/v1/webhooks/{made['id']}", headers=ada.headers)
    assert response.json() == {
        "id": made["id"],
        "object": "webhook_endpoint.deleted",
        "deleted": True,
    }
    gone = api.get(f"/v1/webhooks/{made['id']}", headers=ada.headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "webhook_not_found"


def test_another_users_endpoint_is_not_found_everywhere(api, services, ada):
    made = create(api, ada).json()
    bob = new_person(services, "bob@example.com")
    path = f"/v1/webhooks/{made['id']}"
    calls = [
        ("GET", path),
        ("DELETE", path),
        ("POST", f"{path}/rotate-secret"),
        ("GET", f"{path}/deliveries"),
        ("POST", f"{path}/test"),
        ("POST", f"{path}/enable"),
    ]
    for method, url in calls:
        response = api.request(method, url, headers=bob.headers)
        assert response.status_code == 404, (method, url)
        assert response.json()["error"]["code"] == "webhook_not_found"
    assert api.get("/v1/webhooks", headers=bob.headers).json()["data"] == []
    assert api.get(path, headers=ada.headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({"url": "ftp://example.com/x"}, 400, "invalid_webhook_url", "url"),
        ({"url": "https://example.com/" + "a" * 2000}, 400, "invalid_webhook_url", "url"),
        ({"url": "http://127.0.0.1:8000/"}, 400, "webhook_target_forbidden", "url"),
        ({"url": "http://169.254.169.254/"}, 400, "webhook_target_forbidden", "url"),
        ({"url": "http://[::1]/"}, 400, "webhook_target_forbidden", "url"),
        ({"url": PUBLIC, "events": ["video.started"]}, 400, "invalid_webhook_events", "events"),
        ({"url": PUBLIC, "events": []}, 400, "invalid_webhook_events", "events"),
        ({"url": PUBLIC, "secret": "mine"}, 400, "unknown_parameter", "secret"),
        ({}, 400, "invalid_request", "url"),
    ],
)
def test_refusals_have_stable_codes_and_change_nothing(api, ada, body, status, code, param):
    response = api.post("/v1/webhooks", json=body, headers=ada.headers)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)
    assert error["message"]
    assert api.get("/v1/webhooks", headers=ada.headers).json()["data"] == []


def test_a_host_name_that_cannot_be_found_has_its_own_code(api, ada, monkeypatch):
    import socket

    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)  # no real DNS in a test
    body = {"url": "https://hooks.exmaple.com/reelmint"}
    response = api.post("/v1/webhooks", json=body, headers=ada.headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("webhook_target_unresolvable", "url")
    assert "hooks.exmaple.com could not be found" in error["message"]
    assert api.get("/v1/webhooks", headers=ada.headers).json()["data"] == []


def test_the_eleventh_endpoint_is_refused(api, ada):
    for _ in range(10):
        assert create(api, ada).status_code == 201
    response = create(api, ada)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_webhooks"
    assert len(api.get("/v1/webhooks", headers=ada.headers).json()["data"]) == 10


def test_credentials_are_required(api):
    assert api.get("/v1/webhooks").status_code == 401
    response = api.post("/v1/webhooks", json={"url": PUBLIC})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_a_signed_in_browser_needs_the_csrf_token_to_register(services, ada):
    with services.db.write() as db:
        session, cookie = start_web_session(db=db, user=ada.user)
    with TestClient(create_app(services)) as browser:
        browser.cookies.set(SESSION_COOKIE, cookie)
        forged = browser.post("/v1/webhooks", json={"url": PUBLIC})
        assert forged.status_code == 403
        assert forged.json()["error"]["code"] == "csrf_failed"
        assert browser.get("/v1/webhooks").json()["data"] == []
        made = browser.post(
            "/v1/webhooks", json={"url": PUBLIC}, headers={CSRF_HEADER: session.csrf_token}
        )
        assert made.status_code == 201


def test_a_deliveries_limit_out_of_range_is_a_400(api, ada):
    made = create(api, ada).json()
    response = api.get(f"/v1/webhooks/{made['id']}/deliveries?limit=0", headers=ada.headers)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "limit"


def test_a_test_event_is_delivered_and_its_attempts_listed(tmp_path):
    services = allowing_services(tmp_path, f"sqlite:///{tmp_path / 'api.db'}")
    person = new_person(services)
    with running_receiver() as receiver, TestClient(create_app(services)) as api:
        made = api.post("/v1/webhooks", json={"url": receiver.url}, headers=person.headers).json()
        queued = api.post(f"/v1/webhooks/{made['id']}/test", headers=person.headers)
        assert queued.status_code == 202
        pending = queued.json()
        assert (pending["object"], pending["event_type"]) == ("webhook_delivery", "webhook.test")
        assert (pending["status"], pending["attempts"]) == ("pending", 0)

        receiver.script = [500]
        with Dispatcher(services) as dispatcher:
            dispatcher.run_once()
        listed = api.get(f"/v1/webhooks/{made['id']}/deliveries", headers=person.headers).json()
    [delivery] = listed["data"]
    assert delivery["id"] == pending["id"]
    assert delivery["status"] == "pending"
    assert delivery["next_attempt_at"] is not None
    assert delivery["last_status_code"] == 500
    [attempt] = delivery["attempt_log"]
    assert attempt["status_code"] == 500
    assert attempt["error"] == "the receiver answered HTTP 500"
    assert attempt["duration_ms"] >= 0
    [got] = receiver.received
    event = verify_standard_webhook(got, made["secret"], now=datetime.now(UTC))
    assert event["type"] == "webhook.test"
    assert event["data"]["id"] == made["id"]
    services.close()


def test_the_webhook_routes_are_in_the_openapi_schema(api):
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/v1/webhooks",
        "/v1/webhooks/{webhook_id}",
        "/v1/webhooks/{webhook_id}/rotate-secret",
        "/v1/webhooks/{webhook_id}/deliveries",
        "/v1/webhooks/{webhook_id}/test",
        "/v1/webhooks/{webhook_id}/enable",
    ):
        assert path in paths
