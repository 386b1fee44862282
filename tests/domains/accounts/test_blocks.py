"""Blocking: a block, either way, stops follows, likes, remixes, extensions, tips and cameo
uses between two people, keeps each out of the other's feed, hides the blocker's profile from
the blocked and passes no social news; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import func, select

from domains.cameos.cameo_helpers import make_cameo, order
from domains.videos.video_helpers import complete, completed_video
from reelmint.db.base import utcnow
from reelmint.domains.accounts import blocks, follows
from reelmint.domains.accounts.blocks import UserBlock
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.export import write_export
from reelmint.domains.accounts.models import User
from reelmint.domains.feed import likes
from reelmint.domains.feed.creators import creator_profile, creator_videos, search_creators
from reelmint.domains.feed.service import feed_for
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payments.service import start_purchase
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import (
    create_derived_with,
    extension_request,
    get_visible_video,
    publish_video,
    remix_request,
    usable_by,
)
from reelmint.domains.wallet import tips
from reelmint.errors import BadRequest, NotFound, ServiceError
from support import make_account


@pytest.fixture
def ada(services_on) -> User:
    return make_account(services_on, "ada@example.com", display_name="Ada").user


@pytest.fixture
def bob(services_on) -> User:
    return make_account(services_on, "bob@example.com", display_name="Bob").user


def block(services, actor: User, other: User) -> None:
    with services.db.write() as db:
        blocks.block(db=db, actor=actor, user_id=other.id)


def published(services, user: User, prompt: str = "a cat sleeps on a sofa") -> Video:
    video = completed_video(services, user, prompt)
    with services.db.write() as db:
        return publish_video(db=db, actor=user, video_id=video.id)


def refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    return caught.value


def both_ways(ada: User, bob: User) -> list[tuple[User, User]]:
    """(blocker, blocked) pairs: each effect holds whichever of the two blocked."""
    return [(ada, bob), (bob, ada)]


def told(services, user: User) -> list[Notification]:
    with services.db.read() as db:
        return list(db.scalars(select(Notification).where(Notification.user_id == user.id)))


# --- blocking itself ---------------------------------------------------------------------------


def test_blocking_is_listed_newest_first_paged_and_undone(services_on, ada, bob):
    cy = make_account(services_on, "cy@example.com", display_name="Cy").user
    block(services_on, ada, bob)
    block(services_on, ada, cy)
    block(services_on, ada, cy)  # again: no change
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(UserBlock)) == 2
        first = blocks.blocked_by(db=db, user=ada, limit=1)
        assert ([u.id for u in first.users], first.has_more) == ([cy.id], True)
        rest = blocks.blocked_by(db=db, user=ada, limit=1, after=first.next_cursor)
        assert ([u.id for u in rest.users], rest.has_more) == ([bob.id], False)
        by_id = blocks.blocked_by(db=db, user=ada, after=cy.id)
        assert [u.id for u in by_id.users] == [bob.id]
        assert blocks.blocked_by(db=db, user=bob).users == []  # one way: bob blocked no one
        assert blocks.between(db, bob.id, ada.id)
        assert blocks.between(db, ada.id, bob.id)
    with services_on.db.write() as db:
        blocks.unblock(db=db, actor=ada, user_id=bob.id)
        blocks.unblock(db=db, actor=ada, user_id=bob.id)  # not blocked: no change
        blocks.unblock(db=db, actor=bob, user_id=cy.id)  # never blocked: no change
    with services_on.db.read() as db:
        assert [u.id for u in blocks.blocked_by(db=db, user=ada).users] == [cy.id]
        assert not blocks.between(db, ada.id, bob.id)


def test_nobody_blocks_themselves_a_missing_or_a_closed_user(services_on, ada):
    gone = make_account(services_on, "gone@example.com").user
    with services_on.db.write() as db:
        db.get_one(User, gone.id).disabled_at = utcnow()
    with services_on.db.write() as db:
        with pytest.raises(BadRequest) as caught:
            blocks.block(db=db, actor=ada, user_id=ada.id)
        assert (caught.value.code, caught.value.status) == ("cannot_block_self", 400)
        for user_id in ("user_missing", gone.id, "bad id!"):
            with pytest.raises(NotFound) as missing:
                blocks.block(db=db, actor=ada, user_id=user_id)
            assert missing.value.code == "user_not_found"
        assert blocks.blocked_by(db=db, user=ada).users == []


def test_a_suspended_account_can_be_blocked_and_stays_blocked_when_reinstated(
    services_on, ada, bob
):
    """A harasser's suspension must not keep their target from blocking them: the block
    stands once they are reinstated."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import reinstate_account, suspend_account

    with services_on.db.write() as db:
        suspend_account(db=db, actor=OPERATOR, user_id=bob.id, reason="harassing other users")
    block(services_on, ada, bob)
    with services_on.db.write() as db:
        reinstate_account(db=db, actor=OPERATOR, user_id=bob.id)
    with services_on.db.read() as db:
        assert blocks.blocks(db, blocker_id=ada.id, blocked_id=bob.id)
        assert [u.id for u in blocks.blocked_by(db=db, user=ada).users] == [bob.id]
    with services_on.db.write() as db, pytest.raises(ServiceError) as refused:
        follows.follow(db=db, actor=bob, user_id=ada.id)
    assert refused.value.code == "user_not_found"


def test_blocking_ends_follows_both_ways_and_tells_no_one(services_on, ada, bob):
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=bob, user_id=ada.id)
    before = (len(told(services_on, ada)), len(told(services_on, bob)))
    block(services_on, ada, bob)
    with services_on.db.read() as db:
        assert not follows.follows(db=db, follower_id=ada.id, followee_id=bob.id)
        assert not follows.follows(db=db, follower_id=bob.id, followee_id=ada.id)
    assert (len(told(services_on, ada)), len(told(services_on, bob))) == before


# --- what a block stops, whichever way it goes ---------------------------------------------------


@pytest.mark.parametrize("who_blocks", ["blocker_acts", "blocked_acts"])
def test_neither_may_follow_the_other(services_on, ada, bob, who_blocks):
    block(services_on, ada, bob)
    actor, other = (ada, bob) if who_blocks == "blocker_acts" else (bob, ada)
    with services_on.db.write() as db:
        error = refused(follows.follow, db=db, actor=actor, user_id=other.id)
    if who_blocks == "blocker_acts":
        assert (error.code, error.status) == ("interaction_not_allowed", 403)
        assert error.message == "you blocked this user; unblock them first to follow them"
    else:  # as the blocker's profile reads to them: no one (the block is not revealed)
        assert (error.code, error.status) == ("user_not_found", 404)
    with services_on.db.write() as db:  # unblocked, they may again
        blocks.unblock(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=actor, user_id=other.id)


def test_neither_may_like_the_others_video(services_on, ada, bob):
    for blocker, blocked in both_ways(ada, bob):
        theirs, mine = published(services_on, blocker), published(services_on, blocked)
        block(services_on, blocker, blocked)
        for actor, video in ((blocked, theirs), (blocker, mine)):
            with services_on.db.write() as db:
                error = refused(likes.like, db=db, actor=actor, video_id=video.id)
                if actor is blocked:  # the blocker's videos read to them as no one's
                    assert error.code == "video_not_found"
                else:
                    assert (error.code, error.message) == (
                        "interaction_not_allowed",
                        "this video cannot be liked by you",
                    )
                assert not usable_by(db=db, actor=actor, video=video)
                assert not usable_by(db=db, actor=actor, video=video, seen=True)
                assert likes.like_count(db=db, video_id=video.id) == 0
        with services_on.db.write() as db:
            blocks.unblock(db=db, actor=blocker, user_id=blocked.id)
            assert likes.like(db=db, actor=blocked, video_id=theirs.id) == 1


def test_neither_may_remix_or_extend_the_others_video(services_on, ada, bob):
    for blocker, blocked in both_ways(ada, bob):
        theirs, mine = published(services_on, blocker), published(services_on, blocked)
        block(services_on, blocker, blocked)
        for actor, video in ((blocked, theirs), (blocker, mine)):
            with services_on.db.read() as db:
                remix = refused(
                    remix_request, db=db, actor=actor, video_id=video.id, prompt="a dog"
                )
                extend = refused(
                    extension_request,
                    db=db,
                    actor=actor,
                    video_id=video.id,
                    prompt="a dog runs",
                    seconds=4,
                )
            if actor is blocked:  # the blocker's videos read to them as no one's
                assert remix.code == extend.code == "video_not_found"
            else:
                assert remix.code == extend.code == "interaction_not_allowed"
                assert extend.message == "this video cannot be extended by you"
        with services_on.db.write() as db:
            blocks.unblock(db=db, actor=blocker, user_id=blocked.id)


def test_a_block_made_after_the_source_was_read_still_refuses_the_remix(services_on, ada, bob):
    source = published(services_on, ada)
    with services_on.db.read() as db:
        video, request = remix_request(db=db, actor=bob, video_id=source.id, prompt="a dog")
    block(services_on, ada, bob)
    error = refused(
        create_derived_with,
        services=services_on,
        user=bob,
        source=video,
        request=request,
        within=lambda _db, v: v,
    )
    assert error.code == "interaction_not_allowed"
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).where(Video.user_id == bob.id)) == 0


def test_neither_may_tip_the_other(services_on, ada, bob):
    for blocker, blocked in both_ways(ada, bob):
        start_purchase(services=services_on, user=blocked, pack_id="pack_10")
        theirs = published(services_on, blocker)
        block(services_on, blocker, blocked)
        with services_on.db.write() as db:
            error = refused(
                tips.tip,
                db=db,
                settings=services_on.settings,
                actor=blocked,
                video_id=theirs.id,
                units=1,
                key="k",
            )
        assert error.code == "video_not_found"  # the blocker's videos read as no one's
        with services_on.db.read() as db:
            assert tips.tips_of(db=db, user_id=blocker.id) == tips.Tips(pending=0, available=0)
        with services_on.db.write() as db:
            blocks.unblock(db=db, actor=blocker, user_id=blocked.id)


def test_neither_may_use_the_others_cameo(services_on, ada, bob):
    handles = {ada.id: "ada", bob.id: "bob"}
    for user in (ada, bob):
        make_cameo(services_on, user, handles[user.id], permission="everyone")
    for blocker, blocked in both_ways(ada, bob):
        block(services_on, blocker, blocked)
        for actor, owner in ((blocked, blocker), (blocker, blocked)):
            error = refused(order, services_on, actor, f"@{handles[owner.id]} waves at the sea")
            assert (error.code, error.status) == ("cameo_permission_denied", 403)
            assert "cannot be used by you" in error.message
            assert "ask its owner" not in error.message  # no advice that cannot help
        with services_on.db.write() as db:
            blocks.unblock(db=db, actor=blocker, user_id=blocked.id)
    assert order(services_on, bob, "@ada waves at the sea").status == "queued"


def test_a_video_with_the_blockers_cameo_cannot_be_published(services_on, ada, bob):
    make_cameo(services_on, ada, "ada", permission="everyone")
    video = order(services_on, bob, "@ada waves at the sea")  # made before the block
    complete(services_on, video.id)
    block(services_on, ada, bob)
    with services_on.db.write() as db:
        error = refused(publish_video, db=db, actor=bob, video_id=video.id)
    assert (error.code, error.status) == ("cameo_permission_denied", 403)


def test_each_ones_feed_leaves_out_the_others_videos(services_on, ada, bob):
    cy = make_account(services_on, "cy@example.com", display_name="Cy").user
    ada_video, bob_video, cy_video = (published(services_on, u) for u in (ada, bob, cy))
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=bob, user_id=ada.id)
    block(services_on, bob, ada)

    def feed(viewer: User | None, scope: str = "everyone") -> set[str]:
        with services_on.db.read() as db:
            page = feed_for(db=db, viewer=viewer, scope=scope)
        return {item.video.id for item in page.items}

    assert feed(ada) == {ada_video.id, cy_video.id}
    assert feed(bob) == {bob_video.id, cy_video.id}
    assert feed(cy) == feed(None) == {ada_video.id, bob_video.id, cy_video.id}
    assert feed(ada, "following") == feed(bob, "following") == set()


def test_the_blockers_profile_is_no_one_to_the_blocked(services_on, ada, bob):
    video = published(services_on, ada)
    published(services_on, bob)
    block(services_on, ada, bob)
    with services_on.db.read() as db:
        for call in (creator_profile, creator_videos):
            error = refused(call, db=db, viewer=bob, user_id=ada.id)
            assert (error.code, error.status) == ("user_not_found", 404)
        assert search_creators(db=db, viewer=bob, query="Ada").matches == []
        # Signed out, and to everyone else, nothing changed.
        assert creator_profile(db=db, viewer=None, user_id=ada.id).videos == 1
        page = creator_videos(db=db, viewer=None, user_id=ada.id)
        assert [item.video.id for item in page.items] == [video.id]
        assert [m.user.id for m in search_creators(db=db, viewer=None, query="Ada").matches] == [
            ada.id
        ]
        # The blocker still finds the one they blocked, to unblock them.
        mine = creator_profile(db=db, viewer=ada, user_id=bob.id)
        assert (mine.you_blocked, mine.you_follow) == (True, False)
        assert creator_profile(db=db, viewer=bob, user_id=bob.id).you_blocked is None


def test_a_remix_published_after_a_block_is_not_news_to_the_original_creator(services_on, ada, bob):
    source = published(services_on, ada)
    with services_on.db.read() as db:
        video, request = remix_request(db=db, actor=bob, video_id=source.id, prompt="a dog")
    remix = create_derived_with(
        services=services_on, user=bob, source=video, request=request, within=lambda _db, v: v
    )
    complete(services_on, remix.id)
    block(services_on, bob, ada)
    with services_on.db.write() as db:
        publish_video(db=db, actor=bob, video_id=remix.id)
    assert [n.kind for n in told(services_on, ada) if n.kind == "remix_published"] == []


# --- the account's data -------------------------------------------------------------------------


def test_the_export_lists_whom_you_blocked_and_closing_forgets_blocks(
    services_on, ada, bob, tmp_path
):
    block(services_on, ada, bob)
    block(services_on, bob, ada)
    target = tmp_path / "export.zip"
    write_export(services=services_on, user_id=ada.id, target=target)
    with zipfile.ZipFile(target) as archive:
        document = json.loads(archive.read("account.json"))
    assert [(p["id"], p["display_name"]) for p in document["blocked"]] == [(bob.id, "Bob")]
    assert isinstance(document["blocked"][0]["since"], int)
    with services_on.db.write() as db:
        close_account(db=db, user=db.get_one(User, bob.id))
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(UserBlock)) == 0


def test_the_blockers_videos_read_to_the_blocked_as_no_ones(services_on, ada, bob):
    """As the blocker's profile does: 404 to the blocked when signed in; the blocker still
    sees the blocked person's videos (they are only left out of the blocker's feed)."""
    theirs, mine = published(services_on, ada), published(services_on, bob)
    block(services_on, ada, bob)
    with services_on.db.read() as db:
        error = refused(get_visible_video, db=db, actor=bob, video_id=theirs.id)
        assert error.code == "video_not_found"
        assert get_visible_video(db=db, actor=None, video_id=theirs.id).id == theirs.id
        assert get_visible_video(db=db, actor=ada, video_id=mine.id).id == mine.id


def extension_of(services, user: User, source: Video) -> Video:
    with services.db.read() as db:
        found, request = extension_request(
            db=db, actor=user, video_id=source.id, prompt="a dog runs past", seconds=4
        )
    video = create_derived_with(
        services=services, user=user, source=found, request=request, within=lambda _db, v: v
    )
    complete(services, video.id)
    with services.db.write() as db:
        return publish_video(db=db, actor=user, video_id=video.id)


@pytest.mark.parametrize("blocker_is_source", [True, False])
def test_a_block_takes_each_ones_extension_of_the_others_video_off_the_feed(
    services_on, ada, bob, blocker_is_source
):
    source = published(services_on, ada)
    extension = extension_of(services_on, bob, source)
    blocker, blocked = (ada, bob) if blocker_is_source else (bob, ada)
    block(services_on, blocker, blocked)
    with services_on.db.read() as db:
        assert db.get(Video, extension.id).published_at is None
        assert db.get(Video, source.id).published_at is not None  # the source stays up
    notice = [n for n in told(services_on, bob) if n.kind == "video_source_withdrawn"]
    assert len(notice) == 1
    assert "can no longer be shown in it" in notice[0].body
    assert "block" not in notice[0].body.lower()
    with services_on.db.write() as db:
        refusal = refused(publish_video, db=db, actor=bob, video_id=extension.id)
        assert refusal.code == "source_not_public"
    with services_on.db.write() as db:
        blocks.unblock(db=db, actor=blocker, user_id=blocked.id)
    with services_on.db.write() as db:
        assert publish_video(db=db, actor=bob, video_id=extension.id).published_at is not None


def extension_unpublished(services, user: User, source: Video) -> Video:
    with services.db.read() as db:
        found, request = extension_request(
            db=db, actor=user, video_id=source.id, prompt="then it rains", seconds=4
        )
    video = create_derived_with(
        services=services, user=user, source=found, request=request, within=lambda _db, v: v
    )
    complete(services, video.id)
    return video


def test_a_block_withdraws_what_plays_the_others_work_at_any_depth(services_on, ada, bob):
    """Ada's AV1; Bob's BX1 extends it and BX2 extends BX1; Cat's CX1 extends AV1 and Bob's
    BX3 extends CX1; Dan's DX1 extends CX1. Ada blocks Bob: all of Bob's leave the feed,
    Cat's and Dan's stay. Ada blocks Cat: Cat's leaves, and Dan's with it."""
    cat = make_account(services_on, "cat@example.com").user
    dan = make_account(services_on, "dan@example.com").user
    av1 = published(services_on, ada)
    bx1 = extension_of(services_on, bob, av1)
    extension_of(services_on, bob, bx1)  # BX2
    cx1 = extension_of(services_on, cat, av1)
    bx3 = extension_of(services_on, bob, cx1)
    dx1 = extension_of(services_on, dan, cx1)

    def public() -> set[str]:
        with services_on.db.read() as db:
            query = select(Video.id).where(Video.published_at.is_not(None))
            return set(db.scalars(query))

    block(services_on, ada, bob)
    assert public() == {av1.id, cx1.id, dx1.id}
    notices = [n for n in told(services_on, bob) if n.kind == "video_source_withdrawn"]
    assert len(notices) == 3
    assert all("alice" not in n.body.lower() and "a cat sleeps" not in n.body for n in notices)
    block(services_on, ada, cat)
    assert public() == {av1.id}
    with services_on.db.write() as db:
        refusal = refused(publish_video, db=db, actor=bob, video_id=bx3.id)
    assert refusal.code == "source_not_public"


def test_a_blocked_person_cannot_extend_the_blockers_work_through_anothers_video(
    services_on, ada, bob
):
    cat = make_account(services_on, "cat@example.com").user
    cats = extension_of(services_on, cat, published(services_on, ada))
    block(services_on, bob, ada)  # Bob blocked Ada: he still sees Cat's video, as Ada's
    with services_on.db.read() as db:
        error = refused(
            extension_request, db=db, actor=bob, video_id=cats.id, prompt="more", seconds=4
        )
        assert usable_by(db=db, actor=bob, video=db.get(Video, cats.id))  # Cat's to like
    assert error.code == "interaction_not_allowed"
    with services_on.db.write() as db:
        blocks.unblock(db=db, actor=bob, user_id=ada.id)
    block(services_on, ada, bob)  # Ada blocked Bob: Cat's video plays hers, so it is none
    with services_on.db.read() as db:  # to him, as hers are
        error = refused(
            extension_request, db=db, actor=bob, video_id=cats.id, prompt="more", seconds=4
        )
        assert not usable_by(db=db, actor=bob, video=db.get(Video, cats.id))
    assert error.code == "video_not_found"
    extension_unpublished(services_on, cat, cats)  # and to Cat, nothing changed


@pytest.mark.parametrize("ada_blocks", [True, False])
def test_anothers_extension_of_the_blockers_work_stays_out_of_the_blocked_ones_sight(
    services_on, ada, bob, ada_blocks
):
    """Cat extends Ada's video (it plays Ada's shots again); a block then stands between Ada
    and Bob. Cat's extension stays public, but out of Bob's feed and Cat's profile as Bob
    sees them, whichever of the two blocked (as Ada's own videos are); when Ada blocked Bob
    it is no video to him at all. A remix with a prompt of its own carries none of Ada's
    work and stays in sight; Ada sees Cat's extension of her own work."""
    cat = make_account(services_on, "cat@example.com").user
    source = published(services_on, ada)
    own = published(services_on, cat, "a fox in the snow")
    cats = extension_of(services_on, cat, source)
    with services_on.db.read() as db:
        found, request = remix_request(
            db=db, actor=cat, video_id=source.id, prompt="a dog runs on a beach"
        )
    remix = create_derived_with(
        services=services_on, user=cat, source=found, request=request, within=lambda _db, v: v
    )
    complete(services_on, remix.id)
    with services_on.db.write() as db:
        publish_video(db=db, actor=cat, video_id=remix.id)

    def feed(viewer: User) -> set[str]:
        with services_on.db.read() as db:
            return {
                item.video.id for item in feed_for(db=db, viewer=viewer, scope="everyone").items
            }

    assert cats.id in feed(bob)
    block(services_on, *((ada, bob) if ada_blocks else (bob, ada)))
    with services_on.db.read() as db:
        assert db.get(Video, cats.id).published_at is not None  # Cat's stays public
        profile = creator_videos(db=db, viewer=bob, user_id=cat.id)
        if ada_blocks:
            with pytest.raises(NotFound):
                get_visible_video(db=db, actor=bob, video_id=cats.id)
        else:  # the blocker may still open it, as they may open Ada's own videos
            assert get_visible_video(db=db, actor=bob, video_id=cats.id).id == cats.id
        assert get_visible_video(db=db, actor=ada, video_id=cats.id).id == cats.id
        assert get_visible_video(db=db, actor=None, video_id=cats.id).id == cats.id
    assert feed(bob) == {remix.id, own.id}
    assert {item.video.id for item in profile.items} == {remix.id, own.id}
    pages, cursor = [], None  # one at a time: the hidden one's page is empty, and goes on
    with services_on.db.read() as db:
        while len(pages) < 5:
            page = feed_for(db=db, viewer=bob, scope="everyone", cursor=cursor, limit=1)
            pages.append([item.video.id for item in page.items])
            if (cursor := page.next_cursor) is None:
                break
    assert pages == [[remix.id], [], [own.id]]
    assert feed(ada) == {source.id, cats.id, remix.id, own.id}
    assert cats.id in feed(cat)
    with services_on.db.write() as db:
        blocker, blocked = (ada, bob) if ada_blocks else (bob, ada)
        blocks.unblock(db=db, actor=blocker, user_id=blocked.id)
    assert cats.id in feed(bob)


def test_the_blocked_cannot_report_a_video_they_cannot_see(services_on, ada, bob):
    from reelmint.domains.videos.reports import report_video

    theirs, mine = published(services_on, ada), published(services_on, bob)
    block(services_on, ada, bob)
    with services_on.db.write() as db:
        error = refused(
            report_video,
            db=db,
            settings=services_on.settings,
            actor=bob,
            video_id=theirs.id,
            category="spam",
        )
        assert error.code == "video_not_found"  # as the video reads to them
        filed = report_video(  # the one who blocked still may report what they see
            db=db, settings=services_on.settings, actor=ada, video_id=mine.id, category="spam"
        )
        assert filed.created


def test_a_block_stops_videos_with_the_others_cameo_as_a_revocation_does(services_on, ada, bob):
    """Bob made a published video and has a queued one with Ada's cameo; Ada blocks him: the
    published one leaves the feed, the queued one is cancelled and refunded, and Bob is told
    without the block being named. Ada's own video with her cameo is untouched."""
    make_cameo(services_on, ada, "ada", permission="everyone")
    shown = order(services_on, bob, "@ada waves at the sea")
    complete(services_on, shown.id)
    with services_on.db.write() as db:
        publish_video(db=db, actor=bob, video_id=shown.id)
    waiting = order(services_on, bob, "@ada walks a long road")
    hers = order(services_on, ada, "@ada rides a bike")

    block(services_on, ada, bob)
    with services_on.db.read() as db:
        assert db.get(Video, shown.id).published_at is None
        assert db.get(Video, waiting.id).status == "cancelled"
        assert db.get(Video, hers.id).status == "queued"
        holds = select(LedgerHold.status).where(LedgerHold.video_id == waiting.id)
        assert set(db.scalars(holds)) == {"voided"}  # refunded
    notices = [n for n in told(services_on, bob) if n.kind == "cameo_unavailable"]
    assert len(notices) == 2
    assert all("block" not in n.body.lower() for n in notices)


def test_a_follow_and_a_block_at_once_leave_no_follow_across_the_block(services_on, ada, bob):
    """Both take the pair's row locks: the follow lands before the block (which ends it) or
    sees the block and is refused. Many rounds, on SQLite and PostgreSQL."""
    from support import at_once

    def follow() -> object:
        with services_on.db.write() as db:
            return follows.follow(db=db, actor=bob, user_id=ada.id)

    def blocking() -> None:
        block(services_on, ada, bob)

    for _ in range(15):
        results = at_once([follow, blocking], timeout=30)
        assert results[1] is None
        assert results[0] is not None  # a follow, or the refusal
        with services_on.db.read() as db:
            assert blocks.between(db, ada.id, bob.id)
            assert not follows.follows(db=db, follower_id=bob.id, followee_id=ada.id)
        with services_on.db.write() as db:
            blocks.unblock(db=db, actor=ada, user_id=bob.id)


def test_a_video_ordered_with_the_others_cameo_as_a_block_is_made_is_stopped(services_on, ada, bob):
    """Admission holds the cameo FOR SHARE, the block locks it FOR UPDATE: the order either
    sees the block and is refused, or lands first and the block cancels it."""
    from support import at_once

    make_cameo(services_on, ada, "ada", permission="everyone")
    for n in range(8):
        results = at_once(
            [
                lambda n=n: order(services_on, bob, f"@ada waves, take {n}"),
                lambda: block(services_on, ada, bob),
            ],
            timeout=30,
        )
        assert results[1] is None
        if isinstance(results[0], ServiceError):
            assert results[0].code == "cameo_permission_denied"
        else:
            with services_on.db.read() as db:
                assert db.get_one(Video, results[0].id).status == "cancelled"
        with services_on.db.write() as db:
            blocks.unblock(db=db, actor=ada, user_id=bob.id)
