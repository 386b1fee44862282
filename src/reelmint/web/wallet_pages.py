"""The wallet page (quota, credits, tips and their payouts, the statement) and the quota page
(today's limit, the upcoming changes with their date and reason, and the plan's history)."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import get_user, place_zones, set_timezone
from reelmint.domains.payouts import service as payouts
from reelmint.domains.quota import service as quota
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import clipped, watchable_by
from reelmint.domains.wallet import service as wallet
from reelmint.domains.wallet import tips
from reelmint.domains.wallet.api import whole_statement_response
from reelmint.errors import BadRequest, ServiceError
from reelmint.money import money_text
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect, redirect_with_flash
from reelmint.web.payout_forms import (
    PayoutForm,
    PayoutTerms,
    ask_for_payout,
    cancel,
    new_payout_key,
)
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]
STATEMENT_LINES = 200


@router.get("/wallet")
def wallet_page(
    request: Request, services: ServicesDep, actor: SignedIn, older: str | None = None
) -> Response:
    """The wallet; `older` (the "Older movements" link's cursor) pages the statement on. A
    damaged one (a link cut short) starts from the newest again, saying so."""
    try:
        return _wallet(request, services, actor.user, older=older or None)
    except BadRequest as error:
        if error.code != "invalid_cursor":
            raise
        return flash_redirect(services, "/wallet#statement", "statement_link_damaged")


@router.get("/wallet/statement.csv")
def statement_download(services: ServicesDep, actor: SignedIn) -> StreamingResponse:
    """Every line of the user's statement, as one CSV file."""
    user = actor.user

    def read_page(after: str | None, limit: int) -> list[wallet.StatementLine]:
        with services.db.read() as db:
            return wallet.statement(db=db, user=user, limit=limit, after=after)

    return whole_statement_response(read_page, "reelmint-statement.csv")


@router.post("/wallet/payouts")
def request_payout(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    units: TextField = "",
    note: TextField = "",
    payout_key: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Ask for a payout of available tips; the form's own key makes a double submit ask once."""
    check_form(actor, request, csrf_token)
    form = PayoutForm(units=units, note=note)
    try:
        ask_for_payout(services=services, actor=actor.user, form=form, key=payout_key)
    except ServiceError as error:
        return _wallet(
            request, services, actor.user, payout_error=error, form=form, status=error.status
        )
    return flash_redirect(services, "/wallet#payouts", "payout_requested")


@router.post("/wallet/payouts/{payout_id}/cancel")
def cancel_payout(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    payout_id: str,
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        cancel(services=services, actor=actor.user, payout_id=payout_id)
    except ServiceError as error:
        return _wallet(request, services, actor.user, cancel_error=error, status=error.status)
    return flash_redirect(services, "/wallet#payouts", "payout_cancelled")


def _wallet(
    request: Request,
    services: Services,
    user: User,
    *,
    payout_error: ServiceError | None = None,
    cancel_error: ServiceError | None = None,
    form: PayoutForm | None = None,
    status: int = 200,
    older: str | None = None,
) -> Response:
    with services.db.read() as db:
        info = wallet.summary(db=db, settings=services.settings, user=user)
        lines = wallet.statement(db=db, user=user, limit=STATEMENT_LINES + 1, after=older)
        titles = _video_titles(db, user, lines)
        unseen = _others_unseen(db, user, lines, titles)
        received = tips.tips_of(db=db, user_id=user.id)
        own = payouts.list_payouts(db=db, actor=user, own=True)
    more = len(lines) > STATEMENT_LINES
    lines = lines[:STATEMENT_LINES]
    context = {
        "info": info,
        "lines": lines,
        "is_first": older is None,
        "next_cursor": lines[-1].cursor if more else None,
        "video_titles": titles,
        "unseen_videos": unseen,
        "tips": received,
        "hold_days": services.settings.rights_hold_days,
        "payouts": own,
        "terms": PayoutTerms.of(services.settings),
        "payout_key": new_payout_key(),
        "payout_typed": form or PayoutForm(),
        "payout_error": payout_error,
        "cancel_error": cancel_error,
        "money": money_text,
        "pool_names": POOL_NAMES,
    }
    return render(request, "wallet.html", context, status=status)


POOL_NAMES = {
    "quota": "free quota",
    "granted": "granted credits",
    "purchased": "purchased credits",
    "owed": "owed",
    "tips_pending": "tips (pending)",
    "tips_available": "tips (available)",
}
"""What the statement's From column calls each pool (the API and CSV give the names as keys)."""


TITLE_CHARS = 60


def _video_titles(db: Session, user: User, lines: list[wallet.StatementLine]) -> dict[str, str]:
    """The start of the prompt of each of the user's own videos the statement names, so a
    line reads "video delivered · “a dog runs in a park”" rather than by the video's id
    (others' videos, tipped, keep their id: what they are now is not the tipper's to read)."""
    ids = {line.video_id for line in lines if line.video_id}
    if not ids:
        return {}
    rows = db.execute(
        select(Video.id, Video.prompt, Video.deleted_at).where(
            Video.id.in_(ids), Video.user_id == user.id
        )
    )
    return {
        video_id: "a deleted video" if deleted else clipped(prompt, TITLE_CHARS)
        for video_id, prompt, deleted in rows
    }


def _others_unseen(
    db: Session, user: User, lines: list[wallet.StatementLine], titles: dict[str, str]
) -> set[str]:
    """Others' videos the statement names (tipped) that the user can no longer open: deleted,
    unpublished or taken down; their lines get no link to a page that would be a 404."""
    ids = {line.video_id for line in lines if line.video_id and line.video_id not in titles}
    if not ids:
        return set()
    rows = db.scalars(select(Video).where(Video.id.in_(ids)))
    shown = {video.id for video in rows if watchable_by(db=db, actor=user, video=video)}
    return ids - shown


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
    """The zones offered on /quota: the places `set_timezone` accepts (`place_zones`: no
    `posix/...` or `right/...` copies, which some hosts list), without the `Etc/` offsets."""
    return sorted(zone for zone in place_zones() if "/" in zone and "Etc/" not in zone)
