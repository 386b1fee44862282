"""The studio's Members section: owners invite someone by profile link or user id (they join
when they accept, on /invitations) and withdraw invitations, make members owners or owners
members, and remove them; anyone leaves. Never the last owner (the service
refuses it). A refusal shows the studio page again with the reason and what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts import invitations
from reelmint.domains.accounts import service as accounts
from reelmint.domains.accounts.models import Membership, Organisation, User
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect, redirect_with_flash
from reelmint.web.forms import MAX_PROFILE_REFERENCE, profile_user_id
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.studio_pages import render_studio

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]


@router.post("/studio/{organisation_id}/members")
def add_member(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    user: TextField = "",
    role: TextField = "member",
    csrf_token: TextField = "",
) -> Response:
    """An owner invites someone by their profile link or user id (they are told, and join
    when they accept); for someone already a member, this sets their role."""
    check_form(actor, request, csrf_token)
    typed = {"user": user[:MAX_PROFILE_REFERENCE], "role": role}
    try:
        with services.db.write() as db:
            organisation = accounts.organisation_of(
                db=db, actor=actor.user, organisation_id=organisation_id
            )
            accounts.require_owner(db=db, actor=actor.user, organisation=organisation)
            person = accounts.get_user(db=db, user_id=profile_user_id(user))
            flash = _invite_or_set_role(db, actor.user, organisation, person, role)
    except ServiceError as error:
        return render_studio(
            request,
            services,
            actor.user,
            member_error=error,
            member_typed=(organisation_id, typed),
            status=error.status,
        )
    return _members_redirect(services, organisation_id, flash)


def _invite_or_set_role(
    db: Session, actor: User, organisation: Organisation, person: User, role: str
) -> str:
    """Invite `person`, or set their role if they are a member; the flash that says which."""
    before = db.get(Membership, (organisation.id, person.id))
    if before is None:
        done = invitations.invite(
            db=db, actor=actor, organisation=organisation, user=person, role=role
        )
        return "member_invited" if done.changed else "invitation_unchanged"
    was = before.role
    accounts.add_member(db=db, actor=actor, organisation=organisation, user=person, role=role)
    return "member_unchanged" if was == role else _role_flash(role)


@router.post("/studio/{organisation_id}/members/{user_id}/role")
def change_member_role(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    user_id: str,
    role: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """An owner makes a member an owner, or an owner a member (never the last owner)."""
    check_form(actor, request, csrf_token)

    def change(db: Session, organisation: Organisation) -> None:
        member = accounts.member_of(db=db, organisation=organisation, user_id=user_id)
        accounts.add_member(
            db=db, actor=actor.user, organisation=organisation, user=member.user, role=role
        )

    refused = _in_organisation(request, services, actor.user, organisation_id, change)
    return refused or _members_redirect(services, organisation_id, _role_flash(role))


@router.post("/studio/{organisation_id}/members/{user_id}/remove")
def remove_member(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    user_id: str,
    csrf_token: TextField = "",
) -> Response:
    """An owner removes a member, or anyone leaves (their own id); never the last owner. One
    who left no longer sees the organisation, so they go to the top of the studio."""
    check_form(actor, request, csrf_token)

    def change(db: Session, organisation: Organisation) -> None:
        member = accounts.member_of(db=db, organisation=organisation, user_id=user_id)
        accounts.remove_member(db=db, actor=actor.user, organisation=organisation, user=member.user)

    refused = _in_organisation(request, services, actor.user, organisation_id, change)
    if refused is not None:
        return refused
    if user_id == actor.user.id:
        secure = services.settings.secure_cookies
        return redirect_with_flash("/studio", "organisation_left", secure=secure)
    return _members_redirect(services, organisation_id, "member_removed")


@router.post("/studio/{organisation_id}/invitations/{user_id}/withdraw")
def withdraw_invitation(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: str,
    user_id: str,
    csrf_token: TextField = "",
) -> Response:
    """An owner takes an invitation back (nobody is told)."""
    check_form(actor, request, csrf_token)

    def change(db: Session, organisation: Organisation) -> None:
        invitations.withdraw(db=db, actor=actor.user, organisation=organisation, user_id=user_id)

    refused = _in_organisation(request, services, actor.user, organisation_id, change)
    return refused or _members_redirect(services, organisation_id, "invitation_withdrawn")


def _in_organisation(
    request: Request,
    services: Services,
    user: User,
    organisation_id: str,
    change: Callable[[Session, Organisation], None],
) -> Response | None:
    """Make `change` to an organisation the user belongs to, in one transaction; None when
    done, else the studio again with the service's reason."""
    try:
        with services.db.write() as db:
            organisation = accounts.organisation_of(
                db=db, actor=user, organisation_id=organisation_id
            )
            change(db, organisation)
    except ServiceError as error:
        return render_studio(request, services, user, member_error=error, status=error.status)
    return None


def _members_redirect(services: Services, organisation_id: str, flash: str) -> Response:
    target = f"/studio#members-{organisation_id}"
    return flash_redirect(services, target, flash)


def _role_flash(role: str) -> str:
    return "member_made_owner" if role == "owner" else "member_made_member"
