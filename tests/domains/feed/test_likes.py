"""Likes: on videos one can watch, once per person, counted in the feed; closing forgets them."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import pytest
from test_feed_service import add_user, add_video

from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.models import User
from reelmint.domains.feed import likes
from reelmint.domains.feed.service import feed_for
from reelmint.errors import Conflict, NotFound
from support import make_account


def test_a_like_counts_once_and_unliking_takes_it_back(services_on):
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    with services_on.db.write() as db:
        assert likes.like(db=db, actor=bob, video_id=video) == 1
        assert likes.like(db=db, actor=bob, video_id=video) == 1  # again: no change
        assert likes.like(db=db, actor=ada, video_id=video) == 2  # one's own, too
    with services_on.db.write() as db:
        assert likes.unlike(db=db, actor=bob, video_id=video) == 1
        assert likes.unlike(db=db, actor=bob, video_id=video) == 1


def test_only_completed_videos_one_can_watch_are_liked(services_on):
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    private = add_video(services_on, ada)
    queued = add_video(services_on, bob, status="queued")
    with services_on.db.write() as db:
        with pytest.raises(NotFound):
            likes.like(db=db, actor=bob, video_id=private)
        assert likes.unlike(db=db, actor=bob, video_id=private) == 0  # nothing to take back
        assert likes.like_state(db=db, video_id=private, viewer=bob) == (0, False)
        with pytest.raises(Conflict) as unfinished:
            likes.like(db=db, actor=bob, video_id=queued)
        assert unfinished.value.code == "video_not_completed"


def test_the_feed_says_how_many_like_each_video_and_whether_you_do(services_on):
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    liked = add_video(services_on, ada, published_at=utcnow())
    other = add_video(services_on, ada, published_at=utcnow())
    with services_on.db.write() as db:
        likes.like(db=db, actor=bob, video_id=liked)
        likes.like(db=db, actor=ada, video_id=liked)
    with services_on.db.read() as db:
        as_bob = {
            i.video.id: (i.likes, i.liked)
            for i in feed_for(db=db, viewer=bob, scope="everyone").items
        }
        as_visitor = {
            i.video.id: (i.likes, i.liked)
            for i in feed_for(db=db, viewer=None, scope="everyone").items
        }
    assert as_bob == {liked: (2, True), other: (0, False)}
    assert as_visitor == {liked: (2, None), other: (0, None)}


def test_likes_at_once_count_once_each(services_on):
    ada = add_user(services_on, "ada@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    people = [add_user(services_on, f"p{n}@example.com") for n in range(4)]
    start = threading.Barrier(len(people) * 2)
    errors: list[BaseException] = []

    def like_once(person: User) -> None:
        try:
            start.wait()
            with services_on.db.write() as db:
                likes.like(db=db, actor=person, video_id=video)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=like_once, args=(p,)) for p in people for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with services_on.db.read() as db:
        assert likes.like_count(db=db, video_id=video) == len(people)


def test_the_api_likes_and_unlikes(client, services, account):
    maker = make_account(services, "maker@example.com")
    video = add_video(services, maker.user, published_at=utcnow())
    liked = client.post(f"/v1/videos/{video}/like", headers=account.headers)
    assert liked.status_code == 200, liked.text
    assert liked.json() == {"object": "video.likes", "video_id": video, "likes": 1, "liked": True}
    feed = client.get("/v1/feed", headers=account.headers).json()["data"]
    assert (feed[0]["likes"], feed[0]["liked"]) == (1, True)
    assert client.get("/v1/feed").json()["data"][0]["liked"] is None
    unliked = client.delete(f"/v1/videos/{video}/like", headers=account.headers)
    assert (unliked.json()["likes"], unliked.json()["liked"]) == (0, False)
    assert client.post(f"/v1/videos/{video}/like").status_code == 401
    missing = client.post("/v1/videos/video_nope/like", headers=account.headers)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "video_not_found")


def test_closing_forgets_likes_and_the_export_lists_them(client, services, account):
    maker = make_account(services, "maker@example.com")
    video = add_video(services, maker.user, published_at=utcnow())
    client.post(f"/v1/videos/{video}/like", headers=account.headers)
    archive = client.get("/v1/me/export", headers=account.headers)
    document = json.loads(zipfile.ZipFile(io.BytesIO(archive.content)).read("account.json"))
    assert [like["video_id"] for like in document["likes"]] == [video]
    with services.db.write() as db:
        close_account(db=db, user=db.get_one(User, account.user.id))
    with services.db.read() as db:
        assert likes.like_count(db=db, video_id=video) == 0


def test_a_like_on_a_video_since_unpublished_can_still_be_taken_back(services_on):
    from reelmint.domains.videos.models import Video

    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    with services_on.db.write() as db:
        likes.like(db=db, actor=bob, video_id=video)
    with services_on.db.write() as db:
        db.get_one(Video, video).published_at = None
    with services_on.db.write() as db:
        assert likes.unlike(db=db, actor=bob, video_id=video) == 0
    with services_on.db.read() as db:  # the like itself is gone, not only hidden
        assert db.get(likes.Like, (bob.id, video)) is None
        assert likes.like_count(db=db, video_id=video) == 0
