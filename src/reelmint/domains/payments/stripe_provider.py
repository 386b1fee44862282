"""Stripe: a Checkout Session per purchase, credited by the signed webhook that follows.

- Checkout: `checkout.sessions.create` (mode `payment`, one line item priced inline with
  `price_data`), naming the purchase in `client_reference_id` and in the metadata of both
  the session and its PaymentIntent (so charge, refund and dispute events find it too). The
  request carries an idempotency key made from the purchase id, so a retried checkout gets
  the same session from Stripe, never a second one. A `StripeClient` per provider (not the
  module's global settings) carries the key and the optional `stripe_api_base`, so two
  configurations never leak into each other inside one process.
- Webhooks: verified with `stripe.Webhook.construct_event` (HMAC-SHA256 over
  `t.payload`, five minutes' tolerance), then read into a `ProviderEvent`. Only these
  types are acted on; any other verified event is acknowledged and ignored:
  `checkout.session.completed` and `checkout.session.async_payment_succeeded` (credited only
  when `payment_status` is `paid`), `checkout.session.expired` and
  `checkout.session.async_payment_failed`, `charge.refunded`, `charge.dispute.created`,
  `charge.dispute.updated`, `charge.dispute.funds_withdrawn` and `charge.dispute.closed`.
- Disputes: Stripe opens inquiries (retrieval requests) with the same events as chargebacks;
  an inquiry's status is `warning_needs_response` or `warning_under_review`, it takes no money,
  and it closes `warning_closed` or escalates to a chargeback (`needs_response`,
  `under_review`: `charge.dispute.updated` / `charge.dispute.funds_withdrawn`). The event
  carries the status in reelmint's terms (`DisputeStatus`): `inquiry` (no money taken), `open`,
  and on closing `won` (`won`, `warning_closed`, `prevented`) or `lost` (anything else).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import stripe
from stripe import Webhook

from reelmint.domains.payments.base import (
    Checkout,
    DisputeStatus,
    EventKind,
    InvalidSignature,
    PaymentProvider,
    ProviderEvent,
    ProviderUnavailable,
)
from reelmint.errors import BadRequest, ServiceError
from reelmint.terminal import has_control

if TYPE_CHECKING:
    from reelmint.config import Settings
    from reelmint.domains.payments.models import Purchase

log = logging.getLogger("reelmint.payments")

CHECKOUT_COMPLETED = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
CHECKOUT_FAILED = ("checkout.session.expired", "checkout.session.async_payment_failed")
DISPUTE_OPENED = (
    "charge.dispute.created",
    "charge.dispute.updated",  # an inquiry that escalated shows here first
    "charge.dispute.funds_withdrawn",  # the money was taken: a chargeback, whatever its status
)
DISPUTE_CLOSED = "charge.dispute.closed"
HANDLED_EVENTS = (
    *CHECKOUT_COMPLETED,
    *CHECKOUT_FAILED,
    "charge.refunded",
    *DISPUTE_OPENED,
    DISPUTE_CLOSED,
)
# Dispute statuses under which Stripe has taken no money: an inquiry, and the outcomes that
# leave (or give back) the money to us.
INQUIRY_STATUSES = ("warning_needs_response", "warning_under_review")
# Closed with the money kept from the dispute: won, an inquiry closed, a dispute prevented, or
# (older API versions) `charge_refunded`: the merchant refunded it, and `charge.refunded` takes
# the units of that refund back, not the dispute.
KEPT_STATUSES = ("won", "warning_closed", "prevented", "charge_refunded")


class StripeNotConfigured(ServiceError):
    status = 503
    code = "stripe_not_configured"


class StripeProvider(PaymentProvider):
    name = "stripe"

    def __init__(
        self, *, secret_key: str, webhook_secret: str, api_base: str | None = None
    ) -> None:
        self._secret_key = secret_key
        self._webhook_secret = webhook_secret
        self._api_base = api_base
        self.test_mode = not secret_key.startswith(("sk_live_", "rk_live_"))

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeProvider:
        return cls(
            secret_key=settings.stripe_secret_key.get_secret_value(),
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
            api_base=settings.stripe_api_base,
        )

    # --- checkout -----------------------------------------------------------------------------

    def start_checkout(self, purchase: Purchase, success_url: str, cancel_url: str) -> Checkout:
        if not self._secret_key:
            raise StripeNotConfigured(
                "Stripe is the payment provider but REELMINT_STRIPE_SECRET_KEY is not set",
            )
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": purchase.currency,
                        "unit_amount": purchase.price_cents,
                        "product_data": {
                            "name": f"reelmint credits: {purchase.units} generation units",
                            "description": f"valid {purchase.valid_days} days after purchase",
                        },
                    },
                }
            ],
            "client_reference_id": purchase.id,
            "metadata": {"purchase_id": purchase.id, "pack_id": purchase.pack_id},
            "payment_intent_data": {"metadata": {"purchase_id": purchase.id}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            session = self._client().v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"reelmint-checkout-{purchase.id}"},
            )
        except stripe.StripeError as exc:
            log.warning("stripe checkout for %s failed: %s", purchase.id, exc)
            raise ProviderUnavailable(
                "the payment provider did not accept the checkout; nothing was charged, "
                "try again in a moment",
            ) from exc
        if not session.url:
            raise ProviderUnavailable("the payment provider gave no checkout page; try again")
        return Checkout(url=session.url, session_id=session.id, completed_now=False)

    def cancel_checkout(self, purchase: Purchase) -> None:
        """Expire the purchase's Checkout Session (Stripe refuses one that is not open: it
        was paid or expired already, and the webhook tells which)."""
        if not purchase.provider_session_id:
            return
        if not self._secret_key:
            raise StripeNotConfigured(
                f"cannot end the checkout of {purchase.id}: REELMINT_STRIPE_SECRET_KEY is not set"
            )
        try:
            self._client().v1.checkout.sessions.expire(purchase.provider_session_id)
        except stripe.InvalidRequestError as exc:
            log.info("stripe session of %s was not open: %s", purchase.id, exc)
        except stripe.StripeError as exc:
            raise ProviderUnavailable(
                f"the payment provider did not end the checkout of {purchase.id}: {exc}"
            ) from exc

    def _client(self) -> stripe.StripeClient:
        api_base = self._api_base.rstrip("/") if self._api_base else None
        return stripe.StripeClient(
            self._secret_key,
            base_addresses={"api": api_base} if api_base else {},
            max_network_retries=2,
        )

    # --- webhooks -----------------------------------------------------------------------------

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        if not self._webhook_secret:
            raise StripeNotConfigured(
                "Stripe webhooks are not accepted: REELMINT_STRIPE_WEBHOOK_SECRET is not set"
            )
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature_header, self._webhook_secret, Webhook.DEFAULT_TOLERANCE
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature(
                "the Stripe-Signature header does not verify against the webhook secret"
            ) from exc
        except UnicodeDecodeError as exc:
            raise _not_an_event("the webhook body is not UTF-8 text") from exc
        try:
            event = json.loads(payload)
        except ValueError as exc:
            raise _not_an_event("the webhook body is not JSON") from exc
        return read_event(event)


def _not_an_event(message: str) -> BadRequest:
    return BadRequest(message, code="invalid_payload")


def read_event(event: Any) -> ProviderEvent:
    """A verified Stripe event (parsed JSON) in reelmint's terms; 400 `invalid_payload` for
    one whose fields are not of the types Stripe sends (so nothing is credited from a body
    whose amount could not be read)."""
    if not isinstance(event, dict) or not isinstance(event.get("data"), dict):
        raise _not_an_event("the webhook is not a Stripe event (a JSON object with data)")
    event_type = _text(event, "type") or ""
    obj = event["data"].get("object")
    common: dict[str, Any] = {
        "provider": "stripe",
        "event_id": _text(event, "id") or "",
        "type": event_type,
        "livemode": event.get("livemode") is True,
    }
    if not common["event_id"] or not isinstance(obj, dict):
        raise _not_an_event("the webhook is not a Stripe event (no id or data.object)")
    kind: EventKind = "ignored"
    if event_type in CHECKOUT_COMPLETED:
        kind = "payment_completed" if obj.get("payment_status") == "paid" else "ignored"
        return ProviderEvent(
            **common,
            kind=kind,
            purchase_id=_text(obj, "client_reference_id") or _metadata(obj),
            session_id=_text(obj, "id"),
            payment_id=_id_of(obj.get("payment_intent")),
            amount_cents=_amount(obj, "amount_total"),
            currency=_text(obj, "currency"),
        )
    if event_type in CHECKOUT_FAILED:
        return ProviderEvent(
            **common,
            kind="payment_failed",
            purchase_id=_text(obj, "client_reference_id") or _metadata(obj),
            session_id=_text(obj, "id"),
        )
    if event_type == "charge.refunded":
        return ProviderEvent(
            **common,
            kind="refunded",
            purchase_id=_metadata(obj),
            payment_id=_id_of(obj.get("payment_intent")),
            amount_cents=_amount(obj, "amount"),
            currency=_text(obj, "currency"),
            amount_refunded_cents=_amount(obj, "amount_refunded"),
        )
    if event_type in DISPUTE_OPENED or event_type == DISPUTE_CLOSED:
        status = _text(obj, "status")
        return ProviderEvent(
            **common,
            kind="dispute_closed" if event_type == DISPUTE_CLOSED else "dispute_opened",
            purchase_id=_metadata(obj),
            payment_id=_id_of(obj.get("payment_intent")),
            amount_cents=_amount(obj, "amount"),
            currency=_text(obj, "currency"),
            dispute_id=_text(obj, "id"),
            dispute_status=dispute_status(event_type, status),
            provider_status=str(status) if status else None,
        )
    return ProviderEvent(**common, kind="ignored")


def dispute_status(event_type: str, status: Any) -> DisputeStatus:
    """A Stripe dispute event's status in reelmint's terms.

    Closed: `won` when the money stays ours (`won`, `warning_closed`, `prevented`), else
    `lost`. Otherwise `open` (money taken) unless the status says no money was taken: an
    inquiry (`warning_*`), or an update that already carries a kept outcome. Funds withdrawn
    are always `open`: the money is gone whatever the status says.
    """
    if event_type == DISPUTE_CLOSED:
        return "won" if status in KEPT_STATUSES else "lost"
    if event_type == "charge.dispute.funds_withdrawn":
        return "open"
    if status in INQUIRY_STATUSES or status in KEPT_STATUSES:
        return "inquiry"
    return "open"


MAX_FIELD_CHARS = 500  # Stripe's ids, types and currencies are far shorter
MAX_AMOUNT = 10**12  # far past any one payment in the smallest unit; bounds what is stored


def _text(obj: dict[str, Any], key: str) -> str | None:
    """A string field (None when absent or null); any other type, or a string no database
    holds (a NUL, a lone surrogate) or far longer than Stripe sends: 400 `invalid_payload`."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _storable(value):
        return value
    raise _not_an_event(f"the webhook's {key} is not a string Stripe sends")


def _storable(value: str) -> bool:
    """Not too long, and no control character (NUL among them) or lone surrogate."""
    return len(value) <= MAX_FIELD_CHARS and not has_control(value)


def _amount(obj: dict[str, Any], key: str) -> int | None:
    """An amount in the currency's smallest unit (None when absent or null); anything but a
    whole number from 0 to `MAX_AMOUNT`: 400 `invalid_payload`."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT:
        return value
    raise _not_an_event(f"the webhook's {key} is not a whole number from 0 to {MAX_AMOUNT}")


def _metadata(obj: dict[str, Any]) -> str | None:
    metadata = obj.get("metadata") or {}
    value = metadata.get("purchase_id") if isinstance(metadata, dict) else None
    if not value:
        return None
    if isinstance(value, str) and _storable(value):
        return value
    raise _not_an_event("the webhook's metadata.purchase_id is not a string Stripe sends")


def _id_of(value: Any) -> str | None:
    """An id that Stripe sends either as a string or as an expanded object."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or not value:
        return None
    if not _storable(value):
        raise _not_an_event("the webhook names an id Stripe does not send")
    return value
