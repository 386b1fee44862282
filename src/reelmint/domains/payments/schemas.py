"""What the payments endpoints take and give (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reelmint.config import CreditPack
from reelmint.db.base import unix_time
from reelmint.domains.payments.models import Purchase


class CreditPackOut(BaseModel):
    id: str
    object: Literal["credit_pack"] = "credit_pack"
    name: str
    units: int = Field(description="Generation units the pack adds.")
    price_cents: int = Field(description="The price in the currency's smallest unit.")
    currency: str
    valid_days: int = Field(description="The credits expire this many days after purchase.")
    test_mode: bool = Field(
        description="True when the configured provider takes no real money (the sandbox)."
    )

    @classmethod
    def of(cls, pack: CreditPack, *, test_mode: bool) -> CreditPackOut:
        return cls(
            id=pack.id,
            name=pack.name,
            units=pack.units,
            price_cents=pack.price_cents,
            currency=pack.currency,
            valid_days=pack.valid_days,
            test_mode=test_mode,
        )


class CreditPackList(BaseModel):
    object: Literal["list"] = "list"
    data: list[CreditPackOut]


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pack_id: str = Field(max_length=40, description="The pack to buy (see /v1/credit_packs).")


class PurchaseOut(BaseModel):
    """A purchase. `test_mode` purchases were paid with test money (no real payment)."""

    id: str
    object: Literal["purchase"] = "purchase"
    pack_id: str
    units: int
    price_cents: int
    currency: str
    provider: str
    test_mode: bool
    status: Literal["pending", "completed", "refunded", "disputed", "dispute_won", "failed"]
    created_at: int
    completed_at: int | None
    credits_expire_at: int | None = Field(description="When the credits expire (unix time).")
    units_refunded: int
    units_disputed: int
    units_expired: int

    @classmethod
    def of(cls, purchase: Purchase) -> PurchaseOut:
        return cls(
            id=purchase.id,
            pack_id=purchase.pack_id,
            units=purchase.units,
            price_cents=purchase.price_cents,
            currency=purchase.currency,
            provider=purchase.provider,
            test_mode=purchase.test_mode,
            status=purchase.status,  # type: ignore[arg-type]
            created_at=unix_time(purchase.created_at),
            completed_at=unix_time(purchase.completed_at),
            credits_expire_at=unix_time(purchase.credits_expire_at),
            units_refunded=purchase.units_refunded,
            units_disputed=purchase.units_disputed,
            units_expired=purchase.units_expired,
        )


class CheckoutOut(BaseModel):
    purchase: PurchaseOut
    checkout_url: str = Field(
        description="Send the buyer here to pay. Sandbox: the outcome page (already paid)."
    )


class PurchaseList(BaseModel):
    object: Literal["list"] = "list"
    data: list[PurchaseOut]
    first_id: str | None = None
    last_id: str | None = None
    has_more: bool = False


class WebhookAck(BaseModel):
    received: bool = True
    outcome: str
