"""The Invitations page: the organisations that invited the signed-in user, each with Accept
and Decline. Both are POST forms carrying the session's CSRF token; `invitations` decides
(an invitation withdrawn, declined or expired meanwhile reads as not found, and the page says
so)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts import invitations
from reelmint.domains.accounts.models import OrganisationInvitation, User
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]
HOME = invitations.INVITATIONS_LINK


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as the page lists it (plain values: the page renders after the session
    closes)."""

    organisation_id: str
    organisation_name: str
    role: str
    invited_by: str | None
    sent_at: datetime
    expires_at: datetime


@router.get(HOME)
def invitations_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    """Your open invitations, newest first."""
    return _render(request, services, actor.user)


@router.post(HOME + "/{organisation_id}/accept")
def accept(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    csrf_token: TextField = "",
) -> Response:
    """Join the organisation; a rights holder's opens in the studio."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            membership = invitations.accept(
                db=db, actor=actor.user, organisation_id=organisation_id
            )
            kind, role = membership.organisation.kind, membership.role
    except ServiceError as error:
        return _render(request, services, actor.user, error=error, status=error.status)
    if kind == "rights_holder":  # its Studio section; an enterprise's place is Settings
        target = f"/studio#members-{organisation_id}"
    else:
        target = f"/settings/organisations#organisation-{organisation_id}"
    flash = "invitation_accepted_owner" if role == "owner" else "invitation_accepted"
    return flash_redirect(services, target, flash)


@router.post(HOME + "/{organisation_id}/decline")
def decline(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    csrf_token: TextField = "",
) -> Response:
    """Say no; nobody is told."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            invitations.decline(db=db, actor=actor.user, organisation_id=organisation_id)
    except ServiceError as error:
        return _render(request, services, actor.user, error=error, status=error.status)
    return flash_redirect(services, HOME, "invitation_declined")


def _render(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    status: int = 200,
) -> Response:
    with services.db.read() as db:
        rows = [_row(i) for i in invitations.my_invitations(db=db, actor=user)]
    return render(request, "invitations.html", {"rows": rows, "error": error}, status=status)


def _row(invitation: OrganisationInvitation) -> InvitationRow:
    inviter = invitation.invited_by
    return InvitationRow(
        organisation_id=invitation.organisation_id,
        organisation_name=invitation.organisation.name,
        role=invitation.role,
        invited_by=inviter.display_name if inviter is not None else None,
        sent_at=invitation.created_at,
        expires_at=invitation.expires_at,
    )
