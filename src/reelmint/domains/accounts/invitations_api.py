"""Invitations to organisations over the API: owners invite, list and withdraw; the person
invited lists theirs and accepts or declines. Thin routes: `invitations` checks and
authorises."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.db.base import unix_time
from reelmint.domains.accounts import invitations, service
from reelmint.domains.accounts.models import OrganisationInvitation
from reelmint.domains.accounts.organisations_api import MemberIn, MemberOut

router = APIRouter(prefix="/v1", tags=["organisations"], route_class=ApiRoute)

OrganisationId = Annotated[str, PathParam(max_length=64, description="The organisation (org_...).")]
UserId = Annotated[str, PathParam(max_length=64, description="The invited account's user id.")]


class InvitationOut(BaseModel):
    object: Literal["organisation.invitation"] = "organisation.invitation"
    organisation_id: str
    organisation_name: str
    organisation_slug: str
    organisation_kind: str = Field(description="enterprise or rights_holder.")
    user_id: str = Field(description="Whom it invites.")
    display_name: str = Field(description="Their display name.")
    role: str = Field(description="What they become on accepting: owner or member.")
    invited_by: str | None = Field(
        description="The owner who invited (their user id; null once their account closed)."
    )
    created_at: int
    expires_at: int = Field(description="After this it can no longer be accepted.")
    status: Literal["open", "expired"]

    @classmethod
    def of(cls, invitation: OrganisationInvitation) -> InvitationOut:
        organisation = invitation.organisation
        return cls(
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            organisation_slug=organisation.slug,
            organisation_kind=organisation.kind,
            user_id=invitation.user_id,
            display_name=invitation.user.display_name,
            role=invitation.role,
            invited_by=invitation.invited_by_id,
            created_at=unix_time(invitation.created_at),
            expires_at=unix_time(invitation.expires_at),
            status="open" if invitations.is_open(invitation) else "expired",
        )


class InvitationList(BaseModel):
    object: Literal["list"] = "list"
    data: list[InvitationOut]


@router.post(
    "/organisations/{organisation_id}/invitations", response_model=InvitationOut, status_code=201
)
def invite(
    organisation_id: OrganisationId,
    body: MemberIn,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
) -> InvitationOut:
    """Owners invite an account (told in the app, and by email once its address is
    confirmed); it joins when it accepts. Asking again for the same open invitation answers
    200 and tells nobody again; another role, or an expired one, renews it."""
    with services.db.write() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        service.require_owner(db=db, actor=user, organisation=organisation)  # before any lookup
        person = service.get_user(db=db, user_id=body.user_id)
        done = invitations.invite(
            db=db, actor=user, organisation=organisation, user=person, role=body.role
        )
        if not done.changed:
            response.status_code = 200
        return InvitationOut.of(done.invitation)


@router.get("/organisations/{organisation_id}/invitations", response_model=InvitationList)
def list_invitations(
    organisation_id: OrganisationId, user: CurrentUser, services: ServicesDep
) -> InvitationList:
    """Its invitations, open and expired, newest first (owners only)."""
    with services.db.read() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        found = invitations.invitations_of(db=db, actor=user, organisation=organisation)
        return InvitationList(data=[InvitationOut.of(i) for i in found])


@router.delete("/organisations/{organisation_id}/invitations/{user_id}")
def withdraw(
    organisation_id: OrganisationId, user_id: UserId, user: CurrentUser, services: ServicesDep
) -> dict[str, object]:
    """Owners take an invitation back (nobody is told)."""
    with services.db.write() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        invitations.withdraw(db=db, actor=user, organisation=organisation, user_id=user_id)
    return _deleted(organisation_id, user_id)


@router.get("/invitations", response_model=InvitationList)
def my_invitations(user: CurrentUser, services: ServicesDep) -> InvitationList:
    """Your open invitations to organisations, newest first."""
    with services.db.read() as db:
        found = invitations.my_invitations(db=db, actor=user)
        return InvitationList(data=[InvitationOut.of(i) for i in found])


@router.post("/invitations/{organisation_id}/accept", response_model=MemberOut)
def accept(organisation_id: OrganisationId, user: CurrentUser, services: ServicesDep) -> MemberOut:
    """Join the organisation as the invitation says; the owner who invited is told."""
    with services.db.write() as db:
        membership = invitations.accept(db=db, actor=user, organisation_id=organisation_id)
        return MemberOut.of(membership)


@router.post("/invitations/{organisation_id}/decline")
def decline(
    organisation_id: OrganisationId, user: CurrentUser, services: ServicesDep
) -> dict[str, object]:
    """Say no (nobody is told); the organisation may invite you again."""
    with services.db.write() as db:
        invitations.decline(db=db, actor=user, organisation_id=organisation_id)
    return _deleted(organisation_id, user.id)


def _deleted(organisation_id: str, user_id: str) -> dict[str, object]:
    """What withdrawing or declining an invitation answers: it is gone."""
    return {
        "object": "organisation.invitation",
        "organisation_id": organisation_id,
        "user_id": user_id,
        "deleted": True,
    }
