"""Reports on the web: the Report form on a public video's page (signed-in users other than its
owner), and the operator's Reports page, for administrators: the videos with open reports,
most reported first, each linked to its page (where its Take down form is) with a form that
dismisses its reports, saying why, and its creator's record, linked to every report of their
videos (deleted ones included). The services decide and authorise (domains/videos/reports.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.videos import reports
from reelmint.domains.videos.models import VideoReport
from reelmint.errors import BadRequest, NotFound, ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]
VIDEOS_SHOWN = reports.MAX_QUEUE_PAGE
CREATOR_PAGE = 50
STATE_WORDS = {
    "public": "public",
    "not_public": "not public",
    "taken_down": "taken down",
    "deleted": "deleted by its creator",
}


@router.post("/videos/{video_id}/report")
def report_video(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    category: TextField = "",
    note: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """File a report; refused (a note with a hidden character, the day's limit), the video's
    page again with the reason by the form and what was typed."""
    from reelmint.web.video_pages import video_page_with_report_error

    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            filed = reports.report_video(
                db=db,
                settings=services.settings,
                actor=actor.user,
                video_id=video_id,
                category=category,
                note=note,
            )
    except NotFound:
        raise
    except ServiceError as error:
        typed = {"category": category, "note": note}
        return video_page_with_report_error(request, services, actor.user, video_id, error, typed)
    told = "reported" if filed.created else "reported_already"
    return flash_redirect(services, f"/videos/{video_id}", told)


@router.get("/operator/reports")
def reports_page(
    request: Request, services: ServicesDep, actor: SignedIn, after: str | None = None
) -> Response:
    """403 for anyone but an administrator (the service decides); `after`: the next page of
    the queue (a damaged one starts from the top)."""
    return _reports_page(request, services, actor.user, after=after or None)


@router.get("/operator/reports/creators/{user_id}")
def creator_reports_page(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    older: str | None = None,
) -> Response:
    """Every report of a creator's videos, newest first, deleted videos included, and their
    record; 403 for anyone but an administrator, 404 for no such user (the service decides)."""
    with services.db.read() as db:
        try:
            page = reports.reports_against(
                db=db, actor=actor.user, user_id=user_id, limit=CREATOR_PAGE, after=older or None
            )
        except ServiceError as bad_link:  # a damaged or stale "older" link: the newest
            if bad_link.param != "after":
                raise
            older = None
            page = reports.reports_against(
                db=db, actor=actor.user, user_id=user_id, limit=CREATOR_PAGE
            )
        names = _names(db, [found.report for found in page.reports])
    context: dict[str, Any] = {
        "page": page,
        "record": reports.record_words(page.record),
        "reporters": names,
        "category_words": reports.CATEGORY_WORDS,
        "states": {found.report.id: reports.video_state(found.video) for found in page.reports},
        "state_words": STATE_WORDS,
        "is_first": not older,
        "base": f"/operator/reports/creators/{page.creator.id}",
    }
    return render(request, "operator_creator_reports.html", context)


@router.post("/operator/reports/{report_id}/dismiss")
def dismiss(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    report_id: str,
    reason: TextField = "",
    whole_video: Annotated[str, Form(alias="all")] = "",
    page: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Dismiss the report (`all`: every open report of its video); refused, the page again
    with the reason and what was typed. Either way the queue stays at the page the form was
    on (`page`: its `after` cursor)."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            reports.dismiss_report(
                db=db,
                actor=actor.user,
                report_id=report_id,
                reason=reason,
                whole_video=whole_video.strip().lower() in {"1", "on", "true", "yes"},
            )
    except ServiceError as error:
        typed = {"report_id": report_id, "reason": reason}
        return _reports_page(
            request,
            services,
            actor.user,
            error=error,
            typed=typed,
            status=error.status,
            after=page or None,
        )
    here = f"/operator/reports?{urlencode({'after': page})}" if page else "/operator/reports"
    return flash_redirect(services, here, "reports_dismissed")


def _reports_page(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
    after: str | None = None,
) -> Response:
    with services.db.read() as db:
        try:
            queue = reports.report_queue(db=db, actor=user, limit=VIDEOS_SHOWN, after=after)
        except BadRequest:  # a damaged link: the top of the queue
            after = None
            queue = reports.report_queue(db=db, actor=user, limit=VIDEOS_SHOWN)
        reporters = _names(db, [report for found in queue.videos for report in found.reports])
        records = {
            found.video.user_id: reports.record_words(found.creator_record)
            for found in queue.videos
        }
    context: dict[str, Any] = {
        "queue": queue,
        "is_first": after is None,
        "after": after or "",
        "reporters": reporters,
        "records": records,
        "category_words": reports.CATEGORY_WORDS,
        "error": error,
        "typed": typed or {},
        "max_reason": reports.MAX_REASON_CHARS,
    }
    return render(request, "operator_reports.html", context, status=status)


def _names(db: Any, shown: list[VideoReport]) -> dict[str, str]:
    """Each shown reporter's display name, in one query."""
    from sqlalchemy import select

    ids = {report.reporter_id for report in shown}
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}
