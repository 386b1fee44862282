"""Extending a video that shows a cameo shows it again: consent is checked for whoever extends."""

from __future__ import annotations

import pytest
from cameo_helpers import make_cameo
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.cameos.models import CameoUse
from reelmint.domains.videos import service as videos
from reelmint.domains.videos.models import Video
from reelmint.errors import ServiceError
from support import make_account


@pytest.fixture
def ada(services_on):
    return make_account(services_on, "ada@example.com").user


@pytest.fixture
def bob(services_on):
    return make_account(services_on, "bob@example.com").user


def finished(services, user, prompt: str, characters: tuple[str, ...] = ()) -> Video:
    """A completed, published video of `user`'s (admitted as any video is)."""
    request = videos.VideoRequest(
        prompt=prompt, seconds="4", size="480x480", seed=5, characters=characters
    )
    video = videos.create_video(services=services, user=user, request=request)
    with services.db.write() as db:
        row = db.get_one(Video, video.id)
        row.status, row.progress, row.completed_at, row.published_at = (
            "completed",
            100,
            utcnow(),
            utcnow(),
        )
    return video


def extend(services, user, video_id: str) -> Video:
    with services.db.read() as db:
        source, request = videos.extension_request(
            db=db, actor=user, video_id=video_id, prompt="then they wave", seconds="4"
        )
    return videos.create_derived_with(
        services=services, user=user, source=source, request=request, within=lambda _db, v: v
    )


def cameo_uses(services, video_id: str) -> list[str]:
    with services.db.read() as db:
        return list(db.scalars(select(CameoUse.cameo_id).where(CameoUse.video_id == video_id)))


def test_a_cameo_only_its_owner_may_use_extends_only_for_them(services_on, ada, bob):
    cameo = make_cameo(services_on, ada, permission="only_me")
    source = finished(services_on, ada, "@ada rides a bike along the coast")
    with pytest.raises(ServiceError) as refused:
        extend(services_on, bob, source.id)
    assert (refused.value.code, refused.value.status) == ("cameo_permission_denied", 403)
    assert cameo_uses(services_on, source.id) == [cameo.id]
    mine = extend(services_on, ada, source.id)
    assert cameo_uses(services_on, mine.id) == [cameo.id]


def test_a_cameo_named_only_in_characters_is_carried_on_too(services_on, ada, bob):
    cameo = make_cameo(services_on, ada)
    source = finished(services_on, ada, "a person rides a bike", characters=("ada",))
    assert cameo_uses(services_on, source.id) == [cameo.id]
    theirs = extend(services_on, bob, source.id)  # "everyone" may use it
    assert cameo_uses(services_on, theirs.id) == [cameo.id]


def test_revoking_takes_off_what_plays_a_withdrawn_video_again(services_on, ada, bob):
    """Ada extends Bob's video of her: hers shows her (her own to show) and Bob's shots, which
    leave the feed when she revokes the cameo, so her extension leaves with them."""
    from reelmint.domains.cameos import service as cameos
    from reelmint.domains.feed.service import public_feed
    from reelmint.domains.notifications.models import Notification

    make_cameo(services_on, ada)
    bobs = finished(services_on, bob, "@ada rides a bike along the coast")
    hers = extend(services_on, ada, bobs.id)
    with services_on.db.write() as db:
        row = db.get_one(Video, hers.id)
        row.status, row.completed_at, row.published_at = "completed", utcnow(), utcnow()

    with services_on.db.write() as db:
        revoked = cameos.revoke_cameo(db=db, actor=ada, handle="ada")
    assert revoked.unpublished == [bobs.id]
    with services_on.db.read() as db:
        assert [item.video.id for item in public_feed(db=db).items] == []
        notices = db.scalars(
            select(Notification).where(
                Notification.user_id == ada.id, Notification.kind == "video_source_withdrawn"
            )
        ).all()
    assert [n.link for n in notices] == [f"/videos/{hers.id}"]
    assert "shows a cameo that was revoked" in notices[0].body
    assert "it cannot be published again" in notices[0].body  # no false promise
