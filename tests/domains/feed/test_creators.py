"""A creator's public profile and published videos, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_feed_service import add_user, add_video

from reelmint.db.base import utcnow
from reelmint.domains.accounts import follows
from reelmint.domains.accounts.models import User
from reelmint.domains.feed.creators import creator_profile, creator_videos, search_creators
from reelmint.errors import BadRequest, NotFound


def test_a_profile_counts_only_what_the_feed_shows_and_follows_both_ways(services_on):
    now = utcnow()
    ada = add_user(services_on, "ada@example.com", display_name="Ada")
    bob = add_user(services_on, "bob@example.com")
    cy = add_user(services_on, "cy@example.com")
    add_video(services_on, ada, published_at=now)
    add_video(services_on, ada, published_at=now - timedelta(hours=1))
    add_video(services_on, ada)  # a private draft
    add_video(services_on, ada, published_at=now, deleted=True)
    add_video(services_on, ada, published_at=now, status="failed")
    add_video(services_on, bob, published_at=now)  # someone else's
    with services_on.db.write() as db:
        follows.follow(db=db, actor=bob, user_id=ada.id)
        follows.follow(db=db, actor=cy, user_id=ada.id)
        follows.follow(db=db, actor=ada, user_id=bob.id)
    with services_on.db.read() as db:
        seen_by_bob = creator_profile(db=db, viewer=bob, user_id=ada.id)
        seen_by_cy = creator_profile(db=db, viewer=cy, user_id=ada.id)
        seen_by_visitor = creator_profile(db=db, viewer=None, user_id=ada.id)
        seen_by_ada = creator_profile(db=db, viewer=ada, user_id=ada.id)
    assert seen_by_bob.user.display_name == "Ada"
    assert (seen_by_bob.videos, seen_by_bob.followers, seen_by_bob.following) == (2, 2, 1)
    assert (seen_by_bob.you_follow, seen_by_bob.follows_you, seen_by_bob.mutual) == (
        True,
        True,
        True,
    )
    assert (seen_by_cy.you_follow, seen_by_cy.follows_you, seen_by_cy.mutual) == (
        True,
        False,
        False,
    )
    for unrelated in (seen_by_visitor, seen_by_ada):
        assert (unrelated.you_follow, unrelated.follows_you) == (None, None)
        assert unrelated.videos == 2


def test_a_creators_videos_are_theirs_in_the_feed_newest_first_and_page(services_on):
    now = utcnow()
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    made = [add_video(services_on, ada, published_at=now - timedelta(minutes=m)) for m in (3, 2, 1)]
    add_video(services_on, ada)  # a private draft
    add_video(services_on, bob, published_at=now)
    with services_on.db.write() as db:
        follows.follow(db=db, actor=bob, user_id=ada.id)
    seen: list[str] = []
    cursor = None
    with services_on.db.read() as db:
        for _ in range(3):
            page = creator_videos(db=db, viewer=bob, user_id=ada.id, cursor=cursor, limit=2)
            assert all(item.following is True for item in page.items)
            seen += [item.video.id for item in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        own = creator_videos(db=db, viewer=ada, user_id=ada.id)
    assert seen == made[::-1]
    assert [item.following for item in own.items] == [None, None, None]


def test_a_missing_or_disabled_creator_is_not_found(services):
    ada = add_user(services, "ada@example.com")
    add_video(services, ada, published_at=utcnow())
    with services.db.write() as db:
        db.get(User, ada.id).disabled_at = utcnow()
    with services.db.read() as db:
        for user_id in (ada.id, "user_nobody", "../etc/passwd"):
            with pytest.raises(NotFound) as refused:
                creator_profile(db=db, viewer=None, user_id=user_id)
            assert refused.value.code == "user_not_found"
            with pytest.raises(NotFound):
                creator_videos(db=db, viewer=None, user_id=user_id)


def test_a_damaged_cursor_or_page_size_is_refused(services):
    ada = add_user(services, "ada@example.com")
    with services.db.read() as db:
        with pytest.raises(BadRequest) as refused:
            creator_videos(db=db, viewer=None, user_id=ada.id, cursor="nonsense")
        assert refused.value.code == "invalid_cursor"
        with pytest.raises(BadRequest) as refused:
            creator_videos(db=db, viewer=None, user_id=ada.id, limit=0)
        assert refused.value.code == "invalid_limit"


def test_a_name_search_finds_creators_prefix_first_and_never_by_email(services_on):
    names = ["Ada Lovelace", "Grace Hopper", "Adam Smith", "Sada", "Zed"]
    ada, grace, adam, sada, zed = (
        add_user(services_on, f"u{n}@example.com", display_name=name)
        for n, name in enumerate(names)
    )
    gone = add_user(services_on, "gone@example.com", display_name="Adagio")
    quiet = add_user(services_on, "adalbert@example.com", display_name="Adalbert")
    for creator in (ada, grace, adam, sada, zed, gone):
        add_video(services_on, creator, published_at=utcnow())
    add_video(services_on, quiet)  # a draft: Adalbert has published nothing
    with services_on.db.write() as db:
        db.get(User, gone.id).disabled_at = utcnow()
        follows.follow(db=db, actor=zed, user_id=adam.id)
    with services_on.db.read() as db:
        found = search_creators(db=db, viewer=zed, query="  ADA ")
        as_visitor = search_creators(db=db, viewer=None, query="ada")
        by_email = search_creators(db=db, viewer=None, query="example.com")
        mine = search_creators(db=db, viewer=zed, query="zed")
        wild = search_creators(db=db, viewer=None, query="%a")
        first = search_creators(db=db, viewer=None, query="ada", limit=2)
    assert [m.user.id for m in found.matches] == [ada.id, adam.id, sada.id]  # prefixes first
    assert [m.you_follow for m in found.matches] == [False, True, False]
    assert [m.you_follow for m in as_visitor.matches] == [None, None, None]
    assert by_email.matches == []
    assert [(m.user.id, m.you_follow) for m in mine.matches] == [(zed.id, None)]
    assert wild.matches == []  # % is a character to look for, not a wildcard
    assert grace.id not in {m.user.id for m in found.matches}
    assert (found.has_more, [m.user.id for m in first.matches], first.has_more) == (
        False,
        [ada.id, adam.id],
        True,
    )


def test_a_name_search_folds_case_beyond_ascii_and_spaces_on_both_databases(services_on):
    emile = add_user(services_on, "e@example.com", display_name="Émile  Zola")
    orjan = add_user(services_on, "o@example.com", display_name="ØRJAN")
    for creator in (emile, orjan):
        add_video(services_on, creator, published_at=utcnow())
    with services_on.db.read() as db:
        for query, expected in (
            ("Émile", emile),
            ("émile zola", emile),
            ("ÉMILE   ZOLA", emile),
            ("ørjan", orjan),
            ("ØＲＪＡＮ", orjan),  # fullwidth letters, as a phone's keyboard may type them
        ):
            found = search_creators(db=db, viewer=None, query=query)
            assert [m.user.id for m in found.matches] == [expected.id], query


@pytest.mark.parametrize("query", ["", "a", " a ", "x" * 81])
def test_a_name_search_of_the_wrong_length_is_refused(services, query):
    with services.db.read() as db, pytest.raises(BadRequest) as refused:
        search_creators(db=db, viewer=None, query=query)
    assert (refused.value.code, refused.value.param) == ("invalid_query", "q")
    assert refused.value.message.endswith(f"got {len(' '.join(query.split()))}")


def test_a_very_long_search_says_how_long_it_was(services):
    with services.db.read() as db, pytest.raises(BadRequest) as refused:
        search_creators(db=db, viewer=None, query="x" * 500)
    assert refused.value.message.endswith("got 500")
