"""The dispatcher: signed delivery to a real receiver, retries, giving up, leases, concurrency.

Time is driven by a settable clock passed to the dispatcher: backoff is stepped over, never
slept through. Tests of the outbox and the dispatcher run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import openai
import pytest
from sqlalchemy import func, select
from webhook_helpers import (
    Clock,
    SignatureInvalid,
    allowing_services,
    announce,
    insert_video,
    new_person,
    register,
    running_dripper,
    running_receiver,
    verify_standard_webhook,
)

import reelmint
from reelmint.domains.webhooks import dispatch, targets
from reelmint.domains.webhooks.dispatch import (
    BATCH,
    MAX_SENDING_PER_ENDPOINT,
    RESOLVER_ALLOWANCE_SECONDS,
    RETRY_SCHEDULE_SECONDS,
    RETRY_WINDOW_SECONDS,
    Dispatcher,
    lease_due,
    lease_seconds,
    record_result,
    retry_delay,
    start_dispatcher_thread,
)
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery
from reelmint.domains.webhooks.service import rotate_secret
from support import at_once


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture
def clock():
    return Clock()


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


def deliveries(services):
    with services.db.read() as db:
        return list(db.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def attempts_of(services, delivery_id):
    with services.db.read() as db:
        return list(
            db.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.attempt)
            )
        )


def test_a_video_event_arrives_once_signed_with_standard_webhooks_headers(
    hook_services, receiver, clock
):
    person = new_person(hook_services)
    _, secret = register(hook_services, person, receiver.url)
    video = insert_video(hook_services, person.user)
    announce(hook_services, video, "video.completed")

    with Dispatcher(hook_services, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 1
        assert dispatcher.run_once() == 0  # delivered: never sent again

    [got] = receiver.received
    event = verify_standard_webhook(got, secret, now=clock.now)
    assert event["type"] == "video.completed"
    assert event["id"] == got.headers["webhook-id"]
    assert event["id"].startswith("evt_")
    assert got.headers["webhook-timestamp"] == str(int(clock.now.timestamp()))
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == f"reelmint/{reelmint.__version__}"
    data = event["data"]
    assert (data["object"], data["id"], data["status"]) == ("video", video.id, "completed")
    assert (data["progress"], data["seconds"], data["size"]) == (100, "4", "480x480")
    assert data["prompt"] == "a fox runs through snow"

    [delivery] = deliveries(hook_services)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    [attempt] = attempts_of(hook_services, delivery.id)
    assert (attempt.status_code, attempt.error, attempt.response_excerpt) == (200, None, "ok")


def test_a_third_party_verifier_accepts_the_signature(local_services, receiver):
    """The openai package's own Standard Webhooks check agrees with ours."""
    person = new_person(local_services)
    _, secret = register(local_services, person, receiver.url)
    announce(
        local_services, insert_video(local_services, person.user, status="failed"), "video.failed"
    )
    with Dispatcher(local_services) as dispatcher:
        dispatcher.run_once()
    [got] = receiver.received
    client = openai.OpenAI(api_key="unused", base_url="http://127.0.0.1:9/v1")
    client.webhooks.verify_signature(got.body, got.headers, secret=secret)
    wrong = "whsec_" + "A" * 44
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.verify_signature(got.body, got.headers, secret=wrong)
    event = got.event
    assert event["type"] == "video.failed"
    assert event["data"]["error"] == {"code": "render_failed", "message": "the backend crashed"}


def test_failures_are_retried_with_backoff_until_the_receiver_accepts(
    hook_services, receiver, clock
):
    person = new_person(hook_services)
    _, secret = register(hook_services, person, receiver.url)
    announce(hook_services, insert_video(hook_services, person.user))
    receiver.script = [500, 500]  # then 200

    with Dispatcher(hook_services, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 1
        [delivery] = deliveries(hook_services)
        first_wait = (delivery.next_attempt_at - clock.now).total_seconds()
        assert RETRY_SCHEDULE_SECONDS[0] * 0.8 <= first_wait <= RETRY_SCHEDULE_SECONDS[0] * 1.2
        assert dispatcher.run_once() == 0  # not due yet
        clock.advance(first_wait - 0.5)
        assert dispatcher.run_once() == 0
        clock.advance(1)
        assert dispatcher.run_once() == 1

        [delivery] = deliveries(hook_services)
        second_wait = (delivery.next_attempt_at - clock.now).total_seconds()
        assert RETRY_SCHEDULE_SECONDS[1] * 0.8 <= second_wait <= RETRY_SCHEDULE_SECONDS[1] * 1.2
        clock.advance(second_wait)
        assert dispatcher.run_once() == 1

    assert len(receiver.received) == 3
    ids = {got.headers["webhook-id"] for got in receiver.received}
    assert len(ids) == 1, "every retry carries the same event id"
    stamps = [int(got.headers["webhook-timestamp"]) for got in receiver.received]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3, "each try is signed anew"
    bodies = {got.body for got in receiver.received}
    assert len(bodies) == 1, "the body was frozen when the event happened"
    for got in receiver.received:
        verify_standard_webhook(got, secret, now=clock.now)

    [delivery] = deliveries(hook_services)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    log = attempts_of(hook_services, delivery.id)
    assert [a.status_code for a in log] == [500, 500, 200]
    assert log[0].error == "the receiver answered HTTP 500"
    assert log[2].error is None


def test_a_delivery_gives_up_after_the_maximum_attempts(tmp_path, database_url, receiver, clock):
    services = allowing_services(tmp_path, database_url, webhook_max_attempts=3)
    person = new_person(services)
    register(services, person, receiver.url)
    announce(services, insert_video(services, person.user))
    receiver.default_status = 503
    with Dispatcher(services, clock=clock) as dispatcher:
        for _ in range(3):
            assert dispatcher.run_once() == 1
            clock.advance(RETRY_SCHEDULE_SECONDS[-1] * 1.5)
        assert dispatcher.run_once() == 0
    [delivery] = deliveries(services)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
    assert len(receiver.received) == 3
    services.close()


def test_retry_after_from_the_receiver_is_respected(local_services, receiver, clock):
    person = new_person(local_services)
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    receiver.script = [429]
    receiver.reply_headers = {"Retry-After": "300"}
    with Dispatcher(local_services, clock=clock) as dispatcher:
        dispatcher.run_once()
    [delivery] = deliveries(local_services)
    assert (delivery.next_attempt_at - clock.now).total_seconds() >= 300


def test_retry_after_never_stretches_the_retries_past_the_window(local_services, receiver, clock):
    """A receiver asking for 6 hours every time gets its waits, but the last attempt comes at
    the end of the retry window (10 hours after the event) and its failure is final: not
    eight 6-hour waits (about two days)."""
    person = new_person(local_services)
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    receiver.default_status = 503
    receiver.reply_headers = {"Retry-After": str(6 * 3600)}
    with Dispatcher(local_services, clock=clock) as dispatcher:
        for _ in range(local_services.settings.webhook_max_attempts):
            [delivery] = deliveries(local_services)
            if delivery.status != "pending":
                break
            clock.advance(max((delivery.next_attempt_at - clock.now).total_seconds(), 0))
            assert dispatcher.run_once() == 1
    [delivery] = deliveries(local_services)
    assert delivery.status == "failed"
    made = attempts_of(local_services, delivery.id)
    assert len(made) == 3  # at the event, 6 h later, and at the window's end
    window_end = (delivery.created_at - made[0].created_at).total_seconds() + RETRY_WINDOW_SECONDS
    assert (made[-1].created_at - made[0].created_at).total_seconds() <= window_end


def test_an_odd_retry_after_is_ignored_and_the_round_goes_on(local_services, receiver, clock):
    """ "²" is a digit to `str.isdigit` but no number: the answer is an ordinary failed
    attempt, retried on the usual schedule, and the round does not fail (which would pause
    every account's deliveries)."""
    person = new_person(local_services)
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    receiver.script = [503]
    receiver.reply_headers = {"Retry-After": "\u00b2"}
    with Dispatcher(local_services, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 1
    [delivery] = deliveries(local_services)
    [attempt] = attempts_of(local_services, delivery.id)
    assert (attempt.status_code, delivery.status, delivery.locked_until) == (503, "pending", None)
    waited = (delivery.next_attempt_at - clock.now).total_seconds()
    assert waited < 300  # the schedule's first step, not a receiver's wish
    receiver.reply_headers = {}
    clock.advance(seconds=waited)
    with Dispatcher(local_services, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 1
    assert deliveries(local_services)[0].status == "delivered"


def test_a_fault_sending_one_delivery_is_its_failed_attempt(local_services, receiver, clock):
    """A URL whose host the resolver refuses to encode (a label over 63 characters) raises
    neither an httpx error nor a refusal: it is recorded as a failed attempt of that delivery,
    and the same round still delivers the other endpoint's."""
    person = new_person(local_services)
    register(local_services, person, f"http://{'a' * 64}.example/hook")
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    with Dispatcher(local_services, clock=clock) as dispatcher:
        assert dispatcher.run_once() == 2
    by_url = {d.endpoint_id: d for d in deliveries(local_services)}
    assert sorted(d.status for d in by_url.values()) == ["delivered", "pending"]
    [failed] = [d for d in by_url.values() if d.status == "pending"]
    [attempt] = attempts_of(local_services, failed.id)
    assert attempt.status_code is None
    assert attempt.error.startswith("request failed: ")
    assert failed.locked_until is None
    assert len(receiver.received) == 1


def test_two_dispatchers_deliver_each_event_exactly_once(hook_services, receiver):
    person = new_person(hook_services)
    register(hook_services, person, receiver.url)
    register(hook_services, person, receiver.url + "/second")
    events = 12
    for _ in range(events):
        announce(hook_services, insert_video(hook_services, person.user))
    receiver.delay = 0.01

    def drain(owner: str) -> None:
        with Dispatcher(hook_services, owner=owner) as dispatcher:
            idle = 0
            while idle < 3:
                idle = idle + 1 if dispatcher.run_once() == 0 else 0

    done = at_once([partial(drain, f"dispatcher-{n}") for n in range(2)], timeout=120)
    errors = [r for r in done if isinstance(r, BaseException)]
    assert not errors, errors

    sent = Counter((got.path, got.headers["webhook-id"]) for got in receiver.received)
    assert len(sent) == 2 * events
    assert set(sent.values()) == {1}, "no delivery was sent twice"
    rows = deliveries(hook_services)
    assert {d.status for d in rows} == {"delivered"}
    with hook_services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(WebhookAttempt)) == 2 * events


def test_concurrent_leases_take_disjoint_deliveries(hook_services, receiver, clock):
    """While one dispatcher's lease transaction is still open, another takes only what is
    left (PostgreSQL: SKIP LOCKED) or waits for it to commit (SQLite: one writer at a time)."""
    person = new_person(hook_services)
    register(hook_services, person, receiver.url)
    for _ in range(5):
        announce(hook_services, insert_video(hook_services, person.user))
    settings = hook_services.settings
    with Dispatcher(hook_services, clock=clock) as probe:
        key_id = probe.box.key_id
    second: list = []

    def lease_rest() -> None:
        with hook_services.db.write() as db:
            second.extend(
                lease_due(
                    db=db, settings=settings, owner="two", key_id=key_id, now=clock.now, limit=10
                )
            )

    other = threading.Thread(target=lease_rest)
    with hook_services.db.write() as db:
        first = lease_due(
            db=db, settings=settings, owner="one", key_id=key_id, now=clock.now, limit=2
        )
        other.start()
        if hook_services.db.is_postgres:
            other.join(timeout=30)  # skips the locked rows instead of waiting
            assert not other.is_alive()
    other.join(timeout=60)
    assert len(first) == 2
    assert len(second) == 3
    assert not {d.id for d in first} & {d.id for d in second}


def test_a_dead_dispatchers_delivery_is_sent_by_another_once_its_lease_runs_out(
    hook_services, receiver, clock
):
    person = new_person(hook_services)
    register(hook_services, person, receiver.url)
    announce(hook_services, insert_video(hook_services, person.user))
    settings = hook_services.settings

    with Dispatcher(hook_services, clock=clock) as survivor:
        with hook_services.db.write() as db:  # a dispatcher leases, then dies before sending
            [lost] = lease_due(
                db=db,
                settings=settings,
                owner="dead",
                key_id=survivor.box.key_id,
                now=clock.now,
                limit=10,
            )
        assert survivor.run_once() == 0, "a leased delivery is nobody else's to send"
        clock.advance(lease_seconds(settings) + 1)
        assert survivor.run_once() == 1
    assert len(receiver.received) == 1
    [delivery] = deliveries(hook_services)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)

    # The dead dispatcher comes back and reports: its stale lease changes nothing.
    stale = dispatch.SendResult(status_code=500, error="late", duration_ms=1)
    with hook_services.db.write() as db:
        status = record_result(db=db, settings=settings, leased=lost, result=stale, now=clock.now)
    assert status == "delivered"
    assert deliveries(hook_services)[0].status == "delivered"


def test_a_lease_lost_during_the_last_attempt_fails_the_delivery(tmp_path, receiver, clock):
    services = allowing_services(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", webhook_max_attempts=1)
    person = new_person(services)
    register(services, person, receiver.url)
    announce(services, insert_video(services, person.user))
    with Dispatcher(services, clock=clock) as dispatcher:
        with services.db.write() as db:
            lease_due(
                db=db,
                settings=services.settings,
                owner="dead",
                key_id=dispatcher.box.key_id,
                now=clock.now,
                limit=1,
            )
        clock.advance(lease_seconds(services.settings) + 1)
        assert dispatcher.run_once() == 0
    [delivery] = deliveries(services)
    assert delivery.status == "failed"
    assert "stopped during the last attempt" in delivery.last_error
    assert receiver.received == []
    services.close()


def test_rotation_signs_pending_retries_with_the_new_secret(local_services, receiver, clock):
    """Rotated with `keep_old_hours=0` (the old secret leaked): it stops signing at once."""
    person = new_person(local_services)
    endpoint, old = register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    receiver.script = [500]
    with Dispatcher(local_services, clock=clock) as dispatcher:
        dispatcher.run_once()
        with local_services.db.write() as db:
            _, new = rotate_secret(
                db=db,
                settings=local_services.settings,
                actor=person.user,
                endpoint_id=endpoint.id,
                keep_old_hours=0,
                now=clock.now,
            )
        clock.advance(RETRY_SCHEDULE_SECONDS[0] * 2)
        dispatcher.run_once()
    first, second = receiver.received
    verify_standard_webhook(first, old, now=clock.now)
    verify_standard_webhook(second, new, now=clock.now)
    with pytest.raises(SignatureInvalid):
        verify_standard_webhook(second, old, now=clock.now)


def test_after_a_rotation_the_old_secret_signs_too_for_the_hours_asked(
    local_services, receiver, clock
):
    """A receiver still holding the old secret goes on verifying while its owner changes it
    over (two signatures, as Standard Webhooks allows); after the hours, only the new one."""
    person = new_person(local_services)
    endpoint, old = register(local_services, person, receiver.url)
    with local_services.db.write() as db:
        _, new = rotate_secret(
            db=db,
            settings=local_services.settings,
            actor=person.user,
            endpoint_id=endpoint.id,
            keep_old_hours=2,
            now=clock.now,
        )
    with Dispatcher(local_services, clock=clock) as dispatcher:
        announce(local_services, insert_video(local_services, person.user))
        dispatcher.run_once()
        clock.advance(2 * 3600 + 1)
        announce(local_services, insert_video(local_services, person.user))
        dispatcher.run_once()
    during, after = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    verify_standard_webhook(during, old, now=clock.now - timedelta(hours=2))
    verify_standard_webhook(during, new, now=clock.now - timedelta(hours=2))
    verify_standard_webhook(after, new, now=clock.now)
    with pytest.raises(SignatureInvalid):
        verify_standard_webhook(after, old, now=clock.now)


def test_redirects_are_not_followed(local_services, receiver):
    person = new_person(local_services)
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    receiver.script = [302]
    receiver.reply_headers = {"Location": receiver.url + "/elsewhere"}
    with Dispatcher(local_services) as dispatcher:
        dispatcher.run_once()
    assert [got.path for got in receiver.received] == ["/hooks"]
    [delivery] = deliveries(local_services)
    assert delivery.status == "pending"
    assert "redirect" in delivery.last_error
    assert "/elsewhere" in delivery.last_error


def test_only_the_start_of_a_large_answer_is_read(local_services, receiver):
    person = new_person(local_services)
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    receiver.reply_body = b"x" * (4 * 1024 * 1024)
    with Dispatcher(local_services) as dispatcher:
        dispatcher.run_once()
    [delivery] = deliveries(local_services)
    assert delivery.status == "delivered"
    [attempt] = attempts_of(local_services, delivery.id)
    assert attempt.response_excerpt == "x" * dispatch.EXCERPT_CHARS


def test_an_unreachable_receiver_is_an_attempt_with_an_error(local_services):
    person = new_person(local_services)
    with running_receiver() as gone:
        url = gone.url
    register(local_services, person, url)  # nothing listens there any more
    announce(local_services, insert_video(local_services, person.user))
    with Dispatcher(local_services) as dispatcher:
        assert dispatcher.run_once() == 1
    [delivery] = deliveries(local_services)
    assert delivery.status == "pending"
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("request failed")


def test_a_receiver_dripping_its_answer_fails_the_attempt_at_the_deadline(tmp_path, clock):
    """A receiver that sends its answer a byte at a time (each read well inside the socket
    timeout) cannot keep the attempt going: past `webhook_timeout_seconds` for the whole
    attempt it is a failed one, retried like a timeout."""
    services = allowing_services(
        tmp_path, f"sqlite:///{tmp_path / 'd.db'}", webhook_timeout_seconds=1.0
    )
    person = new_person(services)
    with running_dripper(interval=0.2) as dripper:
        register(services, person, dripper.url)
        announce(services, insert_video(services, person.user))
        dispatcher = Dispatcher(services, clock=clock)
        sent: list[int] = []
        try:
            round_ = threading.Thread(target=lambda: sent.append(dispatcher.run_once()))
            round_.start()
            round_.join(timeout=30)  # generous: unbounded, the drip lasts for hours
            assert not round_.is_alive(), "the attempt outlived its deadline"
        finally:
            dripper.stop()
            dispatcher.close()
            services.close()
    assert sent == [1]
    assert dripper.requests == 1
    [delivery] = deliveries(services)
    assert (delivery.status, delivery.attempts, delivery.locked_until) == ("pending", 1, None)
    assert delivery.next_attempt_at > clock.now
    [attempt] = attempts_of(services, delivery.id)
    assert attempt.status_code is None
    assert attempt.error == "no complete answer within 1 s"


def test_a_slow_receiver_does_not_hold_up_other_endpoints(tmp_path, receiver):
    """One user's endpoint drips its answers (its deadline far away) while a batch of its
    events waits: the dispatcher thread sends at most MAX_SENDING_PER_ENDPOINT of them at
    once, and another user's event, queued meanwhile, is delivered while those are still
    dripping."""
    services = allowing_services(
        tmp_path, f"sqlite:///{tmp_path / 's.db'}", webhook_timeout_seconds=300.0
    )
    slow, other = new_person(services, "slow@example.com"), new_person(services, "b@example.com")
    stop = threading.Event()
    with running_dripper(interval=0.5) as dripper:
        register(services, slow, dripper.url)
        register(services, other, receiver.url)
        for _ in range(BATCH):
            announce(services, insert_video(services, slow.user))
        thread = start_dispatcher_thread(services, stop)
        try:
            dripper.wait_for_requests(MAX_SENDING_PER_ENDPOINT)
            announce(services, insert_video(services, other.user))
            [got] = receiver.wait_for(1, timeout=60)
            with dripper.lock:
                assert dripper.answering == MAX_SENDING_PER_ENDPOINT, "still dripping"
                assert dripper.requests == MAX_SENDING_PER_ENDPOINT
        finally:
            dripper.stop()  # the slow sends end now, so the thread can stop
            stop.set()
            thread.join(timeout=30)
    assert not thread.is_alive()
    assert got.event["data"]["status"] == "completed"
    statuses = Counter((d.endpoint_id, d.status) for d in deliveries(services))
    assert sum(count for (_, status), count in statuses.items() if status == "delivered") == 1
    services.close()


def test_the_lease_outlasts_an_attempts_deadline(local_services):
    settings = local_services.settings
    assert lease_seconds(settings) > settings.webhook_timeout_seconds * 2
    # and the longest lookup of the host name, which comes before the deadline starts
    assert lease_seconds(settings) > settings.webhook_timeout_seconds + RESOLVER_ALLOWANCE_SECONDS


def test_an_endpoint_deleted_mid_send_is_dropped_quietly(local_services, receiver, clock):
    from reelmint.domains.webhooks.service import delete_endpoint

    person = new_person(local_services)
    endpoint, _ = register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    with Dispatcher(local_services, clock=clock) as dispatcher:
        with local_services.db.write() as db:
            [leased] = lease_due(
                db=db,
                settings=local_services.settings,
                owner=dispatcher.owner,
                key_id=dispatcher.box.key_id,
                now=clock.now,
                limit=1,
            )
        with local_services.db.write() as db:
            delete_endpoint(db=db, actor=person.user, endpoint_id=endpoint.id)
        result = dispatch.send_delivery(
            leased, client=dispatcher.client, box=dispatcher.box, now=clock.now
        )
        with local_services.db.write() as db:
            status = record_result(
                db=db, settings=local_services.settings, leased=leased, result=result, now=clock.now
            )
    assert status is None
    assert deliveries(local_services) == []


def test_a_dispatcher_only_takes_deliveries_it_can_sign(local_services, receiver, clock):
    """A host whose platform key differs (an unshared data folder) leaves them to others."""
    from reelmint.crypto import SecretBox

    person = new_person(local_services)
    register(local_services, person, receiver.url)
    announce(local_services, insert_video(local_services, person.user))
    with Dispatcher(local_services, clock=clock) as other_host:
        other_host.box = SecretBox(b"\x01" * 32)
        assert other_host.run_once() == 0
    with Dispatcher(local_services, clock=clock) as this_host:
        assert this_host.run_once() == 1
    assert len(receiver.received) == 1


def test_retry_delays_grow_and_are_jittered():
    rng = random.Random(4)
    for attempt, base in enumerate(RETRY_SCHEDULE_SECONDS, start=1):
        delays = {retry_delay(attempt, rng=rng) for _ in range(5)}
        assert all(base * 0.8 <= d <= base * 1.2 for d in delays)
        assert len(delays) > 1
    assert retry_delay(50, rng=rng) <= RETRY_SCHEDULE_SECONDS[-1] * 1.2


def test_the_dispatcher_thread_sends_committed_events_and_stops(local_services, receiver):
    person = new_person(local_services)
    _, secret = register(local_services, person, receiver.url)
    stop = threading.Event()
    thread = start_dispatcher_thread(local_services, stop)
    try:
        announce(local_services, insert_video(local_services, person.user))
        [got] = receiver.wait_for(1)
        verify_standard_webhook(got, secret, now=datetime.now(UTC))
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


# --- SSRF at delivery time ------------------------------------------------------------------


@pytest.fixture
def guarded_services(tmp_path):
    built = allowing_services(
        tmp_path, f"sqlite:///{tmp_path / 'g.db'}", webhook_allow_private_targets=False
    )
    yield built
    built.close()


def test_delivery_refuses_a_host_that_now_resolves_to_a_private_address(
    guarded_services, receiver, monkeypatch
):
    """DNS changed after registration: the connection itself is refused, nothing is sent, and
    the delivery is given up at once (test_webhook_refused_targets.py has the rest)."""
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://hooks.example.test:{port}/hooks"
    person = new_person(guarded_services)
    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: ["93.184.216.34"])
    register(guarded_services, person, url)
    announce(guarded_services, insert_video(guarded_services, person.user))

    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: ["127.0.0.1"])
    with Dispatcher(guarded_services) as dispatcher:
        assert dispatcher.run_once() == 1
    assert receiver.received == []
    [delivery] = deliveries(guarded_services)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("webhook_target_forbidden")
    assert "127.0.0.1" in delivery.last_error


def test_delivery_to_a_host_that_no_longer_resolves_says_so(guarded_services, monkeypatch):
    person = new_person(guarded_services)
    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: ["93.184.216.34"])
    register(guarded_services, person, "http://hooks.example.test/hooks")
    announce(guarded_services, insert_video(guarded_services, person.user))

    def gone(host, port):
        raise targets.TargetUnresolvable(f"the host name {host} could not be found (test)")

    monkeypatch.setattr(targets, "resolve_addresses", gone)
    with Dispatcher(guarded_services) as dispatcher:
        assert dispatcher.run_once() == 1
    [delivery] = deliveries(guarded_services)
    assert delivery.status == "pending"  # a network failure, retried: not a refusal
    assert delivery.last_error.startswith("webhook_target_unresolvable: the host name")


def test_the_guarded_connection_goes_to_the_address_that_was_checked(
    guarded_services, receiver, monkeypatch
):
    """The name is resolved once, by the guard, and the socket connects to that address
    (here the receiver, made to count as public), keeping the name for the Host header."""
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://hooks.example.test:{port}/hooks"
    person = new_person(guarded_services)
    lookups: list[str] = []

    def resolve(host, port):
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(targets, "resolve_addresses", resolve)
    monkeypatch.setattr(targets, "forbidden_reason", lambda address: None)
    register(guarded_services, person, url)
    announce(guarded_services, insert_video(guarded_services, person.user))
    lookups.clear()
    with Dispatcher(guarded_services) as dispatcher:
        dispatcher.run_once()
    [got] = receiver.received
    assert got.headers["host"] == f"hooks.example.test:{port}"
    assert lookups == ["hooks.example.test"]
    assert deliveries(guarded_services)[0].status == "delivered"
