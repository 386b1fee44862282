"""The notifications page, its "mark read" buttons, and the navigation's unread count (and
whether it shows Studio).

Every change is a POST form carrying the session's CSRF token, checked before anything else;
the service decides whose notification is whose (another user's reads as not found).

The layout shows the signed-in user's unread count on every page. Pages render from a fixed
context (templating.render), so the count is a template function, `navigation()`: it reads
the user from the page's context and the database from this request's services, which
`remember_services` (a dependency of every page, see web/routes.py) puts in a context
variable. It is async on purpose: FastAPI runs sync dependencies in a copy of the request's
context, where a value set would be lost; an async one sets it in the request's own context,
which the page handler (and any error page) then runs in.

The same query tells the layout whether to show Studio: to members of a rights-holder
organisation (an owner made with `admin create-org --kind rights_holder` keeps the role
`user`), and to administrators and users with the role `rights_holder` (whose studio says how
to get an organisation); one statement with the unread count, so it costs no extra query.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy import select

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts import invitations
from reelmint.domains.notifications import service as notifications
from reelmint.domains.rights import service as rights
from reelmint.errors import NotFound
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.forms import safe_next
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import ENVIRONMENT, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]
PAGE = 30
HOME = "/notifications"

_services: ContextVar[Services | None] = ContextVar("reelmint_page_services", default=None)


async def remember_services(request: Request) -> None:
    """Make this request's services known to the layout's template functions."""
    _services.set(request.app.state.services)


@dataclass(frozen=True)
class Navigation:
    """What the layout's navigation shows for the signed-in user."""

    unread: int = 0
    studio: bool = False
    invitations: int = 0


@pass_context
def navigation(context: Context) -> Navigation:
    """The unread count, whether to show Studio, and the open invitations to organisations,
    in one query (nothing for visitors)."""
    user: Any = context.get("user")
    services = _services.get()
    if user is None:
        return Navigation()
    by_role = user.role in ("rights_holder", "admin")  # the studio tells them how to get one
    if services is None:  # a page rendered outside a request's dependencies
        return Navigation(studio=by_role)
    with services.db.read() as db:
        unread, member, invited = db.execute(
            select(
                notifications.unread_query(user).scalar_subquery(),
                rights.holder_membership_query(user).exists(),
                invitations.open_count_query(user).scalar_subquery(),
            )
        ).one()
    return Navigation(unread=unread or 0, studio=by_role or bool(member), invitations=invited or 0)


ENVIRONMENT.globals["navigation"] = navigation


@router.get("/notifications")
def notifications_page(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    after: str | None = None,
    unread: str | None = None,
) -> Response:
    unread_only = unread == "1"
    stale = False
    with services.db.read() as db:
        try:
            page = notifications.list_notifications(
                db=db, user=actor.user, unread_only=unread_only, limit=PAGE, after=after or None
            )
        except NotFound:  # a link to a page that is gone (or made up): the newest, and why
            stale, after = True, None
            page = notifications.list_notifications(
                db=db, user=actor.user, unread_only=unread_only, limit=PAGE
            )
        unread_count = notifications.unread_count(db=db, user=actor.user)
    context = {
        "page": page,
        "is_first": not after,
        "stale_link": stale,
        "unread_only": unread_only,
        "unread_count": unread_count,
        "here": HOME + ("?unread=1" if unread_only else ""),
    }
    return render(request, "notifications.html", context, status=404 if stale else 200)


@router.post("/notifications/read-all")
def mark_all_read(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        notifications.mark_all_read(db=db, user=actor.user)
    return flash_redirect(services, _back(next), "notifications_read")


@router.post("/notifications/{notification_id}/read")
def mark_read(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    notification_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        notifications.mark_read(db=db, user=actor.user, notification_id=notification_id)
    return RedirectResponse(_back(next), status_code=303)


def _back(target: str) -> str:
    """Back to the notifications page the form was on (only ever a page of this site)."""
    return safe_next(target, HOME)
