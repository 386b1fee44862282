"""Settings → Organisations: every organisation the signed-in user belongs to, of either kind
(a rights holder's also has its Studio section; an enterprise has only this), with their role
and a Leave button, and a link to their open invitations. Leaving is a POST form carrying the
session's CSRF token; the service refuses the last owner of an organisation with other
members, and the page says why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts import invitations
from reelmint.domains.accounts import service as accounts
from reelmint.domains.accounts.models import User
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]
HOME = "/settings/organisations"


@dataclass(frozen=True)
class OrganisationRow:
    """One organisation as the page lists it (plain values: the page renders after the
    session closes)."""

    id: str
    name: str
    kind: str
    role: str
    since: datetime


@router.get(HOME)
def organisations_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    """Your organisations, by name."""
    return _render(request, services, actor.user)


@router.post(HOME + "/{organisation_id}/leave")
def leave(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    csrf_token: TextField = "",
) -> Response:
    """Leave an organisation (never as the last owner of one with other members)."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            organisation = accounts.organisation_of(
                db=db, actor=actor.user, organisation_id=organisation_id
            )
            accounts.remove_member(
                db=db, actor=actor.user, organisation=organisation, user=actor.user
            )
    except ServiceError as error:
        return _render(request, services, actor.user, error=error, status=error.status)
    return flash_redirect(services, HOME, "organisation_left")


def _render(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    status: int = 200,
) -> Response:
    with services.db.read() as db:
        rows = [
            OrganisationRow(
                m.organisation_id, m.organisation.name, m.organisation.kind, m.role, m.created_at
            )
            for m in accounts.my_memberships(db=db, actor=user)
        ]
        invited = db.scalar(invitations.open_count_query(user)) or 0
    context = {"rows": rows, "invited": invited, "error": error}
    return render(request, "settings_organisations.html", context, status=status)
