"""Blocking from the web: the Block / Unblock button on a creator's profile, Settings' list of
blocked users, and what the blocked person's pages show."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from web_helpers import make_video, sign_in

from reelmint.domains.accounts import blocks, follows
from reelmint.domains.accounts.blocks import UserBlock
from support import make_account


@pytest.fixture
def bob(services):
    return make_account(services, "bob@example.com", display_name="Bob Builder")


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def block_rows(services) -> set[tuple[str, str]]:
    with services.db.read() as db:
        return {(b.blocker_id, b.blocked_id) for b in db.scalars(select(UserBlock))}


def block_form(html: str, user_id: str) -> str | None:
    """The action of the block or unblock form for `user_id` on a page, if there is one."""
    found = re.search(rf'action="(/people/{user_id}/(?:un)?block)"', html)
    return found.group(1) if found else None


def test_a_profile_blocks_and_unblocks_with_its_csrf_token(services, browser, account, bob):
    with services.db.write() as db:
        follows.follow(db=db, actor=account.user, user_id=bob.user.id)
    profile = f"/people/{bob.user.id}"
    html = browser.get(profile).text
    assert block_form(html, bob.user.id) == f"{profile}/block"
    assert 'aria-label="Block Bob Builder"' in html
    refused = browser.post(f"{profile}/block", data={"csrf_token": "wrong", "next": profile})
    assert refused.status_code == 403
    assert block_rows(services) == set()

    done = browser.post(f"{profile}/block", data={"next": profile})
    assert (done.status_code, done.headers["location"]) == (303, profile)
    assert block_rows(services) == {(account.user.id, bob.user.id)}
    html = browser.get(profile).text
    assert "Blocked: neither of you can follow" in html  # the flash
    assert block_form(html, bob.user.id) == f"{profile}/unblock"
    assert 'data-role="blocked"' in html
    assert f"/people/{bob.user.id}/follow" not in html  # no Follow beside a block

    browser.post(f"{profile}/unblock", data={"next": profile})
    assert block_rows(services) == set()
    with services.db.read() as db:  # the block ended the follow, and unblocking keeps it ended
        assert not follows.follows(db=db, follower_id=account.user.id, followee_id=bob.user.id)


def test_nobody_is_offered_to_block_themselves_and_visitors_see_no_button(
    services, client, account, bob
):
    make_video(services, bob.user, published=True)
    assert block_form(client.get(f"/people/{bob.user.id}").text, bob.user.id) is None
    browser = sign_in(services, client, account)
    assert block_form(browser.get(f"/people/{account.user.id}").text, account.user.id) is None
    assert browser.post(f"/people/{bob.user.id}/block").status_code == 303


def test_settings_lists_blocked_users_with_unblock_buttons(services, browser, account, bob):
    cy = make_account(services, "cy@example.com", display_name="Cy Twombly")
    html = browser.get("/settings/blocked").text
    assert "You have blocked nobody." in html
    assert 'href="/settings/blocked" aria-current="page"' in html
    for other in (bob, cy):
        with services.db.write() as db:
            blocks.block(db=db, actor=account.user, user_id=other.user.id)
    html = browser.get("/settings/blocked").text
    assert html.index("Cy Twombly") < html.index("Bob Builder")  # newest first
    assert block_form(html, cy.user.id) == f"/people/{cy.user.id}/unblock"
    done = browser.post(f"/people/{cy.user.id}/unblock", data={"next": "/settings/blocked"})
    assert done.headers["location"] == "/settings/blocked"
    html = browser.get("/settings/blocked").text
    assert "Cy Twombly" not in html
    assert "Bob Builder" in html
    assert 'href="/settings/blocked"' in browser.get("/settings/account").text  # a tab


def test_the_blocked_person_finds_no_profile_and_none_of_the_blockers_videos(
    services, client, account, bob
):
    video = make_video(services, account.user, prompt="A blue train", published=True)
    with services.db.write() as db:
        blocks.block(db=db, actor=account.user, user_id=bob.user.id)
    assert client.get(f"/people/{account.user.id}").status_code == 200  # signed out: as before
    assert video.id in client.get("/").text
    theirs = sign_in(services, client, bob)
    assert theirs.get(f"/people/{account.user.id}").status_code == 404
    assert video.id not in theirs.get("/").text
    page = theirs.get(f"/videos/{video.id}").text  # a link still opens, with nothing to do
    assert f"/videos/{video.id}/like" not in page
    assert f"/videos/{video.id}/extend" not in page


def test_a_blocked_creators_profile_offers_no_like_or_remix(services, browser, account, bob):
    video = make_video(services, bob.user, prompt="A green frog sings", published=True)
    profile = f"/people/{bob.user.id}"
    assert f'action="/videos/{video.id}/like"' in browser.get(profile).text
    assert f"/create?remix={video.id}" in browser.get(profile).text
    with services.db.write() as db:
        blocks.block(db=db, actor=account.user, user_id=bob.user.id)
    html = browser.get(profile).text
    assert f"/videos/{video.id}" in html  # still listed, to the one who blocked
    assert f'action="/videos/{video.id}/like"' not in html
    assert f"/create?remix={video.id}" not in html
    assert 'data-role="likes"' in html  # the count, without a button


def test_no_follow_button_is_offered_across_a_block(services, browser, account, bob):
    video = make_video(services, bob.user, prompt="A green frog sings", published=True)
    follow = f'action="/people/{bob.user.id}/follow"'
    assert follow in browser.get(f"/videos/{video.id}").text
    assert follow in browser.get("/people/search", params={"q": "bob"}).text
    with services.db.write() as db:
        blocks.block(db=db, actor=account.user, user_id=bob.user.id)
    assert follow not in browser.get(f"/videos/{video.id}").text
    found = browser.get("/people/search", params={"q": "bob"}).text
    assert "Bob Builder" in found
    assert follow not in found
