"""Likes: on videos one can watch, once per person, counted in the feed; closing forgets them;
the creator hears of milestones (1, 10, 100...) once each, never of their own like, never who."""

from __future__ import annotations

import io
import json
import zipfile
from functools import partial

import pytest
from sqlalchemy import func, select
from test_feed_service import add_user, add_video

from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.models import User
from reelmint.domains.feed import likes
from reelmint.domains.feed.service import feed_for
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.errors import Conflict, NotFound
from support import at_once, make_account, while_held_open


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
    done = at_once([partial(like_as, services_on, p, video) for p in people for _ in range(2)])
    assert [r for r in done if isinstance(r, BaseException)] == []
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


# --- telling the creator ----------------------------------------------------------------------


def told(services, user: User) -> list[Notification]:
    """The user's like notifications, oldest first."""
    with services.db.read() as db:
        query = select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "like_milestone"
        )
        return list(db.scalars(query.order_by(Notification.created_at, Notification.title)))


def like_as(services, person: User, video: str) -> int:
    with services.db.write() as db:
        return likes.like(db=db, actor=person, video_id=video)


def unlike_as(services, person: User, video: str) -> int:
    with services.db.write() as db:
        return likes.unlike(db=db, actor=person, video_id=video)


def test_milestones_are_the_first_like_and_each_power_of_ten():
    found = [count for count in range(100_001) if likes.is_milestone(count)]
    assert found == [1, 10, 100, 1000, 10_000, 100_000]


def test_the_creator_hears_of_the_first_and_tenth_like_once_each(services_on):
    ada = add_user(services_on, "ada@example.com", display_name="Ada")
    video = add_video(services_on, ada, published_at=utcnow())
    people = [
        add_user(services_on, f"p{n}@example.com", display_name=f"Fan {n}") for n in range(11)
    ]
    assert like_as(services_on, people[0], video) == 1
    for _ in range(2):  # taken back and given again: the first like is not news twice
        assert unlike_as(services_on, people[0], video) == 0
        assert like_as(services_on, people[0], video) == 1
    [first] = told(services_on, ada)
    assert (first.title, first.link) == ("Your video got its first like", f"/videos/{video}")
    assert "A red car drives" in first.body
    assert not any(p.display_name in first.body or p.email in first.body for p in people[:1])
    for person in people[1:10]:
        like_as(services_on, person, video)
    assert like_as(services_on, people[9], video) == 10  # again: no change
    for _ in range(2):  # down to 9 and back to 10, twice: still one "10 likes"
        assert unlike_as(services_on, people[9], video) == 9
        assert like_as(services_on, people[9], video) == 10
    assert like_as(services_on, people[10], video) == 11
    notes = told(services_on, ada)
    assert [n.title for n in notes] == ["Your video got its first like", "Your video has 10 likes"]
    assert "has reached 10 likes" in notes[1].body
    with services_on.db.read() as db:  # in the app only
        assert db.scalar(select(func.count()).select_from(EmailMessage)) == 0


def test_ones_own_like_tells_nobody_and_counts_towards_no_milestone(services_on):
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    assert like_as(services_on, ada, video) == 1  # the first like, but her own
    assert told(services_on, ada) == []
    assert like_as(services_on, bob, video) == 2  # the first from someone else: news
    assert [n.title for n in told(services_on, ada)] == ["Your video got its first like"]
    assert told(services_on, bob) == []
    fans = [add_user(services_on, f"f{n}@example.com") for n in range(9)]
    for fan in fans[:8]:
        like_as(services_on, fan, video)
    assert len(told(services_on, ada)) == 1  # 10 likes, but 9 from others
    assert like_as(services_on, fans[8], video) == 11
    assert [n.title for n in told(services_on, ada)][-1] == "Your video has 10 likes"


def test_a_creator_who_turned_social_news_off_is_not_told(services_on):
    ada = add_user(services_on, "ada@example.com")
    bob = add_user(services_on, "bob@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    with services_on.db.write() as db:
        db.get_one(User, ada.id).notify_social = False
    assert like_as(services_on, bob, video) == 1
    assert told(services_on, ada) == []


def test_likes_at_once_across_milestones_tell_each_once(services_on):
    ada = add_user(services_on, "ada@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    people = [add_user(services_on, f"p{n}@example.com") for n in range(12)]
    done = at_once([partial(like_as, services_on, person, video) for person in people])
    assert [r for r in done if isinstance(r, BaseException)] == []
    titles = [n.title for n in told(services_on, ada)]
    assert sorted(titles) == ["Your video got its first like", "Your video has 10 likes"]


def test_the_like_that_makes_ten_is_told_though_another_was_still_uncommitted(services_on):
    """The 9th like's transaction is open while the 10th is given: the 10th waits for it
    (each counts what committed before it), so it sees 10 and tells the creator. Counting
    without waiting, both would see 9 and nobody would be told."""
    ada = add_user(services_on, "ada@example.com")
    video = add_video(services_on, ada, published_at=utcnow())
    people = [add_user(services_on, f"p{n}@example.com") for n in range(10)]
    for person in people[:8]:
        like_as(services_on, person, video)

    def liker(person: User):
        return lambda db: likes.like(db=db, actor=person, video_id=video)

    assert while_held_open(services_on, liker(people[8]), liker(people[9])) == (9, 10)
    assert [n.title for n in told(services_on, ada)][-1] == "Your video has 10 likes"
