"""What a buyer is told about their purchases, in the app and by email: a receipt when the
credits arrive, and every refund, dispute and payment that could not be credited; and what
every administrator is told of a payment they must settle by hand (PROBLEM_WORDS, which the
operator's Payment problems page shows too).

Each notice has a key (the purchase and what happened), so an event the provider sends twice
tells once. They are sent in the transaction that changed the books, so nobody is told of a
change that did not happen. A closed account is told nothing (`notifications.notify`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import operators
from reelmint.domains.notifications.service import notify
from reelmint.domains.payments.models import Purchase
from reelmint.money import money_text
from reelmint.wording import count_of

KIND = "purchase"


def tell_credited(db: Session, purchase: Purchase) -> None:
    """The receipt: the units are in the wallet, paid with what, valid until when."""
    until = purchase.credits_expire_at
    valid = f", valid until {until:%Y-%m-%d}" if until else ""
    _tell(
        db,
        purchase,
        key=f"credited:{purchase.id}",
        title=f"Credits added: {count_of(purchase.units, 'unit')}",
        body=f"Your purchase {purchase.id} of {count_of(purchase.units, 'unit')} for "
        f"{_paid(purchase)} is in your wallet{valid}.",
    )


def tell_outcome(db: Session, purchase: Purchase, outcome: str, event_id: str) -> None:
    """A provider event that changed what the buyer has, or could not be credited."""
    texts = {
        "refunded": (
            "A purchase was refunded",
            f"{money_text(purchase.cents_refunded, purchase.currency)} of your payment for "
            f"purchase {purchase.id} went back to you, and "
            f"{count_of(purchase.units_refunded, 'unit')} of it were taken back.",
        ),
        "disputed": (
            "A payment of yours is disputed",
            f"Your bank disputes the payment for purchase {purchase.id}: "
            f"{count_of(purchase.units_disputed, 'unit')} were taken back while the dispute "
            "lasts. They come back if it is decided for us.",
        ),
        "dispute_won": (
            "A payment dispute was closed",
            f"The dispute of your payment for purchase {purchase.id} was decided for us: the "
            "units it took came back (paying first anything your wallet owed).",
        ),
        "dispute_lost": (
            "A payment dispute was closed",
            f"The dispute of your payment for purchase {purchase.id} was decided for you: "
            "the money went back to you, and the units it took stay taken.",
        ),
        "amount_mismatch": (
            "A payment could not be credited",
            f"We received a payment for purchase {purchase.id} that does not match its price "
            f"({_paid(purchase)}), so no credits were added. It is on the operator's list of "
            "payments to settle: they will refund it or add the credits.",
        ),
    }
    if outcome in texts:
        title, body = texts[outcome]
        _tell(db, purchase, key=f"{outcome}:{purchase.id}:{event_id}", title=title, body=body)


@dataclass(frozen=True)
class ProblemWords:
    """A payment problem in words: what it is called, what happened, what the operator does."""

    label: str
    meaning: str
    to_do: str


# What an operator must settle by hand, by `payment_problems`' `what`: the notification an
# administrator gets, the operator's Payment problems page and the docs say the same.
PROBLEM_WORDS = {
    "amount_mismatch": ProblemWords(
        "Amount mismatch",
        "a payment of another amount or currency than its price",
        "refund it with the payment provider, or grant the units (reelmint admin grant)",
    ),
    "payment_already_used": ProblemWords(
        "Payment reused",
        "a payment that another purchase was already credited with",
        "refund it with the payment provider",
    ),
    "paid_after_close": ProblemWords(
        "Paid after the account was closed",
        "paid after its account was closed, so nobody can spend the units",
        "refund it with the payment provider",
    ),
    "unknown_purchase": ProblemWords(
        "Unknown purchase",
        "an event about no purchase of ours, so nobody was credited or told",
        "find the payment with the payment provider and refund it if money was taken",
    ),
}
PROBLEMS_PAGE = "/operator/payments"


def tell_operators(db: Session, purchase: Purchase, problem: str, event_id: str) -> None:
    """A payment the operator must settle by hand: every administrator is told (in the app,
    and by email), once per event, with a link to the page that lists them all."""
    words = PROBLEM_WORDS.get(problem)
    if words is None:
        return
    for admin in operators(db=db):
        notify(
            db=db,
            user=admin,
            kind="payment_problem",
            title=f"A payment needs you: purchase {purchase.id}",
            body=f"Purchase {purchase.id} ({_paid(purchase)}): {words.meaning}: {words.to_do}. "
            f"The provider's event: {event_id}; all such: the operator's Payment problems "
            "page, or reelmint admin payments problems.",
            link=PROBLEMS_PAGE,
            key=f"payment_problem:{event_id}:{admin.id}"[:200],
        )


def _paid(purchase: Purchase) -> str:
    test = " (test money)" if purchase.test_mode else ""
    return money_text(purchase.price_cents, purchase.currency) + test


def _tell(db: Session, purchase: Purchase, *, key: str, title: str, body: str) -> None:
    buyer = db.get(User, purchase.user_id) if purchase.user_id else None
    if buyer is None:
        return
    notify(
        db=db,
        user=buyer,
        kind=KIND,
        title=title,
        body=body,
        link=f"/credits/return?purchase={purchase.id}",
        key=f"{KIND}:{key}"[:200],
    )
