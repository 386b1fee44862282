"""The payments API with the sandbox provider: catalogue, checkout, purchases."""

from __future__ import annotations

from payment_helpers import assert_books_balance, books

from support import make_account


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
    first = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=headers).json()
    again = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=headers).json()
    assert again["purchase"]["id"] == first["purchase"]["id"]
    assert books(services, account.user.id).purchased == 10


def test_checkout_needs_a_known_pack_and_a_user(services, client, account):
    unknown = client.post("/v1/checkout", json={"pack_id": "pack_x"}, headers=account.headers)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "pack_not_found"
    assert unknown.json()["error"]["param"] == "pack_id"
    extra = client.post(
        "/v1/checkout", json={"pack_id": "pack_10", "units": 99}, headers=account.headers
    )
    assert extra.status_code == 400
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


def test_stripe_webhooks_are_refused_when_stripe_is_not_configured(client):
    response = client.post(
        "/v1/payments/stripe/webhook", content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"}
    )
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "stripe_not_configured"
