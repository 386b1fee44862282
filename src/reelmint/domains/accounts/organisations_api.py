"""Organisations over the API: yours, their members, and (owners) promoting and removing
members; anyone may leave. Joining is by invitation (`invitations_api`). Thin routes: the
service checks and authorises."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.db.base import unix_time
from reelmint.domains.accounts import service
from reelmint.domains.accounts.models import Membership, Organisation

router = APIRouter(prefix="/v1", tags=["organisations"], route_class=ApiRoute)

OrganisationId = Annotated[str, PathParam(max_length=64, description="The organisation (org_...).")]
UserId = Annotated[str, PathParam(max_length=64, description="The member's user id.")]
Role = Literal["owner", "member"]


class OrganisationOut(BaseModel):
    id: str
    object: Literal["organisation"] = "organisation"
    name: str
    slug: str
    kind: str = Field(description="enterprise or rights_holder.")
    role: str = Field(description="Your role there: owner or member.")

    @classmethod
    def of(cls, organisation: Organisation, role: str) -> OrganisationOut:
        return cls(
            id=organisation.id,
            name=organisation.name,
            slug=organisation.slug,
            kind=organisation.kind,
            role=role,
        )


class OrganisationList(BaseModel):
    object: Literal["list"] = "list"
    data: list[OrganisationOut]


class MemberOut(BaseModel):
    object: Literal["organisation.member"] = "organisation.member"
    organisation_id: str
    user_id: str
    display_name: str
    role: str
    created_at: int = Field(description="When they joined.")

    @classmethod
    def of(cls, membership: Membership) -> MemberOut:
        return cls(
            organisation_id=membership.organisation_id,
            user_id=membership.user_id,
            display_name=membership.user.display_name,
            role=membership.role,
            created_at=unix_time(membership.created_at),
        )


class MemberList(BaseModel):
    object: Literal["list"] = "list"
    data: list[MemberOut]


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(
        max_length=64, description="Their user id (in their profile's address, /people/ID)."
    )
    role: Role = "member"


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


@router.get("/organisations", response_model=OrganisationList)
def my_organisations(user: CurrentUser, services: ServicesDep) -> OrganisationList:
    """The organisations you belong to, with your role."""
    with services.db.read() as db:
        found = service.my_organisations(db=db, actor=user)
        return OrganisationList(data=[OrganisationOut.of(o, role) for o, role in found])


@router.get("/organisations/{organisation_id}/members", response_model=MemberList)
def list_members(
    organisation_id: OrganisationId, user: CurrentUser, services: ServicesDep
) -> MemberList:
    """Its members, owners first (members and administrators only)."""
    with services.db.read() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        found = service.members(db=db, actor=user, organisation=organisation)
        return MemberList(data=[MemberOut.of(m) for m in found])


@router.post("/organisations/{organisation_id}/members", response_model=MemberOut, status_code=201)
def add_member(
    organisation_id: OrganisationId, body: MemberIn, user: CurrentUser, services: ServicesDep
) -> MemberOut:
    """Owners set a member's role. Someone who is not a member yet is invited instead (`POST
    /v1/organisations/{id}/invitations`; here 409 `invitation_required`): nobody joins an
    organisation without accepting."""
    with services.db.write() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        service.require_owner(db=db, actor=user, organisation=organisation)  # before any lookup
        member = service.get_user(db=db, user_id=body.user_id)
        added = service.add_member(
            db=db, actor=user, organisation=organisation, user=member, role=body.role
        )
        return MemberOut.of(added)


@router.patch("/organisations/{organisation_id}/members/{user_id}", response_model=MemberOut)
def change_role(
    organisation_id: OrganisationId,
    user_id: UserId,
    body: RoleIn,
    user: CurrentUser,
    services: ServicesDep,
) -> MemberOut:
    """Owners make a member an owner or the other way; never the last owner a member."""
    with services.db.write() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        member = service.member_of(db=db, organisation=organisation, user_id=user_id)
        changed = service.add_member(
            db=db, actor=user, organisation=organisation, user=member.user, role=body.role
        )
        return MemberOut.of(changed)


@router.delete("/organisations/{organisation_id}/members/{user_id}")
def remove_member(
    organisation_id: OrganisationId, user_id: UserId, user: CurrentUser, services: ServicesDep
) -> dict[str, object]:
    """Owners remove a member; anyone leaves (their own id); never the last owner."""
    with services.db.write() as db:
        organisation = service.organisation_of(db=db, actor=user, organisation_id=organisation_id)
        member = service.member_of(db=db, organisation=organisation, user_id=user_id)
        service.remove_member(db=db, actor=user, organisation=organisation, user=member.user)
    return {
        "object": "organisation.member",
        "organisation_id": organisation_id,
        "user_id": user_id,
        "deleted": True,
    }
