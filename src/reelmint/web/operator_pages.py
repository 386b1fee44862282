"""The operator's pages, for administrators: the economics view (GPU time and cost against
sales) over the last 7, 30 or 90 days, and the payouts to make (mark one paid with the
transfer's reference, or reject it with a reason; a payee whose wallet owes units is marked);
and the payment problems, the payments
the provider took that were not credited, with what to do about each (the same list as
`reelmint admin payments problems`)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import Organisation, User
from reelmint.domains.ops.schemas import EconomicsOut
from reelmint.domains.ops.service import MAX_DAYS, economics
from reelmint.domains.payments.notices import PROBLEM_WORDS
from reelmint.domains.payments.service import (
    MAX_SETTLE_NOTE,
    PaymentProblem,
    covers_price,
    paid_text,
    payment_problems,
    settle_problem,
)
from reelmint.domains.payouts import service as payouts
from reelmint.domains.payouts.models import Payout
from reelmint.errors import ServiceError
from reelmint.money import money_text
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PERIODS = (7, 30, 90)
PAYOUTS_SHOWN = 200  # the oldest waiting payouts; paying them brings the next
PROBLEMS_SHOWN = 100  # the newest payment problems (the command line's default too)
TextField = Annotated[str, Form()]
DaysField = Annotated[int, Form(ge=1, le=MAX_DAYS)]


@router.get("/operator")
def operator_page(
    request: Request, services: ServicesDep, actor: SignedIn, days: int = 30
) -> Response:
    """403 for anyone but an administrator (the service decides)."""
    return _operator(request, services, actor.user, days=days)


@router.post("/operator/payouts/{payout_id}/paid")
def mark_paid(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    payout_id: str,
    reference: TextField = "",
    days: DaysField = 30,
    csrf_token: TextField = "",
) -> Response:
    """The administrator sent the money: the payout is paid, with their reference. Paid
    already with another reference, the page says when and with which (409, nothing changed:
    the money may have gone twice); the same reference again is a quiet retry."""
    check_form(actor, request, csrf_token)

    def settle(db: Session) -> object:
        return payouts.mark_paid(db=db, actor=actor.user, payout_id=payout_id, reference=reference)

    typed = {"payout_id": payout_id, "reference": reference}
    return _settle(request, services, actor.user, settle, typed, days=days, done="payout_paid")


@router.post("/operator/payouts/{payout_id}/reject")
def reject_payout(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    payout_id: str,
    reason: TextField = "",
    days: DaysField = 30,
    csrf_token: TextField = "",
) -> Response:
    """The administrator will not pay it: the payee reads `reason`; the units come back."""
    check_form(actor, request, csrf_token)

    def settle(db: Session) -> object:
        return payouts.reject_payout(db=db, actor=actor.user, payout_id=payout_id, reason=reason)

    typed = {"payout_id": payout_id, "reason": reason}
    return _settle(request, services, actor.user, settle, typed, days=days, done="payout_rejected")


def _settle(
    request: Request,
    services: Services,
    user: User,
    settle: Callable[[Session], object],
    typed: dict[str, str],
    *,
    days: int,
    done: str,
) -> Response:
    """Run `settle` in a write transaction: on success back to the page with `done` flashed;
    refused, the page again with the reason and what was typed."""
    try:
        with services.db.write() as db:
            settle(db)
    except ServiceError as error:
        return _operator(
            request, services, user, days=days, error=error, typed=typed, status=error.status
        )
    return _redirect(services, days, done)


def _operator(
    request: Request,
    services: Services,
    user: User,
    *,
    days: int,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The page; for anyone but an administrator the services refuse it (403 `admin_only`),
    also when a refused payout form would show it again."""
    with services.db.read() as db:
        view = economics(db=db, settings=services.settings, actor=user, days=days)
        waiting = payouts.payouts_for_operator(
            db=db, actor=user, status="requested", limit=PAYOUTS_SHOWN
        )
        payees = _payee_names(db, waiting)
        debts = payouts.payee_debts(db=db, payouts=waiting)
        suspended = payouts.suspended_payees(db=db, payouts=waiting)
    context = {
        "view": EconomicsOut.of(view),
        "days": days,
        "periods": PERIODS,
        "money": money_text,
        "payouts": waiting,
        "payees": payees,
        "debts": debts,
        "suspended_payees": suspended,
        "payout_error": error,
        "typed": typed or {},
    }
    return render(request, "operator.html", context, status=status)


def _payee_names(db: Any, found: list[Payout]) -> dict[str, str]:
    """Each payee's name (a creator's display name, an organisation's name), in two queries."""
    creators = {p.payee_id for p in found if p.payee_kind == "creator"}
    organisations = {p.payee_id for p in found if p.payee_kind == "rights_holder"}
    names: dict[str, str] = {}
    if creators:
        query = select(User.id, User.display_name).where(User.id.in_(creators))
        names.update({row.id: row.display_name for row in db.execute(query)})
    if organisations:
        query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisations))
        names.update({row.id: row.name for row in db.execute(query)})
    return names


def _redirect(services: Services, days: int, flash: str) -> Response:
    target = f"/operator?days={days}#payouts"
    return flash_redirect(services, target, flash)


# --- payment problems ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemRow:
    """One payment problem as the page shows it."""

    id: str  # the event's row id, for the anchor
    what: str  # amount_mismatch, payment_already_used, unknown_purchase, paid_after_close
    label: str
    meaning: str
    to_do: str
    at: datetime
    provider: str
    event_id: str
    event_type: str
    buyer: str | None
    purchase_id: str | None
    price: str | None  # the purchase's price as money text, "(test money)" marked
    paid: str | None  # what the payment said was paid, as money text (a payment event's)
    units: int | None
    provider_ids: tuple[str, ...]  # the event's payment, the purchase's session and payment
    grant: str | None  # the command that grants the units, where granting settles it
    settled_at: datetime | None  # when it was settled, by whom and how (None: to settle)
    settled_by: str | None
    settled_note: str | None


@router.get("/operator/payments")
def payment_problems_page(
    request: Request, services: ServicesDep, actor: SignedIn, settled: bool = False
) -> Response:
    """The payment problems to settle, newest first, or (`settled`) those settled; 403 for
    anyone but an administrator (the service decides)."""
    return _problems_page(request, services, actor.user, settled=settled)


@router.post("/operator/payments/{problem_id}/settle")
def settle_payment_problem(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    problem_id: str,
    note: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """The administrator settled it (refunded with the provider, or granted): it moves to the
    settled ones with their note; refused, the page again with the reason and the note."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            settle_problem(db=db, actor=actor.user, problem_id=problem_id, note=note)
    except ServiceError as error:
        typed = {"problem_id": problem_id, "note": note}
        return _problems_page(
            request, services, actor.user, error=error, typed=typed, status=error.status
        )
    return flash_redirect(services, "/operator/payments", "payment_problem_settled")


def _problems_page(
    request: Request,
    services: Services,
    user: User,
    *,
    settled: bool = False,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with services.db.read() as db:
        found = payment_problems(db=db, actor=user, limit=PROBLEMS_SHOWN + 1, settled=settled)
    context = {
        "problems": [_problem_row(problem) for problem in found[:PROBLEMS_SHOWN]],
        "more": len(found) > PROBLEMS_SHOWN,
        "shown": PROBLEMS_SHOWN,
        "settled": settled,
        "error": error,
        "typed": typed or {},
        "max_note": MAX_SETTLE_NOTE,
    }
    return render(request, "operator_payments.html", context, status=status)


def _problem_row(problem: PaymentProblem) -> ProblemRow:
    event, purchase = problem.event, problem.purchase
    words = PROBLEM_WORDS[problem.what]
    price = None
    if purchase is not None:
        test = " (test money)" if purchase.test_mode else ""
        price = money_text(purchase.price_cents, purchase.currency) + test
    ids = (event.payment_id,)
    if purchase is not None:
        ids += (purchase.provider_session_id, purchase.provider_payment_id)
    return ProblemRow(
        id=event.id,
        what=problem.what,
        label=words.label,
        meaning=words.meaning,
        to_do=words.to_do,
        at=event.processed_at,
        provider=event.provider,
        event_id=event.event_id,
        event_type=event.type,
        buyer=problem.buyer,
        purchase_id=event.purchase_id,
        price=price,
        paid=paid_text(event),
        units=purchase.units if purchase is not None else None,
        provider_ids=tuple(dict.fromkeys(found for found in ids if found)),
        grant=_grant_command(problem),
        settled_at=event.settled_at,
        settled_by=event.settled_by,
        settled_note=event.settled_note,
    )


def _grant_command(problem: PaymentProblem) -> str | None:
    """`reelmint admin grant` for a payment of more than the price, in its currency, to an
    open account, quoted for a shell (an address may hold quotes or `$`), keyed by the event
    so it grants once."""
    purchase, account = problem.purchase, problem.account
    if problem.what != "amount_mismatch" or purchase is None or account is None:
        return None
    if account.disabled_at is not None or not covers_price(problem.event, purchase):
        return None  # less, or another currency: refund it, never grant on it
    reason = f"Your payment for purchase {purchase.id}"
    words = ["reelmint", "admin", "grant", account.email, str(purchase.units)]
    words += ["--reason", reason, "--key", f"payment-problem:{problem.event.id}"]
    return shlex.join(words)
