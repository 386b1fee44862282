"""The payments API: catalogue, checkout and purchases (sandbox), the Stripe webhook's cap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from payment_helpers import (
    WEBHOOK_PATH,
    assert_books_balance,
    books,
    event,
    event_rows,
    make_stripe_services,
    post_webhook,
    sign,
)

from reelmint.api.app import create_app
from reelmint.bootstrap import Services
from reelmint.domains.payments.api import MAX_WEBHOOK_BYTES
from support import make_account, post_through_asgi


def test_the_catalogue_is_public(client):
    response = client.get("/v1/credit_packs")
    assert response.status_code == 200
    assert response.json() == {
        "object": "list",
        "data": [
            {
                "id": "pack_10",
                "object": "credit_pack",
                "name": "10 generations",
                "units": 10,
                "price_cents": 400,
                "currency": "usd",
                "valid_days": 365,
                "test_mode": True,
            }
        ],
    }


def test_a_sandbox_checkout_completes_at_once(services, client, account):
    response = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=account.headers)
    assert response.status_code == 201
    body = response.json()
    purchase = body["purchase"]
    assert purchase["status"] == "completed"
    assert purchase["test_mode"] is True
    assert purchase["provider"] == "sandbox"
    assert purchase["units"] == 10
    assert purchase["credits_expire_at"] - purchase["completed_at"] == 365 * 86400
    assert body["checkout_url"] == (
        f"http://127.0.0.1:8000/credits/return?purchase={purchase['id']}"
    )
    assert books(services, account.user.id).purchased == 10
    listed = client.get("/v1/purchases", headers=account.headers).json()
    assert [p["id"] for p in listed["data"]] == [purchase["id"]]
    one = client.get(f"/v1/purchases/{purchase['id']}", headers=account.headers)
    assert one.json()["status"] == "completed"
    wallet = client.get("/v1/wallet", headers=account.headers)
    assert wallet.status_code == 200
    assert_books_balance(services)


def test_an_idempotency_key_makes_a_retry_safe(services, client, account):
    headers = {**account.headers, "Idempotency-Key": "buy-1"}
    first = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=headers)
    again = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=headers)
    assert again.json()["purchase"]["id"] == first.json()["purchase"]["id"]
    assert books(services, account.user.id).purchased == 10
    # The retry says it is one, as docs/api.md ("Idempotency keys") promises; the first not.
    assert (first.status_code, again.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=account.headers)
    assert "Idempotent-Replayed" not in other.headers  # no key: a new purchase


def test_checkout_needs_a_known_pack_and_a_user(services, client, account):
    unknown = client.post("/v1/checkout", json={"pack_id": "pack_x"}, headers=account.headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "pack_not_found"
    assert unknown.json()["error"]["param"] == "pack_id"
    extra = client.post(
        "/v1/checkout", json={"pack_id": "pack_10", "units": 99}, headers=account.headers
    )
    assert extra.status_code == 400
    assert extra.json()["error"]["code"] == "unknown_parameter"  # as docs/api.md says
    assert extra.json()["error"]["param"] == "units"
    assert "unknown field 'units'" in extra.json()["error"]["message"]
    anonymous = client.post("/v1/checkout", json={"pack_id": "pack_10"})
    assert anonymous.status_code == 401
    assert books(services, account.user.id).purchased == 0


def test_others_purchases_read_as_missing(services, client, account):
    bob = make_account(services, "bob@example.com")
    mine = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=account.headers)
    purchase_id = mine.json()["purchase"]["id"]
    theirs = client.get(f"/v1/purchases/{purchase_id}", headers=bob.headers)
    assert theirs.status_code == 404
    assert theirs.json()["error"]["code"] == "purchase_not_found"
    assert client.get("/v1/purchases", headers=bob.headers).json()["data"] == []


def test_purchases_are_listed_a_page_at_a_time(client, account):
    made = [
        client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=account.headers).json()[
            "purchase"
        ]["id"]
        for _ in range(5)
    ]
    newest_first = list(reversed(made))
    first = client.get("/v1/purchases?limit=2", headers=account.headers).json()
    assert [p["id"] for p in first["data"]] == newest_first[:2]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (
        newest_first[0],
        newest_first[1],
        True,
    )
    rest = client.get(
        f"/v1/purchases?limit=10&after={first['last_id']}", headers=account.headers
    ).json()
    assert [p["id"] for p in rest["data"]] == newest_first[2:]
    assert rest["has_more"] is False
    for query, code, param in (
        ("limit=0", "invalid_limit", "limit"),
        ("limit=101", "invalid_limit", "limit"),
        ("after=pur_nothing", "purchase_not_found", "after"),
    ):
        refused = client.get(f"/v1/purchases?{query}", headers=account.headers)
        assert refused.status_code in (400, 404), query
        error = refused.json()["error"]
        assert (error["code"], error["param"]) == (code, param), query


def test_stripe_webhooks_are_refused_when_stripe_is_not_configured(client):
    response = client.post(
        "/v1/payments/stripe/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "stripe_not_configured"


# --- the Stripe webhook's size cap ------------------------------------------------------------


@pytest.fixture
def stripe_on(tmp_path: Path, keys_dir: Path) -> Iterator[Services]:
    """Services with Stripe configured (its API is never called by a webhook)."""
    built = make_stripe_services(
        tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}", "http://127.0.0.1:9", keys_dir
    )
    yield built
    built.close()


def _oversized_event(size: int = 2_000_000) -> bytes:
    """A genuine-looking Stripe event (signed when posted) of exactly `size` bytes."""
    bare = event("evt_big", "customer.created", {"id": "cus_1", "description": ""})
    padding = "x" * (size - len(bare))
    return event("evt_big", "customer.created", {"id": "cus_1", "description": padding})


def _post_raw(app: FastAPI, payload: bytes, *, declare_length: bool) -> tuple[int, int]:
    """POST `payload` to the webhook straight through ASGI, in 64 KiB messages; return the
    status and how many body bytes the app asked for before it answered."""
    chunks = [payload[at : at + 65536] for at in range(0, len(payload), 65536)]
    signature = sign(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"stripe-signature", signature)]
    if declare_length:
        headers.append((b"content-length", str(len(payload)).encode()))
    reply = post_through_asgi(app, WEBHOOK_PATH, chunks, headers)
    return reply.status, reply.bytes_read


def test_an_oversized_stripe_webhook_is_refused_and_records_nothing(stripe_on):
    payload = _oversized_event()
    assert len(payload) == 2_000_000
    with TestClient(create_app(stripe_on)) as client:
        response = post_webhook(client, payload)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert event_rows(stripe_on) == []


def test_an_oversized_stripe_webhook_is_not_read_past_the_cap(stripe_on):
    """A declared length over the cap is refused before a byte is read; a streamed body (no
    Content-Length) stops being read once it passes the cap."""
    payload = _oversized_event()
    app = create_app(stripe_on)
    assert _post_raw(app, payload, declare_length=True) == (413, 0)
    status, read = _post_raw(app, payload, declare_length=False)
    assert status == 413
    assert MAX_WEBHOOK_BYTES < read <= MAX_WEBHOOK_BYTES + 65536
    assert event_rows(stripe_on) == []
    # A webhook under the cap still goes through (and is acknowledged: ignored).
    small = event("evt_small", "customer.created", {"id": "cus_1"})
    assert _post_raw(app, small, declare_length=True) == (200, len(small))
    assert [row.outcome for row in event_rows(stripe_on)] == ["ignored"]
