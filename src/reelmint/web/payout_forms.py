"""The payout forms shared by the wallet (a creator's tips) and the studio (an organisation's
licence-fee earnings): what the form offers, and how its text becomes a request.

The payouts service checks everything (the rate, the minimum, who may ask, how much is
available); the only check here is that the units box holds a whole number.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.db.base import new_id
from reelmint.domains.accounts.models import User
from reelmint.domains.payouts import service as payouts
from reelmint.domains.payouts.models import Payout
from reelmint.errors import Conflict
from reelmint.money import money_text
from reelmint.web.forms import whole_units

MAX_KEY_CHARS = 100


@dataclass(frozen=True)
class PayoutTerms:
    """What a payout pays, for the text beside the form."""

    cents_per_unit: int
    currency: str
    minimum: int
    max_note: int = payouts.MAX_NOTE_CHARS

    @classmethod
    def of(cls, settings: Settings) -> PayoutTerms:
        return cls(
            cents_per_unit=settings.payout_cents_per_unit,
            currency=settings.payout_currency,
            minimum=settings.payout_minimum_units,
        )

    @property
    def on(self) -> bool:
        return self.cents_per_unit > 0

    @property
    def rate(self) -> str:
        """`0.40 USD`: what one unit is paid at."""
        return money_text(self.cents_per_unit, self.currency)

    def allows(self, available: int) -> bool:
        """Whether the form is offered: payouts are on and `available` reaches the minimum."""
        return self.on and available >= self.minimum


@dataclass(frozen=True)
class PayoutForm:
    """The request form's fields as typed (kept on the page when it was refused)."""

    units: str = ""
    note: str = ""


def new_payout_key() -> str:
    """The form's own idempotency key: a double submit asks once."""
    return new_id("payoutkey")


def ask_for_payout(
    *,
    services: Services,
    actor: User,
    form: PayoutForm,
    key: str,
    organisation_id: str | None = None,
) -> Payout:
    """Request the payout the form describes (refusals are the service's ServiceErrors)."""
    units = whole_units(form.units)
    try:
        with services.db.write() as db:
            return payouts.request_payout(
                db=db,
                settings=services.settings,
                actor=actor,
                units=units,
                key=key[:MAX_KEY_CHARS] or new_payout_key(),
                organisation_id=organisation_id,
                note=form.note,
            )
    except Conflict as refused:
        if refused.code != "idempotency_key_reused":
            raise
        raise Conflict(  # the page's own key, sent again with other figures (back, edit, send)
            "this form was already sent with other figures; reload the page to ask for "
            "another payout",
            code="idempotency_key_reused",
        ) from None


def cancel(*, services: Services, actor: User, payout_id: str) -> Payout:
    with services.db.write() as db:
        return payouts.cancel_payout(db=db, actor=actor, payout_id=payout_id)
