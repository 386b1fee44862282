"""The public feed query, on SQLite and PostgreSQL: what is in it, its order, its cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reelmint.db.base import utcnow
from reelmint.domains.accounts import follows
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.feed.service import cursor_after, feed_for, parse_cursor, public_feed
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import (
    VideoRequest,
    admit_video,
    check_video_request,
    publish_video,
    unpublish_video,
)
from reelmint.errors import BadRequest, Unauthorized


def add_user(services, email: str = "ada@example.com", **fields) -> User:
    with services.db.write() as db:
        return create_user(db=db, email=email, password="correct horse battery", **fields)


def add_video(services, user, *, published_at=None, status="completed", deleted=False) -> str:
    admission = check_video_request(
        settings=services.settings,
        request=VideoRequest(prompt="A red car drives", seconds=4, size="480x480", seed=1),
    )
    with services.db.write() as db:
        video = admit_video(db=db, settings=services.settings, user=user, admission=admission)
        video.status = status
        video.published_at = published_at
        video.deleted_at = utcnow() if deleted else None
        return video.id


def feed_ids(services, **kwargs) -> list[str]:
    with services.db.read() as db:
        return [item.video.id for item in public_feed(db=db, **kwargs).items]


def test_the_feed_holds_published_finished_videos_of_active_users_newest_first(services_on):
    now = utcnow()
    ada = add_user(services_on, "ada@example.com", display_name="Ada")
    gone = add_user(services_on, "gone@example.com")
    older = add_video(services_on, ada, published_at=now - timedelta(hours=1))
    newer = add_video(services_on, ada, published_at=now)
    add_video(services_on, ada)  # a private draft
    add_video(services_on, ada, published_at=now, deleted=True)
    add_video(services_on, ada, published_at=now, status="failed")
    add_video(services_on, gone, published_at=now)
    with services_on.db.write() as db:
        db.get(User, gone.id).disabled_at = now
    with services_on.db.read() as db:
        page = public_feed(db=db)
    assert [item.video.id for item in page.items] == [newer, older]
    assert {item.creator_name for item in page.items} == {"Ada"}
    assert page.next_cursor is None


def test_a_video_published_again_goes_back_to_its_place_not_to_the_top(services_on):
    ada = add_user(services_on)
    first = add_video(services_on, ada)
    second = add_video(services_on, ada)
    with services_on.db.write() as db:
        publish_video(db=db, actor=ada, video_id=first)
    with services_on.db.write() as db:
        publish_video(db=db, actor=ada, video_id=second)
    assert feed_ids(services_on) == [second, first]
    with services_on.db.write() as db:
        unpublish_video(db=db, actor=ada, video_id=first)
    assert feed_ids(services_on) == [second]
    with services_on.db.write() as db:
        again = publish_video(db=db, actor=ada, video_id=first)
        assert again.published_at == again.first_published_at
    assert feed_ids(services_on) == [second, first]


def test_pages_cover_the_feed_once_even_with_equal_times(services_on):
    user = add_user(services_on)
    same = utcnow()
    made = {add_video(services_on, user, published_at=same) for _ in range(3)}
    made.add(add_video(services_on, user, published_at=same - timedelta(seconds=1)))
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        with services_on.db.read() as db:
            page = public_feed(db=db, cursor=cursor, limit=2)
        seen += [item.video.id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 4
    assert set(seen) == made


def test_an_older_link_survives_its_video_leaving_the_feed(services_on):
    user = add_user(services_on)
    now = utcnow()
    first = add_video(services_on, user, published_at=now)
    second = add_video(services_on, user, published_at=now - timedelta(minutes=1))
    third = add_video(services_on, user, published_at=now - timedelta(minutes=2))
    with services_on.db.read() as db:
        cursor = public_feed(db=db, limit=2).next_cursor
    with services_on.db.write() as db:
        db.get(Video, second).published_at = None  # the cursor's own video is unpublished
    assert feed_ids(services_on, cursor=cursor) == [third]
    assert first not in feed_ids(services_on, cursor=cursor)


def test_cursors_round_trip():
    when = utcnow()
    video = Video(id="video_abc", published_at=when)
    assert parse_cursor(cursor_after(video)) == (when, "video_abc")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "nonsense",
        "12_user_x",
        "x_video_y",
        "9" * 30 + "_video_y",
        "-5_video_y",
        "²_video_y",  # str.isdigit says yes, int() says no
        "١٢_video_y",  # digits, but not the ASCII ones cursors are made of
    ],
)
def test_a_damaged_cursor_is_refused_with_advice(services, cursor):
    with services.db.read() as db, pytest.raises(BadRequest) as refused:
        public_feed(db=db, cursor=cursor)
    assert refused.value.code == "invalid_cursor"
    assert "older" in refused.value.message


@pytest.mark.parametrize("limit", [0, 51])
def test_the_page_size_is_bounded(services, limit):
    with services.db.read() as db, pytest.raises(BadRequest) as refused:
        public_feed(db=db, limit=limit)
    assert refused.value.code == "invalid_limit"


def test_the_following_feed_holds_only_the_creators_a_user_follows(services_on):
    now = utcnow()
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    cy = add_user(services_on, "cy@example.com")
    bobs = [add_video(services_on, bob, published_at=now - timedelta(minutes=m)) for m in (3, 1)]
    add_video(services_on, cy, published_at=now)
    add_video(services_on, bob)  # bob's private draft
    assert feed_ids(services_on, followed_by=ada.id) == []
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
        follows.follow(db=db, actor=cy, user_id=ada.id)  # someone following ada changes nothing
    assert feed_ids(services_on, followed_by=ada.id) == bobs[::-1]
    first = feed_ids(services_on, followed_by=ada.id, limit=1)
    with services_on.db.read() as db:
        page = public_feed(db=db, followed_by=ada.id, limit=1)
        rest = public_feed(db=db, followed_by=ada.id, cursor=page.next_cursor, limit=1)
    assert first + [item.video.id for item in rest.items] == bobs[::-1]
    assert rest.next_cursor is None
    assert len(feed_ids(services_on)) == 3  # everyone's feed is unchanged


def test_feed_for_says_whom_the_viewer_follows_and_keeps_the_following_feed_to_members(
    services_on,
):
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    cy = add_user(services_on, "cy@example.com")
    now = utcnow()
    videos = {
        user.id: add_video(services_on, user, published_at=now - timedelta(minutes=n))
        for n, user in enumerate((ada, bob, cy))
    }
    with services_on.db.write() as db:
        follows.follow(db=db, actor=ada, user_id=bob.id)
    with services_on.db.read() as db:
        mine = feed_for(db=db, viewer=ada, scope="everyone")
        anyone = feed_for(db=db, viewer=None, scope="everyone")
        following = feed_for(db=db, viewer=ada, scope="following")
        with pytest.raises(Unauthorized):
            feed_for(db=db, viewer=None, scope="following")
        with pytest.raises(BadRequest) as caught:
            feed_for(db=db, viewer=ada, scope="friends")
    assert caught.value.code == "invalid_scope"
    flags = {item.video.id: item.following for item in mine.items}
    assert flags == {videos[ada.id]: None, videos[bob.id]: True, videos[cy.id]: False}
    assert [item.following for item in anyone.items] == [None, None, None]
    assert [(item.video.id, item.following) for item in following.items] == [(videos[bob.id], True)]
