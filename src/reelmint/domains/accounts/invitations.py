"""Invitations to organisations: nobody becomes a member without saying yes.

An owner (or an administrator) invites an account by its user id, as a member or an owner;
the person is told in the app and by email, and joins by accepting (or declines). An owner
may withdraw an invitation; one is open for `INVITATION_LIFETIME`, and inviting again renews
it (in the name of the owner who asks). An owner who stops owning the organisation (made a
member, removed, leaving, closing their account) withdraws the invitations they sent, so a
rogue owner's invitations go with them, and nobody joins an organisation with no owner left.
A block between the invitee and the sender refuses the invitation, and one made since keeps
it from being accepted (and from the invitee's list) until another owner invites again. An
invitation's notices are marked read once it ends. Only the operator at the command line
(`reelmint admin set-member`) still puts an account into an organisation directly: that is how
an organisation gets a new owner when its owners are gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, func, select
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
    check_member_role,
    end_invitations,
    invitation_news_key,
    join_organisation,
    lock_organisations,
    require_owner,
    role_words,
)
from reelmint.errors import Conflict, NotFound

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
    check_member_role(role)
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
    if invitation is not None and _same(invitation, actor, role, now):
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
    there is none: it expired or was withdrawn, a block stands between the invitee and its
    sender, or the organisation has no owner left). The one who invited is told, while they
    are still a member."""
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
    _end(db, invitation)
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
        raise NotFound(_nothing_to_withdraw(db, organisation, user_id), code="invitation_not_found")
    _end(db, found)
    db.flush()


def my_invitations(
    *, db: Session, actor: User, now: datetime | None = None
) -> list[OrganisationInvitation]:
    """The actor's open invitations, newest first (not those that cannot be accepted: across
    a block, or to an organisation with no owner left)."""
    query = (
        select(OrganisationInvitation)
        .options(
            joinedload(OrganisationInvitation.organisation),
            joinedload(OrganisationInvitation.invited_by),
        )
        .where(*_acceptable(actor, now or utcnow()))
        .order_by(OrganisationInvitation.created_at.desc(), OrganisationInvitation.organisation_id)
    )
    return list(db.scalars(query))


def open_count_query(user: User, now: datetime | None = None) -> Select[tuple[int]]:
    """SELECT how many invitations `user` may accept now (the navigation's count)."""
    query = select(func.count()).select_from(OrganisationInvitation)
    return query.where(*_acceptable(user, now or utcnow()))


def _acceptable(user: User, now: datetime) -> list[ColumnElement[bool]]:
    return [
        OrganisationInvitation.user_id == user.id,
        OrganisationInvitation.expires_at > now,
        ~blocks.either_way(user.id, OrganisationInvitation.invited_by_id),
        _owned(OrganisationInvitation.organisation_id),
    ]


def invitations_of(
    *, db: Session, actor: User, organisation: Organisation
) -> list[OrganisationInvitation]:
    """The organisation's invitations, open and expired, newest first (its owners and
    administrators only: 403 `owner_only`)."""
    require_owner(db=db, actor=actor, organisation=organisation)
    query = (
        select(OrganisationInvitation)
        .options(
            joinedload(OrganisationInvitation.user), joinedload(OrganisationInvitation.invited_by)
        )
        .where(OrganisationInvitation.organisation_id == organisation.id)
        .order_by(OrganisationInvitation.created_at.desc(), OrganisationInvitation.user_id)
    )
    return list(db.scalars(query))


def is_open(invitation: OrganisationInvitation, now: datetime | None = None) -> bool:
    """Whether it can still be accepted (its time has not run out)."""
    return invitation.expires_at > (now or utcnow())


def forget_invitations(db: Session, user_id: str) -> None:
    """Remove the invitations to a closing account, and those it sent (one who is gone no
    longer invites anyone; their invitees' notices are read)."""
    db.execute(delete(OrganisationInvitation).where(OrganisationInvitation.user_id == user_id))
    end_invitations(db, OrganisationInvitation.invited_by_id == user_id)


def _same(invitation: OrganisationInvitation, actor: User, role: str, now: datetime) -> bool:
    """Whether inviting again would change nothing: the same open invitation, from the same
    owner. From another owner it is renewed in their name (the first sender may since be
    blocked by the person, which keeps it from being accepted)."""
    return (
        is_open(invitation, now)
        and invitation.role == role
        and invitation.invited_by_id == actor.id
    )


def _mine(db: Session, actor: User, organisation_id: str, now: datetime) -> OrganisationInvitation:
    """The actor's open invitation to the organisation, locked: the organisation's row first
    (as adding and removing members lock it), then the invitation's, so an account closing
    meanwhile, which deletes it, is waited for and then leaves nothing to accept."""
    found = None
    if ID_SHAPE.fullmatch(organisation_id):
        lock_organisations(db, [organisation_id])
        key = (organisation_id, actor.id)
        found = db.get(OrganisationInvitation, key, with_for_update=True, populate_existing=True)
    if found is None or not is_open(found, now):
        raise NotFound(_no_invitation(organisation_id), code="invitation_not_found")
    return found


def _nothing_to_withdraw(db: Session, organisation: Organisation, user_id: str) -> str:
    """Why there is no invitation to withdraw: they are a member already, or there is none
    open."""
    member = db.get(Membership, (organisation.id, user_id)) if ID_SHAPE.fullmatch(user_id) else None
    if member is not None:
        return (
            f"{member.user.display_name} is already a member of {organisation.name} (there is "
            "no invitation to withdraw); remove them instead if they should not be"
        )
    return f"there is no open invitation of {user_id[:64]} to {organisation.name}"


def _has_owner(db: Session, organisation_id: str) -> bool:
    return bool(db.scalar(select(_owned(organisation_id))))


def _owned(organisation_id: Any) -> ColumnElement[bool]:
    """A query condition: the organisation (an id, or a column) has an owner."""
    return exists().where(Membership.organisation_id == organisation_id, Membership.role == "owner")


def _no_invitation(organisation_id: str) -> str:
    return (
        f"no open invitation to the organisation {organisation_id[:64]}: it was withdrawn, "
        "declined or has expired; ask one of its owners to invite you again"
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
        key=invitation_news_key(invitation.organisation_id, user.id)
        + invitation.created_at.isoformat(),
    )


def _end(db: Session, invitation: OrganisationInvitation) -> None:
    """Delete the invitation (declined or withdrawn); its notices are read."""
    end_invitations(
        db,
        OrganisationInvitation.organisation_id == invitation.organisation_id,
        OrganisationInvitation.user_id == invitation.user_id,
    )


def _tell_inviter(
    db: Session, inviter_id: str | None, organisation: Organisation, user: User, role: str
) -> None:
    from reelmint.domains.notifications.service import notify

    inviter = db.get(User, inviter_id) if inviter_id else None
    if inviter is None or inviter.disabled_at is not None:
        return
    if inviter.role != "admin" and db.get(Membership, (organisation.id, inviter.id)) is None:
        return  # they left, or were removed: no news of the organisation for them
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
