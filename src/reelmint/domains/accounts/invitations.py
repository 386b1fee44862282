"""Invitations to organisations: nobody becomes a member without saying yes.

An owner (or an administrator) invites an account by its user id, as a member or an owner;
the person is told in the app and by email, and joins by accepting (or declines). An owner
may withdraw an invitation; one is open for `INVITATION_LIFETIME`, and inviting again renews
it. An owner who stops owning the organisation (made a member, removed, leaving, closing their
account) withdraws those they sent, and nobody joins an organisation with no owner left. A
block between the two refuses the invitation, and one made since keeps it from being accepted
(and from the invitee's list). Only the operator at the command line (`reelmint admin
set-member`) still puts an account into an organisation directly: that is how an organisation
gets a new owner when its owners are gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, joinedload

from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.domains.accounts import blocks
from reelmint.domains.accounts.models import (
    Membership,
    Organisation,
    OrganisationInvitation,
    User,
)
from reelmint.domains.accounts.service import (
    join_organisation,
    lock_organisations,
    require_owner,
    role_words,
)
from reelmint.errors import BadRequest, Conflict, NotFound

INVITATION_LIFETIME = timedelta(days=30)
INVITATIONS_LINK = "/invitations"


@dataclass(frozen=True)
class Invited:
    """What `invite` did: the invitation, and whether it is new (or renewed, or its role
    changed) rather than the same open invitation asked for again."""

    invitation: OrganisationInvitation
    changed: bool


def invite(
    *,
    db: Session,
    actor: User,
    organisation: Organisation,
    user: User,
    role: str = "member",
    now: datetime | None = None,
) -> Invited:
    """Invite `user` to the organisation as `role` (its owners, or an administrator). 409
    `already_member` for a member (change their role instead), 404 `user_not_found` for a
    closed account, 403 `interaction_not_allowed` across a block. Asking again for the same
    open invitation changes nothing and tells nobody again."""
    now = now or utcnow()
    require_owner(db=db, actor=actor, organisation=organisation)
    lock_organisations(db, [organisation.id])
    _check_role(role)
    if user.disabled_at is not None:
        raise NotFound(
            "no such account (it is closed or disabled)", code="user_not_found", param="user_id"
        )
    if db.get(Membership, (organisation.id, user.id)) is not None:
        raise Conflict(
            f"{user.display_name} is already a member of {organisation.slug}: change their "
            "role instead; nothing was changed",
            code="already_member",
            param="user_id",
        )
    blocks.require_unblocked(
        db, actor, user.id, refusal="you cannot invite this account to an organisation"
    )
    invitation = db.get(OrganisationInvitation, (organisation.id, user.id))
    if invitation is not None and _open(invitation, now) and invitation.role == role:
        return Invited(invitation, changed=False)
    if invitation is None:
        invitation = OrganisationInvitation(organisation_id=organisation.id, user_id=user.id)
        db.add(invitation)
    invitation.role = role
    invitation.invited_by_id = actor.id
    invitation.created_at = now
    invitation.expires_at = now + INVITATION_LIFETIME
    db.flush()
    _tell_invitee(db, invitation, organisation, user, actor)
    return Invited(invitation, changed=True)


def accept(
    *, db: Session, actor: User, organisation_id: str, now: datetime | None = None
) -> Membership:
    """Join the organisation as the open invitation says (404 `invitation_not_found` when
    there is none: it expired, was withdrawn, its sender stopped being an owner, a block
    stands between the two, or the organisation has no owner left to have sent it). The one
    who invited is told."""
    invitation = _mine(db, actor, organisation_id, now or utcnow())
    organisation = invitation.organisation
    inviter_id = invitation.invited_by_id
    across_block = inviter_id is not None and blocks.between(db, actor.id, inviter_id)
    if across_block or not _has_owner(db, organisation.id):
        raise NotFound(_no_invitation(organisation_id), code="invitation_not_found")
    membership = join_organisation(db, organisation, actor, invitation.role)
    _tell_inviter(db, inviter_id, organisation, actor, membership.role)
    return membership


def decline(
    *, db: Session, actor: User, organisation_id: str, now: datetime | None = None
) -> Organisation:
    """Say no to the invitation (404 `invitation_not_found` when there is none open); nobody
    is told. The organisation may invite again."""
    invitation = _mine(db, actor, organisation_id, now or utcnow())
    organisation = invitation.organisation
    db.delete(invitation)
    db.flush()
    return organisation


def withdraw(*, db: Session, actor: User, organisation: Organisation, user_id: str) -> None:
    """An owner (or an administrator) takes back an invitation, open or expired (404
    `invitation_not_found` when there is none)."""
    require_owner(db=db, actor=actor, organisation=organisation)
    lock_organisations(db, [organisation.id])
    found = (
        db.get(OrganisationInvitation, (organisation.id, user_id))
        if ID_SHAPE.fullmatch(user_id)
        else None
    )
    if found is None:
        raise NotFound(
            f"no invitation of {user_id[:64]} to {organisation.slug}",
            code="invitation_not_found",
        )
    db.delete(found)
    db.flush()


def my_invitations(
    *, db: Session, actor: User, now: datetime | None = None
) -> list[OrganisationInvitation]:
    """The actor's open invitations, newest first (not those across a block: they cannot be
    accepted)."""
    query = (
        select(OrganisationInvitation)
        .options(
            joinedload(OrganisationInvitation.organisation),
            joinedload(OrganisationInvitation.invited_by),
        )
        .where(
            OrganisationInvitation.user_id == actor.id,
            OrganisationInvitation.expires_at > (now or utcnow()),
            ~blocks.either_way(actor.id, OrganisationInvitation.invited_by_id),
        )
        .order_by(OrganisationInvitation.created_at.desc(), OrganisationInvitation.organisation_id)
    )
    return list(db.scalars(query))


def invitations_of(
    *, db: Session, actor: User, organisation: Organisation
) -> list[OrganisationInvitation]:
    """The organisation's invitations, open and expired, newest first (its owners and
    administrators only: 403 `owner_only`)."""
    require_owner(db=db, actor=actor, organisation=organisation)
    query = (
        select(OrganisationInvitation)
        .options(joinedload(OrganisationInvitation.user))
        .where(OrganisationInvitation.organisation_id == organisation.id)
        .order_by(OrganisationInvitation.created_at.desc(), OrganisationInvitation.user_id)
    )
    return list(db.scalars(query))


def is_open(invitation: OrganisationInvitation, now: datetime | None = None) -> bool:
    """Whether it can still be accepted."""
    return _open(invitation, now or utcnow())


def forget_invitations(db: Session, user_id: str) -> None:
    """Remove the invitations to a closing account, and those it sent (its organisations
    no longer invite in its name)."""
    db.execute(
        delete(OrganisationInvitation).where(
            or_(
                OrganisationInvitation.user_id == user_id,
                OrganisationInvitation.invited_by_id == user_id,
            )
        )
    )


def _open(invitation: OrganisationInvitation, now: datetime) -> bool:
    return invitation.expires_at > now


def _mine(db: Session, actor: User, organisation_id: str, now: datetime) -> OrganisationInvitation:
    """The actor's open invitation to the organisation, locked: the organisation's row first
    (as adding and removing members lock it), then the invitation's, so an account closing
    meanwhile, which deletes it, is waited for and then leaves nothing to accept."""
    found = None
    if ID_SHAPE.fullmatch(organisation_id):
        lock_organisations(db, [organisation_id])
        key = (organisation_id, actor.id)
        found = db.get(OrganisationInvitation, key, with_for_update=True, populate_existing=True)
    if found is None or not _open(found, now):
        raise NotFound(_no_invitation(organisation_id), code="invitation_not_found")
    return found


def _has_owner(db: Session, organisation_id: str) -> bool:
    query = select(Membership.user_id).where(
        Membership.organisation_id == organisation_id, Membership.role == "owner"
    )
    return db.scalar(query.limit(1)) is not None


def _no_invitation(organisation_id: str) -> str:
    return (
        f"no open invitation to the organisation {organisation_id[:64]}: it was withdrawn, "
        "declined or has expired; ask one of its owners to invite you again"
    )


def _check_role(role: str) -> None:
    if role not in ("owner", "member"):
        raise BadRequest(
            f"unknown member role {role!r}; use owner or member", code="invalid_role", param="role"
        )


def _tell_invitee(
    db: Session,
    invitation: OrganisationInvitation,
    organisation: Organisation,
    user: User,
    actor: User,
) -> None:
    from reelmint.domains.notifications.service import notify

    days = INVITATION_LIFETIME.days
    notify(
        db=db,
        user=user,
        kind="organisation_invitation",
        title=f"You are invited to join {organisation.name}",
        body=(
            f"{actor.display_name} invited you to join {organisation.name} as "
            f"{role_words(invitation.role)}. Accept or decline it on your Invitations page "
            f"within {days} days; until you accept, you are not a member."
        ),
        link=INVITATIONS_LINK,
        email=True,
    )


def _tell_inviter(
    db: Session, inviter_id: str | None, organisation: Organisation, user: User, role: str
) -> None:
    from reelmint.domains.notifications.service import notify

    inviter = db.get(User, inviter_id) if inviter_id else None
    if inviter is None or inviter.disabled_at is not None:
        return
    notify(
        db=db,
        user=inviter,
        kind="organisation_member",
        title=f"{user.display_name} joined {organisation.name}",
        body=(
            f"{user.display_name} accepted your invitation and is now {role_words(role)} of "
            f"{organisation.name}."
        ),
        link="/studio" if organisation.kind == "rights_holder" else None,
        email=False,
    )
