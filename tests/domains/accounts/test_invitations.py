"""Invitations to organisations, on SQLite and PostgreSQL: nobody joins unasked; owners
invite, the person accepts or declines, owners withdraw; invitations expire; blocks refuse
them; only the operator adds directly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.accounts import blocks, closure, invitations
from reelmint.domains.accounts.blocks import InteractionNotAllowed
from reelmint.domains.accounts.models import Membership, OrganisationInvitation, User
from reelmint.domains.accounts.service import (
    OPERATOR,
    add_member,
    create_organisation,
    members,
)
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.errors import Conflict, Forbidden, NotFound
from support import join_organisation, make_account


def news(services, user_id: str) -> list[tuple[str, str]]:
    with services.db.read() as db:
        rows = db.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.created_at, Notification.id)
        )
        return [(n.kind, n.title) for n in rows]


def roles(services, organisation_id: str) -> dict[str, str]:
    with services.db.read() as db:
        rows = db.scalars(select(Membership).where(Membership.organisation_id == organisation_id))
        return {m.user_id: m.role for m in rows}


@pytest.fixture
def studio(services_on):
    """Ada owns Wave Studios; Bob is an account outside it."""
    ada = make_account(services_on, "ada@example.com", display_name="Ada")
    bob = make_account(services_on, "bob@example.com", display_name="Bob")
    with services_on.db.write() as db:
        organisation = create_organisation(
            db=db, owner=ada.user, name="Wave Studios", slug="wave", kind="rights_holder"
        )
    return services_on, ada, bob, organisation


def test_an_invitation_is_not_a_membership_until_accepted(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        done = invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        assert done.changed
        assert done.invitation.expires_at - done.invitation.created_at == timedelta(days=30)
    assert roles(services, organisation.id) == {ada.user.id: "owner"}
    assert news(services, bob.user.id) == [
        ("organisation_invitation", "You are invited to join Wave Studios")
    ]
    with services.db.read() as db:
        mailed = db.scalars(select(EmailMessage).where(EmailMessage.to_address == bob.email)).one()
        mine = invitations.my_invitations(db=db, actor=bob.user)
        assert [(i.organisation.name, i.role, i.invited_by_id) for i in mine] == [
            ("Wave Studios", "owner", ada.user.id)
        ]
    assert mailed.subject == "You are invited to join Wave Studios"
    assert "Ada invited you to join Wave Studios as an owner" in mailed.body_text

    with services.db.write() as db:
        joined = invitations.accept(db=db, actor=bob.user, organisation_id=organisation.id)
        assert joined.role == "owner"
    assert roles(services, organisation.id) == {ada.user.id: "owner", bob.user.id: "owner"}
    assert news(services, ada.user.id) == [("organisation_member", "Bob joined Wave Studios")]
    with services.db.read() as db:
        assert invitations.my_invitations(db=db, actor=bob.user) == []
        assert db.scalar(select(func.count()).select_from(OrganisationInvitation)) == 0


def test_only_the_operator_adds_someone_directly(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db, pytest.raises(Conflict) as refused:
        add_member(db=db, actor=ada.user, organisation=organisation, user=bob.user)
    assert refused.value.code == "invitation_required"
    assert "invite them instead, and they join when they accept" in refused.value.message
    assert roles(services, organisation.id) == {ada.user.id: "owner"}
    with services.db.write() as db:
        add_member(db=db, actor=OPERATOR, organisation=organisation, user=bob.user)
    assert bob.user.id in roles(services, organisation.id)
    assert news(services, bob.user.id) == [
        ("organisation_member", "You were added to Wave Studios")
    ]
    with services.db.read() as db:
        [body] = db.scalars(select(Notification.body).where(Notification.user_id == bob.user.id))
    assert "added by the operator" in body
    assert "you may leave it under Settings, Organisations" in body


def test_asking_again_tells_nobody_twice_and_another_role_renews_it(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        first = invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
        sent = first.invitation.created_at
    with services.db.write() as db:
        again = invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
        assert not again.changed
        assert again.invitation.created_at == sent
    assert len(news(services, bob.user.id)) == 1
    with services.db.write() as db:
        owner = invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        assert owner.changed
        assert owner.invitation.role == "owner"
    assert len(news(services, bob.user.id)) == 2


def test_an_expired_invitation_cannot_be_accepted_and_inviting_again_renews_it(studio):
    services, ada, bob, organisation = studio
    long_ago = utcnow() - timedelta(days=31)
    with services.db.write() as db:
        invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=bob.user, now=long_ago
        )
    with services.db.read() as db:
        assert invitations.my_invitations(db=db, actor=bob.user) == []
        listed = invitations.invitations_of(db=db, actor=ada.user, organisation=organisation)
        assert [invitations.is_open(i) for i in listed] == [False]  # owners still see it
    with services.db.write() as db, pytest.raises(NotFound) as late:
        invitations.accept(db=db, actor=bob.user, organisation_id=organisation.id)
    assert late.value.code == "invitation_not_found"
    assert "has expired; ask one of its owners to invite you again" in late.value.message
    with services.db.write() as db:
        renewed = invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=bob.user
        )
        assert renewed.changed  # same role, but it had expired: renewed and told again
    assert len(news(services, bob.user.id)) == 2
    with services.db.write() as db:
        invitations.accept(db=db, actor=bob.user, organisation_id=organisation.id)
    assert roles(services, organisation.id)[bob.user.id] == "member"


def test_declining_and_withdrawing_join_nobody_and_tell_nobody(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
    with services.db.write() as db:
        invitations.decline(db=db, actor=bob.user, organisation_id=organisation.id)
    with services.db.write() as db, pytest.raises(NotFound):
        invitations.decline(db=db, actor=bob.user, organisation_id=organisation.id)
    assert news(services, ada.user.id) == []
    with services.db.write() as db:  # declining does not stop a later invitation
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
    with services.db.write() as db:
        invitations.withdraw(db=db, actor=ada.user, organisation=organisation, user_id=bob.user.id)
    with services.db.write() as db, pytest.raises(NotFound) as withdrawn:
        invitations.accept(db=db, actor=bob.user, organisation_id=organisation.id)
    assert withdrawn.value.code == "invitation_not_found"
    with services.db.write() as db, pytest.raises(NotFound) as none:
        invitations.withdraw(db=db, actor=ada.user, organisation=organisation, user_id=bob.user.id)
    assert none.value.code == "invitation_not_found"
    assert roles(services, organisation.id) == {ada.user.id: "owner"}


def test_only_owners_invite_list_and_withdraw(studio):
    services, ada, bob, organisation = studio
    cal = make_account(services, "cal@example.com")
    with services.db.write() as db:
        join_organisation(db, owner=ada.user, organisation=organisation, user=bob.user)
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=cal.user)
    for attempt in (
        lambda db: invitations.invite(
            db=db, actor=bob.user, organisation=organisation, user=cal.user, role="owner"
        ),
        lambda db: invitations.invitations_of(db=db, actor=bob.user, organisation=organisation),
        lambda db: invitations.withdraw(
            db=db, actor=bob.user, organisation=organisation, user_id=cal.user.id
        ),
    ):
        with services.db.write() as db, pytest.raises(Forbidden) as refused:
            attempt(db)
        assert refused.value.code == "owner_only"
    with services.db.read() as db:
        assert [i.role for i in invitations.my_invitations(db=db, actor=cal.user)] == ["member"]


def test_members_and_closed_accounts_are_not_invited(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        join_organisation(db, owner=ada.user, organisation=organisation, user=bob.user)
    with services.db.write() as db, pytest.raises(Conflict) as member:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
    assert member.value.code == "already_member"
    assert "Bob is already a member of wave: change their role instead" in member.value.message
    gone = make_account(services, "gone@example.com")
    with services.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, gone.user.id))
    with services.db.write() as db, pytest.raises(NotFound) as closed:
        invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=db.get_one(User, gone.user.id)
        )
    assert closed.value.code == "user_not_found"


@pytest.mark.parametrize("who_blocks", ["invitee", "owner"])
def test_a_block_either_way_refuses_an_invitation_and_one_made_since_its_acceptance(
    studio, who_blocks
):
    services, ada, bob, organisation = studio
    blocker, blocked = (bob, ada) if who_blocks == "invitee" else (ada, bob)
    with services.db.write() as db:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
        blocks.block(db=db, actor=blocker.user, user_id=blocked.user.id)
    with services.db.write() as db, pytest.raises(NotFound) as since:
        invitations.accept(db=db, actor=bob.user, organisation_id=organisation.id)
    assert since.value.code == "invitation_not_found"
    with services.db.write() as db, pytest.raises(InteractionNotAllowed) as refused:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
    assert refused.value.message == "you cannot invite this account to an organisation"
    assert roles(services, organisation.id) == {ada.user.id: "owner"}
    assert len(news(services, bob.user.id)) == 1  # the first invitation only


def test_an_operator_adding_them_meanwhile_stands_and_the_invitation_goes(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        add_member(db=db, actor=OPERATOR, organisation=organisation, user=bob.user)
    with services.db.read() as db:
        assert invitations.my_invitations(db=db, actor=bob.user) == []
    assert roles(services, organisation.id)[bob.user.id] == "member"


def test_closing_an_account_drops_the_invitations_to_it(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
    with services.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, bob.user.id))
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(OrganisationInvitation)) == 0
        assert [m.user_id for m in members(db=db, actor=ada.user, organisation=organisation)] == [
            ada.user.id
        ]


@pytest.mark.parametrize("role", ["member", "owner"])
@pytest.mark.parametrize("gone", ["leaves", "closes"])
def test_nobody_joins_an_organisation_whose_owners_are_gone(services_on, gone, role):
    """Ada, the only member and owner, invites Bob, then leaves (or closes her account): the
    invitation leaves Bob's list and cannot be accepted, so Bob can neither join an
    organisation with no owner nor take it over (only the operator gives it a new owner)."""
    from reelmint.domains.accounts.service import remove_member

    ada = make_account(services_on, "ada@example.com")
    bob = make_account(services_on, "bob@example.com")
    with services_on.db.write() as db:
        solo = create_organisation(db=db, owner=ada.user, name="Solo", slug="solo")
        invitations.invite(db=db, actor=ada.user, organisation=solo, user=bob.user, role=role)
    with services_on.db.write() as db:
        if gone == "leaves":
            remove_member(db=db, actor=ada.user, organisation=solo, user=ada.user)
        else:
            closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    with services_on.db.read() as db:
        assert invitations.my_invitations(db=db, actor=bob.user) == []
    with services_on.db.write() as db, pytest.raises(NotFound) as refused:
        invitations.accept(db=db, actor=bob.user, organisation_id=solo.id)
    assert refused.value.code == "invitation_not_found"
    assert roles(services_on, solo.id) == {}


@pytest.mark.parametrize("stops", ["made_member", "removed", "leaves"])
def test_an_owner_who_stops_owning_withdraws_the_invitations_they_sent(studio, stops):
    """Bob, an owner, invites Cal as an owner; then Bob is made a member (or removed, or
    leaves): his invitation is withdrawn (a rogue owner's go with them) and its notice is
    read; Ada's own invitation of Dee stands."""
    from reelmint.domains.accounts.service import remove_member
    from reelmint.domains.notifications.service import unread_count

    services, ada, bob, organisation = studio
    cal = make_account(services, "cal@example.com")
    dee = make_account(services, "dee@example.com")
    with services.db.write() as db:
        join_organisation(
            db, owner=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        invitations.invite(
            db=db, actor=bob.user, organisation=organisation, user=cal.user, role="owner"
        )
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=dee.user)
    with services.db.write() as db:
        if stops == "made_member":
            add_member(
                db=db, actor=ada.user, organisation=organisation, user=bob.user, role="member"
            )
        else:
            actor = ada.user if stops == "removed" else bob.user
            remove_member(db=db, actor=actor, organisation=organisation, user=bob.user)
    with services.db.read() as db:
        left = invitations.invitations_of(db=db, actor=ada.user, organisation=organisation)
        assert [i.user_id for i in left] == [dee.user.id]
        assert unread_count(db=db, user=cal.user) == 0
    with services.db.write() as db, pytest.raises(NotFound):
        invitations.accept(db=db, actor=cal.user, organisation_id=organisation.id)


def test_an_administrator_who_invites_is_told_of_the_joining(studio):
    services, _, bob, organisation = studio
    root = make_account(services, "root@example.com", role="admin")
    with services.db.write() as db:
        invitations.invite(db=db, actor=root.user, organisation=organisation, user=bob.user)
    with services.db.write() as db:
        invitations.accept(db=db, actor=bob.user, organisation_id=organisation.id)
    assert news(services, root.user.id) == [("organisation_member", "Bob joined Wave Studios")]


def test_another_owner_inviting_again_renews_it_in_their_name(studio):
    """Ada invites Cal; Cal blocks Ada, so the invitation can neither be seen nor accepted;
    Bob, another owner, inviting Cal again renews it in his name, and Cal may accept it."""
    services, ada, bob, organisation = studio
    cal = make_account(services, "cal@example.com")
    with services.db.write() as db:
        join_organisation(
            db, owner=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=cal.user)
        blocks.block(db=db, actor=cal.user, user_id=ada.user.id)
    with services.db.write() as db:
        again = invitations.invite(db=db, actor=bob.user, organisation=organisation, user=cal.user)
        assert again.changed
        assert again.invitation.invited_by_id == bob.user.id
    with services.db.write() as db:
        same = invitations.invite(db=db, actor=bob.user, organisation=organisation, user=cal.user)
        assert not same.changed
    with services.db.read() as db:
        assert len(invitations.my_invitations(db=db, actor=cal.user)) == 1
    with services.db.write() as db:
        invitations.accept(db=db, actor=cal.user, organisation_id=organisation.id)
    assert roles(services, organisation.id)[cal.user.id] == "member"


def test_withdrawing_one_already_accepted_says_so(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        join_organisation(db, owner=ada.user, organisation=organisation, user=bob.user)
    with services.db.write() as db, pytest.raises(NotFound) as refused:
        invitations.withdraw(db=db, actor=ada.user, organisation=organisation, user_id=bob.user.id)
    assert refused.value.message == (
        "Bob is already a member of Wave Studios (there is no invitation to withdraw); remove "
        "them instead if they should not be"
    )


def test_an_invitation_across_a_block_made_since_leaves_the_invitees_list(studio):
    services, ada, bob, organisation = studio
    with services.db.write() as db:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
        blocks.block(db=db, actor=bob.user, user_id=ada.user.id)
    with services.db.read() as db:
        assert invitations.my_invitations(db=db, actor=bob.user) == []
    with services.db.write() as db:
        blocks.unblock(db=db, actor=bob.user, user_id=ada.user.id)
    with services.db.read() as db:  # still open: it comes back
        assert len(invitations.my_invitations(db=db, actor=bob.user)) == 1


def test_closing_an_account_withdraws_the_invitations_it_sent(studio):
    services, ada, bob, organisation = studio
    cal = make_account(services, "cal@example.com")
    with services.db.write() as db:
        join_organisation(
            db, owner=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        invitations.invite(db=db, actor=bob.user, organisation=organisation, user=cal.user)
    with services.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, bob.user.id))
    with services.db.read() as db:
        assert invitations.my_invitations(db=db, actor=cal.user) == []
        assert db.scalar(select(func.count()).select_from(OrganisationInvitation)) == 0


def test_accepting_as_ones_account_closes_waits_and_then_finds_nothing(studio):
    """Bob's account closes while he accepts: the acceptance waits for the closing (it locks
    the invitation the closing deletes) and is refused; a closed account never joins."""
    from support import while_held_open

    services, ada, bob, organisation = studio
    with services.db.write() as db:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)

    def close(db):
        closure.close_account(db=db, user=db.get_one(User, bob.user.id))
        return "closed"

    def accept(db):
        invitations.accept(
            db=db, actor=db.get_one(User, bob.user.id), organisation_id=organisation.id
        )
        return "joined"

    assert while_held_open(services, close, accept) == ("closed", "invitation_not_found")
    assert roles(services, organisation.id) == {ada.user.id: "owner"}


@pytest.mark.parametrize("answer", ["accept", "decline", "withdraw"])
def test_an_answered_invitations_notices_are_read(studio, answer):
    """Invited twice (renewed as an owner), then answered or withdrawn: both notices, which
    asked Bob to accept or decline, are marked read; other news, and another organisation's
    invitation, stay unread."""
    from reelmint.domains.notifications.service import notify, unread_count

    services, ada, bob, organisation = studio
    with services.db.write() as db:
        invitations.invite(db=db, actor=ada.user, organisation=organisation, user=bob.user)
        invitations.invite(
            db=db, actor=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
        notify(db=db, user=bob.user, kind="other", title="Other news", body="x", email=False)
        other = create_organisation(db=db, owner=ada.user, name="Other", slug="other")
        invitations.invite(db=db, actor=ada.user, organisation=other, user=bob.user)
        assert unread_count(db=db, user=bob.user) == 4
    with services.db.write() as db:
        if answer == "withdraw":
            invitations.withdraw(
                db=db, actor=ada.user, organisation=organisation, user_id=bob.user.id
            )
        else:
            getattr(invitations, answer)(db=db, actor=bob.user, organisation_id=organisation.id)
    with services.db.read() as db:  # the other news, and the other organisation's invitation
        assert unread_count(db=db, user=bob.user) == 2
