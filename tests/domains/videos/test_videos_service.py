"""The videos service beneath the API: all-or-nothing admission, sharing rules, queue order."""

from __future__ import annotations

import pytest
from video_helpers import completed_video, png_file, queue_video, set_state

from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import (
    VideoRequest,
    content_of,
    create_video_with,
    publish_video,
    queue_position,
    unpublish_video,
    video_json,
)
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from support import make_account


class Boom(Exception):
    pass


def test_work_inside_the_job_transaction_failing_undoes_the_job_and_its_image(services, tmp_path):
    account = make_account(services)
    image = png_file(tmp_path / "cat.png")

    def fail(db, video):
        assert db.get(Video, video.id) is not None  # the job is there, inside the transaction
        raise Boom

    request = VideoRequest(prompt="a cat", backend="wan", seconds=4, input_reference=image)
    with pytest.raises(Boom):
        create_video_with(services=services, user=account.user, request=request, within=fail)
    with services.db.read() as db:
        assert db.query(Video).count() == 0
    assert not (services.settings.storage_dir / "inputs").exists() or not any(
        (services.settings.storage_dir / "inputs").rglob("*.png")
    )


def test_within_returns_what_the_caller_needs(services):
    account = make_account(services)
    body = create_video_with(
        services=services,
        user=account.user,
        request=VideoRequest(prompt="a cat", seconds=4, size="480x480"),
        within=lambda db, video: video_json(db=db, video=video),
    )
    assert (body["object"], body["status"], body["queue_position"]) == ("video", "queued", 1)


def test_publishing_is_for_the_owner_of_a_completed_video(services_on):
    owner = make_account(services_on)
    other = make_account(services_on, "bob@example.com")
    video = completed_video(services_on, owner.user)
    with services_on.db.write() as db, pytest.raises(NotFound):
        publish_video(db=db, actor=other.user, video_id=video.id)
    with services_on.db.write() as db:
        published = publish_video(db=db, actor=owner.user, video_id=video.id)
        assert published.published_at is not None
    with services_on.db.write() as db:
        assert unpublish_video(db=db, actor=owner.user, video_id=video.id).published_at is None
    queued = queue_video(services_on, owner.user)
    with services_on.db.write() as db, pytest.raises(Conflict) as refused:
        publish_video(db=db, actor=owner.user, video_id=queued.id)
    assert refused.value.code == "video_not_completed"


def test_admins_may_not_publish_others_work(services):
    owner = make_account(services)
    admin = make_account(services, "root@example.com", role="admin")
    video = completed_video(services, owner.user)
    with services.db.write() as db, pytest.raises(Forbidden):
        publish_video(db=db, actor=admin.user, video_id=video.id)


def test_queue_position_follows_the_queue_order(services):
    account = make_account(services)
    first, second, third = (queue_video(services, account.user) for _ in range(3))
    set_state(services, third.id, queue_key=first.queue_key - 100)  # e.g. paid work
    set_state(services, first.id, status="in_progress")
    with services.db.read() as db:
        positions = {
            v.id: queue_position(db=db, video=db.get(Video, v.id)) for v in (first, second, third)
        }
    assert positions == {first.id: None, third.id: 1, second.id: 2}


def test_content_of_names_the_file_or_says_why_not(services):
    account = make_account(services)
    done = completed_video(services, account.user)
    assert content_of(done, "video") == (f"videos/{done.id}/video.mp4", "video/mp4")
    assert content_of(done, "thumbnail") == (f"videos/{done.id}/poster.jpg", "image/jpeg")
    assert content_of(done, "spritesheet") == (
        f"videos/{done.id}/spritesheet.jpg",
        "image/jpeg",
    )
    with pytest.raises(BadRequest) as unsupported:
        content_of(done, "gif")  # type: ignore[arg-type]
    assert unsupported.value.code == "variant_unsupported"
    with pytest.raises(Conflict):
        content_of(queue_video(services, account.user), "video")
