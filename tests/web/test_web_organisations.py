"""Settings → Organisations (every organisation of either kind, with Leave), the navigation's
Invitations link while some wait, and accepting an enterprise's invitation, which has no
Studio section: it lands on Settings → Organisations."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import Browser, sign_in

from reelmint.domains.accounts import blocks, invitations
from reelmint.domains.accounts.models import Membership, Organisation
from reelmint.domains.accounts.service import create_organisation
from support import Account, join_organisation, make_account


def browser(client: TestClient, services, account: Account) -> Browser:
    return sign_in(services, TestClient(client.app), account)


def organisation(services, owner: Account, name: str, slug: str, kind: str) -> str:
    with services.db.write() as db:
        return create_organisation(db=db, owner=owner.user, name=name, slug=slug, kind=kind).id


def invite(services, owner: Account, organisation_id: str, person: Account, role="member"):
    with services.db.write() as db:
        org = db.get_one(Organisation, organisation_id)
        invitations.invite(db=db, actor=owner.user, organisation=org, user=person.user, role=role)


def member_ids(services, organisation_id: str) -> set[str]:
    with services.db.read() as db:
        query = select(Membership.user_id).where(Membership.organisation_id == organisation_id)
        return set(db.scalars(query))


def test_the_menu_shows_invitations_while_some_wait(services, client):
    owner = make_account(services, "owner@example.com")
    bob = make_account(services, "bob@example.com")
    corp = organisation(services, owner, "Beta Corp", "beta", "enterprise")
    page = browser(client, services, bob)
    assert 'data-role="nav-invitations"' not in page.get("/").text
    invite(services, owner, corp, bob)
    menu = page.get("/").text
    link = menu[menu.index('data-role="nav-invitations"') :].split("</a>")[0]
    assert 'title="open invitations">1</span>' in link
    with services.db.write() as db:  # one that cannot be accepted is not counted
        blocks.block(db=db, actor=bob.user, user_id=owner.user.id)
    assert 'data-role="nav-invitations"' not in page.get("/").text
    with services.db.write() as db:
        blocks.unblock(db=db, actor=bob.user, user_id=owner.user.id)
    assert 'data-role="nav-invitations"' in page.get("/").text
    assert page.post(f"/invitations/{corp}/decline").status_code == 303
    assert 'data-role="nav-invitations"' not in page.get("/").text


def test_an_enterprise_invitation_lands_on_settings_organisations(services, client):
    owner = make_account(services, "owner@example.com")
    bob = make_account(services, "bob@example.com")
    corp = organisation(services, owner, "Beta Corp", "beta", "enterprise")
    invite(services, owner, corp, bob, role="owner")
    page = browser(client, services, bob)
    joined = page.post(f"/invitations/{corp}/accept")
    assert (joined.status_code, joined.headers["location"]) == (
        303,
        f"/settings/organisations#organisation-{corp}",
    )
    listing = page.get("/settings/organisations").text
    assert "Welcome: you are now an owner of the organisation" in listing  # the flash
    row = listing[listing.index(f'data-organisation="{corp}"') :].split("</tr>")[0]
    assert "Beta Corp" in row
    assert "enterprise" in row
    assert ">owner<" in row
    assert f'action="/settings/organisations/{corp}/leave"' in row


def test_settings_lists_every_organisation_and_leaves_one(services, client):
    owner = make_account(services, "owner@example.com")
    bob = make_account(services, "bob@example.com")
    corp = organisation(services, owner, "Beta Corp", "beta", "enterprise")
    wave = organisation(services, owner, "Wave Studios", "wave", "rights_holder")
    other = organisation(services, owner, "Gamma", "gamma", "enterprise")
    with services.db.write() as db:
        for org_id in (corp, wave):
            org = db.get_one(Organisation, org_id)
            join_organisation(db, owner=owner.user, organisation=org, user=bob.user)
    invite(services, owner, other, bob)
    page = browser(client, services, bob)
    listing = page.get("/settings/organisations").text
    assert 'href="/settings/organisations" aria-current="page">Organisations' in listing
    assert listing.index("Beta Corp") < listing.index("Wave Studios")  # by name
    assert f'<a href="/studio#members-{wave}">Wave Studios</a>' in listing
    assert 'data-role="open-invitations"' in listing
    assert 'href="/invitations"' in listing

    left = page.post(f"/settings/organisations/{corp}/leave")
    assert (left.status_code, left.headers["location"]) == (303, "/settings/organisations")
    assert bob.user.id not in member_ids(services, corp)
    after = page.get("/settings/organisations").text
    assert "You left the organisation" in after
    assert f'data-organisation="{corp}"' not in after
    assert f'data-organisation="{wave}"' in after
    again = page.post(f"/settings/organisations/{corp}/leave")
    assert again.status_code == 404  # no longer theirs: not found, nothing changed


def test_the_last_owner_with_members_is_told_why_they_cannot_leave(services, client):
    owner = make_account(services, "owner@example.com", display_name="Olive")
    bob = make_account(services, "bob@example.com")
    corp = organisation(services, owner, "Beta Corp", "beta", "enterprise")
    with services.db.write() as db:
        org = db.get_one(Organisation, corp)
        join_organisation(db, owner=owner.user, organisation=org, user=bob.user)
    page = browser(client, services, owner)
    refused = page.post(f"/settings/organisations/{corp}/leave")
    assert refused.status_code == 409
    assert "You did not leave." in refused.text
    assert "Olive is the only owner of beta and cannot leave" in refused.text
    assert member_ids(services, corp) == {owner.user.id, bob.user.id}
    anonymous = TestClient(client.app)  # no session: sent to sign in, nothing changed
    tried = anonymous.post(f"/settings/organisations/{corp}/leave", follow_redirects=False)
    assert tried.status_code == 303
    assert tried.headers["location"].startswith("/login")
    assert member_ids(services, corp) == {owner.user.id, bob.user.id}


def test_no_organisations_says_so(services, client):
    page = browser(client, services, make_account(services))
    assert 'data-role="no-organisations"' in page.get("/settings/organisations").text


def test_only_a_member_can_leave_and_others_learn_nothing(services, client):
    owner = make_account(services, "owner@example.com")
    invited = make_account(services, "invited@example.com")
    stranger = make_account(services, "stranger@example.com")
    root = make_account(services, "root@example.com", role="admin")
    corp = organisation(services, owner, "Beta Corp", "beta", "enterprise")
    invite(services, owner, corp, invited)
    for account in (invited, stranger):
        refused = browser(client, services, account).post(f"/settings/organisations/{corp}/leave")
        assert refused.status_code == 404
        assert "Beta Corp" not in refused.text
    admin = browser(client, services, root).post(f"/settings/organisations/{corp}/leave")
    assert admin.status_code == 404  # an administrator who is no member has nothing to leave
    assert member_ids(services, corp) == {owner.user.id}
