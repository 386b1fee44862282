"""The operator's page: the economics view (GPU time and cost against sales) for
administrators, over the last 7, 30 or 90 days."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.domains.ops.schemas import EconomicsOut
from reelmint.domains.ops.service import economics
from reelmint.domains.payments.service import money_text
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PERIODS = (7, 30, 90)


@router.get("/operator")
def operator_page(
    request: Request, services: ServicesDep, actor: SignedIn, days: int = 30
) -> Response:
    """403 for anyone but an administrator (the service decides)."""
    with services.db.read() as db:
        view = economics(db=db, settings=services.settings, actor=actor.user, days=days)
    context = {
        "view": EconomicsOut.of(view),
        "days": days,
        "periods": PERIODS,
        "money": money_text,
    }
    return render(request, "operator.html", context)
