"""The whole path: a worker finishes a real job, its finishing transaction queues the event,
and the in-process dispatcher delivers it signed to a real receiver."""

from __future__ import annotations

from datetime import UTC, datetime

from webhook_helpers import (
    allowing_services,
    new_person,
    register,
    running_receiver,
    verify_standard_webhook,
)

from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.server import background_work


def test_a_finished_job_is_announced_to_the_owners_endpoint(tmp_path, keys_dir):
    services = allowing_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'reelmint.db'}",
        worker_poll_seconds=0.05,
        heartbeat_seconds=0.5,
        lease_seconds=5.0,
    )
    (services.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    person = new_person(services)
    with running_receiver() as receiver:
        _, secret = register(services, person, receiver.url, events=["video.completed"])
        with background_work(services, workers=1):
            video = create_video(
                services=services,
                user=person.user,
                request=VideoRequest(prompt="a red kite over a beach", seconds=4, size="480x480"),
            )
            [got] = receiver.wait_for(1, timeout=120)
    event = verify_standard_webhook(got, secret, now=datetime.now(UTC))
    assert event["type"] == "video.completed"
    assert event["data"]["id"] == video.id
    assert event["data"]["status"] == "completed"
    assert event["data"]["progress"] == 100
    services.close()
