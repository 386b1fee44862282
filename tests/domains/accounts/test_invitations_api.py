"""Invitations over the API: owners invite (201, again 200), list and withdraw; the person
invited lists theirs, accepts (a membership) or declines; refusals carry stable codes."""

from __future__ import annotations

from sqlalchemy import select

from reelmint.domains.accounts.models import Membership, Organisation
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.notifications.models import Notification
from support import join_organisation, make_account


def studio(services, owner) -> str:
    with services.db.write() as db:
        return create_organisation(
            db=db, owner=owner.user, name="Wave Studios", slug="wave", kind="rights_holder"
        ).id


def member_ids(services, organisation_id: str) -> set[str]:
    with services.db.read() as db:
        query = select(Membership.user_id).where(Membership.organisation_id == organisation_id)
        return set(db.scalars(query))


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_invite_list_accept(services, client):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    bob = make_account(services, "bob@example.com", display_name="Bob")
    org = studio(services, ada)
    invitations = f"/v1/organisations/{org}/invitations"
    invited = client.post(
        invitations, json={"user_id": bob.user.id, "role": "owner"}, headers=ada.headers
    )
    assert invited.status_code == 201
    body = invited.json()
    assert body["object"] == "organisation.invitation"
    assert {k: body[k] for k in ("organisation_id", "user_id", "display_name", "role")} == {
        "organisation_id": org,
        "user_id": bob.user.id,
        "display_name": "Bob",
        "role": "owner",
    }
    assert (body["invited_by"], body["status"]) == (ada.user.id, "open")
    assert body["expires_at"] - body["created_at"] == 30 * 24 * 3600
    again = client.post(
        invitations, json={"user_id": bob.user.id, "role": "owner"}, headers=ada.headers
    )
    assert again.status_code == 200  # the same open invitation: nothing new
    with services.db.read() as db:  # and Bob is not told twice
        told = db.scalars(select(Notification.kind).where(Notification.user_id == bob.user.id))
        assert list(told) == ["organisation_invitation"]

    listed = client.get(invitations, headers=ada.headers).json()["data"]
    assert [(i["user_id"], i["status"]) for i in listed] == [(bob.user.id, "open")]
    mine = client.get("/v1/invitations", headers=bob.headers).json()["data"]
    assert [(i["organisation_slug"], i["organisation_kind"], i["role"]) for i in mine] == [
        ("wave", "rights_holder", "owner")
    ]
    assert client.get("/v1/organisations", headers=bob.headers).json()["data"] == []

    joined = client.post(f"/v1/invitations/{org}/accept", headers=bob.headers)
    assert joined.status_code == 200
    assert (joined.json()["object"], joined.json()["role"]) == ("organisation.member", "owner")
    assert member_ids(services, org) == {ada.user.id, bob.user.id}
    assert client.get("/v1/invitations", headers=bob.headers).json()["data"] == []
    assert client.get(invitations, headers=ada.headers).json()["data"] == []
    twice = client.post(f"/v1/invitations/{org}/accept", headers=bob.headers)
    assert error(twice) == (404, "invitation_not_found")
    member = client.post(invitations, json={"user_id": bob.user.id}, headers=ada.headers)
    assert error(member) == (409, "already_member")


def test_decline_and_withdraw(services, client):
    ada = make_account(services, "ada@example.com")
    bob = make_account(services, "bob@example.com")
    cal = make_account(services, "cal@example.com")
    org = studio(services, ada)
    invitations = f"/v1/organisations/{org}/invitations"
    for person in (bob, cal):
        sent = client.post(invitations, json={"user_id": person.user.id}, headers=ada.headers)
        assert sent.status_code == 201
    declined = client.post(f"/v1/invitations/{org}/decline", headers=bob.headers)
    assert declined.status_code == 200
    assert declined.json() == {
        "object": "organisation.invitation",
        "organisation_id": org,
        "user_id": bob.user.id,
        "deleted": True,
    }
    withdrawn = client.delete(f"{invitations}/{cal.user.id}", headers=ada.headers)
    assert (withdrawn.status_code, withdrawn.json()["deleted"]) == (200, True)
    late = client.post(f"/v1/invitations/{org}/accept", headers=cal.headers)
    assert error(late) == (404, "invitation_not_found")
    assert "ask one of its owners to invite you again" in late.json()["error"]["message"]
    again = client.delete(f"{invitations}/{cal.user.id}", headers=ada.headers)
    assert error(again) == (404, "invitation_not_found")
    assert member_ids(services, org) == {ada.user.id}


def test_members_other_than_owners_and_outsiders_are_refused(services, client):
    ada = make_account(services, "ada@example.com")
    bob = make_account(services, "bob@example.com")
    eve = make_account(services, "eve@example.com")
    org = studio(services, ada)
    with services.db.write() as db:
        organisation = db.get_one(Organisation, org)
        join_organisation(db, owner=ada.user, organisation=organisation, user=bob.user)
    invitations = f"/v1/organisations/{org}/invitations"
    assert error(client.post(invitations, json={"user_id": eve.user.id}, headers=bob.headers)) == (
        403,
        "owner_only",
    )
    assert error(client.get(invitations, headers=bob.headers)) == (403, "owner_only")
    assert error(client.delete(f"{invitations}/{eve.user.id}", headers=bob.headers)) == (
        403,
        "owner_only",
    )
    for outsider in (
        client.post(invitations, json={"user_id": eve.user.id}, headers=eve.headers),
        client.get(invitations, headers=eve.headers),
        client.get("/v1/organisations/org_nope/invitations", headers=ada.headers),
    ):
        assert error(outsider) == (404, "organisation_not_found")
    unknown = client.post(invitations, json={"user_id": "user_nope"}, headers=ada.headers)
    assert error(unknown) == (404, "user_not_found")
    bad_role = client.post(
        invitations, json={"user_id": eve.user.id, "role": "emperor"}, headers=ada.headers
    )
    assert bad_role.status_code == 400
    not_invited = client.post("/v1/invitations/org_nope/accept", headers=eve.headers)
    assert error(not_invited) == (404, "invitation_not_found")
    assert client.get("/v1/invitations", headers=eve.headers).json()["data"] == []
    assert client.get("/v1/invitations").status_code == 401
    assert member_ids(services, org) == {ada.user.id, bob.user.id}


def test_a_block_refuses_the_invitation(services, client):
    ada = make_account(services, "ada@example.com")
    bob = make_account(services, "bob@example.com")
    org = studio(services, ada)
    assert client.post(f"/v1/users/{ada.user.id}/block", headers=bob.headers).status_code == 200
    refused = client.post(
        f"/v1/organisations/{org}/invitations", json={"user_id": bob.user.id}, headers=ada.headers
    )
    assert error(refused) == (403, "interaction_not_allowed")
    assert client.get("/v1/invitations", headers=bob.headers).json()["data"] == []
