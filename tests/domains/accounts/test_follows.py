"""Following: idempotent follows, unfollowing, mutual followers (what cameos' `mutual`
permission reads), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from reelmint.db.base import utcnow
from reelmint.domains.accounts import follows
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
        assert [u.id for u in follows.followers(db=db, user=bob)] == [ada.id]
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
        assert follows.following(db=db, user=ada) == []


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
