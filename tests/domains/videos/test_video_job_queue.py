"""The operators' view of the job queue, and cancelling others' jobs saying why: a queued job
ends at once with its units back (the reason on the owner's statement), a running one's worker
is asked to stop and the job ends with the same reason; the owner is told."""

from __future__ import annotations

from functools import partial

import pytest
from sqlalchemy import select
from video_helpers import queue_video, set_state

from reelmint.domains.accounts.service import OPERATOR
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.videos.job_queue import cancel_backend_jobs, cancel_job, job_queue
from reelmint.domains.videos.models import Video
from reelmint.domains.wallet import service as wallet
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.queue import Cancelled, HeartbeatOutcome, finish, heartbeat, lease_next
from support import at_once, make_account

REASON = "the preview GPUs are being replaced tonight"
REFUND = f"refund: cancelled by the platform's operators: {REASON}"


def cancel(services, video_id: str, actor=OPERATOR, reason: str = REASON) -> Video:
    with services.db.write() as db:
        return cancel_job(db=db, actor=actor, video_id=video_id, reason=reason)


def lease(services, worker_id: str = "gpu-1") -> Video:
    with services.db.write() as db:
        video = lease_next(db=db, settings=services.settings, worker_id=worker_id)
        assert video is not None
        return video


def refunds_of(services, user, video_id: str) -> list[str]:
    with services.db.read() as db:
        lines = wallet.statement(db=db, user=user)
        assert check_ledger(db=db) == []
    return [line.reason for line in lines if line.video_id == video_id]


def test_a_queued_job_cancelled_by_an_operator_ends_refunded_and_its_owner_is_told(mailing_on):
    services = mailing_on
    owner = make_account(services, "ann@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    video = queue_video(services, owner.user)
    with services.db.read() as db:
        before = wallet.read_wallet(db=db, user_id=owner.user.id).quota.available

    done = cancel(services, video.id, actor=admin.user, reason=f"  {REASON} ")
    assert (done.status, done.error_code) == ("cancelled", "cancelled")
    assert done.error_message == f"cancelled by the platform's operators: {REASON}"
    assert refunds_of(services, owner.user, video.id) == [REFUND]
    with services.db.read() as db:
        after = wallet.read_wallet(db=db, user_id=owner.user.id).quota.available
        assert (video.price_units, after) == (1, before + 1)
        [told] = db.scalars(select(Notification).where(Notification.user_id == owner.user.id))
        [mail] = db.scalars(
            select(EmailMessage).where(EmailMessage.to_address == "ann@example.com")
        )
    assert told.kind == "video_cancelled_by_operators"
    assert REASON in told.body
    assert "back in your wallet" in told.body
    assert told.link == f"/videos/{video.id}"
    assert mail.subject == told.title

    with pytest.raises(Conflict) as again:
        cancel(services, video.id)
    assert again.value.code == "video_finished"


def test_a_running_job_is_asked_to_stop_and_ends_with_the_operators_reason(services_on):
    owner = make_account(services_on, "ann@example.com")
    video = queue_video(services_on, owner.user)
    lease(services_on)

    asked = cancel(services_on, video.id)
    assert (asked.status, asked.cancel_requested, asked.error_code, asked.error_message) == (
        "in_progress",
        True,
        None,
        None,  # no error shows while it runs
    )
    assert asked.cancel_reason == f"cancelled by the platform's operators: {REASON}"
    with services_on.db.write() as db:
        told = heartbeat(db=db, settings=services_on.settings, video_id=video.id, worker_id="gpu-1")
    assert told == HeartbeatOutcome.STOP_CANCELLED
    again = cancel(services_on, video.id)  # asked already: nothing changes, nobody told twice
    assert again.cancel_requested is True
    with services_on.db.write() as db:
        finish(db=db, video_id=video.id, worker_id="gpu-1", outcome=Cancelled())
    with services_on.db.read() as db:
        ended = db.get(Video, video.id)
        kinds = db.scalars(
            select(Notification.kind).where(Notification.user_id == owner.user.id)
        ).all()
    assert (ended.status, ended.error_code) == ("cancelled", "cancelled")
    assert ended.error_message == f"cancelled by the platform's operators: {REASON}"
    assert kinds == ["video_cancelled_by_operators"]
    assert REFUND in refunds_of(services_on, owner.user, video.id)


def test_only_administrators_cancel_others_jobs_and_only_with_a_reason(services_on):
    owner = make_account(services_on, "ann@example.com")
    other = make_account(services_on, "bob@example.com")
    video = queue_video(services_on, owner.user)
    refusals = [
        ({"actor": other.user}, Forbidden, "admin_only"),
        ({"actor": owner.user}, Forbidden, "admin_only"),
        ({"reason": "  "}, BadRequest, "invalid_reason"),
        ({"reason": "x" * 501}, BadRequest, "invalid_reason"),
        ({"reason": "a\u200breason"}, BadRequest, "invalid_reason"),
    ]
    for kwargs, error, code in refusals:
        with pytest.raises(error) as refused:
            cancel(services_on, video.id, **kwargs)
        assert refused.value.code == code, kwargs
    for missing in ("video_nope", "../etc/passwd"):
        with pytest.raises(NotFound):
            cancel(services_on, missing)
    with services_on.db.read() as db:
        assert db.get(Video, video.id).status == "queued"
        assert db.scalars(select(Notification)).all() == []
    set_state(services_on, video.id, deleted_at=video.created_at)
    with pytest.raises(NotFound):
        cancel(services_on, video.id)


def test_cancelling_a_backend_ends_its_queued_jobs_and_stops_its_running_ones(services_on):
    ann = make_account(services_on, "ann@example.com").user
    bob = make_account(services_on, "bob@example.com").user
    running = queue_video(services_on, ann, "a horse runs")
    lease(services_on)
    queued = [queue_video(services_on, ann, "a boat sails"), queue_video(services_on, bob)]
    elsewhere = queue_video(services_on, bob, "a dog sleeps")
    set_state(services_on, elsewhere.id, backend="wan")

    with services_on.db.write() as db:
        done = cancel_backend_jobs(db=db, actor=OPERATOR, backend="preview", reason=REASON)
        changed = {video.id: video.status for video in done}
    assert changed == {
        running.id: "in_progress",
        queued[0].id: "cancelled",
        queued[1].id: "cancelled",
    }
    with services_on.db.read() as db:
        assert db.get(Video, elsewhere.id).status == "queued"
        assert db.get(Video, running.id).cancel_requested is True
    assert refunds_of(services_on, bob, queued[1].id)[-1] == REFUND

    with services_on.db.write() as db:  # again: the one stopping is left out
        assert cancel_backend_jobs(db=db, actor=OPERATOR, backend="preview", reason="x") == []
    with services_on.db.write() as db, pytest.raises(Forbidden):
        cancel_backend_jobs(db=db, actor=ann, backend="wan", reason=REASON)


def test_the_queue_shows_each_backends_load_then_running_jobs_then_queued_ones_in_order(
    services_on,
):
    ann = make_account(services_on, "ann@example.com").user
    first = queue_video(services_on, ann, "first")
    second = queue_video(services_on, ann, "second")
    third = queue_video(services_on, ann, "third")
    set_state(services_on, third.id, backend="wan")
    lease(services_on)  # the first

    with services_on.db.read() as db:
        queue = job_queue(db=db, actor=OPERATOR)
        by_backend = job_queue(db=db, actor=OPERATOR, backend="wan")
        short = job_queue(db=db, actor=OPERATOR, limit=1)
    loads = {load.backend: (load.queued, load.running) for load in queue.backends}
    assert loads == {"preview": (1, 1), "wan": (1, 0)}
    preview = next(load for load in queue.backends if load.backend == "preview")
    assert preview.oldest_queued_at == second.created_at
    assert [video.id for video in queue.jobs] == [first.id, second.id, third.id]
    assert not queue.has_more
    assert [video.id for video in by_backend.jobs] == [third.id]
    assert ([video.id for video in short.jobs], short.has_more) == ([first.id], True)
    with services_on.db.read() as db, pytest.raises(Forbidden):
        job_queue(db=db, actor=ann)


def test_an_operator_cancel_and_a_worker_lease_at_once_settle_the_job_exactly_once(
    services_on,
):
    """Whichever goes first, the job ends once: cancelled before it is leased (the lease
    finds nothing), or leased then asked to stop; its hold is voided exactly once."""
    owner = make_account(services_on, "ann@example.com")
    for _ in range(5):
        video = queue_video(services_on, owner.user)

        def take() -> Video | None:
            with services_on.db.write() as db:
                return lease_next(db=db, settings=services_on.settings, worker_id="gpu-1")

        stop = partial(cancel, services_on, video.id)
        cancelled, leased = at_once([stop, take], timeout=30)
        assert not isinstance(cancelled, BaseException), cancelled
        assert not isinstance(leased, BaseException), leased
        if leased is not None:
            with services_on.db.write() as db:
                finish(db=db, video_id=video.id, worker_id="gpu-1", outcome=Cancelled())
        with services_on.db.read() as db:
            [hold] = wallet.holds_for_video(db=db, video_id=video.id)
            assert (db.get(Video, video.id).status, hold.status) == ("cancelled", "voided")
        assert refunds_of(services_on, owner.user, video.id).count(REFUND) == 1


# --- over the API -------------------------------------------------------------------------------


def test_the_api_lists_the_queue_and_cancels_for_administrators_only(client, account, services):
    admin = make_account(services, "root@example.com", role="admin")
    video = queue_video(services, account.user)

    listed = client.get("/v1/admin/jobs", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["backends"] == [
        {
            "backend": "preview",
            "queued": 1,
            "running": 0,
            "oldest_queued_at": body["backends"][0]["oldest_queued_at"],
        }
    ]
    [job] = body["data"]
    assert (job["id"], job["owner_id"], job["status"], job["price_units"]) == (
        video.id,
        account.user.id,
        "queued",
        1,
    )
    assert client.get("/v1/admin/jobs?backend=wan", headers=admin.headers).json()["data"] == []

    path = f"/v1/admin/videos/{video.id}/cancel"
    for headers, body, status, code in (
        (account.headers, {"reason": REASON}, 403, "admin_only"),
        (admin.headers, {"reason": ""}, 400, "invalid_reason"),
        (admin.headers, {}, 400, "invalid_request"),
        (admin.headers, {"reason": REASON, "extra": 1}, 400, "unknown_parameter"),
    ):
        refused = client.post(path, json=body, headers=headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), body
    assert client.get("/v1/admin/jobs", headers=account.headers).status_code == 403

    done = client.post(path, json={"reason": REASON}, headers=admin.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled"
    assert done.json()["error"] == {
        "code": "cancelled",
        "message": f"cancelled by the platform's operators: {REASON}",
    }
    again = client.post(path, json={"reason": REASON}, headers=admin.headers)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "video_finished")
    owner_sees = client.get(f"/v1/videos/{video.id}", headers=account.headers).json()
    assert owner_sees["status"] == "cancelled"


def test_the_api_cancels_every_unfinished_job_of_a_backend(client, account, services):
    admin = make_account(services, "root@example.com", role="admin")
    videos = [queue_video(services, account.user) for _ in range(2)]
    path = "/v1/admin/backends/preview/cancel-jobs"
    refused = client.post(path, json={"reason": REASON}, headers=account.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")

    done = client.post(path, json={"reason": REASON}, headers=admin.headers)
    assert done.status_code == 200, done.text
    assert {(v["id"], v["status"]) for v in done.json()["data"]} == {
        (video.id, "cancelled") for video in videos
    }
    again = client.post(path, json={"reason": REASON}, headers=admin.headers)
    assert again.json()["data"] == []
