"""Organisations over the API: yours, their members; owners invite, promote and remove;
anyone leaves; never the last owner; outsiders cannot tell an organisation exists."""

from __future__ import annotations

from sqlalchemy import select

from reelmint.domains.accounts import closure
from reelmint.domains.accounts.models import Membership, Organisation, User
from reelmint.domains.accounts.service import add_member, create_organisation
from reelmint.domains.notifications.models import EmailMessage, Notification
from support import join_organisation, make_account, while_held_open


def studio(services, owner) -> str:
    with services.db.write() as db:
        return create_organisation(
            db=db, owner=owner.user, name="Wave Studios", slug="wave", kind="rights_holder"
        ).id


def roles(services, organisation_id: str) -> dict[str, str]:
    with services.db.read() as db:
        rows = db.scalars(select(Membership).where(Membership.organisation_id == organisation_id))
        return {m.user_id: m.role for m in rows}


def test_owners_invite_promote_and_remove_members(services, client):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    bob = make_account(services, "bob@example.com", display_name="Bob")
    org = studio(services, ada)
    members = f"/v1/organisations/{org}/members"
    direct = client.post(members, json={"user_id": bob.user.id}, headers=ada.headers)
    assert (direct.status_code, direct.json()["error"]["code"]) == (409, "invitation_required")
    invited = client.post(
        f"/v1/organisations/{org}/invitations", json={"user_id": bob.user.id}, headers=ada.headers
    )
    assert invited.status_code == 201
    added = client.post(f"/v1/invitations/{org}/accept", headers=bob.headers)
    assert added.status_code == 200
    assert {k: added.json()[k] for k in ("user_id", "display_name", "role")} == {
        "user_id": bob.user.id,
        "display_name": "Bob",
        "role": "member",
    }
    with services.db.read() as db:
        told = db.scalars(select(Notification).where(Notification.user_id == bob.user.id)).all()
    assert [(n.kind, n.title) for n in told] == [
        ("organisation_invitation", "You are invited to join Wave Studios")
    ]
    mine = client.get("/v1/organisations", headers=bob.headers).json()["data"]
    assert [(o["id"], o["slug"], o["kind"], o["role"]) for o in mine] == [
        (org, "wave", "rights_holder", "member")
    ]
    probe = client.post(members, json={"user_id": "user_nope"}, headers=bob.headers)
    assert (probe.status_code, probe.json()["error"]["code"]) == (403, "owner_only")
    listed = client.get(members, headers=bob.headers).json()["data"]
    assert [(m["display_name"], m["role"]) for m in listed] == [("Ada", "owner"), ("Bob", "member")]
    not_owner = client.patch(
        f"{members}/{ada.user.id}", json={"role": "member"}, headers=bob.headers
    )
    assert not_owner.status_code == 403
    assert not_owner.json()["error"]["code"] == "owner_only"
    promoted = client.patch(f"{members}/{bob.user.id}", json={"role": "owner"}, headers=ada.headers)
    assert promoted.json()["role"] == "owner"
    removed = client.delete(f"{members}/{ada.user.id}", headers=bob.headers)
    assert removed.json()["deleted"] is True
    assert roles(services, org) == {bob.user.id: "owner"}
    # Each is told what another did to their membership, in the app and by email.
    with services.db.read() as db:
        news = db.scalars(
            select(Notification)
            .where(Notification.kind == "organisation_member")
            .order_by(Notification.created_at)
        ).all()
        mailed = db.scalars(select(EmailMessage.subject)).all()
    assert [(n.user_id, n.title) for n in news] == [
        (ada.user.id, "Bob joined Wave Studios"),
        (bob.user.id, "Your role in Wave Studios changed"),
        (ada.user.id, "You were removed from Wave Studios"),
    ]
    assert "You were removed from Wave Studios" in mailed


def test_the_last_owner_stays_and_members_may_leave(services, client):
    ada = make_account(services, "ada@example.com")
    bob = make_account(services, "bob@example.com")
    org = studio(services, ada)
    members = f"/v1/organisations/{org}/members"
    with services.db.write() as db:
        organisation = db.get_one(Organisation, org)
        join_organisation(db, owner=ada.user, organisation=organisation, user=bob.user)
    for refused in (
        client.patch(f"{members}/{ada.user.id}", json={"role": "member"}, headers=ada.headers),
        client.delete(f"{members}/{ada.user.id}", headers=ada.headers),
    ):
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "sole_owner"
        assert "make another member an owner first" in refused.json()["error"]["message"]
    left = client.delete(f"{members}/{bob.user.id}", headers=bob.headers)  # leaving
    assert left.status_code == 200
    assert roles(services, org) == {ada.user.id: "owner"}


def test_outsiders_and_bad_input_change_nothing(services, client):
    ada = make_account(services, "ada@example.com")
    eve = make_account(services, "eve@example.com")
    org = studio(services, ada)
    members = f"/v1/organisations/{org}/members"
    for response in (
        client.get(members, headers=eve.headers),
        client.post(members, json={"user_id": eve.user.id}, headers=eve.headers),
        client.get("/v1/organisations/org_nope/members", headers=eve.headers),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "organisation_not_found"
    forged = client.post(members, json={"user_id": "user_nope"}, headers=eve.headers)
    assert forged.status_code == 404  # eve is no member: the organisation is not found
    unknown = client.post(members, json={"user_id": "user_nope"}, headers=ada.headers)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "user_not_found")
    bad_role = client.post(
        members, json={"user_id": eve.user.id, "role": "emperor"}, headers=ada.headers
    )
    assert bad_role.status_code == 400
    not_member = client.delete(f"{members}/{eve.user.id}", headers=ada.headers)
    assert (not_member.status_code, not_member.json()["error"]["code"]) == (
        404,
        "member_not_found",
    )
    assert client.get("/v1/organisations", headers=eve.headers).json()["data"] == []
    assert roles(services, org) == {ada.user.id: "owner"}


def two_owners(services):
    """Ada and Bob, both owners of the studio; its id."""
    ada = make_account(services, "ada@example.com")
    bob = make_account(services, "bob@example.com")
    org = studio(services, ada)
    with services.db.write() as db:
        organisation = db.get_one(Organisation, org)
        join_organisation(
            db, owner=ada.user, organisation=organisation, user=bob.user, role="owner"
        )
    return ada, bob, org


def step_down(db, who, org: str) -> str:
    me = db.get_one(User, who.user.id)
    add_member(db=db, actor=me, organisation=db.get_one(Organisation, org), user=me, role="member")
    return "stepped down"


def test_two_owners_stepping_down_at_once_leave_one_owner(services_on):
    """Ada steps down and, before she commits, Bob tries to: he must wait for her and then be
    refused, not see two owners and leave none."""
    ada, bob, org = two_owners(services_on)
    outcomes = while_held_open(
        services_on, lambda db: step_down(db, ada, org), lambda db: step_down(db, bob, org)
    )
    assert outcomes == ("stepped down", "sole_owner")
    assert roles(services_on, org) == {ada.user.id: "member", bob.user.id: "owner"}


def test_closing_while_the_other_owner_steps_down_leaves_an_owner(services_on):
    """Bob steps down and, before he commits, Ada (the other owner) closes her account: the
    closing waits for him and is then refused, rather than leave the studio with no owner."""
    ada, bob, org = two_owners(services_on)

    def ada_closes(db) -> str:
        closure.close_account(db=db, user=db.get_one(User, ada.user.id))
        return "closed"

    outcomes = while_held_open(services_on, lambda db: step_down(db, bob, org), ada_closes)
    assert outcomes == ("stepped down", "sole_owner")
    assert roles(services_on, org) == {ada.user.id: "owner", bob.user.id: "member"}
