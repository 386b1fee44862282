"""The videos service beneath the API: all-or-nothing admission, sharing rules, queue order."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from video_helpers import completed_video, png_file, queue_video, set_state

from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import (
    VideoRequest,
    cancel_video,
    content_of,
    create_video_with,
    delete_video,
    get_visible_video,
    publish_video,
    queue_position,
    unpublish_video,
    usable_by,
    video_json,
)
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.queue import Cancelled, Completed, finish, lease_next
from support import make_account, while_held_open


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


def test_who_may_use_a_video_they_see(services):
    """`usable_by(seen=True)` answers without asking again for anyone but an administrator,
    whose view of another's draft is not the right to use it."""
    owner = make_account(services)
    viewer = make_account(services, "bob@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    draft, shared = completed_video(services, owner.user), completed_video(services, owner.user)
    with services.db.write() as db:
        publish_video(db=db, actor=owner.user, video_id=shared.id)
    with services.db.read() as db:
        seen = {
            (who, video.id): usable_by(
                db=db,
                actor=actor,
                video=get_visible_video(db=db, actor=actor, video_id=video.id),
                seen=True,
            )
            for who, actor in (
                ("owner", owner.user),
                ("viewer", viewer.user),
                ("admin", admin.user),
            )
            for video in (draft, shared)
            if who != "viewer" or video is shared
        }
        anonymous = usable_by(db=db, actor=None, video=db.get_one(Video, shared.id), seen=True)
    assert seen == {
        ("owner", draft.id): True,
        ("owner", shared.id): True,
        ("viewer", shared.id): True,
        ("admin", draft.id): False,
        ("admin", shared.id): True,
    }
    assert anonymous is False


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


# --- changes racing the worker (the row is locked, so the change sees what the worker did) ---


def _lease(services) -> None:
    with services.db.write() as db:
        assert lease_next(db=db, settings=services.settings, worker_id="w1") is not None


def _open_runs(services, video_id: str) -> list[VideoRun]:
    with services.db.read() as db:
        query = select(VideoRun).where(VideoRun.video_id == video_id, VideoRun.ended_at.is_(None))
        return list(db.scalars(query))


def test_a_cancel_while_a_worker_leases_the_job_asks_the_worker_to_stop(services_on):
    """The lease commits first: the cancel waits for it and asks the running job to stop,
    instead of marking it cancelled under a worker that goes on and a run left open."""
    ada = make_account(services_on, "ada@example.com")
    video = queue_video(services_on, ada.user)

    def lease(db) -> str:
        return lease_next(db=db, settings=services_on.settings, worker_id="w1").id

    def cancel(db) -> str:
        return cancel_video(db=db, actor=ada.user, video_id=video.id).status

    assert while_held_open(services_on, lease, cancel) == (video.id, "in_progress")
    with services_on.db.read() as db:
        row = db.get_one(Video, video.id)
        assert (row.status, row.lease_owner, row.cancel_requested) == ("in_progress", "w1", True)
    assert len(_open_runs(services_on, video.id)) == 1
    with services_on.db.write() as db:  # the worker's next beat or finish ends it cancelled
        finish(db=db, video_id=video.id, worker_id="w1", outcome=Cancelled())
    assert _open_runs(services_on, video.id) == []


def test_a_delete_while_the_worker_finishes_returns_the_files_it_stored(services_on):
    """The finish commits first: the delete waits for it and returns the new files' keys, so
    they are removed (not left in storage for good)."""
    ada = make_account(services_on, "ada@example.com")
    video = queue_video(services_on, ada.user)
    _lease(services_on)
    made = Completed(
        video_key=f"videos/{video.id}/run/video.mp4",
        poster_key=f"videos/{video.id}/run/poster.jpg",
        video_bytes=9,
        frames=96,
    )

    def done(db) -> str | None:
        return finish(db=db, video_id=video.id, worker_id="w1", outcome=made)

    def delete(db) -> list[str]:
        return delete_video(db=db, actor=ada.user, video_id=video.id)

    finished, keys = while_held_open(services_on, done, delete)
    assert finished == "completed"
    assert made.video_key in keys
    assert made.poster_key in keys
    with services_on.db.read() as db:
        row = db.get_one(Video, video.id)
        assert (row.status, row.deleted_at is not None, row.published_at) == (
            "completed",
            True,
            None,
        )
