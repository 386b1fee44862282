"""Stripe: the Checkout Session we ask for, and the signed webhooks that credit, refund and
dispute, posted to the real endpoint (in-process, and concurrently to a live server)."""

from __future__ import annotations

import contextlib
import json
from functools import partial

import httpx
import pytest
from fastapi.testclient import TestClient
from payment_helpers import (
    WEBHOOK_PATH,
    assert_books_balance,
    books,
    charge_refunded,
    checkout_completed,
    dispute,
    entries_with_key,
    event,
    event_rows,
    fake_stripe,
    make_stripe_services,
    post_webhook,
    purchase_of,
    sign,
    spend,
)
from sqlalchemy import select

from reelmint.api.app import create_app
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payments import service
from reelmint.domains.payments.models import Purchase
from reelmint.domains.payments.stripe_provider import read_event
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.errors import Forbidden, ServiceError
from support import at_once, make_account, running_server


@pytest.fixture
def stripe_api():
    with fake_stripe() as fake:
        yield fake


@pytest.fixture
def stripe_services(tmp_path, keys_dir, stripe_api):
    built = make_stripe_services(
        tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}", stripe_api.url, keys_dir
    )
    yield built
    built.close()


@pytest.fixture
def stripe_client(stripe_services):
    with TestClient(create_app(stripe_services)) as test_client:
        yield test_client


@pytest.fixture
def buyer(stripe_services):
    return make_account(stripe_services)


def start_checkout(client, buyer, **headers):
    response = client.post(
        "/v1/checkout", json={"pack_id": "pack_10"}, headers={**buyer.headers, **headers}
    )
    assert response.status_code == 201, response.text
    return response.json()


# --- checkout ----------------------------------------------------------------------------------


def test_checkout_asks_stripe_for_a_session_and_waits_for_the_webhook(
    stripe_services, stripe_client, stripe_api, buyer
):
    body = start_checkout(stripe_client, buyer)
    purchase = body["purchase"]
    assert purchase["status"] == "pending"
    assert purchase["provider"] == "stripe"
    assert purchase["test_mode"] is True  # an sk_test_ key
    assert body["checkout_url"] == "https://checkout.stripe.test/c/pay/cs_test_0001"
    (sent,) = stripe_api.session_requests
    assert sent.headers["authorization"] == "Bearer sk_test_reelmint"
    assert sent.headers["idempotency-key"] == f"reelmint-checkout-{purchase['id']}"
    form = sent.form
    assert form["mode"] == "payment"
    assert form["client_reference_id"] == purchase["id"]
    assert form["metadata[purchase_id]"] == purchase["id"]
    assert form["metadata[pack_id]"] == "pack_10"
    assert form["payment_intent_data[metadata][purchase_id]"] == purchase["id"]
    assert form["line_items[0][quantity]"] == "1"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["line_items[0][price_data][unit_amount]"] == "400"
    assert "10 generation units" in form["line_items[0][price_data][product_data][name]"]
    assert form["success_url"] == (
        f"http://127.0.0.1:8000/credits/return?purchase={purchase['id']}"
    )
    assert form["cancel_url"].endswith("&cancelled=1")
    assert purchase_of(stripe_services, purchase["id"]).provider_session_id == "cs_test_0001"
    assert books(stripe_services, buyer.user.id).purchased == 0


def test_a_retried_checkout_gets_the_same_session(
    stripe_services, stripe_client, stripe_api, buyer
):
    first = start_checkout(stripe_client, buyer, **{"Idempotency-Key": "k"})
    again = start_checkout(stripe_client, buyer, **{"Idempotency-Key": "k"})
    assert again["purchase"]["id"] == first["purchase"]["id"]
    assert again["checkout_url"] == first["checkout_url"]
    assert len(stripe_api.session_requests) == 1


def test_a_failed_checkout_charges_nothing_and_can_be_retried(
    stripe_services, stripe_client, stripe_api, buyer
):
    stripe_api.fail_next = 1
    response = stripe_client.post(
        "/v1/checkout",
        json={"pack_id": "pack_10"},
        headers={**buyer.headers, "Idempotency-Key": "k"},
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_error"
    (purchase,) = stripe_client.get("/v1/purchases", headers=buyer.headers).json()["data"]
    assert purchase["status"] == "failed"
    retried = start_checkout(stripe_client, buyer, **{"Idempotency-Key": "k"})
    assert retried["purchase"]["id"] == purchase["id"]
    assert retried["purchase"]["status"] == "pending"
    assert retried["checkout_url"].startswith("https://checkout.stripe.test/")


def test_only_a_live_key_takes_real_money():
    from reelmint.domains.payments.stripe_provider import StripeProvider

    def mode(key):
        return StripeProvider(secret_key=key, webhook_secret="whsec_x").test_mode

    assert mode("sk_live_abc") is False
    assert mode("rk_live_abc") is False
    assert mode("sk_test_abc") is True


# --- webhooks ----------------------------------------------------------------------------------


def paid_purchase(stripe_services, stripe_client, buyer, payment_intent="pi_test_1"):
    body = start_checkout(stripe_client, buyer)
    purchase = purchase_of(stripe_services, body["purchase"]["id"])
    payload = checkout_completed("evt_paid", purchase, payment_intent=payment_intent)
    response = post_webhook(stripe_client, payload)
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "credited"
    return purchase_of(stripe_services, purchase.id)


def test_the_completed_webhook_credits_once(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    assert purchase.status == "completed"
    assert purchase.provider_payment_id == "pi_test_1"
    assert books(stripe_services, buyer.user.id).purchased == 10
    again = post_webhook(stripe_client, checkout_completed("evt_paid", purchase))
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    # Another event about the same payment (Stripe sends async_payment_succeeded too).
    other = checkout_completed(
        "evt_other", purchase, event_type="checkout.session.async_payment_succeeded"
    )
    assert post_webhook(stripe_client, other).json()["outcome"] == "already_credited"
    assert books(stripe_services, buyer.user.id).purchased == 10
    assert entries_with_key(stripe_services, "purchase:") == 1
    with stripe_services.db.read() as db:
        from reelmint.domains.ledger.service import find_entry, platform_account

        # An sk_test_ key is Stripe's test mode: test money, kept apart from real sales.
        assert platform_account(db=db, name="sales_sandbox").balance == -10
        assert platform_account(db=db, name="sales").balance == 0
        assert find_entry(db=db, key=f"purchase:{purchase.id}").reference == purchase.id
    assert [row.outcome for row in event_rows(stripe_services)] == ["credited", "already_credited"]
    assert_books_balance(stripe_services)


def notices(services, user_id):
    with services.db.read() as db:
        rows = db.scalars(
            select(Notification)
            .where(Notification.user_id == user_id, Notification.kind == "purchase")
            .order_by(Notification.created_at, Notification.id)
        )
        return [(row.title, row.body) for row in rows]


def test_the_buyer_is_told_of_each_change_once(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    [(title, body)] = notices(stripe_services, buyer.user.id)
    assert title == "Credits added: 10 units"
    assert f"purchase {purchase.id} of 10 units for 4.00 USD (test money) is in your" in body
    refund = charge_refunded("evt_r1", payment_intent="pi_test_1", amount=400, amount_refunded=100)
    for _ in range(2):  # the provider sends it again: told once
        post_webhook(stripe_client, refund)
    assert notices(stripe_services, buyer.user.id)[1] == (
        "A purchase was refunded",
        f"1.00 USD of your payment for purchase {purchase.id} went back to you, and 2 units "
        "of it were taken back.",
    )
    post_webhook(stripe_client, dispute("evt_d1", payment_intent="pi_test_1", amount=300))
    titles = [title for title, _ in notices(stripe_services, buyer.user.id)]
    assert titles == [
        "Credits added: 10 units",
        "A purchase was refunded",
        "A payment of yours is disputed",
    ]


def test_a_payment_that_cannot_be_credited_is_told_to_the_buyer_and_the_operator(
    stripe_services, stripe_client, buyer
):
    operator = make_account(stripe_services, "op@example.com", role="admin").user
    body = start_checkout(stripe_client, buyer)
    purchase = purchase_of(stripe_services, body["purchase"]["id"])
    wrong = checkout_completed("evt_cheap", purchase, amount=1)
    assert post_webhook(stripe_client, wrong).json()["outcome"] == "amount_mismatch"
    with stripe_services.db.read() as db:
        [told] = db.scalars(select(Notification).where(Notification.user_id == operator.id))
    assert (told.kind, told.title) == (
        "payment_problem",
        f"A payment needs you: purchase {purchase.id}",
    )
    assert "refund it with the payment provider, or grant the units" in told.body
    [(title, text)] = notices(stripe_services, buyer.user.id)
    assert title == "A payment could not be credited"
    assert "on the operator's list of payments to settle" in text
    with stripe_services.db.read() as db:
        assert service.payment_refused(db, purchase_of(stripe_services, purchase.id))
        [problem] = service.payment_problems(db=db, actor=operator)
    assert (problem.what, problem.event.event_id, problem.buyer) == (
        "amount_mismatch",
        "evt_cheap",
        buyer.email,
    )


def test_a_bad_signature_is_refused_and_changes_nothing(stripe_services, stripe_client, buyer):
    body = start_checkout(stripe_client, buyer)
    purchase = purchase_of(stripe_services, body["purchase"]["id"])
    payload = checkout_completed("evt_forged", purchase)
    for signature in (
        sign(payload, secret="whsec_someone_else"),
        sign(payload, timestamp=1_000_000_000),  # too old: a replay
        sign(payload + b" "),
        "",
        "garbage",
    ):
        response = post_webhook(stripe_client, payload, signature=signature)
        assert response.status_code == 400, signature
        assert response.json()["error"]["code"] == "invalid_signature"
    no_header = stripe_client.post(WEBHOOK_PATH, content=payload)
    assert no_header.status_code == 400
    assert purchase_of(stripe_services, purchase.id).status == "pending"
    assert books(stripe_services, buyer.user.id).purchased == 0
    assert event_rows(stripe_services) == []
    # The genuine event still works afterwards (a refused one was not recorded).
    assert post_webhook(stripe_client, payload).json()["outcome"] == "credited"


def test_a_signed_body_that_is_not_a_stripe_event_is_refused_and_changes_nothing(
    stripe_services, stripe_client, buyer
):
    """Signed, so from whoever holds the secret, but not what Stripe sends: 400, never a 500
    that Stripe would retry for days, and nothing credited from an amount not read."""
    body = start_checkout(stripe_client, buyer)
    purchase = purchase_of(stripe_services, body["purchase"]["id"])
    completed = json.loads(checkout_completed("evt_typed", purchase))
    session = completed["data"]["object"]
    bodies = [
        b"[]",
        b"null",
        b'"a string"',
        json.dumps({**completed, "data": []}).encode(),
        json.dumps({**completed, "data": {"object": {**session, "client_reference_id": 12345}}}),
        json.dumps({**completed, "data": {"object": {**session, "amount_total": "400"}}}),
        json.dumps({**completed, "data": {"object": {**session, "amount_total": True}}}),
        json.dumps({**completed, "data": {"object": {**session, "amount_total": 10**30}}}),
        json.dumps({**completed, "id": "evt_\ud800"}),  # no database stores it
        json.dumps({**completed, "data": {"object": {**session, "currency": "u\x00sd"}}}),
        json.dumps({**completed, "data": {"object": {**session, "payment_intent": "pi_\udfff"}}}),
        json.dumps(
            {**completed, "data": {"object": {**session, "client_reference_id": "x" * 501}}}
        ),
        b"\xff\xfe",
    ]
    for payload in bodies:
        payload = payload if isinstance(payload, bytes) else payload.encode()
        response = post_webhook(stripe_client, payload)
        assert response.status_code == 400, payload
        assert response.json()["error"]["code"] == "invalid_payload", payload
    assert purchase_of(stripe_services, purchase.id).status == "pending"
    assert books(stripe_services, buyer.user.id).purchased == 0
    assert event_rows(stripe_services) == []


def test_unpaid_and_other_events_are_acknowledged_and_ignored(
    stripe_services, stripe_client, buyer
):
    body = start_checkout(stripe_client, buyer)
    purchase = purchase_of(stripe_services, body["purchase"]["id"])
    unpaid = checkout_completed("evt_unpaid", purchase, payment_status="unpaid")
    assert post_webhook(stripe_client, unpaid).json()["outcome"] == "ignored"
    other = event("evt_customer", "customer.created", {"id": "cus_1", "object": "customer"})
    assert post_webhook(stripe_client, other).json()["outcome"] == "ignored"
    wrong = checkout_completed("evt_cheap", purchase, amount=1)
    assert post_webhook(stripe_client, wrong).json()["outcome"] == "amount_mismatch"
    unsaid = json.loads(checkout_completed("evt_unsaid", purchase))
    unsaid["data"]["object"]["amount_total"] = None
    assert post_webhook(stripe_client, json.dumps(unsaid).encode()).json()["outcome"] == (
        "amount_mismatch"
    )
    assert purchase_of(stripe_services, purchase.id).status == "pending"
    assert books(stripe_services, buyer.user.id).purchased == 0
    expired = event(
        "evt_expired",
        "checkout.session.expired",
        {"id": purchase.provider_session_id, "client_reference_id": purchase.id},
    )
    assert post_webhook(stripe_client, expired).json()["outcome"] == "failed"
    assert purchase_of(stripe_services, purchase.id).status == "failed"


def test_a_refund_takes_the_credits_back(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    partial = charge_refunded("evt_r1", payment_intent="pi_test_1", amount=400, amount_refunded=200)
    assert post_webhook(stripe_client, partial).json()["outcome"] == "refunded"
    assert books(stripe_services, buyer.user.id).purchased == 5
    assert purchase_of(stripe_services, purchase.id).status == "completed"
    full = charge_refunded("evt_r2", payment_intent="pi_test_1", amount=400, amount_refunded=400)
    assert post_webhook(stripe_client, full).json()["outcome"] == "refunded"
    assert post_webhook(stripe_client, full).json()["outcome"] == "duplicate"
    after = purchase_of(stripe_services, purchase.id)
    assert (after.status, after.units_refunded) == ("refunded", 10)
    assert books(stripe_services, buyer.user.id).purchased == 0
    assert books(stripe_services, buyer.user.id).owed == 0
    assert_books_balance(stripe_services)


def test_a_dispute_bigger_than_the_balance_blocks_spending(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    spend(stripe_services, buyer.user.id, 7, key="spend-7")
    opened = dispute("evt_d1", payment_intent="pi_test_1", amount=400)
    assert post_webhook(stripe_client, opened).json()["outcome"] == "disputed"
    after = books(stripe_services, buyer.user.id)
    assert (after.purchased, after.owed) == (0, -7)
    with pytest.raises(Forbidden) as refused:
        create_video(
            services=stripe_services, user=buyer.user, request=VideoRequest(prompt="a lighthouse")
        )
    assert refused.value.code == "wallet_blocked"
    api = stripe_client.post("/v1/videos", json={"prompt": "a boat"}, headers=buyer.headers)
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "wallet_blocked"
    lost = dispute("evt_d2", payment_intent="pi_test_1", amount=400, closed=True, status="lost")
    assert post_webhook(stripe_client, lost).json()["outcome"] == "dispute_lost"
    assert purchase_of(stripe_services, purchase.id).status == "disputed"

    # The next purchase pays the debt first.
    paid_again = start_checkout(stripe_client, buyer)
    second = purchase_of(stripe_services, paid_again["purchase"]["id"])
    payload = checkout_completed("evt_paid_2", second, payment_intent="pi_test_2")
    assert post_webhook(stripe_client, payload).json()["outcome"] == "credited"
    settled = books(stripe_services, buyer.user.id)
    assert (settled.purchased, settled.owed, settled.debt) == (3, 0, 0)
    create_video(
        services=stripe_services, user=buyer.user, request=VideoRequest(prompt="a lighthouse")
    )
    assert_books_balance(stripe_services)


def test_a_dispute_won_gives_the_credits_back(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    post_webhook(stripe_client, dispute("evt_d1", payment_intent="pi_test_1", amount=400))
    assert books(stripe_services, buyer.user.id).purchased == 0
    won = dispute("evt_d2", payment_intent="pi_test_1", amount=400, closed=True, status="won")
    assert post_webhook(stripe_client, won).json()["outcome"] == "dispute_won"
    assert books(stripe_services, buyer.user.id).purchased == 10
    assert purchase_of(stripe_services, purchase.id).status == "dispute_won"
    assert_books_balance(stripe_services)


@pytest.mark.parametrize(
    ("event_type", "status", "kind", "ours"),
    [
        ("charge.dispute.created", "warning_needs_response", "dispute_opened", "inquiry"),
        ("charge.dispute.created", "warning_under_review", "dispute_opened", "inquiry"),
        ("charge.dispute.created", "needs_response", "dispute_opened", "open"),
        ("charge.dispute.updated", "warning_under_review", "dispute_opened", "inquiry"),
        ("charge.dispute.updated", "needs_response", "dispute_opened", "open"),
        ("charge.dispute.updated", "under_review", "dispute_opened", "open"),
        ("charge.dispute.updated", "won", "dispute_opened", "inquiry"),
        ("charge.dispute.funds_withdrawn", "needs_response", "dispute_opened", "open"),
        ("charge.dispute.closed", "won", "dispute_closed", "won"),
        ("charge.dispute.closed", "warning_closed", "dispute_closed", "won"),
        ("charge.dispute.closed", "prevented", "dispute_closed", "won"),
        ("charge.dispute.closed", "lost", "dispute_closed", "lost"),
        # older API versions: the merchant refunded; charge.refunded takes those units
        ("charge.dispute.closed", "charge_refunded", "dispute_closed", "won"),
    ],
)
def test_a_dispute_event_says_whether_money_was_taken(event_type, status, kind, ours):
    """Stripe's inquiries (`warning_*`) come as disputes too, but take no money."""
    payload = dispute("evt_1", payment_intent="pi_1", amount=400, status=status)
    read = read_event({**json.loads(payload), "type": event_type})
    assert (read.kind, read.dispute_status, read.provider_status) == (kind, ours, status)
    assert (read.dispute_id, read.amount_cents) == ("dp_test_1", 400)


def test_an_inquiry_closed_in_our_favour_takes_nothing(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    spend(stripe_services, buyer.user.id, 7, key="spend-7")
    inquiry = dispute(
        "evt_i1", payment_intent="pi_test_1", amount=400, status="warning_needs_response"
    )
    assert post_webhook(stripe_client, inquiry).json()["outcome"] == "inquiry"
    closed = dispute(
        "evt_i2", payment_intent="pi_test_1", amount=400, closed=True, status="warning_closed"
    )
    assert post_webhook(stripe_client, closed).json()["outcome"] == "inquiry_closed"
    after = books(stripe_services, buyer.user.id)
    assert (after.purchased, after.owed, after.debt) == (3, 0, 0)
    found = purchase_of(stripe_services, purchase.id)
    assert (found.status, found.cents_disputed, found.units_disputed) == ("completed", 0, 0)
    assert [row.returned_cents for row in event_rows(stripe_services)] == [0, 0, 0]
    create_video(services=stripe_services, user=buyer.user, request=VideoRequest(prompt="a boat"))
    assert_books_balance(stripe_services)


def test_a_late_escalation_after_the_dispute_closed_takes_nothing(
    stripe_services, stripe_client, buyer
):
    """Stripe does not promise the order of events: once a dispute's close is handled, a late
    `charge.dispute.updated` (or `funds_withdrawn`) about it takes nothing."""
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    steps = [
        ("evt_l1", "charge.dispute.created", "warning_needs_response", "inquiry"),
        ("evt_l2", "charge.dispute.closed", "warning_closed", "inquiry_closed"),
        ("evt_l3", "charge.dispute.updated", "needs_response", "ignored"),
        ("evt_l4", "charge.dispute.funds_withdrawn", "needs_response", "ignored"),
    ]
    for event_id, event_type, status, outcome in steps:
        payload = dispute(
            event_id, payment_intent="pi_test_1", amount=400, status=status, event_type=event_type
        )
        assert post_webhook(stripe_client, payload).json()["outcome"] == outcome, event_id
    assert books(stripe_services, buyer.user.id).purchased == 10
    found = purchase_of(stripe_services, purchase.id)
    assert (found.status, found.units_disputed) == ("completed", 0)
    assert_books_balance(stripe_services)


def test_an_inquiry_that_escalates_takes_the_units_once(stripe_services, stripe_client, buyer):
    purchase = paid_purchase(stripe_services, stripe_client, buyer)
    spend(stripe_services, buyer.user.id, 7, key="spend-7")
    steps = [
        ("evt_i1", "charge.dispute.created", "warning_needs_response", "inquiry"),
        ("evt_i2", "charge.dispute.updated", "warning_under_review", "inquiry"),
        ("evt_i3", "charge.dispute.updated", "needs_response", "disputed"),
        ("evt_i4", "charge.dispute.funds_withdrawn", "needs_response", "already_disputed"),
        ("evt_i3", "charge.dispute.updated", "needs_response", "duplicate"),
        ("evt_i5", "charge.dispute.updated", "under_review", "already_disputed"),
    ]
    for event_id, event_type, status, outcome in steps:
        payload = dispute(
            event_id, payment_intent="pi_test_1", amount=400, status=status, event_type=event_type
        )
        assert post_webhook(stripe_client, payload).json()["outcome"] == outcome, event_id
    after = books(stripe_services, buyer.user.id)
    assert (after.purchased, after.owed) == (0, -7)
    assert entries_with_key(stripe_services, f"dispute:{purchase.id}:dp_test_1") == 1
    won = dispute("evt_i6", payment_intent="pi_test_1", amount=400, closed=True, status="won")
    assert post_webhook(stripe_client, won).json()["outcome"] == "dispute_won"
    after = books(stripe_services, buyer.user.id)
    assert (after.purchased, after.owed) == (3, 0)
    assert purchase_of(stripe_services, purchase.id).status == "dispute_won"
    assert sum(row.returned_cents for row in event_rows(stripe_services)) == 0
    assert_books_balance(stripe_services)


def test_a_partial_refund_before_checkout_completes_is_kept(stripe_services, stripe_client, buyer):
    """Stripe does not promise the order of its events: a refund of 200 of 400 cents may
    arrive before checkout.session.completed. The credit then brings 5 units, not 10."""
    body = start_checkout(stripe_client, buyer)
    purchase = purchase_of(stripe_services, body["purchase"]["id"])
    refund = charge_refunded(
        "evt_r1",
        payment_intent="pi_test_1",
        amount=400,
        amount_refunded=200,
        purchase_id=purchase.id,
    )
    paid = checkout_completed("evt_paid", purchase, payment_intent="pi_test_1")
    assert post_webhook(stripe_client, refund).json()["outcome"] == "refunded"
    assert post_webhook(stripe_client, paid).json()["outcome"] == "credited"
    for replay in (refund, paid):
        assert post_webhook(stripe_client, replay).json()["outcome"] == "duplicate"
    found = purchase_of(stripe_services, purchase.id)
    assert (found.status, found.cents_refunded, found.units_refunded) == ("completed", 200, 5)
    assert books(stripe_services, buyer.user.id).purchased == 5
    assert entries_with_key(stripe_services, "refund:") == 1
    assert_books_balance(stripe_services)


# --- concurrency: a replayed webhook credits once, on SQLite and PostgreSQL ----------------------


def test_a_webhook_replayed_concurrently_credits_once(tmp_path, keys_dir, database_url):
    """20 copies of one event at once, then 10 different events about the same payment at
    once, against a real server: one credit, one ledger entry, every answer a 200."""
    with fake_stripe() as stripe_api:
        built = make_stripe_services(tmp_path, database_url, stripe_api.url, keys_dir)
        try:
            buyer = make_account(built)
            with (
                running_server(built, workers=0) as server,
                httpx.Client(base_url=server.url, timeout=60) as http,
            ):
                body = start_checkout(http, buyer)
                purchase = purchase_of(built, body["purchase"]["id"])
                payload = checkout_completed("evt_once", purchase)
                outcomes = _post_at_once(server.url, [payload] * 20)
                assert outcomes.count("credited") == 1, outcomes
                assert outcomes.count("duplicate") == 19, outcomes
                others = [
                    checkout_completed(f"evt_{n}", purchase, payment_intent="pi_test_1")
                    for n in range(10)
                ]
                more = _post_at_once(server.url, others)
                assert set(more) == {"already_credited"}, more
            assert books(built, buyer.user.id).purchased == 10
            assert entries_with_key(built, "purchase:") == 1
            assert len(event_rows(built)) == 11
            assert_books_balance(built)
        finally:
            built.close()


def _post_at_once(url: str, payloads: list[bytes]) -> list[str]:
    def post(http: httpx.Client, payload: bytes, headers: dict[str, str]) -> str:
        response = http.post(WEBHOOK_PATH, content=payload, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["outcome"]

    with contextlib.ExitStack() as stack:
        works = [
            partial(
                post,
                stack.enter_context(httpx.Client(base_url=url, timeout=60)),
                payload,
                {"Stripe-Signature": sign(payload), "Content-Type": "application/json"},
            )
            for payload in payloads
        ]
        outcomes = at_once(works)
    for outcome in outcomes:  # the first failure is raised, as pool.map raised it
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes


def test_a_live_key_books_real_sales(tmp_path, keys_dir, stripe_api):
    built = make_stripe_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'live.db'}",
        stripe_api.url,
        keys_dir,
        stripe_secret_key="sk_live_reelmint",
    )
    try:
        with TestClient(create_app(built)) as client:
            buyer = make_account(built)
            body = start_checkout(client, buyer)
            assert body["purchase"]["test_mode"] is False
            purchase = purchase_of(built, body["purchase"]["id"])
            payload = checkout_completed("evt_live", purchase)
            assert post_webhook(client, payload).json()["outcome"] == "credited"
        with built.db.read() as db:
            from reelmint.domains.ledger.service import find_entry, platform_account

            assert platform_account(db=db, name="sales").balance == -10
            assert "test money" not in find_entry(db=db, key=f"purchase:{purchase.id}").reason
        assert_books_balance(built)
    finally:
        built.close()


# --- closing an account ------------------------------------------------------------------------


def close(services, user_id: str):
    from reelmint.domains.accounts.closure import after_closing, close_account
    from reelmint.domains.accounts.models import User

    with services.db.write() as db:
        closed = close_account(db=db, user=db.get_one(User, user_id))
    after_closing(services, closed)
    return closed


def test_closing_an_account_ends_its_open_checkouts(
    stripe_services, stripe_client, stripe_api, buyer
):
    open_one = start_checkout(stripe_client, buyer)["purchase"]
    paid = paid_purchase(stripe_services, stripe_client, buyer, payment_intent="pi_paid")
    closed = close(stripe_services, buyer.user.id)
    assert closed.open_checkouts == [open_one["id"]]
    failed = purchase_of(stripe_services, open_one["id"])
    assert (failed.status, failed.failure_reason) == (
        "failed",
        "the account was closed before it was paid",
    )
    assert purchase_of(stripe_services, paid.id).status == "completed"
    expired = [r.path for r in stripe_api.requests if r.path.endswith("/expire")]
    assert expired == [f"/v1/checkout/sessions/{failed.provider_session_id}/expire"]
    assert [s["status"] for s in stripe_api.sessions.values()].count("expired") == 1


def test_a_checkout_stripe_will_not_end_does_not_stop_the_closing(
    stripe_services, stripe_client, stripe_api, buyer, caplog
):
    pending = start_checkout(stripe_client, buyer)["purchase"]
    stripe_api.fail_next = 1  # Stripe refuses (as for a session paid a moment ago)
    with caplog.at_level("INFO", logger="reelmint.payments"):
        close(stripe_services, buyer.user.id)
    assert purchase_of(stripe_services, pending["id"]).status == "failed"
    assert "was not open" in caplog.text
    # The payment arrives all the same: it is credited (the books must show the money) and
    # logged for the operator to refund.
    payload = checkout_completed("evt_late", purchase_of(stripe_services, pending["id"]))
    with caplog.at_level("ERROR", logger="reelmint.payments"):
        assert post_webhook(stripe_client, payload).json()["outcome"] == "credited"
    assert "closed" in caplog.text
    assert "refund" in caplog.text
    assert_books_balance(stripe_services)


def test_an_account_closed_while_its_checkout_opens_gets_no_payable_checkout(
    stripe_services, stripe_client, stripe_api, buyer, monkeypatch
):
    from reelmint.domains.payments.stripe_provider import StripeProvider

    real = StripeProvider.start_checkout

    def closing_meanwhile(self, purchase, success_url, cancel_url):
        checkout = real(self, purchase, success_url, cancel_url)
        close(stripe_services, buyer.user.id)  # the account closes while Stripe answers
        return checkout

    monkeypatch.setattr(StripeProvider, "start_checkout", closing_meanwhile)
    response = stripe_client.post(
        "/v1/checkout", json={"pack_id": "pack_10"}, headers=buyer.headers
    )
    assert (response.status_code, response.json()["error"]["code"]) == (403, "account_disabled")
    [session] = stripe_api.sessions.values()
    assert session["status"] == "expired"
    with stripe_services.db.read() as db:
        [purchase] = db.query(Purchase).all()
    assert (purchase.status, purchase.checkout_url) == ("failed", None)


def test_a_closed_account_cannot_start_a_purchase(stripe_services, stripe_api, buyer):
    from reelmint.domains.payments.service import start_purchase

    close(stripe_services, buyer.user.id)
    with pytest.raises(ServiceError) as refused:
        start_purchase(services=stripe_services, user=buyer.user, pack_id="pack_10")
    assert refused.value.code == "account_disabled"
    assert stripe_api.session_requests == []
