"""What a payment provider does for reelmint: start a checkout, and read its webhooks.

Two implementations: `sandbox` (no money moves; the checkout completes at once) and
`stripe` (Stripe Checkout and its signed webhooks). The service speaks only in the terms
below, so what a provider's events look like stays inside its module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from reelmint.errors import BadRequest, ServiceError

if TYPE_CHECKING:
    from reelmint.domains.payments.models import Purchase

EventKind = Literal[
    "payment_completed",  # the money arrived: credit the purchase
    "payment_failed",  # the checkout expired or the payment failed: nothing is credited
    "refunded",  # (part of) the payment went back: `amount_refunded_cents` in all
    "dispute_opened",  # a dispute opened or moved on: `dispute_status` says if money was taken
    "dispute_closed",  # `dispute_status`: won (no money lost) or lost
    "ignored",  # an event type reelmint does not act on
]

DisputeStatus = Literal[
    "inquiry",  # the bank asks questions, but took no money (it may escalate to `open`)
    "open",  # a chargeback: the bank took the money back pending the outcome
    "won",  # closed with the money ours (a dispute won, an inquiry closed, one prevented)
    "lost",  # closed with the money the buyer's
]


@dataclass(frozen=True)
class Checkout:
    """Where to send the buyer, and whether the payment is already complete (sandbox)."""

    url: str
    session_id: str
    completed_now: bool
    payment_id: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A verified provider event, in reelmint's terms."""

    provider: str
    event_id: str
    type: str
    kind: EventKind
    purchase_id: str | None = None
    session_id: str | None = None
    payment_id: str | None = None
    amount_cents: int | None = None
    currency: str | None = None
    amount_refunded_cents: int | None = None
    dispute_id: str | None = None
    dispute_status: DisputeStatus | None = None  # None: `open` when opened, `lost` when closed
    provider_status: str | None = None  # the provider's own word for it, for the logs
    livemode: bool = False


class InvalidSignature(BadRequest):
    """A webhook whose signature does not verify: it did not come from the provider."""

    code = "invalid_signature"


class ProviderUnavailable(ServiceError):
    """The provider could not be reached or refused the request; nothing was charged."""

    status = 502
    code = "payment_provider_error"


class PaymentProvider(ABC):
    """A way to take payment for a purchase."""

    name: str
    test_mode: bool

    @abstractmethod
    def start_checkout(self, purchase: Purchase, success_url: str, cancel_url: str) -> Checkout:
        """Open a checkout for `purchase`; the same purchase always gets the same checkout."""

    @abstractmethod
    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        """Verify a webhook's signature and read it; InvalidSignature if it does not verify."""

    @abstractmethod
    def cancel_checkout(self, purchase: Purchase) -> None:
        """End the purchase's open checkout so that it can no longer be paid (a checkout that
        has ended already is left as it is); ProviderUnavailable if the provider refuses."""
