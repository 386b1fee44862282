"""Endpoints (owner-only, limited, secrets sealed at rest) and the transactional outbox."""

from __future__ import annotations

import base64
import json
import stat
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from webhook_helpers import allowing_services, announce, insert_video, new_person, register

from reelmint.crypto import platform_key_path
from reelmint.db.base import utcnow
from reelmint.domains.webhooks import service
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.service import (
    MAX_ENDPOINTS_PER_USER,
    delete_endpoint,
    enqueue_video_event,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    purge_finished_deliveries,
    rotate_secret,
    send_test_event,
)
from reelmint.errors import BadRequest, Conflict, NotFound
from support import at_once

URL = "http://127.0.0.1:9/hooks"  # never called here: these tests run no dispatcher


@pytest.fixture
def hook_services(tmp_path, database_url):
    built = allowing_services(tmp_path, database_url)
    yield built
    built.close()


@pytest.fixture
def local_services(tmp_path):
    built = allowing_services(tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}")
    yield built
    built.close()


def all_deliveries(services):
    with services.db.read() as db:
        return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.endpoint_id)))


# --- endpoints --------------------------------------------------------------------------------


def test_a_new_endpoint_gets_a_standard_webhooks_secret_and_both_events(local_services):
    person = new_person(local_services)
    endpoint, secret = register(local_services, person, URL, description="  my   laptop ")
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24
    assert endpoint.event_list == ["video.completed", "video.failed"]
    assert endpoint.description == "my laptop"
    assert endpoint.id.startswith("wh_")
    _, another = register(local_services, person, URL)
    assert another != secret


def test_the_signing_secret_is_sealed_at_rest(hook_services):
    person = new_person(hook_services)
    endpoint, secret = register(hook_services, person, URL)
    with hook_services.db.read() as db:
        row = db.execute(
            text("SELECT * FROM webhook_endpoints WHERE id = :id"), {"id": endpoint.id}
        ).one()
    stored = " ".join(str(value) for value in row)
    raw_key = secret.removeprefix("whsec_")
    assert raw_key not in stored
    assert base64.b64decode(raw_key).hex() not in stored
    assert row.secret_sealed.startswith("v1.")
    key_file = platform_key_path(hook_services.settings.data_dir)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_rotating_gives_a_new_secret_and_reseals(local_services):
    person = new_person(local_services)
    endpoint, old = register(local_services, person, URL)
    sealed_before = endpoint.secret_sealed
    with local_services.db.write() as db:
        rotated, new = rotate_secret(
            db=db, settings=local_services.settings, actor=person.user, endpoint_id=endpoint.id
        )
    assert new != old
    assert new.startswith("whsec_")
    assert rotated.secret_sealed != sealed_before
    assert rotated.secret_rotated_at is not None


def test_events_can_be_chosen_but_must_be_known(local_services):
    person = new_person(local_services)
    endpoint, _ = register(local_services, person, URL, events=["video.failed"])
    assert endpoint.event_list == ["video.failed"]
    for events in ([], ["video.created"], ["video.failed", "nope"]):
        with pytest.raises(BadRequest) as caught:
            register(local_services, person, URL, events=events)
        assert caught.value.code == "invalid_webhook_events"
        assert "video.completed" in caught.value.message


def test_a_description_has_a_limit(local_services):
    person = new_person(local_services)
    with pytest.raises(BadRequest) as caught:
        register(local_services, person, URL, description="x" * 501)
    assert caught.value.param == "description"


@pytest.mark.parametrize("odd", ["a\x00b", "bell\x07", "esc\x1b[31m", "csi\x9b31m"])
def test_a_description_holds_no_control_character(local_services, odd):
    """PostgreSQL cannot store NUL, and no control character belongs in a label."""
    person = new_person(local_services)
    with pytest.raises(BadRequest) as caught:
        register(local_services, person, URL, description=odd)
    assert (caught.value.param, caught.value.message) == (
        "description",
        "the description holds a control character; remove it",
    )
    with local_services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_at_most_ten_endpoints_and_a_refusal_changes_nothing(local_services):
    person = new_person(local_services)
    for _ in range(MAX_ENDPOINTS_PER_USER):
        register(local_services, person, URL)
    with pytest.raises(Conflict) as caught:
        register(local_services, person, URL)
    assert caught.value.code == "too_many_webhooks"
    assert "delete one" in caught.value.message
    with local_services.db.read() as db:
        assert len(list_endpoints(db=db, actor=person.user)) == MAX_ENDPOINTS_PER_USER
    other = new_person(local_services, "bob@example.com")
    register(local_services, other, URL)  # the limit is per user


def test_concurrent_registrations_never_pass_the_limit(hook_services):
    person = new_person(hook_services)
    for _ in range(MAX_ENDPOINTS_PER_USER - 2):
        register(hook_services, person, URL)

    def attempt() -> str:
        try:
            register(hook_services, person, URL)
            return "created"
        except Conflict:
            return "refused"

    outcomes = at_once([attempt] * 6, timeout=60)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sorted(outcomes) == ["created"] * 2 + ["refused"] * 4
    with hook_services.db.read() as db:
        assert len(list_endpoints(db=db, actor=person.user)) == MAX_ENDPOINTS_PER_USER


def test_only_the_owner_sees_or_changes_an_endpoint(hook_services):
    ada = new_person(hook_services)
    bob = new_person(hook_services, "bob@example.com")
    endpoint, _ = register(hook_services, ada, URL)
    register(hook_services, bob, URL)
    attempts = [
        lambda db: get_endpoint(db=db, actor=bob.user, endpoint_id=endpoint.id),
        lambda db: delete_endpoint(db=db, actor=bob.user, endpoint_id=endpoint.id),
        lambda db: rotate_secret(
            db=db, settings=hook_services.settings, actor=bob.user, endpoint_id=endpoint.id
        ),
        lambda db: list_deliveries(db=db, actor=bob.user, endpoint_id=endpoint.id),
        lambda db: send_test_event(db=db, actor=bob.user, endpoint_id=endpoint.id),
    ]
    for act in attempts:
        with pytest.raises(NotFound) as caught, hook_services.db.write() as db:
            act(db)
        assert caught.value.code == "webhook_not_found"
    with hook_services.db.read() as db:
        assert [e.id for e in list_endpoints(db=db, actor=ada.user)] == [endpoint.id]
        assert endpoint.id not in [e.id for e in list_endpoints(db=db, actor=bob.user)]
        assert get_endpoint(db=db, actor=ada.user, endpoint_id=endpoint.id).url == URL


def test_deleting_an_endpoint_drops_its_undelivered_events(hook_services):
    person = new_person(hook_services)
    endpoint, _ = register(hook_services, person, URL)
    announce(hook_services, insert_video(hook_services, person.user))
    assert len(all_deliveries(hook_services)) == 1
    with hook_services.db.write() as db:
        delete_endpoint(db=db, actor=person.user, endpoint_id=endpoint.id)
    assert all_deliveries(hook_services) == []
    with pytest.raises(NotFound), hook_services.db.read() as db:
        get_endpoint(db=db, actor=person.user, endpoint_id=endpoint.id)


# --- the outbox -------------------------------------------------------------------------------


def test_an_event_is_queued_once_per_subscribed_endpoint_of_the_owner(hook_services):
    ada = new_person(hook_services)
    bob = new_person(hook_services, "bob@example.com")
    both, _ = register(hook_services, ada, URL)
    completed_only, _ = register(hook_services, ada, URL, events=["video.completed"])
    failed_only, _ = register(hook_services, ada, URL, events=["video.failed"])
    register(hook_services, bob, URL)  # another user's endpoint hears nothing of ada's videos
    video = insert_video(hook_services, ada.user)

    announce(hook_services, video, "video.completed")
    rows = all_deliveries(hook_services)
    assert sorted(row.endpoint_id for row in rows) == sorted([both.id, completed_only.id])
    assert failed_only.id not in {row.endpoint_id for row in rows}
    assert len({row.event_id for row in rows}) == 1, "one event, one id, for every endpoint"
    assert len({row.payload for row in rows}) == 1
    event = json.loads(rows[0].payload)
    assert event["id"] == rows[0].event_id
    assert event["type"] == "video.completed"
    assert event["object"] == "event"
    assert isinstance(event["created_at"], int)
    assert event["data"]["id"] == video.id
    assert event["data"]["status"] == "completed"
    assert {row.status for row in rows} == {"pending"}


def test_announcing_the_same_event_twice_queues_nothing_more(hook_services):
    person = new_person(hook_services)
    register(hook_services, person, URL)
    video = insert_video(hook_services, person.user)
    announce(hook_services, video, "video.completed")
    announce(hook_services, video, "video.completed")
    assert len(all_deliveries(hook_services)) == 1


def test_the_event_is_queued_in_the_callers_transaction(hook_services):
    """If the change it reports is rolled back, so is the event."""
    person = new_person(hook_services)
    register(hook_services, person, URL)
    video = insert_video(hook_services, person.user)

    class Abort(Exception):
        pass

    def finish_then_fail() -> None:
        with hook_services.db.write() as db:
            enqueue_video_event(db=db, video=video, event="video.completed")
            assert len(db.scalars(select(WebhookDelivery)).all()) == 1
            raise Abort

    with pytest.raises(Abort):
        finish_then_fail()
    assert all_deliveries(hook_services) == []


def test_the_payload_is_frozen_when_the_event_happens(local_services):
    person = new_person(local_services)
    register(local_services, person, URL)
    video = insert_video(local_services, person.user, status="failed")
    announce(local_services, video, "video.failed")
    with local_services.db.write() as db:
        db.get(type(video), video.id).prompt = "changed afterwards"
    [row] = all_deliveries(local_services)
    data = json.loads(row.payload)["data"]
    assert data["prompt"] == "a fox runs through snow"
    assert data["status"] == "failed"
    assert data["error"]["code"] == "render_failed"


def test_a_user_without_endpoints_costs_nothing(local_services):
    person = new_person(local_services)
    announce(local_services, insert_video(local_services, person.user))
    assert all_deliveries(local_services) == []


def test_only_video_events_can_be_announced(local_services):
    person = new_person(local_services)
    video = insert_video(local_services, person.user)
    with pytest.raises(ValueError, match="not a video event"), local_services.db.write() as db:
        enqueue_video_event(db=db, video=video, event="video.deleted")  # type: ignore[arg-type]


def test_a_test_event_goes_to_one_endpoint_whatever_it_subscribes_to(local_services):
    person = new_person(local_services)
    endpoint, _ = register(local_services, person, URL, events=["video.failed"])
    register(local_services, person, URL)
    with local_services.db.write() as db:
        delivery = send_test_event(db=db, actor=person.user, endpoint_id=endpoint.id)
    assert delivery.event_type == service.TEST_EVENT
    [row] = all_deliveries(local_services)
    assert row.endpoint_id == endpoint.id
    assert json.loads(row.payload)["data"]["id"] == endpoint.id
    with local_services.db.read() as db:
        [(listed, attempts)] = list_deliveries(db=db, actor=person.user, endpoint_id=endpoint.id)
    assert (listed.id, attempts) == (row.id, [])


def test_a_deliveries_page_has_bounds(local_services):
    person = new_person(local_services)
    endpoint, _ = register(local_services, person, URL)
    for limit in (0, 101):
        with pytest.raises(BadRequest) as caught, local_services.db.read() as db:
            list_deliveries(db=db, actor=person.user, endpoint_id=endpoint.id, limit=limit)
        assert caught.value.code == "invalid_limit"


def test_finished_deliveries_leave_the_log_after_the_keep_days(hook_services):
    person = new_person(hook_services)
    endpoint, _ = register(hook_services, person, URL)
    now = utcnow()
    keep = timedelta(days=hook_services.settings.webhook_keep_days)
    cases = {  # (status, finished or due at) -> removed?
        ("delivered", now - keep - timedelta(hours=1)): True,
        ("failed", now - keep - timedelta(hours=1)): True,
        ("delivered", now - keep + timedelta(hours=1)): False,
        ("pending", now - keep - timedelta(days=9)): False,  # still owed: never removed
    }
    ids = {}
    with hook_services.db.write() as db:
        for n, (status, at) in enumerate(cases):
            delivery = WebhookDelivery(
                endpoint_id=endpoint.id,
                event_id=f"evt_{n}",
                event_type="video.completed",
                payload="{}",
                status=status,
                attempts=1,
                next_attempt_at=at,
            )
            db.add(delivery)
            db.flush()
            db.add(WebhookAttempt(delivery_id=delivery.id, attempt=1, duration_ms=5))
            ids[status, at] = delivery.id
    with hook_services.db.write() as db:
        removed = purge_finished_deliveries(db=db, settings=hook_services.settings, now=now)
    with hook_services.db.read() as db:
        left = set(db.scalars(select(WebhookDelivery.id)))
        attempted = set(db.scalars(select(WebhookAttempt.delivery_id)))
    assert removed == 2
    assert left == {ids[case] for case, gone in cases.items() if not gone}
    assert attempted == left  # the attempts go with their delivery
    with hook_services.db.write() as db:  # a second run finds nothing more
        assert purge_finished_deliveries(db=db, settings=hook_services.settings, now=now) == 0


def test_a_purge_run_removes_at_most_its_limit_oldest_first(local_services):
    person = new_person(local_services)
    endpoint, _ = register(local_services, person, URL)
    now = utcnow()
    old = now - timedelta(days=local_services.settings.webhook_keep_days + 1)
    with local_services.db.write() as db:
        for n in range(3):
            db.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=f"evt_{n}",
                    event_type="video.completed",
                    payload="{}",
                    status="delivered",
                    next_attempt_at=old - timedelta(hours=n),  # evt_2 finished first
                )
            )
    settings = local_services.settings
    with local_services.db.write() as db:
        assert purge_finished_deliveries(db=db, settings=settings, now=now, limit=2) == 2
    with local_services.db.read() as db:
        assert list(db.scalars(select(WebhookDelivery.event_id))) == ["evt_0"]


def test_endpoints_go_with_their_user(local_services):
    from reelmint.domains.accounts.models import User

    person = new_person(local_services)
    register(local_services, person, URL)
    announce(local_services, insert_video(local_services, person.user))
    with local_services.db.write() as db:
        db.delete(db.get(User, person.user.id))
    with local_services.db.read() as db:
        assert db.scalars(select(WebhookEndpoint)).all() == []


def test_committed_events_wake_this_processs_dispatchers_and_rolled_back_ones_do_not(
    local_services,
):
    person = new_person(local_services)
    register(local_services, person, URL)
    video = insert_video(local_services, person.user)
    wakeup = threading.Event()
    service.register_wakeup(wakeup)

    def rolled_back() -> None:
        with local_services.db.write() as db:
            enqueue_video_event(db=db, video=video, event="video.completed")
            raise RuntimeError("the finishing transaction failed")

    with pytest.raises(RuntimeError):
        rolled_back()
    assert not wakeup.is_set()
    announce(local_services, video)
    assert wakeup.is_set()
