"""Helpers for the payments tests: a stand-in for Stripe's API, signed Stripe webhooks, and
reading a user's balances.

Stripe is a true seam: `FakeStripe` is a real HTTP server on 127.0.0.1 answering
`POST /v1/checkout/sessions` as Stripe does (idempotency keys included), so the real `stripe`
library sends it the real request, which the tests then read. Webhooks are signed the way
Stripe signs them: `Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select

from reelmint.bootstrap import Services
from reelmint.db.base import new_id, utcnow
from reelmint.domains.ledger.models import LedgerEntry
from reelmint.domains.ledger.service import Leg, check_ledger, platform_account, transfer
from reelmint.domains.payments.base import ProviderEvent
from reelmint.domains.payments.models import PaymentEvent, Purchase
from reelmint.domains.wallet.service import wallet_of
from support import make_services

WEBHOOK_SECRET = "whsec_test_secret_for_reelmint"
SECRET_KEY = "sk_test_reelmint"
WEBHOOK_PATH = "/v1/payments/stripe/webhook"


# --- Stripe's API -------------------------------------------------------------------------------


@dataclass
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeStripe:
    """What the stand-in received, and the sessions it made (one per idempotency key)."""

    url: str = ""
    requests: list[SeenRequest] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: int = 0
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: SeenRequest) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests.append(request)
            if self.fail_next:
                self.fail_next -= 1
                return 400, {"error": {"type": "invalid_request_error", "message": "no"}}
            if request.path.endswith("/expire") and request.method == "POST":
                return self._expire(request.path.split("/")[-2])
            if request.path != "/v1/checkout/sessions" or request.method != "POST":
                return 404, {"error": {"type": "invalid_request_error", "message": "no route"}}
            key = request.headers.get("idempotency-key") or f"none-{next(self.counter)}"
            if key not in self.sessions:
                number = next(self.counter)
                session_id = f"cs_test_{number:04d}"
                self.sessions[key] = {
                    "id": session_id,
                    "object": "checkout.session",
                    "url": f"https://checkout.stripe.test/c/pay/{session_id}",
                    "mode": request.form.get("mode"),
                    "client_reference_id": request.form.get("client_reference_id"),
                    "payment_status": "unpaid",
                    "status": "open",
                    "livemode": False,
                }
            return 200, self.sessions[key]

    def _expire(self, session_id: str) -> tuple[int, dict[str, Any]]:
        """Stripe's rule: only an open session can be expired."""
        session = next((s for s in self.sessions.values() if s["id"] == session_id), None)
        if session is None or session["status"] != "open":
            message = f"session {session_id} is not open"
            return 400, {"error": {"type": "invalid_request_error", "message": message}}
        session["status"] = "expired"
        return 200, session

    @property
    def session_requests(self) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == "/v1/checkout/sessions"]


@contextmanager
def fake_stripe() -> Iterator[FakeStripe]:
    state = FakeStripe()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length).decode()
            seen = SeenRequest(
                method="POST",
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                form=dict(parse_qsl(body, keep_blank_values=True)),
            )
            status, answer = state.answer(seen)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", "req_test")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def stripe_settings(api_base: str, **more: Any) -> dict[str, Any]:
    return {
        "payment_provider": "stripe",
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_api_base": api_base,
        **more,
    }


def make_stripe_services(
    tmp_path: Path, database_url: str, api_base: str, keys_dir: Path, **more: Any
) -> Services:
    built = make_services(tmp_path, database_url, **stripe_settings(api_base, **more))
    (built.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    return built


# --- Stripe's webhooks --------------------------------------------------------------------------


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def event(event_id: str, event_type: str, obj: dict[str, Any], livemode: bool = False) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": livemode,
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


def checkout_completed(
    event_id: str,
    purchase: Any,
    *,
    session_id: str | None = None,
    payment_intent: str = "pi_test_1",
    amount: int | None = None,
    payment_status: str = "paid",
    event_type: str = "checkout.session.completed",
) -> bytes:
    return event(
        event_id,
        event_type,
        {
            "id": session_id or purchase.provider_session_id,
            "object": "checkout.session",
            "client_reference_id": purchase.id,
            "metadata": {"purchase_id": purchase.id, "pack_id": purchase.pack_id},
            "payment_status": payment_status,
            "payment_intent": payment_intent,
            "amount_total": purchase.price_cents if amount is None else amount,
            "currency": purchase.currency,
            "mode": "payment",
        },
    )


def charge_refunded(
    event_id: str,
    *,
    payment_intent: str,
    amount: int,
    amount_refunded: int,
    purchase_id: str | None = None,
) -> bytes:
    """A refund; with `purchase_id`, the charge carries its PaymentIntent's metadata."""
    return event(
        event_id,
        "charge.refunded",
        {
            "id": "ch_test_1",
            "object": "charge",
            "payment_intent": payment_intent,
            "amount": amount,
            "amount_refunded": amount_refunded,
            "refunded": amount_refunded >= amount,
            "currency": "usd",
            "metadata": {"purchase_id": purchase_id} if purchase_id else {},
        },
    )


def dispute(
    event_id: str,
    *,
    payment_intent: str,
    amount: int,
    closed: bool = False,
    status: str = "needs_response",
    dispute_id: str = "dp_test_1",
    event_type: str | None = None,
) -> bytes:
    """A dispute event: created (or closed), or `event_type` (`charge.dispute.updated`...)."""
    default = "charge.dispute.closed" if closed else "charge.dispute.created"
    return event(
        event_id,
        event_type or default,
        {
            "id": dispute_id,
            "object": "dispute",
            "charge": "ch_test_1",
            "payment_intent": payment_intent,
            "amount": amount,
            "currency": "usd",
            "status": status,
            "metadata": {},
        },
    )


def post_webhook(client: Any, payload: bytes, signature: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = sign(payload) if signature is None else signature
    return client.post(WEBHOOK_PATH, content=payload, headers=headers)


# --- reading the books --------------------------------------------------------------------------


@dataclass(frozen=True)
class Books:
    purchased: int
    granted: int
    owed: int
    debt: int


def books(services: Services, user_id: str) -> Books:
    with services.db.write() as db:
        wallet = wallet_of(db=db, user_id=user_id)
        return Books(
            purchased=wallet.purchased.balance,
            granted=wallet.granted.balance,
            owed=wallet.owed.balance,
            debt=wallet.debt,
        )


def purchase_of(services: Services, purchase_id: str) -> Purchase:
    with services.db.read() as db:
        found = db.get(Purchase, purchase_id)
        assert found is not None
        return found


def entries_with_key(services: Services, prefix: str) -> int:
    with services.db.read() as db:
        return int(
            db.scalar(
                select(func.count())
                .select_from(LedgerEntry)
                .where(LedgerEntry.idempotency_key.startswith(prefix))
            )
            or 0
        )


def event_rows(services: Services) -> list[PaymentEvent]:
    with services.db.read() as db:
        return list(db.scalars(select(PaymentEvent).order_by(PaymentEvent.processed_at)))


def spend(services: Services, user_id: str, units: int, key: str) -> None:
    """Spend purchased units as a settled video would (straight to platform revenue)."""
    with services.db.write() as db:
        wallet = wallet_of(db=db, user_id=user_id, lock=True)
        transfer(
            db=db,
            key=key,
            legs=[
                Leg(wallet.purchased, -units),
                Leg(platform_account(db=db, name="revenue"), units),
            ],
            kind="spend_purchased",
            reason="a test video",
            user_id=user_id,
        )


def assert_books_balance(services: Services) -> None:
    with services.db.read() as db:
        assert check_ledger(db=db) == []


def sandbox_paid(
    purchase_id: str, event_id: str, cents: int, payment_id: str | None = None
) -> ProviderEvent:
    """A sandbox payment of `cents` USD for `purchase_id`, as `handle_event` takes it."""
    return ProviderEvent(
        provider="sandbox",
        event_id=event_id,
        type="payment_completed",
        kind="payment_completed",
        purchase_id=purchase_id,
        payment_id=payment_id,
        amount_cents=cents,
        currency="usd",
    )


def pending_purchase(services: Services, user_id: str) -> Purchase:
    """A pack bought with a provider that has not said yet that the money arrived."""
    with services.db.write() as db:
        purchase = Purchase(
            id=new_id("pur"),
            user_id=user_id,
            pack_id="pack_10",
            units=10,
            price_cents=400,
            currency="usd",
            valid_days=365,
            provider="sandbox",
            test_mode=True,
            status="pending",
            created_at=utcnow(),
        )
        db.add(purchase)
    return purchase
