"""The wallet page (quota, credits, the statement) and the quota page (today's limit, the
upcoming changes with their date and reason, and the plan's history)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.domains.quota import service as quota
from reelmint.domains.wallet import service as wallet
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
STATEMENT_LINES = 200


@router.get("/wallet")
def wallet_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    with services.db.read() as db:
        info = wallet.summary(db=db, settings=services.settings, user=actor.user)
        lines = wallet.statement(db=db, user=actor.user, limit=STATEMENT_LINES)
    return render(request, "wallet.html", {"info": info, "lines": lines})


@router.get("/quota")
def quota_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    user = actor.user
    with services.db.read() as db:
        info = wallet.summary(db=db, settings=services.settings, user=user)
        upcoming = quota.upcoming_changes(db=db, plan=user.plan, after=quota.local_day(user))
        past = quota.history(db=db, plan=user.plan)
    context = {"info": info, "upcoming": upcoming, "history": past, "timezone": user.timezone}
    return render(request, "quota.html", context)
