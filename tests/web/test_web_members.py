"""An organisation's members on /studio: everyone sees them; owners invite (by profile link or
user id; the person is told and joins on accepting at /invitations, or declines), withdraw
invitations, promote, demote and remove members, never the last owner; a plain member may
only leave, and then no longer sees the organisation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import Browser, sign_in

from reelmint.domains.accounts.models import Membership, OrganisationInvitation
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.notifications.models import Notification
from support import Account, join_organisation, make_account

# --- helpers ----------------------------------------------------------------------------------


def holder(services) -> tuple[Account, Account, str]:
    """A rights-holder organisation: its owner, a plain member, and its id."""
    owner = make_account(services, "owner@wave.example.com", display_name="Olive Owner")
    member = make_account(services, "member@wave.example.com", display_name="Mia Member")
    with services.db.write() as db:
        organisation = create_organisation(
            db=db, owner=owner.user, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        join_organisation(db, owner=owner.user, organisation=organisation, user=member.user)
        return owner, member, organisation.id


def browser(client: TestClient, services, account: Account) -> Browser:
    """A browser of its own (its own cookies), signed in as `account`."""
    return sign_in(services, TestClient(client.app), account)


def memberships(services, organisation_id: str) -> dict[str, str]:
    """The organisation's members in the database: user id -> role."""
    with services.db.read() as db:
        rows = db.scalars(
            select(Membership).where(Membership.organisation_id == organisation_id)
        ).all()
        return {m.user_id: m.role for m in rows}


def told(services, user_id: str) -> list[str]:
    """The kinds of the notifications `user_id` has."""
    with services.db.read() as db:
        return list(
            db.scalars(select(Notification.kind).where(Notification.user_id == user_id)).all()
        )


def section(page: str, organisation_id: str) -> str:
    """The organisation's members section: from its heading to the characters'."""
    start = page.index(f'id="members-{organisation_id}"')
    return page[start : page.index("<h3>Characters</h3>", start)]


def row(page: str, user_id: str) -> str:
    start = page.index(f'data-member="{user_id}"')
    return page[start : page.index("</tr>", start)]


def invitation_row(page: str, user_id: str) -> str:
    start = page.index(f'data-invitation="{user_id}"')
    return page[start : page.index("</tr>", start)]


# --- everyone sees the members ----------------------------------------------------------------


def test_every_member_sees_the_members_owners_first_with_their_profiles(services, client):
    owner, member, org_id = holder(services)
    for account in (owner, member):
        members = section(browser(client, services, account).get("/studio").text, org_id)
        assert members.index(f'data-member="{owner.user.id}"') < members.index(
            f'data-member="{member.user.id}"'
        )
        first = row(members, owner.user.id)
        assert f'<a href="/people/{owner.user.id}" data-role="member-name">Olive Owner</a>' in first
        assert 'data-role="member-role">owner<' in first
        assert "<time datetime=" in first
        second = row(members, member.user.id)
        assert f'href="/people/{member.user.id}"' in second
        assert 'data-role="member-role">member<' in second


# --- owners invite members --------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "http://testserver/people/{id}",
        "https://reelmint.example/users/{id}/",
        "/users/{id}",
        "{id}",
    ],
    ids=["profile-link", "users-link", "path", "bare-id"],
)
def test_an_owner_invites_by_profile_link_or_id_and_they_join_when_they_accept(
    services, client, reference
):
    owner, member, org_id = holder(services)
    newcomer = make_account(services, "new@example.com", display_name="Nell Newcomer")
    studio = browser(client, services, owner)
    page = studio.get("/studio").text
    assert f'action="/studio/{org_id}/members"' in page
    assert 'data-role="member-form"' in page
    assert ">Invite</button>" in page

    invited = studio.post(
        f"/studio/{org_id}/members",
        {"user": f"  {reference.format(id=newcomer.user.id)} ", "role": "member"},
    )
    assert (invited.status_code, invited.headers["location"]) == (303, f"/studio#members-{org_id}")
    before = {owner.user.id: "owner", member.user.id: "member"}
    assert memberships(services, org_id) == before  # not a member until they say yes
    assert told(services, newcomer.user.id) == ["organisation_invitation"]
    page = studio.get("/studio").text
    assert "Invited: they are told" in page  # the flash
    waiting = invitation_row(page, newcomer.user.id)
    assert "Nell Newcomer" in waiting
    assert "waiting for an answer until" in waiting
    assert 'data-role="invitation-sender">Olive Owner<' in waiting
    assert f'action="/studio/{org_id}/invitations/{newcomer.user.id}/withdraw"' in waiting
    assert f'data-member="{newcomer.user.id}"' not in page
    # The newcomer has no studio yet; their Invitations page has Accept and Decline.
    theirs = browser(client, services, newcomer)
    assert f'id="members-{org_id}"' not in theirs.get("/studio").text
    offer = theirs.get("/invitations").text
    assert "Wave Studios" in offer
    assert "sent by Olive Owner" in offer
    assert f'action="/invitations/{org_id}/accept"' in offer
    assert f'action="/invitations/{org_id}/decline"' in offer

    joined = theirs.post(f"/invitations/{org_id}/accept")
    assert (joined.status_code, joined.headers["location"]) == (303, f"/studio#members-{org_id}")
    assert memberships(services, org_id) == {**before, newcomer.user.id: "member"}
    assert f'id="members-{org_id}"' in theirs.get("/studio").text
    assert "You have no open invitations." in theirs.get("/invitations").text
    # Told of each who joined: Mia (the helper's) and now Nell.
    assert told(services, owner.user.id) == ["organisation_member"] * 2
    page = studio.get("/studio").text
    assert 'data-role="member-role">member<' in row(page, newcomer.user.id)
    assert f'data-invitation="{newcomer.user.id}"' not in page


def test_an_owner_invites_an_owner(services, client):
    owner, _, org_id = holder(services)
    newcomer = make_account(services, "new@example.com")
    studio = browser(client, services, owner)
    invited = studio.post(f"/studio/{org_id}/members", {"user": newcomer.user.id, "role": "owner"})
    assert invited.status_code == 303
    assert newcomer.user.id not in memberships(services, org_id)
    assert told(services, newcomer.user.id) == ["organisation_invitation"]
    offer = browser(client, services, newcomer)
    assert "as an owner (you could then change its members" in offer.get("/invitations").text
    assert offer.post(f"/invitations/{org_id}/accept").status_code == 303
    assert memberships(services, org_id)[newcomer.user.id] == "owner"


def test_declining_or_a_withdrawn_invitation_joins_nobody(services, client):
    owner, _, org_id = holder(services)
    before = memberships(services, org_id)
    nell = make_account(services, "nell@example.com")
    olga = make_account(services, "olga@example.com", display_name="Olga")
    studio = browser(client, services, owner)
    for person in (nell, olga):
        studio.post(f"/studio/{org_id}/members", {"user": person.user.id})
    again = studio.post(f"/studio/{org_id}/members", {"user": nell.user.id})
    assert again.status_code == 303
    assert "already invited in that role: nothing changed" in studio.get("/studio").text
    assert told(services, nell.user.id) == ["organisation_invitation"]  # not told twice

    hers = browser(client, services, nell)
    declined = hers.post(f"/invitations/{org_id}/decline")
    assert (declined.status_code, declined.headers["location"]) == (303, "/invitations")
    assert "Declined: you did not join" in hers.get("/invitations").text
    assert told(services, owner.user.id) == ["organisation_member"]  # Mia's joining only
    gone = hers.post(f"/invitations/{org_id}/accept")
    assert gone.status_code == 404
    assert "No open invitation to the organisation" in gone.text
    assert "ask one of its owners to invite you again" in gone.text

    withdrawn = studio.post(f"/studio/{org_id}/invitations/{olga.user.id}/withdraw")
    assert (withdrawn.status_code, withdrawn.headers["location"]) == (
        303,
        f"/studio#members-{org_id}",
    )
    assert "The invitation was withdrawn" in studio.get("/studio").text
    late = browser(client, services, olga).post(f"/invitations/{org_id}/accept")
    assert late.status_code == 404
    assert memberships(services, org_id) == before
    missing = studio.post(f"/studio/{org_id}/invitations/{olga.user.id}/withdraw")
    assert missing.status_code == 404
    assert f"There is no open invitation of {olga.user.id} to Wave Studios" in missing.text


def test_a_plain_member_cannot_withdraw_an_invitation(services, client):
    owner, member, org_id = holder(services)
    nell = make_account(services, "nell@example.com")
    browser(client, services, owner).post(f"/studio/{org_id}/members", {"user": nell.user.id})
    theirs = browser(client, services, member)
    assert f'data-invitation="{nell.user.id}"' not in theirs.get("/studio").text
    forged = theirs.post(f"/studio/{org_id}/invitations/{nell.user.id}/withdraw")
    assert forged.status_code == 403
    assert "Only an owner of the organisation may change its members" in forged.text
    assert browser(client, services, nell).post(f"/invitations/{org_id}/accept").status_code == 303


def test_adding_someone_already_there_in_that_role_says_nothing_changed(services, client):
    owner, member, org_id = holder(services)
    studio = browser(client, services, owner)
    again = studio.post(f"/studio/{org_id}/members", {"user": member.user.id, "role": "member"})
    assert again.status_code == 303
    page = studio.get("/studio").text
    assert "already in the organisation in that role: nothing changed" in page
    assert "Made a member" not in page
    assert memberships(services, org_id)[member.user.id] == "member"


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("user_doesnotexist", 404, "No user user_doesnotexist"),
        ("https://testserver/videos/video_abc", 400, "Give their profile link"),
        ("user abc", 400, "Give their profile link"),
        ("", 400, "Give their profile link"),
        ("/people/" + "a" * 65, 400, "Give their profile link"),
        ("x" * 301, 400, "A profile link or user id is at most 300 characters"),
    ],
    ids=["unknown", "not-a-profile", "not-an-id", "empty", "too-long-id", "too-long"],
)
def test_an_unknown_or_malformed_member_is_refused_with_the_reason_and_nothing_is_added(
    services, client, typed, status, message
):
    owner, member, org_id = holder(services)
    before = memberships(services, org_id)
    refused = browser(client, services, owner).post(
        f"/studio/{org_id}/members", {"user": typed, "role": "owner"}
    )
    assert refused.status_code == status
    assert "The members were not changed." in refused.text
    assert message in refused.text
    members = section(refused.text, org_id)
    assert 'aria-invalid="true" aria-describedby="member-user-help-' in members
    assert f'value="{typed[:300]}"' in members  # what was typed stays, to correct
    assert '<option value="owner" selected>' in members
    assert memberships(services, org_id) == before
    with services.db.read() as db:  # nobody invited, nobody but the owner ever told
        assert db.scalars(select(OrganisationInvitation)).all() == []
        assert set(db.scalars(select(Notification.user_id))) == {owner.user.id, member.user.id}


def test_a_closed_account_cannot_be_added(services, client):
    from reelmint.db.base import utcnow
    from reelmint.domains.accounts.models import User

    owner, _, org_id = holder(services)
    gone = make_account(services, "gone@example.com")
    with services.db.write() as db:
        db.get_one(User, gone.user.id).disabled_at = utcnow()
    refused = browser(client, services, owner).post(
        f"/studio/{org_id}/members", {"user": gone.user.id}
    )
    assert refused.status_code == 404
    assert "No such account (it is closed or disabled)" in refused.text
    assert gone.user.id not in memberships(services, org_id)


# --- promote, demote, remove ------------------------------------------------------------------


def test_an_owner_promotes_and_demotes_a_member(services, client):
    owner, member, org_id = holder(services)
    studio = browser(client, services, owner)
    page = studio.get("/studio").text
    theirs = row(page, member.user.id)
    assert f'action="/studio/{org_id}/members/{member.user.id}/role"' in theirs
    assert '<input type="hidden" name="role" value="owner">' in theirs
    assert ">Make owner</button>" in theirs

    promoted = studio.post(f"/studio/{org_id}/members/{member.user.id}/role", {"role": "owner"})
    assert (promoted.status_code, promoted.headers["location"]) == (
        303,
        f"/studio#members-{org_id}",
    )
    assert memberships(services, org_id) == {owner.user.id: "owner", member.user.id: "owner"}
    page = studio.get("/studio").text
    assert "Made an owner" in page  # the flash
    theirs = row(page, member.user.id)
    assert 'data-role="member-role">owner<' in theirs
    assert ">Make member</button>" in theirs
    # With two owners, either may step down: the owner's own row offers it now.
    assert ">Make member</button>" in row(page, owner.user.id)
    assert 'data-role="sole-owner"' not in page

    demoted = studio.post(f"/studio/{org_id}/members/{member.user.id}/role", {"role": "member"})
    assert demoted.status_code == 303
    assert memberships(services, org_id) == {owner.user.id: "owner", member.user.id: "member"}
    page = studio.get("/studio").text
    assert "Made a member" in page
    assert 'data-role="member-role">member<' in row(page, member.user.id)
    # Invited, then told when made an owner and when made a member again.
    assert sorted(told(services, member.user.id)) == [
        "organisation_invitation",
        "organisation_member",
        "organisation_member",
    ]


def test_an_owner_removes_a_member(services, client):
    owner, member, org_id = holder(services)
    studio = browser(client, services, owner)
    assert f'action="/studio/{org_id}/members/{member.user.id}/remove"' in row(
        studio.get("/studio").text, member.user.id
    )
    removed = studio.post(f"/studio/{org_id}/members/{member.user.id}/remove")
    assert (removed.status_code, removed.headers["location"]) == (303, f"/studio#members-{org_id}")
    assert memberships(services, org_id) == {owner.user.id: "owner"}
    page = studio.get("/studio").text
    assert "Removed: they no longer see the organisation" in page
    assert f'data-member="{member.user.id}"' not in page
    assert f'data-org="{org_id}"' not in browser(client, services, member).get("/studio").text


def test_the_last_owner_can_neither_step_down_nor_be_removed_nor_leave(services, client):
    owner, _, org_id = holder(services)
    before = memberships(services, org_id)
    studio = browser(client, services, owner)
    page = studio.get("/studio").text
    mine = row(page, owner.user.id)
    assert 'data-role="sole-owner"' in mine  # no buttons that would be refused
    assert "/role" not in mine
    assert "/remove" not in mine

    for path, data in [
        (f"/studio/{org_id}/members/{owner.user.id}/role", {"role": "member"}),
        (f"/studio/{org_id}/members/{owner.user.id}/remove", {}),
        (f"/studio/{org_id}/members", {"user": owner.user.id, "role": "member"}),
    ]:
        refused = studio.post(path, data)
        assert refused.status_code == 409, path
        assert "The members were not changed." in refused.text
        assert "Olive Owner is the only owner of wave and cannot" in refused.text
        assert "make another member an owner first; nothing was changed" in refused.text
        assert memberships(services, org_id) == before
    assert f'data-org="{org_id}"' in studio.get("/studio").text


def test_a_member_or_owner_not_in_the_organisation_is_not_found(services, client):
    owner, _, org_id = holder(services)
    stranger = make_account(services, "stranger@example.com")
    studio = browser(client, services, owner)
    before = memberships(services, org_id)
    missing = studio.post(f"/studio/{org_id}/members/{stranger.user.id}/remove")
    assert missing.status_code == 404
    assert f"No member {stranger.user.id} in wave" in missing.text
    nowhere = studio.post(f"/studio/org_nope/members/{stranger.user.id}/role", {"role": "owner"})
    assert nowhere.status_code == 404
    assert "No organisation org_nope" in nowhere.text
    assert memberships(services, org_id) == before


# --- a plain member ---------------------------------------------------------------------------


def test_a_plain_member_sees_no_owner_forms_and_forged_posts_are_refused(services, client):
    owner, member, org_id = holder(services)
    outsider = make_account(services, "outsider@example.com")
    theirs = browser(client, services, member)
    page = theirs.get("/studio").text
    members = section(page, org_id)
    assert 'data-role="member-form"' not in members
    assert f'action="/studio/{org_id}/members"' not in members
    assert "/role" not in members
    assert 'data-role="member-remove-form"' not in members
    assert 'data-role="members-owners-only"' in members
    assert "/remove" not in row(members, owner.user.id)
    assert f'action="/studio/{org_id}/members/{member.user.id}/remove"' in row(
        members, member.user.id
    )  # their own Leave
    assert ">Leave</button>" in row(members, member.user.id)

    before = memberships(services, org_id)
    for path, data in [
        (f"/studio/{org_id}/members", {"user": outsider.user.id, "role": "member"}),
        (f"/studio/{org_id}/members", {"user": member.user.id, "role": "owner"}),
        (f"/studio/{org_id}/members/{member.user.id}/role", {"role": "owner"}),
        (f"/studio/{org_id}/members/{owner.user.id}/role", {"role": "member"}),
        (f"/studio/{org_id}/members/{owner.user.id}/remove", {}),
    ]:
        forged = theirs.post(path, data)
        assert forged.status_code == 403, path
        assert "Only an owner of the organisation may change its members" in forged.text
        assert memberships(services, org_id) == before
    assert told(services, outsider.user.id) == []


def test_a_member_leaves_and_no_longer_sees_the_organisation(services, client):
    owner, member, org_id = holder(services)
    theirs = browser(client, services, member)
    assert f'data-org="{org_id}"' in theirs.get("/studio").text
    left = theirs.post(f"/studio/{org_id}/members/{member.user.id}/remove")
    assert (left.status_code, left.headers["location"]) == (303, "/studio")
    assert memberships(services, org_id) == {owner.user.id: "owner"}
    page = theirs.get("/studio").text
    assert "You left the organisation" in page  # the flash
    assert f'data-org="{org_id}"' not in page
    assert "Wave Studios" not in page
    # Gone for good: posting again finds no such organisation for them.
    again = theirs.post(f"/studio/{org_id}/members/{member.user.id}/remove")
    assert again.status_code == 404
    page = browser(client, services, owner).get("/studio").text
    assert f'data-member="{member.user.id}"' not in page


def test_an_owner_leaves_when_another_owner_remains(services, client):
    owner, member, org_id = holder(services)
    studio = browser(client, services, owner)
    promoted = studio.post(f"/studio/{org_id}/members/{member.user.id}/role", {"role": "owner"})
    assert promoted.status_code == 303
    mine = row(studio.get("/studio").text, owner.user.id)
    assert ">Leave</button>" in mine
    left = studio.post(f"/studio/{org_id}/members/{owner.user.id}/remove")
    assert (left.status_code, left.headers["location"]) == (303, "/studio")
    assert memberships(services, org_id) == {member.user.id: "owner"}


# --- every members form needs the session's CSRF token ----------------------------------------

FORMS = [
    ("/studio/{org}/members", {"user": "{outsider}", "role": "member"}),
    ("/studio/{org}/members/{member}/role", {"role": "owner"}),
    ("/studio/{org}/members/{member}/remove", {}),
]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[path for path, _ in FORMS])
@pytest.mark.parametrize("token", [None, "a-guessed-token"], ids=["absent", "wrong"])
def test_a_members_form_without_the_csrf_token_is_refused_and_changes_nothing(
    services, client, path, data, token
):
    owner, member, org_id = holder(services)
    outsider = make_account(services, "outsider@example.com")
    ids = {"org": org_id, "member": member.user.id, "outsider": outsider.user.id}
    studio = browser(client, services, owner)
    before = memberships(services, org_id)
    form = {name: value.format(**ids) for name, value in data.items()}
    if token is not None:
        form["csrf_token"] = token
    response = studio.client.post(path.format(**ids), data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_failed" in response.text
    assert memberships(services, org_id) == before
    assert told(services, outsider.user.id) == []
