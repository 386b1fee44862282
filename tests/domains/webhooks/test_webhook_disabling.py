"""An endpoint that keeps failing is turned off and its owner told; its owner turns it back on.

The rule (dispatch.should_disable): when a delivery fails for good, the endpoint is turned off
if none of its attempts has succeeded for `webhook_disable_after_hours` and at least
DISABLE_AFTER_FAILED_DELIVERIES deliveries in a row have failed for good. Time is driven by a
settable clock, given to the dispatcher and to the service that stamps events (so an event
"happens" at the clock's time, and its ten-hour retry window runs on that clock too).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from webhook_helpers import (
    Clock,
    allowing_services,
    announce,
    insert_video,
    new_person,
    register,
    running_receiver,
)

from reelmint.api.app import create_app
from reelmint.db.base import new_id, utcnow
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.webhooks import service
from reelmint.domains.webhooks.dispatch import (
    DISABLE_AFTER_FAILED_DELIVERIES,
    Dispatcher,
    SendResult,
    lease_due,
    record_result,
)
from reelmint.domains.webhooks.models import WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.service import (
    GIVEN_UP_DISABLED,
    NOT_SENT_DISABLED,
    enable_endpoint,
    send_test_event,
)
from reelmint.errors import NotFound
from support import at_once

HOURS = 72  # the default webhook_disable_after_hours
HOUR = 3600.0


@pytest.fixture
def receiver():
    with running_receiver() as running:
        receiver = running
        receiver.default_status = 503  # the receiver is down until a test says otherwise
        yield receiver


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(service, "utcnow", clock)  # events happen at the clock's time
    return clock


def services_for(tmp_path, database_url, **settings):
    settings.setdefault("webhook_max_attempts", 1)  # each failed attempt fails for good
    return allowing_services(tmp_path, database_url, **settings)


@pytest.fixture
def hook_services(tmp_path, database_url):
    built = services_for(tmp_path, database_url)
    yield built
    built.close()


@pytest.fixture
def local_services(tmp_path):
    built = services_for(tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}")
    yield built
    built.close()


def confirmed_person(services, email="ada@example.com"):
    """A person whose address is confirmed, so notifications are emailed too."""
    from reelmint.domains.accounts.models import User

    person = new_person(services, email)
    with services.db.write() as db:
        db.execute(
            update(User).where(User.id == person.user.id).values(email_confirmed_at=utcnow())
        )
    return person


def drain(services, clock) -> int:
    """Send everything due now (at most MAX_SENDING_PER_ENDPOINT of an endpoint a round);
    how many were sent."""
    sent = 0
    with Dispatcher(services, clock=clock) as dispatcher:
        while made := dispatcher.run_once():
            sent += made
    return sent


def fail_events(services, person, clock, count: int) -> None:
    """`count` video events happen now, and each fails for good (one attempt each)."""
    for _ in range(count):
        announce(services, insert_video(services, person.user))
    assert drain(services, clock) == count


def endpoint_row(services, endpoint_id) -> WebhookEndpoint:
    with services.db.read() as db:
        return db.get(WebhookEndpoint, endpoint_id)


def deliveries_of(services, endpoint_id) -> list[WebhookDelivery]:
    with services.db.read() as db:
        return list(
            db.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
                .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
            )
        )


def told(services, user_id) -> list[Notification]:
    with services.db.read() as db:
        return list(
            db.scalars(
                select(Notification).where(
                    Notification.user_id == user_id, Notification.kind == "webhook_disabled"
                )
            )
        )


def mails(services, user_id) -> list[EmailMessage]:
    with services.db.read() as db:
        return list(db.scalars(select(EmailMessage).where(EmailMessage.user_id == user_id)))


def turned_off(services, person, receiver, clock):
    """An endpoint of `person` that failed its events for the whole period: turned off."""
    endpoint, _ = register(services, person, receiver.url)
    fail_events(services, person, clock, DISABLE_AFTER_FAILED_DELIVERIES)
    clock.advance(HOURS * HOUR)
    fail_events(services, person, clock, 1)
    assert endpoint_row(services, endpoint.id).disabled_at is not None
    return endpoint


# --- the rule ---------------------------------------------------------------------------------


def test_an_endpoint_failing_for_the_period_is_turned_off_and_its_owner_told_once(
    hook_services, receiver, clock
):
    ada = confirmed_person(hook_services)
    endpoint, _ = register(hook_services, ada, receiver.url)
    started = clock.now

    fail_events(hook_services, ada, clock, 5)  # an outage: many events fail, but only now
    row = endpoint_row(hook_services, endpoint.id)
    assert (row.failed_in_a_row, row.failing_since, row.disabled_at) == (5, started, None)

    clock.advance(HOURS * HOUR - 60)  # a minute short of the period
    fail_events(hook_services, ada, clock, 1)
    assert endpoint_row(hook_services, endpoint.id).disabled_at is None
    assert told(hook_services, ada.user.id) == []

    clock.advance(60)
    fail_events(hook_services, ada, clock, 1)
    row = endpoint_row(hook_services, endpoint.id)
    assert row.disabled_at == clock.now
    assert "the receiver answered HTTP 503" in row.disabled_reason
    assert "no attempt has succeeded since" in row.disabled_reason

    [note] = told(hook_services, ada.user.id)
    assert receiver.url in note.title
    assert receiver.url in note.body
    assert "the receiver answered HTTP 503" in note.body
    assert f"POST /v1/webhooks/{endpoint.id}/enable" in note.body
    [mail] = mails(hook_services, ada.user.id)
    assert (mail.notification_id, mail.to_address) == (note.id, "ada@example.com")

    # More failures while it is off (test events are still sent) tell nobody again.
    with hook_services.db.write() as db:
        send_test_event(db=db, actor=ada.user, endpoint_id=endpoint.id)
    clock.advance(HOUR)
    assert drain(hook_services, clock) == 1
    assert len(told(hook_services, ada.user.id)) == 1
    assert len(mails(hook_services, ada.user.id)) == 1


def test_a_long_failure_with_fewer_lost_events_than_the_rule_keeps_it_on(
    local_services, receiver, clock
):
    """One lost event a day for two days is not enough; the third in a row is."""
    ada = new_person(local_services)
    endpoint, _ = register(local_services, ada, receiver.url)
    for _ in range(DISABLE_AFTER_FAILED_DELIVERIES - 1):
        fail_events(local_services, ada, clock, 1)
        clock.advance(HOURS * HOUR)
    row = endpoint_row(local_services, endpoint.id)
    assert row.failed_in_a_row == DISABLE_AFTER_FAILED_DELIVERIES - 1
    assert row.disabled_at is None
    fail_events(local_services, ada, clock, 1)
    assert endpoint_row(local_services, endpoint.id).disabled_at is not None


def test_a_success_in_between_starts_the_count_again(local_services, receiver, clock):
    """An endpoint that sometimes succeeds stays on: a successful attempt (a test event's
    too) clears the failures, and the period is counted from the next failure."""
    ada = new_person(local_services)
    endpoint, _ = register(local_services, ada, receiver.url)
    fail_events(local_services, ada, clock, 3)
    clock.advance(HOURS * HOUR / 2)
    receiver.script = [200]
    with local_services.db.write() as db:
        send_test_event(db=db, actor=ada.user, endpoint_id=endpoint.id)
    assert drain(local_services, clock) == 1
    row = endpoint_row(local_services, endpoint.id)
    assert (row.failed_in_a_row, row.failing_since) == (0, None)

    clock.advance(HOURS * HOUR / 2 + 60)  # past the period since the first failure
    fail_events(local_services, ada, clock, 3)
    row = endpoint_row(local_services, endpoint.id)
    assert (row.failed_in_a_row, row.failing_since, row.disabled_at) == (3, clock.now, None)


def test_only_a_delivery_failing_for_good_counts(tmp_path, receiver, clock):
    """Failed attempts that will be retried start the period but count no lost event."""
    services = services_for(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", webhook_max_attempts=3)
    ada = new_person(services)
    endpoint, _ = register(services, ada, receiver.url)
    for _ in range(DISABLE_AFTER_FAILED_DELIVERIES):
        announce(services, insert_video(services, ada.user))
    started = clock.now
    assert drain(services, clock) == DISABLE_AFTER_FAILED_DELIVERIES
    clock.advance(9 * HOUR)  # within the events' retry window: every second try is due
    assert drain(services, clock) == DISABLE_AFTER_FAILED_DELIVERIES
    row = endpoint_row(services, endpoint.id)
    assert (row.failed_in_a_row, row.failing_since) == (0, started)
    clock.advance(HOUR)  # the window's end: the last tries, which fail for good
    assert drain(services, clock) == DISABLE_AFTER_FAILED_DELIVERIES
    assert endpoint_row(services, endpoint.id).failed_in_a_row == 3
    services.close()


def test_zero_hours_never_turns_an_endpoint_off(tmp_path, receiver, clock):
    services = services_for(
        tmp_path, f"sqlite:///{tmp_path / 'x.db'}", webhook_disable_after_hours=0
    )
    ada = new_person(services)
    endpoint, _ = register(services, ada, receiver.url)
    fail_events(services, ada, clock, 3)
    clock.advance(30 * 24 * HOUR)
    fail_events(services, ada, clock, 3)
    assert endpoint_row(services, endpoint.id).disabled_at is None
    assert told(services, ada.user.id) == []
    services.close()


def test_two_deliveries_failing_for_good_at_once_turn_it_off_once(hook_services, receiver, clock):
    """Two dispatchers record their last failures at the same moment: the endpoint's row lock
    makes them count in turn, so the endpoint is turned off once and its owner told once."""
    ada = new_person(hook_services)
    endpoint, _ = register(hook_services, ada, receiver.url)
    fail_events(hook_services, ada, clock, DISABLE_AFTER_FAILED_DELIVERIES)
    clock.advance(HOURS * HOUR)
    for _ in range(2):
        announce(hook_services, insert_video(hook_services, ada.user))
    settings = hook_services.settings
    with Dispatcher(hook_services, clock=clock) as probe:
        key_id = probe.box.key_id
    leased = []
    for owner in ("one", "two"):
        with hook_services.db.write() as db:
            leased += lease_due(
                db=db, settings=settings, owner=owner, key_id=key_id, now=clock.now, limit=1
            )
    assert len(leased) == 2
    failure = SendResult(status_code=503, error="the receiver answered HTTP 503", duration_ms=1)

    def record(item):
        with hook_services.db.write() as db:
            return record_result(
                db=db, settings=settings, leased=item, result=failure, now=clock.now
            )

    done = at_once([lambda item=item: record(item) for item in leased], timeout=60)
    assert done == ["failed", "failed"]
    row = endpoint_row(hook_services, endpoint.id)
    assert row.disabled_at == clock.now
    assert row.failed_in_a_row == DISABLE_AFTER_FAILED_DELIVERIES + 2
    assert len(told(hook_services, ada.user.id)) == 1


# --- while it is off --------------------------------------------------------------------------


def test_an_endpoint_turned_off_is_sent_nothing_and_its_retries_are_given_up(
    tmp_path, database_url, receiver, clock
):
    services = services_for(tmp_path, database_url, webhook_max_attempts=2)
    ada = new_person(services)
    endpoint, _ = register(services, ada, receiver.url)
    fail_events(services, ada, clock, 3)  # first tries
    clock.advance(HOUR)
    assert drain(services, clock) == 3  # their last tries: 3 lost events, the period begins

    clock.advance(HOURS * HOUR)
    receiver.reply_headers = {"Retry-After": str(int(HOUR))}
    announce(services, insert_video(services, ada.user))  # fails, retried in an hour
    assert drain(services, clock) == 1
    receiver.reply_headers = {}
    clock.advance(1)
    announce(services, insert_video(services, ada.user))
    assert drain(services, clock) == 1
    clock.advance(60)
    assert drain(services, clock) == 1  # the second event's last try: turned off
    assert endpoint_row(services, endpoint.id).disabled_at == clock.now
    waiting, lost = deliveries_of(services, endpoint.id)[-2:]
    assert (waiting.status, waiting.attempts, waiting.last_error) == (
        "failed",
        1,
        GIVEN_UP_DISABLED,
    )
    assert lost.status == "failed"

    before = len(receiver.received)
    announce(services, insert_video(services, ada.user))  # happens while it is off
    clock.advance(2 * HOUR)
    assert drain(services, clock) == 0
    assert len(receiver.received) == before
    missed = deliveries_of(services, endpoint.id)[-1]
    assert (missed.status, missed.attempts, missed.last_error) == (
        "failed",
        0,
        NOT_SENT_DISABLED,
    )
    services.close()


def test_an_event_queued_as_the_endpoint_was_turned_off_is_given_up_unsent(
    local_services, receiver, clock
):
    """A delivery written pending by a transaction that had not seen the disabling (a race) is
    given up when it falls due, never sent."""
    ada = new_person(local_services)
    endpoint = turned_off(local_services, ada, receiver, clock)
    video = insert_video(local_services, ada.user)
    with local_services.db.write() as db:
        endpoint_now = db.get(WebhookEndpoint, endpoint.id)
        body = service.event_body(
            event_id=new_id("evt"),
            event_type="video.completed",
            created_at=clock.now,
            data=service.video_object(video),
        )
        endpoint_now.disabled_at = None  # as the racing transaction saw it
        straggler = service._queue(db, endpoint_now, body=body, video_id=video.id, now=clock.now)
        db.flush()
        endpoint_now.disabled_at = clock.now
    assert straggler.status == "pending"
    before = len(receiver.received)
    assert drain(local_services, clock) == 0
    assert len(receiver.received) == before
    [row] = [d for d in deliveries_of(local_services, endpoint.id) if d.id == straggler.id]
    assert (row.status, row.last_error) == ("failed", NOT_SENT_DISABLED)


def test_test_events_are_sent_while_it_is_off_and_do_not_turn_it_on(
    local_services, receiver, clock
):
    ada = new_person(local_services)
    endpoint = turned_off(local_services, ada, receiver, clock)
    receiver.default_status = 200
    with local_services.db.write() as db:
        send_test_event(db=db, actor=ada.user, endpoint_id=endpoint.id)
    before = len(receiver.received)
    assert drain(local_services, clock) == 1
    assert receiver.received[before].event["type"] == "webhook.test"
    row = endpoint_row(local_services, endpoint.id)
    assert row.disabled_at is not None  # only its owner turns it back on
    assert (row.failed_in_a_row, row.failing_since) == (0, None)


# --- turning it back on -----------------------------------------------------------------------


def test_enabling_resumes_deliveries_and_counts_failures_afresh(hook_services, receiver, clock):
    ada = confirmed_person(hook_services)
    endpoint = turned_off(hook_services, ada, receiver, clock)
    with hook_services.db.write() as db:
        enabled = enable_endpoint(db=db, actor=ada.user, endpoint_id=endpoint.id)
    assert (enabled.disabled_at, enabled.disabled_reason) == (None, None)
    assert (enabled.failed_in_a_row, enabled.failing_since) == (0, None)

    # Still failing: one more lost event does not turn it off again at once.
    clock.advance(HOUR)
    fail_events(hook_services, ada, clock, 1)
    assert endpoint_row(hook_services, endpoint.id).disabled_at is None

    receiver.default_status = 200
    before = len(receiver.received)
    clock.advance(1)
    announce(hook_services, insert_video(hook_services, ada.user))
    assert drain(hook_services, clock) == 1
    assert len(receiver.received) == before + 1
    assert deliveries_of(hook_services, endpoint.id)[-1].status == "delivered"

    # A later disabling is a new one: its owner is told again.
    receiver.default_status = 503
    fail_events(hook_services, ada, clock, 3)
    clock.advance(HOURS * HOUR)
    fail_events(hook_services, ada, clock, 1)
    assert endpoint_row(hook_services, endpoint.id).disabled_at is not None
    assert len(told(hook_services, ada.user.id)) == 2


def test_enabling_an_endpoint_that_is_on_changes_nothing(local_services, receiver, clock):
    ada = new_person(local_services)
    endpoint, _ = register(local_services, ada, receiver.url)
    fail_events(local_services, ada, clock, 2)
    with local_services.db.write() as db:
        same = enable_endpoint(db=db, actor=ada.user, endpoint_id=endpoint.id)
    assert (same.disabled_at, same.failed_in_a_row) == (None, 2)


def test_another_user_cannot_enable_it(local_services, receiver, clock):
    ada = new_person(local_services)
    endpoint = turned_off(local_services, ada, receiver, clock)
    bob = new_person(local_services, "bob@example.com")
    with local_services.db.write() as db, pytest.raises(NotFound) as refused:
        enable_endpoint(db=db, actor=bob.user, endpoint_id=endpoint.id)
    assert refused.value.code == "webhook_not_found"
    assert endpoint_row(local_services, endpoint.id).disabled_at is not None


# --- the API ----------------------------------------------------------------------------------


def test_the_api_shows_the_endpoint_off_and_turns_it_back_on(local_services, receiver, clock):
    ada = new_person(local_services)
    bob = new_person(local_services, "bob@example.com")
    with TestClient(create_app(local_services)) as api:
        made = api.post("/v1/webhooks", json={"url": receiver.url}, headers=ada.headers).json()
        assert (made["disabled_at"], made["disabled_reason"]) == (None, None)
        fail_events(local_services, ada, clock, 3)
        clock.advance(HOURS * HOUR)
        fail_events(local_services, ada, clock, 1)

        path = f"/v1/webhooks/{made['id']}"
        shown = api.get(path, headers=ada.headers).json()
        assert shown["disabled_at"] == int(clock.now.timestamp())
        assert "the receiver answered HTTP 503" in shown["disabled_reason"]
        [listed] = api.get("/v1/webhooks", headers=ada.headers).json()["data"]
        assert listed["disabled_at"] == shown["disabled_at"]

        clock.advance(1)
        announce(local_services, insert_video(local_services, ada.user))
        missed = api.get(f"{path}/deliveries", headers=ada.headers).json()["data"][0]
        assert (missed["status"], missed["attempts"], missed["attempt_log"]) == ("failed", 0, [])
        assert missed["last_error"] == NOT_SENT_DISABLED

        queued = api.post(f"{path}/test", headers=ada.headers)
        assert queued.status_code == 202
        assert queued.json()["status"] == "pending"

        other = api.post(f"{path}/enable", headers=bob.headers)
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "webhook_not_found"
        assert api.post(f"{path}/enable").status_code == 401
        assert api.get(path, headers=ada.headers).json()["disabled_at"] is not None

        enabled = api.post(f"{path}/enable", headers=ada.headers)
        assert enabled.status_code == 200
        body = enabled.json()
        assert (body["id"], body["object"]) == (made["id"], "webhook_endpoint")
        assert (body["disabled_at"], body["disabled_reason"], body["secret"]) == (None, None, None)
        assert api.get(path, headers=ada.headers).json()["disabled_at"] is None
        assert "/v1/webhooks/{webhook_id}/enable" in api.get("/openapi.json").json()["paths"]
