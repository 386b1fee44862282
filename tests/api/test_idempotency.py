"""Idempotency-Key: a retried POST gets the first response; one key never does two things."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from functools import partial

import httpx
import pytest
from sqlalchemy import func, select, update

from reelmint.api.idempotency import (
    RECORD_TTL,
    IdempotencyRecord,
    StoredResponse,
    purge_expired_records,
    save_response,
)
from reelmint.db.base import utcnow
from reelmint.domains.videos.models import Video
from support import at_once, make_account, running_server

# A seed below 2**31: the videos.seed column is a 32-bit INTEGER on PostgreSQL (see the report).
BODY = {"prompt": "a red car drives through a city", "seconds": "4", "size": "480x480", "seed": 42}


def post(client, account, key, json=None, path="/v1/videos", **kwargs):
    headers = {**account.headers, **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(path, headers=headers, json=json, **kwargs)


def count(services, model=Video) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_a_retry_returns_the_first_response_and_makes_no_second_job(client, account, services):
    first = post(client, account, "key-1", BODY)
    retry = post(client, account, "key-1", dict(reversed(list(BODY.items()))))  # key order aside
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["openai-poll-after-ms"] == first.headers["openai-poll-after-ms"]
    assert count(services) == 1


def test_the_same_key_for_a_different_request_is_a_409(client, account, services):
    post(client, account, "key-1", BODY)
    for other in (
        lambda: post(client, account, "key-1", {**BODY, "prompt": "a blue car"}),
        lambda: post(client, account, "key-1", {**BODY, "seconds": 8}),
        lambda: post(client, account, "key-1", {**BODY, "seed": 1}),
    ):
        response = other()
        assert response.status_code == 409
        error = response.json()["error"]
        assert (error["code"], error["param"]) == ("idempotency_key_reused", "Idempotency-Key")
        assert "new key" in error["message"]
    assert count(services) == 1


def test_the_same_fields_as_a_form_are_the_same_request(client, account, services):
    """A form sends text; JSON numbers and objects: the same fields mean the same request."""
    storyboard = {"shots": [{"prompt": "a red car", "duration": 4}]}
    fields = {name: value for name, value in BODY.items() if name != "prompt"}  # one or other
    first = post(client, account, "key-1", {**fields, "seconds": 4, "storyboard": storyboard})
    as_form = client.post(
        "/v1/videos",
        headers={**account.headers, "Idempotency-Key": "key-1"},
        files={
            **{name: (None, str(value)) for name, value in fields.items()},
            "storyboard": (None, json.dumps(storyboard)),
        },
    )
    assert first.status_code == 200, first.text
    assert (as_form.json(), as_form.headers["Idempotent-Replayed"]) == (first.json(), "true")
    assert count(services) == 1


def test_seconds_as_text_or_a_number_are_the_same_request(client, account, services):
    first = post(client, account, "key-1", {**BODY, "seconds": 4})
    for seconds in ("4", 4.0, " 4 "):
        retry = post(client, account, "key-1", {**BODY, "seconds": seconds})
        assert (retry.status_code, retry.headers.get("Idempotent-Replayed")) == (200, "true")
        assert retry.json() == first.json()
    assert count(services) == 1


def test_a_key_belongs_to_one_endpoint(client, account, services):
    created = post(client, account, "key-1", BODY).json()
    cancel = post(client, account, "key-1", path=f"/v1/videos/{created['id']}/cancel")
    assert cancel.status_code == 409
    assert cancel.json()["error"]["code"] == "idempotency_key_reused"
    with services.db.read() as db:
        assert db.get(Video, created["id"]).status == "queued"


def test_forms_replay_whatever_their_boundary_but_not_another_file(client, account, tmp_path):
    from PIL import Image

    def image(colour):
        path = tmp_path / f"{colour}.png"
        Image.new("RGB", (32, 32), colour).save(path)
        return path.read_bytes()

    def send(picture):
        return client.post(
            "/v1/videos",
            headers={**account.headers, "Idempotency-Key": "with-file"},
            files={
                "prompt": (None, BODY["prompt"]),
                "model": (None, "wan"),
                "input_reference": ("ref.png", picture, "image/png"),
            },
        )

    first, again, other = send(image("red")), send(image("red")), send(image("blue"))
    assert first.status_code == 200, first.text
    assert (again.json(), again.headers["Idempotent-Replayed"]) == (first.json(), "true")
    assert other.status_code == 409


def test_keys_are_per_user(client, account, services):
    other = make_account(services, "bob@example.com")
    mine = post(client, account, "shared", BODY).json()
    theirs = post(client, other, "shared", BODY).json()
    assert mine["id"] != theirs["id"]
    assert count(services) == 2


@pytest.mark.parametrize("key", ["", "k" * 256, b"caf\xc3\xa9", "tab\there"])
def test_malformed_keys_are_refused(client, account, services, key):
    response = client.post(
        "/v1/videos", headers={**account.headers, "Idempotency-Key": key}, json=BODY
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert count(services) == 0


def test_a_refused_request_stores_nothing_so_the_fixed_retry_runs(client, account, services):
    bad = post(client, account, "key-1", {**BODY, "size": "1x1"})
    assert bad.status_code == 400
    fixed = post(client, account, "key-1", BODY)
    assert fixed.status_code == 200
    assert "Idempotent-Replayed" not in fixed.headers
    assert count(services) == 1


def test_cancel_and_remix_replay_too(client, account, services):
    video = post(client, account, None, BODY).json()
    cancel_path = f"/v1/videos/{video['id']}/cancel"
    first, retry = (
        post(client, account, "c", path=cancel_path),
        post(client, account, "c", path=cancel_path),
    )
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert post(client, account, None, path=cancel_path).status_code == 409  # without a key

    with services.db.write() as db:
        db.execute(update(Video).where(Video.id == video["id"]).values(status="completed"))
    remix_path = f"/v1/videos/{video['id']}/remix"
    one = post(client, account, "r", {"prompt": "a dog"}, path=remix_path)
    two = post(client, account, "r", {"prompt": "a dog"}, path=remix_path)
    assert one.status_code == 200
    assert two.json() == one.json()
    assert count(services) == 2


def test_records_expire_after_a_day(client, account, services):
    first = post(client, account, "key-1", BODY).json()
    assert timedelta(hours=24) == RECORD_TTL
    with services.db.write() as db:
        record = db.scalar(select(IdempotencyRecord))
        assert record.expires_at - record.created_at == RECORD_TTL
        record.expires_at = utcnow() - timedelta(seconds=1)
    later = post(client, account, "key-1", BODY)
    assert later.status_code == 200
    assert later.json()["id"] != first["id"]  # the old record no longer counts
    assert count(services, IdempotencyRecord) == 1


def test_purge_removes_only_expired_records(services_on):
    account = make_account(services_on)
    now = utcnow()
    with services_on.db.write() as db:
        for key in ("old", "new"):
            save_response(
                db=db,
                user_id=account.user.id,
                key=key,
                fingerprint="f",
                method="POST",
                path="/v1/videos",
                response=StoredResponse(200, {"id": key}),
            )
        db.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "old")
            .values(expires_at=now - timedelta(minutes=1))
        )
    with services_on.db.write() as db:
        assert purge_expired_records(db=db) == 1
    with services_on.db.read() as db:
        assert list(db.scalars(select(IdempotencyRecord.key))) == ["new"]


def test_concurrent_retries_make_exactly_one_job(services_on):
    """Ten identical requests at once, on SQLite and PostgreSQL: one job, ten equal answers."""
    account = make_account(services_on)

    def send(http: httpx.Client, url: str) -> httpx.Response:
        return http.post(
            f"{url}/v1/videos",
            headers={**account.headers, "Idempotency-Key": "race"},
            json=BODY,
        )

    with running_server(services_on, workers=0) as server, contextlib.ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(timeout=60)) for _ in range(10)]
        answers = at_once([partial(send, http, server.url) for http in clients], timeout=120)
    assert [a for a in answers if isinstance(a, BaseException)] == []
    assert [a.status_code for a in answers] == [200] * 10
    assert len({a.text for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 9
    assert count(services_on) == 1
    assert count(services_on, IdempotencyRecord) == 1
