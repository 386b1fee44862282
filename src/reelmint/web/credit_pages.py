"""Buying credits in the browser: the packs, your balances and purchases, checkout and back.

A "Buy" form posts here (with the session's CSRF token); the purchase is made by the same
service the API uses. The sandbox completes it at once and the browser goes straight to the
outcome page. For Stripe the page links on to Stripe's checkout: a link, not a redirect of
the form post, because the pages' Content-Security-Policy (`form-action 'self'`) forbids a
form from landing on another site. Stripe sends the buyer back to `/credits/return`, which
shows what became of the purchase (the webhook may arrive a moment later).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.domains.accounts.models import User
from reelmint.domains.payments import service
from reelmint.domains.wallet.service import summary
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.once import form_request_key, new_form_key
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]


@router.get("/credits")
def credits_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    return _credits(request, services, actor.user)


@router.post("/credits/buy")
def buy(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    pack_id: TextField = "",
    csrf_token: TextField = "",
    form_key: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    # The page's key and the pack: the same button posted twice is one purchase (the second
    # post goes where the first did); another pack from the same page is another.
    request_key = form_request_key(form_key, pack_id)
    try:
        result = service.start_purchase(
            services=services, user=actor.user, pack_id=pack_id, request_key=request_key
        )
    except ServiceError as error:
        return _credits(request, services, actor.user, error=error, status=error.status)
    success_url, _ = service.return_urls(services.settings, result.purchase)
    if result.checkout_url == success_url:
        return RedirectResponse(_local(success_url, services.settings.public_url), 303)
    context = {"purchase": result.purchase, "checkout_url": result.checkout_url}
    return render(request, "credits_checkout.html", context)


@router.get("/credits/return")
def return_page(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    purchase: Annotated[str, Query(max_length=64)] = "",
    cancelled: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    with services.db.read() as db:
        found = service.get_purchase(db=db, actor=actor.user, purchase_id=purchase)
        lost = service.dispute_lost(db, found)
        refused = service.payment_refused(db, found)
    context = {
        "purchase": found,
        "cancelled": bool(cancelled),
        "dispute_lost": lost,
        "payment_refused": refused,
    }
    return render(request, "credits_return.html", context)


def _credits(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    status: int = 200,
) -> Response:
    settings = services.settings
    with services.db.read() as db:
        purchases = service.list_purchases(db=db, actor=user, include_abandoned=False)
        balances = summary(db=db, settings=settings, user=user)
    context = {
        "form_key": new_form_key(),
        "packs": service.list_packs(settings),
        "test_money": service.provider_for(settings).test_mode,
        "provider": settings.payment_provider,
        "balances": balances,
        "purchases": purchases,
        "error": error,
        "seconds_a_unit": _seconds_a_unit(settings),
        "spent_after": _spent_after(settings),
    }
    return render(request, "credits.html", context, status=status)


def _seconds_a_unit(settings: Settings) -> str:
    """About how many seconds of 480p preview video one unit buys, as the price list says."""
    seconds = 10 / settings.price_units_per_10s
    return f"{seconds:.0f}" if seconds >= 3 else f"{seconds:.1f}"


_SOURCE_NAMES = {"quota": "your free quota", "granted": "granted credits"}


def _spent_after(settings: Settings) -> str:
    """When purchased credits are spent, in the server's spend order."""
    order = settings.spend_order
    if "purchased" not in order:
        return "This server spends no purchased credits on videos."
    before = [_SOURCE_NAMES[source] for source in order[: order.index("purchased")]]
    if not before:
        return "Purchased credits are spent first."
    return f"Purchased credits are spent after {' and '.join(before)}."


def _local(url: str, public_url: str) -> str:
    """A URL on this site as a path, so the redirect works whatever host the browser used."""
    base = public_url.rstrip("/")
    return url[len(base) :] if url.startswith(base + "/") else url
