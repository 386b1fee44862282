"""The wallet page (quota, credits, the statement) and the quota page (today's limit, the
upcoming changes with their date and reason, and the plan's history)."""

from __future__ import annotations

from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import get_user, set_timezone
from reelmint.domains.quota import service as quota
from reelmint.domains.wallet import service as wallet
from reelmint.domains.wallet import tips
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import redirect_with_flash
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
        received = tips.tips_of(db=db, user_id=actor.user.id)
    context = {
        "info": info,
        "lines": lines,
        "tips": received,
        "hold_days": services.settings.rights_hold_days,
    }
    return render(request, "wallet.html", context)


@router.get("/quota")
def quota_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    return _quota(request, services, actor.user)


@router.post("/quota/timezone")
def change_timezone(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    timezone: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            set_timezone(db=db, user=get_user(db=db, user_id=actor.user.id), timezone=timezone)
    except ServiceError as error:
        return _quota(request, services, actor.user, error=error, typed=timezone, status=400)
    secure = services.settings.secure_cookies
    return redirect_with_flash("/quota", "timezone_saved", secure=secure)


def _quota(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    typed: str = "",
    status: int = 200,
) -> Response:
    with services.db.read() as db:
        user = get_user(db=db, user_id=user.id)
        info = wallet.summary(db=db, settings=services.settings, user=user)
        upcoming = quota.upcoming_changes(db=db, plan=user.plan, after=quota.local_day(user))
        past = quota.history(db=db, plan=user.plan)
    context = {
        "info": info,
        "upcoming": upcoming,
        "history": past,
        "timezone": user.timezone,
        "zones": _zones(),
        "error": error,
        "typed": typed or user.timezone,
    }
    return render(request, "quota.html", context, status=status)


@cache
def _zones() -> list[str]:
    """The zones offered on /quota (read once, at the first view: the list takes a disk scan)."""
    return sorted(zone for zone in available_timezones() if "/" in zone and "Etc/" not in zone)
