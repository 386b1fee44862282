"""Following: idempotent follows, unfollowing, mutual followers (what cameos' `mutual`
permission reads), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.accounts import follows
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.notifications.service import set_social_notifications
from reelmint.errors import BadRequest, NotFound
from support import make_account


def test_follows_are_one_way_until_returned(services_on):
    ada = make_account(services_on, "ada@example.com").user
    bob = make_account(services_on, "bob@example.com").user
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=ada, user_id=bob.id)  # again: no change
    with services_on.db.read() as db:
        assert follows.follows(db=db, follower_id=ada.id, followee_id=bob.id)
        assert not follows.are_mutual(db=db, a=ada.id, b=bob.id)
        assert [u.id for u in follows.followers(db=db, user=bob).users] == [ada.id]
    with services_on.db.write() as db:
        follows.follow(db=db, actor=bob, user_id=ada.id)
    with services_on.db.read() as db:
        assert follows.are_mutual(db=db, a=ada.id, b=bob.id)
        assert follows.are_mutual(db=db, a=bob.id, b=ada.id)
    with services_on.db.write() as db:
        follows.unfollow(db=db, actor=ada, user_id=bob.id)
        follows.unfollow(db=db, actor=ada, user_id=bob.id)  # not following: no change
    with services_on.db.read() as db:
        assert not follows.are_mutual(db=db, a=ada.id, b=bob.id)
        assert follows.following(db=db, user=ada).users == []


def test_nobody_follows_themselves_or_a_missing_or_disabled_user(services_on):
    ada = make_account(services_on, "ada@example.com").user
    gone = make_account(services_on, "gone@example.com").user
    with services_on.db.write() as db:
        db.get(type(gone), gone.id).disabled_at = utcnow()
    with services_on.db.write() as db:
        with pytest.raises(BadRequest) as caught:
            follows.follow(db=db, actor=ada, user_id=ada.id)
        assert caught.value.code == "cannot_follow_self"
        for user_id in ("user_missing", gone.id):
            with pytest.raises(NotFound):
                follows.follow(db=db, actor=ada, user_id=user_id)


def test_a_new_follower_is_announced_in_the_app_once_and_not_by_email(services_on):
    ada = make_account(services_on, "ada@example.com", display_name="Ada").user
    bob = make_account(services_on, "bob@example.com", display_name="Bob").user
    for _ in range(2):  # follow, unfollow, follow again: one notification
        with services_on.db.write() as db:
            follows.follow(db=db, actor=ada, user_id=bob.id)
            follows.unfollow(db=db, actor=ada, user_id=bob.id)
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=bob, user_id=ada.id)
    with services_on.db.read() as db:
        told_bob = list(db.scalars(select(Notification).where(Notification.user_id == bob.id)))
        told_ada = list(db.scalars(select(Notification).where(Notification.user_id == ada.id)))
        mails = db.scalar(select(func.count()).select_from(EmailMessage))
    assert [(n.kind, n.link) for n in told_bob] == [("new_follower", f"/people/{ada.id}")]
    assert told_bob[0].title == "Ada followed you"
    assert "Ada now follows you" in told_bob[0].body
    assert "follows you back" in told_ada[0].body
    assert told_ada[0].link == f"/people/{bob.id}"  # the follower's profile, to follow back
    assert mails == 0


def test_nobody_who_turned_social_news_off_is_told_of_a_follower(services_on):
    ada = make_account(services_on, "ada@example.com", display_name="Ada").user
    bob = make_account(services_on, "bob@example.com", display_name="Bob").user
    with services_on.db.write() as db:
        set_social_notifications(db=db, user=db.get_one(User, bob.id), on=False)
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
    with services_on.db.read() as db:
        assert follows.follows(db=db, follower_id=ada.id, followee_id=bob.id)
        assert db.scalar(select(func.count()).select_from(Notification)) == 0


def test_counts_and_which_of_a_page_of_users_follow_or_are_followed(services_on):
    names = ("ada", "bob", "cy", "dan")
    ada, bob, cy, dan = (make_account(services_on, f"{n}@example.com").user for n in names)
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=ada, user_id=cy.id)
        follows.follow(db=db, actor=cy, user_id=ada.id)
        follows.follow(db=db, actor=dan, user_id=ada.id)
    everyone = [ada.id, bob.id, cy.id, dan.id]
    with services_on.db.read() as db:
        assert follows.follow_counts(db=db, user=ada) == (2, 2)
        assert follows.follow_counts(db=db, user=bob) == (0, 1)
        assert follows.followed_among(db=db, follower_id=ada.id, user_ids=everyone) == {
            bob.id,
            cy.id,
        }
        assert follows.followers_among(db=db, followee_id=ada.id, user_ids=everyone) == {
            cy.id,
            dan.id,
        }
        assert follows.followed_among(db=db, follower_id=ada.id, user_ids=[]) == set()
        first = follows.following(db=db, user=ada, limit=1)
        assert [u.id for u in first.users] in ([bob.id], [cy.id])
        assert first.has_more
        assert len(follows.followers(db=db, user=ada, limit=5).users) == 2


def test_follow_lists_page_newest_first_and_leave_out_disabled_users(services_on):
    ada = make_account(services_on, "ada@example.com").user
    others = [make_account(services_on, f"u{n}@example.com").user for n in range(5)]
    for other in others:  # one transaction each: each follow has its own time
        with services_on.db.write() as db:
            follows.follow(db=db, actor=ada, user_id=other.id)
            follows.follow(db=db, actor=other, user_id=ada.id)
    with services_on.db.write() as db:
        db.get(type(ada), others[2].id).disabled_at = utcnow()
    expected = [u.id for u in reversed(others) if u.id != others[2].id]
    for listing in (follows.following, follows.followers):
        seen: list[str] = []
        after = None
        with services_on.db.read() as db:
            while True:
                page = listing(db=db, user=ada, limit=2, after=after)
                seen += [u.id for u in page.users]
                if not page.has_more:
                    break
                after = page.users[-1].id
            assert follows.follow_counts(db=db, user=ada) == (4, 4)
        assert seen == expected


def test_a_follow_list_refuses_a_stale_after_or_page_size(services_on):
    ada = make_account(services_on, "ada@example.com").user
    bob = make_account(services_on, "bob@example.com").user
    with services_on.db.read() as db:
        for bad in ({"after": bob.id}, {"after": "nonsense"}):  # bob is not followed
            with pytest.raises(NotFound) as refused:
                follows.following(db=db, user=ada, **bad)
            assert (refused.value.code, refused.value.param) == ("user_not_found", "after")
        with pytest.raises(BadRequest) as refused:
            follows.followers(db=db, user=ada, limit=follows.MAX_PEOPLE_PAGE + 1)
        assert refused.value.code == "invalid_limit"


@pytest.mark.parametrize("by", ["last_id", "next_cursor"])
def test_follows_made_at_the_same_moment_page_without_skips_or_repeats(services_on, by):
    ada = make_account(services_on, "ada@example.com").user
    others = [make_account(services_on, f"u{n}@example.com").user for n in range(5)]
    with services_on.db.write() as db:
        for other in others:
            follows.follow(db=db, actor=ada, user_id=other.id)
        moment = utcnow()
        for row in db.scalars(select(follows.Follow)):
            row.created_at = moment  # one instant for all: ties broken by user id
    for limit in (1, 2, 3):
        seen: list[str] = []
        after = None
        with services_on.db.read() as db:
            while True:
                page = follows.following(db=db, user=ada, limit=limit, after=after)
                seen += [u.id for u in page.users]
                if not page.has_more:
                    break
                after = page.users[-1].id if by == "last_id" else page.next_cursor
        assert seen == sorted((u.id for u in others), reverse=True), limit


def test_a_follow_list_pages_on_from_its_cursor_after_its_last_user_is_unfollowed(services_on):
    ada = make_account(services_on, "ada@example.com").user
    others = [make_account(services_on, f"u{n}@example.com").user for n in range(4)]
    for other in others:
        with services_on.db.write() as db:
            follows.follow(db=db, actor=ada, user_id=other.id)
    with services_on.db.read() as db:
        first = follows.following(db=db, user=ada, limit=2)
    assert [u.id for u in first.users] == [others[3].id, others[2].id]
    with services_on.db.write() as db:  # in another tab, meanwhile
        follows.unfollow(db=db, actor=ada, user_id=others[2].id)
    with services_on.db.read() as db:
        with pytest.raises(NotFound):
            follows.following(db=db, user=ada, limit=2, after=others[2].id)
        rest = follows.following(db=db, user=ada, limit=2, after=first.next_cursor)
        with pytest.raises(BadRequest) as refused:
            follows.following(db=db, user=ada, after="17_video_abc")
    assert [u.id for u in rest.users] == [others[1].id, others[0].id]
    assert (rest.has_more, rest.next_cursor) == (False, None)
    assert (refused.value.code, refused.value.param) == ("invalid_cursor", "after")
