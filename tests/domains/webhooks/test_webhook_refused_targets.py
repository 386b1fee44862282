"""A target the SSRF policy refuses after registration stops at once; a DNS failure retries.

An endpoint's host may come to resolve to a private address after it was registered, or the
operator may stop allowing private targets. Every attempt is then refused before any
connection, so the delivery is given up at its first attempt with the refusal as its reason,
the endpoint is turned off and its owner told once; turning it back on checks the target
again. A host name that cannot be resolved is a network failure and keeps the retry schedule.
DNS is stood in for with `targets.resolve_addresses`, as in test_webhook_dispatch.py.
"""

from __future__ import annotations

import dataclasses

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
from reelmint.db.base import utcnow
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.webhooks import targets
from reelmint.domains.webhooks.dispatch import Dispatcher
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.service import (
    GIVEN_UP_DISABLED,
    NOT_SENT_DISABLED,
    TARGET_REFUSED,
    send_test_event,
    turn_back_on,
)
from reelmint.errors import BadRequest

PUBLIC = "93.184.216.34"
HOUR = 3600.0


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def guarded(tmp_path, database_url):
    """Services that refuse private targets, on SQLite and PostgreSQL."""
    built = allowing_services(tmp_path, database_url, webhook_allow_private_targets=False)
    yield built
    built.close()


@pytest.fixture
def dns(monkeypatch):
    """Set what host names resolve to: `dns("10.0.0.7")`, or `dns(None)` for a name that
    cannot be found."""

    def point(address: str | None) -> None:
        def resolve(host: str, port: int) -> list[str]:
            if address is None:
                raise targets.TargetUnresolvable(f"the host name {host} could not be found")
            return [address]

        monkeypatch.setattr(targets, "resolve_addresses", resolve)

    return point


def confirmed_person(services, email="ada@example.com"):
    """A person whose address is confirmed, so notifications are emailed too."""
    from reelmint.domains.accounts.models import User

    person = new_person(services, email)
    with services.db.write() as db:
        db.execute(
            update(User).where(User.id == person.user.id).values(email_confirmed_at=utcnow())
        )
    return person


def url_on(receiver, host="hooks.example.test") -> str:
    """The receiver's URL under a host name (the stand-in DNS says where it points)."""
    port = receiver.url.split(":")[2].split("/")[0]
    return f"http://{host}:{port}/hooks"


def drain(services, clock) -> int:
    sent = 0
    with Dispatcher(services, clock=clock) as dispatcher:
        while made := dispatcher.run_once():
            sent += made
    return sent


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


def attempts_of(services, delivery_id) -> list[WebhookAttempt]:
    with services.db.read() as db:
        return list(
            db.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id))
        )


def told(services, user_id, kind="webhook_disabled") -> list[Notification]:
    with services.db.read() as db:
        return list(
            db.scalars(
                select(Notification).where(
                    Notification.user_id == user_id, Notification.kind == kind
                )
            )
        )


def mails(services, user_id) -> list[EmailMessage]:
    with services.db.read() as db:
        return list(db.scalars(select(EmailMessage).where(EmailMessage.user_id == user_id)))


def refused_for_good(delivery: WebhookDelivery, address: str) -> bool:
    """Given up after one attempt, with the refusal as its reason."""
    error = delivery.last_error or ""
    return (
        delivery.status == "failed"
        and delivery.attempts == 1
        and error.startswith("webhook_target_forbidden")
        and address in error
        and TARGET_REFUSED in error
    )


# --- the host now resolves to a private address -----------------------------------------------


def test_a_host_turned_private_is_tried_once_given_up_turned_off_and_its_owner_told_once(
    guarded, receiver, clock, dns
):
    ada = confirmed_person(guarded)
    dns(PUBLIC)
    endpoint, _ = register(guarded, ada, url_on(receiver))
    for _ in range(3):  # several deliveries due together
        announce(guarded, insert_video(guarded, ada.user))

    dns("127.0.0.1")
    assert drain(guarded, clock) >= 1
    clock.advance(12 * HOUR)  # past every retry the schedule would have made
    assert drain(guarded, clock) == 0
    assert receiver.received == []

    queued = deliveries_of(guarded, endpoint.id)
    assert [d.status for d in queued] == ["failed"] * 3
    refused = [d for d in queued if refused_for_good(d, "127.0.0.1")]
    assert refused, [d.last_error for d in queued]
    assert all(d in refused or d.last_error == GIVEN_UP_DISABLED for d in queued)
    [attempt] = attempts_of(guarded, refused[0].id)
    assert attempt.error.startswith("webhook_target_forbidden: hooks.example.test resolves to")

    row = endpoint_row(guarded, endpoint.id)
    assert row.disabled_at is not None
    assert "127.0.0.1" in row.disabled_reason
    assert "public addresses" in row.disabled_reason

    announce(guarded, insert_video(guarded, ada.user))  # while it is off: not sent
    with guarded.db.write() as db:  # a test event, still refused
        send_test_event(db=db, actor=ada.user, endpoint_id=endpoint.id)
    clock.advance(HOUR)
    drain(guarded, clock)
    assert deliveries_of(guarded, endpoint.id)[-2].last_error == NOT_SENT_DISABLED
    assert refused_for_good(deliveries_of(guarded, endpoint.id)[-1], "127.0.0.1")

    [note] = told(guarded, ada.user.id)
    assert endpoint.url in note.title
    assert "refuses to send to its URL" in note.body
    assert "127.0.0.1, a loopback address" in note.body
    assert "resolve to a public address" in note.body
    assert f"POST /v1/webhooks/{endpoint.id}/enable" in note.body
    [mail] = mails(guarded, ada.user.id)
    assert mail.notification_id == note.id


def test_turning_it_back_on_checks_the_target_again(guarded, receiver, clock, dns):
    ada = new_person(guarded)
    dns(PUBLIC)
    endpoint, _ = register(guarded, ada, url_on(receiver))
    announce(guarded, insert_video(guarded, ada.user))
    dns("10.0.0.7")
    assert drain(guarded, clock) == 1
    assert endpoint_row(guarded, endpoint.id).disabled_at is not None

    with pytest.raises(BadRequest) as still:
        turn_back_on(services=guarded, actor=ada.user, endpoint_id=endpoint.id)
    assert still.value.code == "webhook_target_forbidden"
    assert "stays off" in still.value.message
    assert "10.0.0.7" in still.value.message
    assert endpoint_row(guarded, endpoint.id).disabled_at is not None

    dns(PUBLIC)  # its owner points the host name back at a public address
    enabled = turn_back_on(services=guarded, actor=ada.user, endpoint_id=endpoint.id)
    assert (enabled.disabled_at, enabled.failed_in_a_row, enabled.failing_since) == (None, 0, None)
    assert endpoint_row(guarded, endpoint.id).disabled_at is None


def test_an_endpoint_turned_off_while_being_turned_on_is_checked_first(
    guarded, receiver, dns, monkeypatch
):
    """On when read, then turned off by a dispatcher for a refused target before the write:
    it is checked on a second pass, not switched back on unchecked."""
    from reelmint.domains.webhooks import service

    ada = new_person(guarded)
    dns(PUBLIC)
    endpoint, _ = register(guarded, ada, url_on(receiver))
    dns("10.0.0.7")
    original = service._is_off

    def dispatcher_turns_it_off_first(db, actor, endpoint_id):
        row = db.get(WebhookEndpoint, endpoint_id)
        if row.disabled_at is None:
            service.disable_endpoint(
                db=db, endpoint=row, reason="refused", now=utcnow(), refused=True
            )
        return original(db, actor, endpoint_id)

    monkeypatch.setattr(service, "_is_off", dispatcher_turns_it_off_first)
    with pytest.raises(BadRequest) as still:
        turn_back_on(services=guarded, actor=ada.user, endpoint_id=endpoint.id)
    assert still.value.code == "webhook_target_forbidden"
    assert endpoint_row(guarded, endpoint.id).disabled_at is not None


def test_with_turning_off_disabled_each_refused_delivery_still_stops_and_tells_once(
    tmp_path, database_url, receiver, clock, dns
):
    """The operator never turns endpoints off (`webhook_disable_after_hours` 0): the endpoint
    stays on, but each refused delivery is given up at its first attempt, and its owner is
    told once while it keeps failing, not once per delivery."""
    services = allowing_services(
        tmp_path,
        database_url,
        webhook_allow_private_targets=False,
        webhook_disable_after_hours=0,
    )
    ada = new_person(services)
    dns(PUBLIC)
    endpoint, _ = register(services, ada, url_on(receiver))
    for _ in range(3):
        announce(services, insert_video(services, ada.user))
    dns("192.168.1.20")
    assert drain(services, clock) == 3
    clock.advance(HOUR)
    announce(services, insert_video(services, ada.user))
    assert drain(services, clock) == 1
    clock.advance(12 * HOUR)
    assert drain(services, clock) == 0
    assert receiver.received == []

    assert all(refused_for_good(d, "192.168.1.20") for d in deliveries_of(services, endpoint.id))
    row = endpoint_row(services, endpoint.id)
    assert (row.disabled_at, row.failed_in_a_row) == (None, 4)
    [note] = told(services, ada.user.id, kind="webhook_target_refused")
    assert "192.168.1.20, a private address" in note.body
    assert "resolve to a public address" in note.body
    assert told(services, ada.user.id) == []
    services.close()


# --- the operator stopped allowing private targets ----------------------------------------------


def test_private_targets_no_longer_allowed_stop_at_once_until_allowed_again(
    tmp_path, database_url, receiver, clock
):
    allowing = allowing_services(tmp_path, database_url)  # private targets allowed
    strict = dataclasses.replace(
        allowing,
        settings=allowing.settings.model_copy(update={"webhook_allow_private_targets": False}),
    )
    ada = new_person(allowing)
    endpoint, _ = register(allowing, ada, receiver.url)  # http://127.0.0.1:port/hooks
    for _ in range(2):
        announce(allowing, insert_video(allowing, ada.user))

    assert drain(strict, clock) == 2  # the operator has turned the setting off since
    clock.advance(12 * HOUR)
    assert drain(strict, clock) == 0
    assert receiver.received == []
    assert all(refused_for_good(d, "127.0.0.1") for d in deliveries_of(strict, endpoint.id))
    assert endpoint_row(strict, endpoint.id).disabled_at is not None
    [note] = told(strict, ada.user.id)
    assert "127.0.0.1, a loopback address" in note.body
    assert "add an endpoint with a public URL" in note.body

    with pytest.raises(BadRequest) as still:
        turn_back_on(services=strict, actor=ada.user, endpoint_id=endpoint.id)
    assert still.value.code == "webhook_target_forbidden"

    enabled = turn_back_on(services=allowing, actor=ada.user, endpoint_id=endpoint.id)
    assert enabled.disabled_at is None  # the operator allows private targets again
    clock.advance(1)
    announce(allowing, insert_video(allowing, ada.user))
    assert drain(allowing, clock) == 1
    assert len(receiver.received) == 1
    assert deliveries_of(allowing, endpoint.id)[-1].status == "delivered"
    assert len(told(allowing, ada.user.id)) == 1
    allowing.close()


# --- a DNS failure is not a refusal ---------------------------------------------------------------


def test_a_dns_failure_keeps_the_retry_schedule_while_a_refusal_stops(
    guarded, receiver, clock, monkeypatch
):
    """Two endpoints of one owner: one whose host name has gone (DNS), one whose host now
    points inside. Only the second is given up and turned off; the first is retried."""
    ada = new_person(guarded)
    monkeypatch.setattr(targets, "resolve_addresses", lambda host, port: [PUBLIC])
    gone, _ = register(guarded, ada, url_on(receiver, "gone.example.test"))
    inside, _ = register(guarded, ada, url_on(receiver, "inside.example.test"))
    announce(guarded, insert_video(guarded, ada.user))

    def resolve(host: str, port: int) -> list[str]:
        if host == "gone.example.test":
            raise targets.TargetUnresolvable(f"the host name {host} could not be found (test)")
        return ["10.0.0.7"]

    monkeypatch.setattr(targets, "resolve_addresses", resolve)
    assert drain(guarded, clock) == 2

    [retrying] = deliveries_of(guarded, gone.id)
    assert (retrying.status, retrying.attempts) == ("pending", 1)
    assert retrying.last_error.startswith("webhook_target_unresolvable: the host name")
    assert retrying.next_attempt_at > clock.now
    assert endpoint_row(guarded, gone.id).disabled_at is None
    [stopped] = deliveries_of(guarded, inside.id)
    assert refused_for_good(stopped, "10.0.0.7")
    assert endpoint_row(guarded, inside.id).disabled_at is not None

    clock.advance(HOUR)
    assert drain(guarded, clock) == 1  # the DNS failure's retry, and nothing for the other
    [retrying] = deliveries_of(guarded, gone.id)
    assert (retrying.status, retrying.attempts) == ("pending", 2)
    [note] = told(guarded, ada.user.id)
    assert inside.id in note.body
    assert gone.id not in note.body


# --- what its owner sees ------------------------------------------------------------------------


def test_the_api_shows_the_refusal_and_refuses_to_turn_it_on_until_fixed(
    tmp_path, receiver, clock, dns
):
    services = allowing_services(
        tmp_path, f"sqlite:///{tmp_path / 'api.db'}", webhook_allow_private_targets=False
    )
    ada = new_person(services)
    dns(PUBLIC)
    with TestClient(create_app(services)) as api:
        made = api.post("/v1/webhooks", json={"url": url_on(receiver)}, headers=ada.headers)
        assert made.status_code == 201
        path = f"/v1/webhooks/{made.json()['id']}"
        announce(services, insert_video(services, ada.user))
        dns("169.254.169.254")
        assert drain(services, clock) == 1

        [shown] = api.get(f"{path}/deliveries", headers=ada.headers).json()["data"]
        assert (shown["status"], shown["attempts"], shown["next_attempt_at"]) == ("failed", 1, None)
        assert "169.254.169.254, a link-local address" in shown["last_error"]
        assert TARGET_REFUSED in shown["last_error"]
        [attempt] = shown["attempt_log"]
        assert attempt["error"].startswith("webhook_target_forbidden")
        endpoint = api.get(path, headers=ada.headers).json()
        assert endpoint["disabled_at"] is not None
        assert "169.254.169.254" in endpoint["disabled_reason"]

        refused = api.post(f"{path}/enable", headers=ada.headers)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "webhook_target_forbidden"
        assert api.get(path, headers=ada.headers).json()["disabled_at"] is not None

        dns(PUBLIC)
        enabled = api.post(f"{path}/enable", headers=ada.headers)
        assert enabled.status_code == 200
        assert enabled.json()["disabled_at"] is None
    services.close()
