"""The mailer against a real SMTP server: delivery, refusals and backoff, outages, leases, TLS.

Time is passed to `deliver_due` as `now=`: backoff is stepped over, never slept through. The
outbox tests run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from smtp_helpers import (
    free_port,
    mail_services,
    make_certificate,
    new_user,
    running_smtp,
    tell,
)
from sqlalchemy import select

from reelmint.domains.notifications import mailer
from reelmint.domains.notifications.mailer import (
    BATCH,
    RETRY_SCHEDULE_SECONDS,
    Mailer,
    SendResult,
    deliver_due,
    lease_due,
    lease_seconds,
    record_result,
    retry_delay,
    start_mailer_thread,
)
from reelmint.domains.notifications.models import EmailMessage
from reelmint.domains.notifications.service import queue_email
from reelmint.errors import BadRequest, NotFound
from support import at_once


def soon() -> datetime:
    """A moment a little ahead of real time, so that what a test queues is already due."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)


def mails(services) -> list[EmailMessage]:
    with services.db.read() as db:
        return list(db.scalars(select(EmailMessage).order_by(EmailMessage.created_at)))


@pytest.fixture
def smtp():
    with running_smtp() as sink:
        yield sink


@pytest.fixture
def outbox(tmp_path, database_url, smtp):
    """Services on SQLite and PostgreSQL whose mail goes to the `smtp` server."""
    built = mail_services(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port)
    yield built
    built.close()


@pytest.fixture
def local(tmp_path, smtp):
    """The same, on SQLite only (tests of SMTP itself, not of the outbox's concurrency)."""
    built = mail_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'reelmint.db'}",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
    )
    yield built
    built.close()


# --- delivery -----------------------------------------------------------------------------------


def test_a_notification_arrives_by_email_once(outbox, smtp):
    user = new_user(outbox, "ada@example.com")
    notification = tell(
        outbox,
        user,
        title="Your daily quota changes on 1 March",
        body="From 1 March your free daily quota is 20 clips.\n\nNothing else changes.",
        link="/notifications",
    )
    now = soon()
    assert deliver_due(services=outbox, worker_id="w1", now=now) == 1
    assert deliver_due(services=outbox, worker_id="w1", now=now) == 0  # sent: never again

    [got] = smtp.received
    assert got.rcpt_tos == ["ada@example.com"]
    assert got.mail_from == "no-reply@localhost"
    message = got.message
    assert message["Subject"] == "Your daily quota changes on 1 March"
    assert message["To"] == "ada@example.com"
    assert message["From"] == "reelmint <no-reply@localhost>"
    assert message["Auto-Submitted"] == "auto-generated"
    [mail] = mails(outbox)
    assert message["Message-ID"] == f"<{mail.id}@localhost>"
    assert mail.id.startswith("mail_")
    text = got.text
    assert "From 1 March your free daily quota is 20 clips.\n\nNothing else changes." in text
    assert "http://127.0.0.1:8000/notifications" in text  # the link, made absolute
    assert (mail.status, mail.attempts, mail.sent_at, mail.last_error) == ("sent", 1, now, None)
    assert (mail.lease_owner, mail.lease_expires_at) == (None, None)
    assert (mail.user_id, mail.notification_id) == (user.id, notification.id)


def test_unicode_subjects_and_bodies_survive(local, smtp):
    user = new_user(local, "zoë@example.com")
    tell(local, user, title="Ton quota change — bientôt ✨", body="Zoë, à partir du 1er mars…")
    deliver_due(services=local, worker_id="w1", now=soon())
    [got] = smtp.received
    assert got.message["Subject"] == "Ton quota change — bientôt ✨"
    assert "Zoë, à partir du 1er mars…" in got.text
    assert got.rcpt_tos == ["zoë@example.com"]


def test_a_batch_goes_out_over_one_session_oldest_first(local, smtp):
    user = new_user(local)
    for number in range(BATCH + 3):
        tell(local, user, title=f"news {number}")
    now = soon()
    assert deliver_due(services=local, worker_id="w1", now=now) == BATCH
    assert deliver_due(services=local, worker_id="w1", now=now) == 3
    subjects = [got.message["Subject"] for got in smtp.received]
    assert subjects == [f"news {number}" for number in range(BATCH + 3)]
    assert {mail.status for mail in mails(local)} == {"sent"}


# --- failures, backoff, giving up ---------------------------------------------------------------


def test_a_refusing_server_is_retried_with_backoff_then_the_mail_fails(
    tmp_path, database_url, smtp
):
    services = mail_services(
        tmp_path,
        database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_max_attempts=4,
    )
    tell(services, new_user(services))
    smtp.refuse = "550 5.1.1 mailbox unavailable"
    now = soon()
    rng = random.Random(7)
    waits = []
    for attempt in range(1, 5):
        assert deliver_due(services=services, worker_id="w1", now=now, rng=rng) == 1
        [mail] = mails(services)
        assert mail.attempts == attempt
        assert mail.last_error == (
            "the SMTP server refused the recipient: 550 5.1.1 mailbox unavailable"
        )
        if attempt < 4:
            assert mail.status == "pending"
            wait = (mail.next_attempt_at - now).total_seconds()
            base = RETRY_SCHEDULE_SECONDS[attempt - 1]
            assert base * 0.8 <= wait <= base * 1.2
            waits.append(wait)
            assert deliver_due(services=services, worker_id="w1", now=now) == 0  # not yet due
            now = mail.next_attempt_at
    assert waits == sorted(waits), "each pause is longer than the last"
    [mail] = mails(services)
    assert (mail.status, mail.attempts, mail.sent_at) == ("failed", 4, None)
    assert deliver_due(services=services, worker_id="w1", now=now + timedelta(days=30)) == 0
    assert smtp.rcpt_tries == 4
    assert smtp.received == []
    services.close()


def test_failed_mail_is_sent_once_the_cause_is_fixed_and_it_is_retried(
    tmp_path, database_url, smtp
):
    services = mail_services(
        tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_max_attempts=1
    )
    user = new_user(services)
    tell(services, user, title="first")
    tell(services, user, title="second")
    smtp.refuse = "535 5.7.8 authentication failed"
    now = soon()
    assert deliver_due(services=services, worker_id="w1", now=now) == 2
    assert [m.status for m in mails(services)] == ["failed", "failed"]
    first = mails(services)[0]
    smtp.refuse = None  # the operator fixed the relay's password
    with services.db.read() as db:
        listed = mailer.outbox_mail(db=db, status="failed")
    assert [m.id for m in listed] == [m.id for m in mails(services)][::-1]  # newest first
    with services.db.write() as db:
        assert mailer.retry_failed(db=db, ids=[first.id], now=now) == 1
    assert deliver_due(services=services, worker_id="w1", now=now) == 1
    assert [got.message["Subject"] for got in smtp.received] == ["first"]
    assert [(m.status, m.attempts) for m in mails(services)] == [("sent", 1), ("failed", 1)]
    with services.db.write() as db:
        assert mailer.retry_failed(db=db, now=now) == 1  # every failed one: the second
    assert deliver_due(services=services, worker_id="w1", now=now) == 1
    assert [m.status for m in mails(services)] == ["sent", "sent"]
    services.close()


def test_retrying_an_id_that_is_not_failed_mail_changes_nothing(tmp_path, database_url, smtp):
    services = mail_services(
        tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_max_attempts=1
    )
    tell(services, new_user(services))
    smtp.refuse = "550 5.1.1 mailbox unavailable"
    deliver_due(services=services, worker_id="w1", now=soon())
    [failed] = mails(services)
    with pytest.raises(NotFound) as refused, services.db.write() as db:
        mailer.retry_failed(db=db, ids=[failed.id, "mail_nosuchmail"])
    assert refused.value.code == "mail_not_found"
    assert [m.status for m in mails(services)] == ["failed"]
    services.close()


def test_mail_whose_link_expired_meanwhile_is_not_sent_nor_sent_again(outbox, smtp):
    """A reset link queued while the SMTP server was down (or email was off) must not arrive
    once it no longer works: it fails as expired, and retrying cannot send it. A backlog of
    dead links, more than a batch, does not hold up the live mail queued after it."""
    now = soon()
    with outbox.db.write() as db:
        [dead, *_] = [
            queue_email(
                db=db,
                to_address="ada@example.com",
                subject="Reset your password",
                body_text="A link.",
                link="/reset-password/x",
                expires_at=now + timedelta(minutes=60),
            )
            for _ in range(BATCH + 1)
        ]
        queue_email(db=db, to_address="ada@example.com", subject="News", body_text="Hello.")
        live = queue_email(
            db=db,
            to_address="bob@example.com",
            subject="Confirm",
            body_text="A link.",
            link="/confirm-email/y",
            expires_at=now + timedelta(days=7),
        )
    later = now + timedelta(minutes=60)
    assert deliver_due(services=outbox, worker_id="w1", now=later) == 2
    assert sorted(got.message["Subject"] for got in smtp.received) == ["Confirm", "News"]
    by_id = {mail.id: mail for mail in mails(outbox)}
    assert by_id[live.id].status == "sent"
    expired = [mail for mail in by_id.values() if mail.subject == "Reset your password"]
    assert {(mail.status, mail.attempts, mail.last_error) for mail in expired} == {
        ("failed", 0, mailer.EXPIRED)
    }
    with outbox.db.write() as db:
        assert mailer.retry_failed(db=db, now=later) == 0  # "all" leaves it out
    with pytest.raises(BadRequest) as refused, outbox.db.write() as db:
        mailer.retry_failed(db=db, ids=[dead.id], now=later)
    assert refused.value.code == "mail_expired"
    assert {mail.id: mail.status for mail in mails(outbox)}[dead.id] == "failed"
    assert deliver_due(services=outbox, worker_id="w1", now=later) == 0
    assert len(smtp.received) == 2


def test_a_sent_mail_keeps_no_link_but_pending_and_failed_mail_does(outbox, smtp):
    """A reset link works until it expires: once its mail is out, the outbox holds no copy
    of it (a database or backup reader could use it). Until then it is kept, to be sent,
    retried (below), or read out by an operator. A notification's link to a page carries no
    token and never expires: it is kept."""
    now = soon()
    with outbox.db.write() as db:
        reset, news, follower = [
            queue_email(
                db=db,
                to_address="ada@example.com",
                subject=subject,
                body_text="A link.",
                link=link,
                expires_at=now + timedelta(minutes=60) if expires else None,
            )
            for subject, link, expires in (
                ("Reset your password", "/reset-password/secret-token", True),
                ("News", None, False),
                ("A new follower", "/u/user_bo", False),
            )
        ]
        pending = queue_email(
            db=db, to_address="cy@example.com", subject="Later", body_text=".", link="/x/t"
        )
        pending.next_attempt_at = now + timedelta(hours=1)
    assert deliver_due(services=outbox, worker_id="w1", now=now) == 3
    by_id = {mail.id: mail for mail in mails(outbox)}
    assert (by_id[follower.id].status, by_id[follower.id].link) == ("sent", "/u/user_bo")

    [got] = [got for got in smtp.received if got.message["Subject"] == "Reset your password"]
    assert "http://127.0.0.1:8000/reset-password/secret-token" in got.text  # sent with it
    assert (by_id[reset.id].status, by_id[reset.id].link) == ("sent", mailer.LINK_REMOVED)
    assert (by_id[news.id].status, by_id[news.id].link) == ("sent", None)  # never had one
    assert (by_id[pending.id].status, by_id[pending.id].link) == ("pending", "/x/t")


def test_a_failed_mail_keeps_its_link_and_a_retry_sends_it(tmp_path, database_url, smtp):
    services = mail_services(
        tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_max_attempts=1
    )
    now = soon()
    with services.db.write() as db:
        queue_email(
            db=db,
            to_address="ada@example.com",
            subject="Confirm",
            body_text="A link.",
            link="/confirm-email/token",
            expires_at=now + timedelta(days=7),
        )
    smtp.refuse = "535 5.7.8 authentication failed"
    deliver_due(services=services, worker_id="w1", now=now)
    [mail] = mails(services)
    assert (mail.status, mail.link) == ("failed", "/confirm-email/token")
    with services.db.read() as db:
        shown = mailer.outbox_message(db=db, settings=services.settings, mail_id=mail.id)
    assert "http://127.0.0.1:8000/confirm-email/token" in shown.get_content()
    smtp.refuse = None
    with services.db.write() as db:
        assert mailer.retry_failed(db=db, now=now) == 1
    assert deliver_due(services=services, worker_id="w1", now=now) == 1
    [got] = smtp.received
    assert "http://127.0.0.1:8000/confirm-email/token" in got.text
    [mail] = mails(services)
    assert (mail.status, mail.link) == ("sent", mailer.LINK_REMOVED)
    with services.db.read() as db:
        shown = mailer.outbox_message(db=db, settings=services.settings, mail_id=mail.id)
    text = shown.get_content()
    assert "/confirm-email/" not in text
    assert f"A link.\n\n{mailer.LINK_REMOVED_NOTE}\n\n-- \n" in text
    services.close()


def test_a_link_with_moments_left_is_not_sent_but_one_with_minutes_is(outbox, smtp):
    """A reset link that would die on the way (under LINK_MARGIN left) fails as expired, and
    retrying cannot send it; one with a little more left still goes."""
    now = soon()
    with outbox.db.write() as db:
        dying, living = [
            queue_email(
                db=db,
                to_address="ada@example.com",
                subject=subject,
                body_text="A link.",
                link="/reset-password/x",
                expires_at=now + left,
            )
            for subject, left in (
                ("Dying", mailer.LINK_MARGIN - timedelta(seconds=1)),
                ("Living", mailer.LINK_MARGIN + timedelta(seconds=1)),
            )
        ]
    assert deliver_due(services=outbox, worker_id="w1", now=now) == 1
    assert [got.message["Subject"] for got in smtp.received] == ["Living"]
    by_id = {mail.id: mail for mail in mails(outbox)}
    assert (by_id[dying.id].status, by_id[dying.id].last_error) == ("failed", mailer.EXPIRED)
    assert by_id[living.id].status == "sent"
    with pytest.raises(BadRequest) as refused, outbox.db.write() as db:
        mailer.retry_failed(db=db, ids=[dying.id], now=now)
    assert refused.value.code == "mail_expired"


def test_an_smtp_server_that_is_down_keeps_mail_pending_until_it_is_up(tmp_path, database_url):
    port = free_port()  # nothing listens here yet
    services = mail_services(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=port)
    user = new_user(services)
    for number in range(3):
        tell(services, user, title=f"news {number}")
    now = soon()
    assert deliver_due(services=services, worker_id="w1", now=now) == 3
    for mail in mails(services):
        assert (mail.status, mail.attempts) == ("pending", 1)
        assert mail.last_error.startswith(f"could not reach the SMTP server 127.0.0.1:{port}")
        assert mail.next_attempt_at > now

    with running_smtp(port) as smtp:
        later = now + timedelta(seconds=RETRY_SCHEDULE_SECONDS[0] * 2)
        assert deliver_due(services=services, worker_id="w1", now=later) == 3
        assert sorted(got.message["Subject"] for got in smtp.received) == [
            "news 0",
            "news 1",
            "news 2",
        ]
    assert [(mail.status, mail.attempts) for mail in mails(services)] == [("sent", 2)] * 3
    services.close()


def test_a_server_that_hangs_up_is_a_retry_and_the_next_mail_reconnects(local, smtp):
    user = new_user(local)
    tell(local, user, title="first")
    tell(local, user, title="second")
    smtp.data_replies = ["421 4.3.2 shutting down"]  # then it closes the connection
    now = soon()
    assert deliver_due(services=local, worker_id="w1", now=now) == 2
    first, second = mails(local)
    assert (first.status, first.last_error) == (
        "pending",
        "the SMTP server answered 421 4.3.2 shutting down",
    )
    assert second.status == "sent", "the second mail went out over a new connection"
    deliver_due(services=local, worker_id="w1", now=first.next_attempt_at)
    assert [got.message["Subject"] for got in smtp.received] == ["second", "first"]
    assert {mail.status for mail in mails(local)} == {"sent"}


def test_retry_delays_grow_and_are_jittered():
    rng = random.Random(1)
    for attempt, base in enumerate(RETRY_SCHEDULE_SECONDS, start=1):
        assert base * 0.8 <= retry_delay(attempt, rng=rng) <= base * 1.2
    assert retry_delay(50, rng=rng) <= RETRY_SCHEDULE_SECONDS[-1] * 1.2
    assert len({retry_delay(1) for _ in range(20)}) > 1


# --- leases: restarts and concurrency -----------------------------------------------------------


def test_a_mail_leased_by_a_dead_mailer_is_sent_once_by_another(outbox, smtp):
    tell(outbox, new_user(outbox))
    settings = outbox.settings
    now = soon()
    with outbox.db.write() as db:  # a mailer leases, then its process dies before sending
        [lost] = lease_due(db=db, settings=settings, owner="dead", now=now)

    assert deliver_due(services=outbox, worker_id="survivor", now=now) == 0, "still leased"
    almost = now + timedelta(seconds=lease_seconds(settings) - 1)
    assert deliver_due(services=outbox, worker_id="survivor", now=almost) == 0
    expired = now + timedelta(seconds=lease_seconds(settings) + 1)
    assert deliver_due(services=outbox, worker_id="survivor", now=expired) == 1
    assert deliver_due(services=outbox, worker_id="survivor", now=expired) == 0
    assert len(smtp.received) == 1
    [mail] = mails(outbox)
    assert (mail.status, mail.attempts) == ("sent", 2)

    # The dead mailer's late report (a restart replaying it) changes nothing.
    with outbox.db.write() as db:
        status = record_result(
            db=db, settings=settings, leased=lost, result=SendResult("late"), now=expired
        )
    assert status == "sent"
    assert mails(outbox)[0].last_error is None


def test_a_lease_lost_during_the_last_try_fails_the_mail(tmp_path, smtp):
    services = mail_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'x.db'}",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_max_attempts=1,
    )
    tell(services, new_user(services))
    now = soon()
    with services.db.write() as db:
        lease_due(db=db, settings=services.settings, owner="dead", now=now)
    expired = now + timedelta(seconds=lease_seconds(services.settings) + 1)
    assert deliver_due(services=services, worker_id="w2", now=expired) == 0
    [mail] = mails(services)
    assert mail.status == "failed"
    assert "stopped during the last try" in mail.last_error
    assert smtp.received == []
    services.close()


def test_concurrent_leases_take_disjoint_mails(outbox):
    """While one mailer's lease transaction is still open, another takes only what is left
    (PostgreSQL: SKIP LOCKED) or waits for it to commit (SQLite: one writer at a time)."""
    user = new_user(outbox)
    for number in range(5):
        tell(outbox, user, title=f"news {number}")
    settings = outbox.settings
    now = soon()
    second: list = []

    def lease_rest() -> None:
        with outbox.db.write() as db:
            second.extend(lease_due(db=db, settings=settings, owner="two", now=now, limit=10))

    other = threading.Thread(target=lease_rest)
    with outbox.db.write() as db:
        first = lease_due(db=db, settings=settings, owner="one", now=now, limit=2)
        other.start()
        if outbox.db.is_postgres:
            other.join(timeout=30)  # skips the locked rows instead of waiting
            assert not other.is_alive()
    other.join(timeout=60)
    assert len(first) == 2
    assert len(second) == 3
    assert not {m.id for m in first} & {m.id for m in second}


def test_two_mailers_at_once_send_every_mail_exactly_once(outbox, smtp):
    user = new_user(outbox)
    count = 3 * BATCH + 4
    for number in range(count):
        tell(outbox, user, title=f"news {number}")
    now = soon()

    def drain(worker_id: str) -> None:
        idle = 0
        while idle < 3:
            tried = deliver_due(services=outbox, worker_id=worker_id, now=now)
            idle = idle + 1 if tried == 0 else 0

    done = at_once([partial(drain, f"mailer-{n}") for n in range(3)], timeout=120)
    errors = [r for r in done if isinstance(r, BaseException)]
    assert not errors, errors
    sent = Counter(smtp.message_ids())
    assert len(sent) == count
    assert set(sent.values()) == {1}, "no mail was sent twice"
    assert {(mail.status, mail.attempts) for mail in mails(outbox)} == {("sent", 1)}


def test_a_mailer_gives_back_what_it_cannot_send_before_its_lease_ends(local, smtp, monkeypatch):
    user = new_user(local)
    for number in range(3):
        tell(local, user, title=f"news {number}")
    # Leases so short that the first mail could not be sent before the lease ends.
    monkeypatch.setattr(mailer, "lease_seconds", lambda settings: 30.0)
    now = soon()
    assert deliver_due(services=local, worker_id="slow", now=now) == 0
    assert [(m.status, m.attempts, m.lease_owner) for m in mails(local)] == [
        ("pending", 0, None)
    ] * 3
    monkeypatch.undo()
    assert deliver_due(services=local, worker_id="w2", now=now) == 3
    assert len(smtp.received) == 3


# --- email off ----------------------------------------------------------------------------------


def test_with_email_off_mail_waits_in_the_outbox(services, caplog):
    assert services.settings.smtp_host == ""
    tell(services, new_user(services))
    assert deliver_due(services=services, worker_id="w1", now=soon()) == 0
    [mail] = mails(services)
    assert (mail.status, mail.attempts) == ("pending", 0)

    stop = threading.Event()
    with caplog.at_level("WARNING", logger="reelmint.mailer"):
        thread = start_mailer_thread(services, stop)
        thread.join(timeout=10)
    assert not thread.is_alive(), "with email off the mailer thread ends at once"
    assert "REELMINT_SMTP_HOST is not set" in caplog.text
    assert mails(services)[0].status == "pending"


# --- the thread ---------------------------------------------------------------------------------


def test_the_mailer_thread_sends_committed_mail_at_once_and_stops(tmp_path, smtp):
    services = mail_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'reelmint.db'}",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        mailer_poll_seconds=300,  # only the commit's wake-up can make it send within the test
    )
    stop = threading.Event()
    thread = start_mailer_thread(services, stop)
    try:
        tell(services, new_user(services), title="hello")
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        while not smtp.received and datetime.now(UTC) < deadline:
            stop.wait(0.02)
        assert [got.message["Subject"] for got in smtp.received] == ["hello"]
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    services.close()


# --- TLS and login ------------------------------------------------------------------------------


def test_starttls_and_login(tmp_path):
    certificate = make_certificate(tmp_path)
    with running_smtp(
        tls_context=certificate.server_context(),
        require_starttls=True,
        credentials=("mailer", "s3cret"),
    ) as smtp:
        services = mail_services(
            tmp_path,
            f"sqlite:///{tmp_path / 'reelmint.db'}",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="starttls",
            smtp_username="mailer",
            smtp_password="s3cret",
        )
        tell(services, new_user(services))
        context = certificate.client_context()
        deliver_due(services=services, worker_id="w1", now=soon(), ssl_context=context)
        assert smtp.logins == ["mailer"]
        assert len(smtp.received) == 1
    assert mails(services)[0].status == "sent"
    services.close()


def test_a_wrong_password_is_an_error_that_never_shows_the_password(tmp_path):
    certificate = make_certificate(tmp_path)
    with running_smtp(
        tls_context=certificate.server_context(), credentials=("mailer", "s3cret")
    ) as smtp:
        services = mail_services(
            tmp_path,
            f"sqlite:///{tmp_path / 'reelmint.db'}",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="starttls",
            smtp_username="mailer",
            smtp_password="wrong-password",
        )
        tell(services, new_user(services))
        context = certificate.client_context()
        deliver_due(services=services, worker_id="w1", now=soon(), ssl_context=context)
        assert smtp.received == []
    [mail] = mails(services)
    assert mail.status == "pending"
    assert "refused the login" in mail.last_error
    assert "wrong-password" not in mail.last_error
    assert "wrong-password" not in repr(services.settings)
    services.close()


def test_implicit_tls(tmp_path):
    certificate = make_certificate(tmp_path)
    with running_smtp(ssl_context=certificate.server_context()) as smtp:
        services = mail_services(
            tmp_path,
            f"sqlite:///{tmp_path / 'reelmint.db'}",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="ssl",
        )
        tell(services, new_user(services))
        context = certificate.client_context()
        deliver_due(services=services, worker_id="w1", now=soon(), ssl_context=context)
        assert len(smtp.received) == 1
    services.close()


def test_an_untrusted_certificate_is_refused(tmp_path):
    """Certificates are verified: a server whose certificate no CA vouches for gets nothing."""
    certificate = make_certificate(tmp_path)
    with running_smtp(tls_context=certificate.server_context()) as smtp:
        services = mail_services(
            tmp_path,
            f"sqlite:///{tmp_path / 'reelmint.db'}",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_security="starttls",
        )
        tell(services, new_user(services))
        deliver_due(services=services, worker_id="w1", now=soon())  # the system's CAs only
        assert smtp.received == []
    [mail] = mails(services)
    assert mail.status == "pending"
    assert "TLS with the SMTP server" in mail.last_error
    assert "CERTIFICATE_VERIFY_FAILED" in mail.last_error
    services.close()


def test_starttls_is_never_skipped_when_the_server_lacks_it(local, smtp):
    """With starttls configured, a server that does not offer it gets no mail in the clear."""
    settings = local.settings.model_copy(update={"smtp_security": "starttls"})
    local.settings = settings
    tell(local, new_user(local))
    deliver_due(services=local, worker_id="w1", now=soon())
    assert smtp.received == []
    [mail] = mails(local)
    assert mail.status == "pending"
    assert "does not offer STARTTLS" in mail.last_error


# --- the message --------------------------------------------------------------------------------


def test_a_retry_sends_the_same_message(local, smtp):
    tell(local, new_user(local), link="/drafts")
    smtp.refuse = "451 4.3.0 try again later"
    now = soon()
    deliver_due(services=local, worker_id="w1", now=now)
    smtp.refuse = None
    [mail] = mails(local)
    assert mail.last_error == "the SMTP server refused the recipient: 451 4.3.0 try again later"
    deliver_due(services=local, worker_id="w1", now=mail.next_attempt_at)
    [got] = smtp.received
    assert got.message["Message-ID"] == f"<{mail.id}@localhost>"
    assert got.message["Date"] is not None
    assert "http://127.0.0.1:8000/drafts" in got.text


def test_mail_without_a_notification_can_be_queued(local, smtp):
    with local.db.write() as db:
        queue_email(
            db=db, to_address="ops@example.com", subject="A report", body_text="All is well."
        )
    deliver_due(services=local, worker_id="w1", now=soon())
    [got] = smtp.received
    assert (got.rcpt_tos, got.message["Subject"]) == (["ops@example.com"], "A report")


@pytest.mark.parametrize("address", ["", "no-at-sign", "a@b.c, d@e.f", "x@y.z\r\nBcc: e@f.g"])
def test_queue_email_refuses_anything_but_one_address(services, address):
    with pytest.raises(ValueError, match="address"), services.db.write() as db:
        queue_email(db=db, to_address=address, subject="s", body_text="b")
    assert mails(services) == []


def test_the_settings_refuse_a_from_without_an_address(tmp_path):
    from pydantic import ValidationError

    from reelmint.config import Settings

    with pytest.raises(ValidationError, match="smtp_from"):
        Settings(data_dir=tmp_path, smtp_from="reelmint")
    assert Settings(data_dir=tmp_path, smtp_from="Ops <ops@example.com>").smtp_from


def test_a_mailer_object_reports_an_unreachable_round(tmp_path):
    services = mail_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'reelmint.db'}",
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
    )
    user = new_user(services)
    for _ in range(2):
        tell(services, user)
    outcome = Mailer(services, worker_id="w1").run_once(now=soon())
    assert (outcome.tried, outcome.unreachable) == (2, True)
    services.close()
