"""Extensions of another creator's video are public only while it is: publishing one is
refused while the source is not, and one published leaves the feed when the source does."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from video_helpers import complete, completed_video

from domains.rights.claim_helpers import SURFER, claim, make_holder
from reelmint.domains.accounts.service import OPERATOR
from reelmint.domains.feed.service import public_feed
from reelmint.domains.notifications.models import Notification
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.moderation import take_down_video
from reelmint.domains.videos.service import (
    create_derived_with,
    delete_video,
    extension_request,
    publish_video,
    remix_request,
    unpublish_video,
)
from reelmint.errors import Conflict
from support import make_account


def published(services, user, prompt: str = "a red car drives through a city") -> Video:
    video = completed_video(services, user, prompt)
    return publish(services, user, video.id)


def publish(services, user, video_id: str) -> Video:
    with services.db.write() as db:
        return publish_video(db=db, actor=user, video_id=video_id)


def derived(services, user, source_id: str, *, extend: bool = True, prompt="a dog runs past"):
    """A completed extension (or remix) of `source_id` by `user`, unpublished."""
    with services.db.read() as db:
        if extend:
            source, request = extension_request(
                db=db, actor=user, video_id=source_id, prompt=prompt, seconds=4
            )
        else:
            source, request = remix_request(db=db, actor=user, video_id=source_id, prompt=prompt)
    video = create_derived_with(
        services=services, user=user, source=source, request=request, within=lambda _db, v: v
    )
    complete(services, video.id)
    return video


def feed_ids(services) -> set[str]:
    with services.db.read() as db:
        return {item.video.id for item in public_feed(db=db).items}


def refused_publish(services, user, video_id: str) -> Conflict:
    with pytest.raises(Conflict) as refused:
        publish(services, user, video_id)
    return refused.value


def told(services, user) -> list[Notification]:
    with services.db.read() as db:
        query = select(Notification).where(Notification.user_id == user.id)
        return list(db.scalars(query.order_by(Notification.created_at)))


@pytest.fixture
def people(services_on):
    return (
        make_account(services_on, "ann@example.com"),
        make_account(services_on, "bob@example.com", display_name="Bob"),
    )


def unpublish(services, user, video_id):
    with services.db.write() as db:
        unpublish_video(db=db, actor=user, video_id=video_id)


def delete(services, user, video_id):
    with services.db.write() as db:
        delete_video(db=db, actor=user, video_id=video_id)


def take_down(services, user, video_id):
    with services.db.write() as db:
        take_down_video(db=db, actor=OPERATOR, video_id=video_id, reason="not allowed here")


@pytest.mark.parametrize(
    ("stop", "why"),
    [
        (unpublish, "is no longer published"),
        (delete, "was deleted"),
        (take_down, "was taken down by the moderators"),
    ],
)
def test_an_extension_leaves_the_feed_with_its_source_and_cannot_come_back(
    services_on, people, stop, why
):
    services, (ann, bob) = services_on, people
    original = published(services, ann.user)
    extension = derived(services, bob.user, original.id)
    publish(services, bob.user, extension.id)
    assert feed_ids(services) == {original.id, extension.id}

    stop(services, ann.user, original.id)
    assert feed_ids(services) == set()
    with services.db.read() as db:
        kept = db.get(Video, extension.id)
        assert (kept.published_at, kept.deleted_at) == (None, None)  # still Bob's
    notice = [n for n in told(services, bob.user) if n.kind == "video_source_withdrawn"]
    assert len(notice) == 1
    assert why in notice[0].body
    assert notice[0].link == f"/videos/{extension.id}"
    for_good = stop is not unpublish  # a deleted or taken-down video never comes back
    assert ("it cannot be published again" in notice[0].body) is for_good

    refusal = refused_publish(services, bob.user, extension.id)
    assert refusal.code == "source_not_public"
    assert original.id in refusal.message
    assert why in refusal.message
    assert ("once that video is public again" in refusal.message) is not for_good


def test_an_extension_is_published_again_once_its_source_is(services_on, people):
    services, (ann, bob) = services_on, people
    original = published(services, ann.user)
    extension = derived(services, bob.user, original.id)
    unpublish(services, ann.user, original.id)
    assert refused_publish(services, bob.user, extension.id).code == "source_not_public"
    publish(services, ann.user, original.id)
    assert publish(services, bob.user, extension.id).published_at is not None


def test_an_extension_of_an_extension_follows_the_first_source(services_on, people):
    services, (ann, bob) = services_on, people
    cat = make_account(services, "cat@example.com")
    original = published(services, ann.user)
    bobs = derived(services, bob.user, original.id)
    publish(services, bob.user, bobs.id)
    cats = derived(services, cat.user, bobs.id, prompt="a cat watches the dog")
    publish(services, cat.user, cats.id)
    anns = derived(services, ann.user, bobs.id, prompt="the car drives away")
    publish(services, ann.user, anns.id)  # Ann's, playing Bob's shots again

    delete(services, ann.user, original.id)
    assert feed_ids(services) == set()  # Bob's, Cat's, and Ann's own that plays Bob's
    assert refused_publish(services, cat.user, cats.id).code == "source_not_public"
    assert refused_publish(services, ann.user, anns.id).code == "source_not_public"


def test_the_creators_own_extension_and_others_remixes_stay(services_on, people):
    """Ann's own extension plays only her work; Bob's remix plans a prompt of his own and
    carries none of Ann's shots or text."""
    services, (ann, bob) = services_on, people
    original = published(services, ann.user)
    own = derived(services, ann.user, original.id)
    publish(services, ann.user, own.id)
    remix = derived(services, bob.user, original.id, extend=False, prompt="a dog sleeps")
    publish(services, bob.user, remix.id)

    unpublish(services, ann.user, original.id)
    assert feed_ids(services) == {own.id, remix.id}
    delete(services, ann.user, original.id)
    assert feed_ids(services) == {own.id, remix.id}
    assert told(services, bob.user) == []


@pytest.mark.parametrize("blocked_by", ["take-down", "claim"])
def test_the_creators_own_extension_cannot_show_what_others_held_back(
    services_on, people, blocked_by
):
    """What the moderators took down, or a rights holder's claim blocks, does not come back
    through its own maker's extension: one published leaves the feed (its maker told), and
    neither it nor one made afterwards may be published."""
    services, (ann, _bob) = services_on, people
    original = published(services, ann.user, SURFER)
    own = derived(services, ann.user, original.id)
    publish(services, ann.user, own.id)
    if blocked_by == "take-down":
        take_down(services, ann.user, original.id)
        why = "was taken down by the moderators"
    else:
        claim(services, make_holder(services), original, "block")
        why = "is blocked by a rights holder's claim"
    assert feed_ids(services) == set()
    [notice] = [n for n in told(services, ann.user) if n.kind == "video_source_withdrawn"]
    assert f"plays again your video “{SURFER}" in notice.body
    assert why in notice.body

    later = derived(services, ann.user, original.id, prompt="the surfer waves")
    for video in (own, later):
        refusal = refused_publish(services, ann.user, video.id)
        assert refusal.code == "source_not_public"
        assert f"plays again your video {original.id}, which {why}" in refusal.message
        assert "another creator" not in refusal.message


def test_a_remix_through_the_web_is_refused_across_a_block_with_a_maker_it_plays_again(
    services_on, people
):
    """Admission itself checks every maker a remix plays again (the web's remix form builds
    its request without `remix_request`)."""
    from reelmint.domains.accounts.blocks import block
    from reelmint.domains.videos.service import VideoRequest, create_video
    from reelmint.errors import Forbidden

    services, (ann, bob) = services_on, people
    cat = make_account(services, "cat@example.com")
    prompt = "a red car drives through a city"
    original = published(services, cat.user, prompt)
    bobs = derived(services, bob.user, original.id, extend=False, prompt=prompt)
    publish(services, bob.user, bobs.id)
    with services.db.write() as db:
        block(db=db, actor=cat.user, user_id=ann.user.id)
    request = VideoRequest(prompt=prompt, seconds=4, size="480x480", seed=1)
    with pytest.raises(Forbidden) as refused:
        create_video(services=services, user=ann.user, request=request, remixed_from=bobs)
    assert refused.value.code == "interaction_not_allowed"
    with services.db.read() as db:
        assert db.scalars(select(Video).where(Video.user_id == ann.user.id)).all() == []


def test_a_remix_with_the_sources_own_prompt_plays_it_again(services_on, people):
    services, (ann, bob) = services_on, people
    prompt = "a red car drives through a city"
    original = published(services, ann.user, prompt)
    copy = derived(services, bob.user, original.id, extend=False, prompt=prompt)
    publish(services, bob.user, copy.id)
    unpublish(services, ann.user, original.id)
    assert feed_ids(services) == set()


def test_an_extension_of_a_video_blocked_by_a_claim_is_not_published(services_on, people):
    services, (ann, bob) = services_on, people
    holder = make_holder(services)
    original = published(services, ann.user, SURFER)
    extension = derived(services, bob.user, original.id)
    claim(services, holder, original, "block")
    refusal = refused_publish(services, bob.user, extension.id)
    assert refusal.code == "source_not_public"
    assert "blocked by a rights holder's claim" in refusal.message


def test_a_published_extension_leaves_the_feed_when_a_claim_blocks_its_source(services_on, people):
    services, (ann, bob) = services_on, people
    holder = make_holder(services)
    original = published(services, ann.user, SURFER)
    extension = derived(services, bob.user, original.id)
    publish(services, bob.user, extension.id)
    assert feed_ids(services) == {original.id, extension.id}

    claim(services, holder, original, "block")
    assert feed_ids(services) == set()
    notice = [n for n in told(services, bob.user) if n.kind == "video_source_withdrawn"]
    assert len(notice) == 1
    assert "blocked by a rights holder's claim" in notice[0].body


def test_a_monetize_claim_leaves_extensions_published(services_on, people):
    services, (ann, bob) = services_on, people
    holder = make_holder(services)
    original = published(services, ann.user, SURFER)
    extension = derived(services, bob.user, original.id)
    publish(services, bob.user, extension.id)
    claim(services, holder, original, "monetize")
    assert feed_ids(services) == {original.id, extension.id}
    assert told(services, bob.user) == []


def test_the_creator_is_told_an_extension_extended_and_a_remix_remixed(services_on, people):
    services, (ann, bob) = services_on, people
    original = published(services, ann.user)
    publish(services, bob.user, derived(services, bob.user, original.id).id)
    publish(services, bob.user, derived(services, bob.user, original.id, extend=False).id)
    titles = [n.title for n in told(services, ann.user) if n.kind == "remix_published"]
    assert titles == ["Bob extended your video", "Bob remixed your video"]
