"""`reelmint admin mail`: list the outbox by status and send failed mail again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.notifications.mailer import SendResult, lease_due, record_result
from reelmint.domains.notifications.models import EmailMessage
from reelmint.domains.notifications.service import queue_email


@pytest.fixture
def outbox(cli, data_dir):
    """A migrated platform with three mails: two failed for good, one pending."""
    assert cli("migrate").code == 0
    services = build_services(Settings(data_dir=data_dir))
    with services.db.write() as db:
        for n in range(3):
            queue_email(db=db, to_address=f"u{n}@example.com", subject=f"mail {n}", body_text=".")
    with services.db.write() as db:
        for mail in db.scalars(select(EmailMessage).where(EmailMessage.subject != "mail 2")):
            mail.status, mail.attempts = "failed", 10
            mail.last_error = "the SMTP server refused the login: 535 bad password\nmore"
    yield services
    services.close()


def statuses(services) -> dict[str, tuple[str, int]]:
    with services.db.read() as db:
        return {m.subject: (m.status, m.attempts) for m in db.scalars(select(EmailMessage))}


def ids(services, status: str) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage.id).where(EmailMessage.status == status)
        return sorted(db.scalars(query))


def test_the_list_shows_failed_mail_with_its_error(cli, outbox):
    listed = cli("admin", "mail", "list")
    assert listed.code == 0, listed.err
    lines = listed.out.strip().splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == ids(outbox, "failed")
    assert all(line.endswith("535 bad password") for line in lines)  # the error's first line
    assert "10 tries" in lines[0]
    pending = cli("admin", "mail", "list", "--status", "pending").out.strip().splitlines()
    assert [line.split("\t")[4] for line in pending] == ["mail 2"]


def test_the_list_escapes_what_would_drive_the_terminal(cli, outbox):
    """A subject made from others' words (a character's name in a claim's news) holding an
    escape sequence is printed escaped: it cannot retitle the window or move the cursor.
    (Subjects are queued without control characters now; mail queued before may hold them.)"""
    with outbox.db.write() as db:
        mail = queue_email(db=db, to_address="x@example.com", subject="claim", body_text=".")
        mail.subject = "A \x1b]0;pwned\x07 claim"
    listed = cli("admin", "mail", "list", "--status", "pending")
    assert listed.code == 0, listed.err
    assert "\x1b" not in listed.out
    assert "\x07" not in listed.out
    assert "A \\x1b]0;pwned\\x07 claim" in listed.out


def test_retry_one_then_all(cli, outbox):
    first = ids(outbox, "failed")[0]
    one = cli("admin", "mail", "retry", first)
    assert (one.code, one.out.strip()) == (0, "1 failed mail queued to be sent again")
    assert sorted(statuses(outbox).values()) == [("failed", 10), ("pending", 0), ("pending", 0)]
    rest = cli("admin", "mail", "retry", "--all")
    assert (rest.code, rest.out.strip()) == (0, "1 failed mail queued to be sent again")
    assert ids(outbox, "failed") == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "name the failed mail's ids, or pass --all"),
        (("--all", "mail_x"), "name the failed mail's ids, or pass --all"),
        (("mail_nosuchmail",), "no failed mail 'mail_nosuchmail'"),
    ],
)
def test_a_bad_retry_is_one_line_and_changes_nothing(cli, outbox, argv, message):
    before = statuses(outbox)
    refused = cli("admin", "mail", "retry", *argv)
    assert refused.code == 2
    assert refused.err.startswith("error: ")
    assert message in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert statuses(outbox) == before


def test_an_unknown_status_is_refused(cli, outbox):
    refused = cli("admin", "mail", "list", "--status", "bounced")
    assert (refused.code, refused.err.strip()) == (
        2,
        "error: unknown status 'bounced'; use one of pending, sent, failed",
    )


def test_show_prints_one_mail_as_sent_with_its_link(cli, outbox, monkeypatch):
    with outbox.db.write() as db:
        mail = queue_email(
            db=db,
            to_address="ada@example.com",
            subject="Confirm your email",
            body_text="Open the link to confirm.\nIt works for 7 days.",
            link="/confirm?token=abc",
        )
        mail_id = mail.id
    shown = cli("admin", "mail", "show", mail_id)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert "To: ada@example.com" in lines
    assert "Subject: Confirm your email" in lines
    assert f"Message-ID: <{mail_id}@" in shown.out
    assert "It works for 7 days." in lines
    assert any(line.endswith("/confirm?token=abc") for line in lines)  # absolute, on the site
    assert "note: links point at http://127.0.0.1:8000, the default;" in shown.err
    monkeypatch.setenv("REELMINT_PUBLIC_URL", "https://video.example.com")
    public = cli("admin", "mail", "show", mail_id)
    assert "https://video.example.com/confirm?token=abc" in public.out.splitlines()
    assert public.err == ""
    missing = cli("admin", "mail", "show", "mail_nope")
    assert missing.code != 0
    assert missing.err.strip().splitlines() == [missing.err.strip()]  # one line, no traceback
    assert "no mail 'mail_nope' in the outbox" in missing.err


def test_show_of_a_sent_mail_says_its_link_is_no_longer_kept(cli, outbox):
    with outbox.db.write() as db:
        for mail in db.scalars(select(EmailMessage)):
            mail.status = "sent"  # the fixture's mail is out of the way
        queue_email(
            db=db,
            to_address="ada@example.com",
            subject="Reset your password",
            body_text="Open the link below to choose a new one.",
            link="/reset-password/secret-token",
            expires_at=utcnow() + timedelta(hours=1),
        )
    with outbox.db.write() as db:
        now = utcnow()
        [leased] = lease_due(db=db, settings=outbox.settings, owner="w1", now=now)
        record_result(
            db=db, settings=outbox.settings, leased=leased, result=SendResult(None), now=now
        )

    shown = cli("admin", "mail", "show", leased.id)

    assert shown.code == 0, shown.err
    assert "secret-token" not in shown.out
    lines = shown.out.splitlines()
    at = lines.index("Open the link below to choose a new one.")
    assert lines[at + 1 : at + 3] == [
        "",
        "[the link this email carried is not shown: the outbox keeps no link once its email is "
        "sent; if it never arrived, its owner asks for a new one]",
    ]
