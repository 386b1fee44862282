"""The sandbox provider: no money moves, and the checkout completes at once.

It is the default so that a fresh install can be tried end to end; everything it credits
is marked test money (`test_mode`) and booked against `platform:sales_sandbox`, never
against real sales. It has no webhooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelmint.domains.payments.base import (
    Checkout,
    InvalidSignature,
    PaymentProvider,
    ProviderEvent,
)

if TYPE_CHECKING:
    from reelmint.domains.payments.models import Purchase


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    test_mode = True

    def start_checkout(self, purchase: Purchase, success_url: str, cancel_url: str) -> Checkout:
        return Checkout(
            url=success_url,
            session_id=f"sandbox_cs_{purchase.id}",
            completed_now=True,
            payment_id=f"sandbox_pay_{purchase.id}",
        )

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        raise InvalidSignature("the sandbox provider sends no webhooks")

    def cancel_checkout(self, purchase: Purchase) -> None:
        """Nothing to end: a sandbox checkout completes the moment it starts."""
