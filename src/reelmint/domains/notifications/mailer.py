"""The mailer: lease due emails from the outbox, send them over SMTP, record what happened.

One round (`Mailer.run_once`, or `deliver_due`):
1. Lease: in one short transaction, take up to a batch of due mails (pending, due, not leased
   by a live mailer; `FOR UPDATE SKIP LOCKED` on PostgreSQL, an immediate transaction on
   SQLite), count the attempt and set the lease. Mailers in any number of processes therefore
   never take the same mail.
2. Send: outside any transaction, over one SMTP session for the batch (TLS and login as
   configured, every step under `smtp_timeout_seconds`). If the server cannot be reached,
   the rest of the batch is not tried again this round.
3. Record: in one short transaction per mail. Accepted by the server: sent. Anything else is
   kept with its error and tried again after a growing pause (30 s, 2 min, 10 min, 1 h, 3 h,
   then 6 h), until `smtp_max_attempts` tries have been made; then it has failed.

A mail's link is kept only until the mail is sent: links carry tokens (a password reset, an
email confirmation, a change of address) that work for their whole lifetime, so once the mail
is out, the outbox keeps no copy of the link (as sessions and API tokens are kept only as
hashes). Pending and failed mail keeps it, to be sent (or retried), or read out by an operator
with `admin mail show` when no email reaches its owner.

A mail whose link has a lifetime (a password reset, a confirmation, a change of address)
carries `expires_at`; once that passes (or is less than `LINK_MARGIN` away: the link would be
dead by the time it is read) it is not sent but failed as expired, so a backlog sent
after a long outage, or after email is turned on, holds no dead links (the user asks for a new
one). Housekeeping removes it `mail_keep_days` after it expired.

A mailer that dies leaves its lease to run out; the mail is then due again and another mailer
(or the same one, restarted) sends it, so nothing is lost on a restart. A mail the server had
already accepted just before the crash is sent a second time: it keeps its Message-ID, which
mail clients use to show duplicates once. Leases last well past the time a batch may take, and
a mailer stops sending when its lease nears its end, so a live mailer is never overtaken.
"""

from __future__ import annotations

import logging
import random
import smtplib
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage as MimeMessage
from email.policy import SMTP as SMTP_POLICY
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr

from sqlalchemy import ColumnElement, Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from reelmint import outbox
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.db.paging import check_limit
from reelmint.domains.notifications.models import EmailMessage
from reelmint.domains.notifications.service import register_wakeup
from reelmint.errors import BadRequest, NotFound

log = logging.getLogger("reelmint.mailer")

RETRY_SCHEDULE_SECONDS: tuple[float, ...] = (30, 120, 600, 3600, 10800, 21600)
"""The wait after the 1st, 2nd, ... failed try (the last repeats), before jitter."""
BATCH = 10
STEPS_PER_MAIL = 4
"""SMTP exchanges per mail (MAIL, RCPT, DATA, the message): each may take a whole timeout."""
STEPS_PER_SESSION = 6
"""Exchanges to open a session: connect, EHLO, STARTTLS, EHLO, AUTH, and QUIT."""
MAX_ERROR_PAUSE_SECONDS = 60.0
EXPIRED = "its link expired (or was about to) before it could be sent; the user asks for a new one"
LINK_MARGIN = timedelta(minutes=2)
"""A link mail is not sent with less than this left: it would arrive, or be opened, dead."""
MAX_ERROR_CHARS = 1000
LINK_REMOVED = ""
"""What `link` holds once its mail was sent (a mail queued without a link holds None)."""
LINK_REMOVED_NOTE = (
    "[the link this email carried is not shown: the outbox keeps no link once its email is "
    "sent; if it never arrived, its owner asks for a new one]"
)
MESSAGE_POLICY: EmailPolicy = SMTP_POLICY.clone(cte_type="7bit")
"""CRLF lines, and a 7-bit body (quoted-printable when it is not ASCII): any server takes it."""


@dataclass(frozen=True)
class LeasedMail:
    """What a mailer needs to send one mail, copied out of the lease transaction."""

    id: str
    to_address: str
    subject: str
    body_text: str
    link: str | None
    created_at: datetime
    attempt: int
    owner: str

    @classmethod
    def of(cls, mail: EmailMessage, owner: str) -> LeasedMail:
        """What `mail` holds now, for `owner` (its lease; "" when only looked at)."""
        return cls(
            id=mail.id,
            to_address=mail.to_address,
            subject=mail.subject,
            body_text=mail.body_text,
            link=mail.link,
            created_at=mail.created_at,
            attempt=mail.attempts,
            owner=owner,
        )


@dataclass(frozen=True)
class SendResult:
    """How one try went: `error` is None when the server accepted the mail; `unreachable`
    says no SMTP session could be opened at all (so the rest of the batch is not tried)."""

    error: str | None
    unreachable: bool = False

    @property
    def sent(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RoundOutcome:
    """What one round did: mails tried, and whether the server could not be reached at all."""

    tried: int
    unreachable: bool = False


# --- settings ---------------------------------------------------------------------------------


def sender_address(settings: Settings) -> str:
    """The bare address of `smtp_from` (the SMTP envelope's sender)."""
    address = parseaddr(settings.smtp_from)[1]
    if "@" not in address:
        raise ValueError(
            f"REELMINT_SMTP_FROM {settings.smtp_from!r} holds no address such as "
            "reelmint <no-reply@example.com>"
        )
    return address


def lease_seconds(settings: Settings) -> float:
    """How long a batch stays leased: longer than the slowest batch the timeouts allow."""
    steps = STEPS_PER_SESSION + BATCH * STEPS_PER_MAIL
    return steps * settings.smtp_timeout_seconds + 30


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed try number `attempt` (1-based), with ±20% jitter so that
    mails failing together (the server was down) do not all come back at the same instant."""
    return outbox.retry_delay(RETRY_SCHEDULE_SECONDS, attempt, rng=rng)


# --- the three steps --------------------------------------------------------------------------


def _due_where(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Pending, due, and not leased by a live mailer."""
    return (
        EmailMessage.status == "pending",
        EmailMessage.next_attempt_at <= now,
        or_(EmailMessage.lease_expires_at.is_(None), EmailMessage.lease_expires_at <= now),
    )


def _due(now: datetime) -> Select[tuple[EmailMessage]]:
    return select(EmailMessage).where(*_due_where(now))


def any_due(*, db: Session, now: datetime) -> bool:
    """Whether any mail is due: a cheap read, so an idle mailer takes no write lock."""
    return db.execute(_due(now).with_only_columns(EmailMessage.id).limit(1)).first() is not None


def lease_due(
    *, db: Session, settings: Settings, owner: str, now: datetime, limit: int = BATCH
) -> list[LeasedMail]:
    """Lease up to `limit` due mails to `owner` (in the caller's write transaction), oldest
    due first. A mail whose lease ran out after its last allowed try (its mailer died
    mid-send) is marked failed instead. First, every due mail whose link has expired is failed
    as expired in one statement, so a backlog of dead links neither fills batches nor delays
    the live mail behind it."""
    expired = db.execute(
        update(EmailMessage)
        .where(*_due_where(now), EmailMessage.expires_at <= now + LINK_MARGIN)
        .values(
            status="failed",
            last_error=EXPIRED,
            lease_owner=None,
            lease_expires_at=None,
            next_attempt_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if expired:
        log.info("%d email(s) not sent: %s", expired, EXPIRED)
    mails = db.scalars(
        _due(now)
        .order_by(EmailMessage.next_attempt_at, EmailMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    leased: list[LeasedMail] = []
    for mail in mails:
        if mail.attempts >= settings.smtp_max_attempts:
            _finish(mail, status="failed", now=now)
            mail.last_error = "the mailer stopped during the last try"
            log.warning("email %s failed for good: %s", mail.id, mail.last_error)
            continue
        mail.attempts += 1
        mail.lease_owner = owner
        mail.lease_expires_at = now + timedelta(seconds=lease_seconds(settings))
        leased.append(LeasedMail.of(mail, owner))
    db.flush()
    return leased


def record_result(
    *,
    db: Session,
    settings: Settings,
    leased: LeasedMail,
    result: SendResult,
    now: datetime,
    rng: random.Random | None = None,
) -> str | None:
    """Move a mail on after a try; returns its new status (None if it is gone).

    If the lease was lost meanwhile (this mailer was too slow and another took the mail), the
    mail is left to its new holder.
    """
    mail = db.get(EmailMessage, leased.id, with_for_update=True)
    if mail is None:
        return None
    if mail.lease_owner != leased.owner or mail.attempts != leased.attempt:
        return mail.status
    mail.last_error = result.error
    if result.sent:
        _finish(mail, status="sent", now=now)
        mail.sent_at = now
        _forget_link(mail)
    elif leased.attempt >= settings.smtp_max_attempts:
        _finish(mail, status="failed", now=now)
        log.warning(
            "email %s failed for good after %d tries: %s", mail.id, mail.attempts, result.error
        )
    else:
        mail.next_attempt_at = now + timedelta(seconds=retry_delay(leased.attempt, rng=rng))
        mail.lease_owner = None
        mail.lease_expires_at = None
    db.flush()
    return mail.status


def release(*, db: Session, leased: LeasedMail) -> None:
    """Give back a leased mail that was not tried (its try is not counted)."""
    mail = db.get(EmailMessage, leased.id, with_for_update=True)
    if mail is not None and mail.lease_owner == leased.owner and mail.attempts == leased.attempt:
        mail.attempts -= 1
        mail.lease_owner = None
        mail.lease_expires_at = None
        db.flush()


def _finish(mail: EmailMessage, *, status: str, now: datetime) -> None:
    mail.status = status
    mail.lease_owner = None
    mail.lease_expires_at = None
    mail.next_attempt_at = now


def _forget_link(mail: EmailMessage) -> None:
    """Drop a sent mail's link if it carries a token that works until it expires (a password
    reset, a confirmation, a change of address: the mails with `expires_at`); a notification's
    link to a page (a video, the quota page) is kept, for `admin mail show`."""
    if mail.link is not None and mail.expires_at is not None:
        mail.link = LINK_REMOVED


# --- the operator -----------------------------------------------------------------------------

MAIL_STATUSES = ("pending", "sent", "failed")


def outbox_mail(*, db: Session, status: str, limit: int = 50) -> list[EmailMessage]:
    """The outbox's mail with `status`, newest first (what `admin mail list` shows)."""
    if status not in MAIL_STATUSES:
        raise BadRequest(
            f"unknown status {status[:20]!r}; use one of {', '.join(MAIL_STATUSES)}",
            code="invalid_status",
        )
    check_limit(limit, 1000)
    query = select(EmailMessage).where(EmailMessage.status == status)
    order = (EmailMessage.created_at.desc(), EmailMessage.id.desc())
    return list(db.scalars(query.order_by(*order).limit(limit)))


def outbox_message(*, db: Session, settings: Settings, mail_id: str) -> MimeMessage:
    """One outbox mail as it is (or was, or would be) sent, whatever its status (what `admin
    mail show` prints: where no email reaches the owner, the operator can read a link out of
    pending or failed mail). A sent mail's link that carried a token is no longer kept:
    `LINK_REMOVED_NOTE` stands where it was. 404 `mail_not_found`."""
    mail = db.get(EmailMessage, mail_id[:64])
    if mail is None:
        raise NotFound(f"no mail {mail_id[:64]!r} in the outbox", code="mail_not_found")
    shown = LeasedMail.of(mail, owner="")
    if mail.link == LINK_REMOVED:
        body = f"{mail.body_text.rstrip()}\n\n{LINK_REMOVED_NOTE}"
        shown = replace(shown, body_text=body, link=None)
    return compose(shown, settings)


def retry_failed(*, db: Session, ids: Sequence[str] = (), now: datetime | None = None) -> int:
    """Send failed mail again, all of it or the `ids` given, from now and with a fresh count
    of tries (after the cause was fixed); how many. Mail whose link has expired is never sent
    again: left out of "all", and refused by id (400 `mail_expired`). An id that is not a
    failed mail is refused (404) before anything changes."""
    now = now or utcnow()
    query = select(EmailMessage).where(EmailMessage.status == "failed")
    if ids:
        query = query.where(EmailMessage.id.in_(list(ids)))
    mails = list(db.scalars(query.with_for_update()))
    missing = sorted(set(ids) - {mail.id for mail in mails})
    if missing:
        raise NotFound(
            f"no failed mail {missing[0][:80]!r}; `reelmint admin mail list --status failed` "
            "shows them",
            code="mail_not_found",
        )
    expired = [mail for mail in mails if _dying(mail, now)]
    if ids and expired:
        raise BadRequest(
            f"mail {expired[0].id} carried a link that expired; it cannot be sent again (its "
            "user asks for a new link)",
            code="mail_expired",
        )
    mails = [mail for mail in mails if mail not in expired]
    for mail in mails:
        mail.status, mail.attempts, mail.next_attempt_at = "pending", 0, now
        mail.lease_owner = mail.lease_expires_at = None
    return len(mails)


def _dying(mail: EmailMessage, now: datetime) -> bool:
    """Whether `mail` carries a link that is dead, or would be by the time it is read."""
    return mail.expires_at is not None and mail.expires_at <= now + LINK_MARGIN


def purge_sent(*, db: Session, settings: Settings, now: datetime, limit: int = 1000) -> int:
    """Remove sent mail older than `mail_keep_days`, and failed mail whose link expired that
    long ago (it can never be sent); at most `limit` a run, oldest first; how many. Pending
    mail, and failed mail that can be retried, is never removed here."""
    cutoff = now - timedelta(days=settings.mail_keep_days)
    since = func.coalesce(EmailMessage.sent_at, EmailMessage.expires_at)
    old = (
        select(EmailMessage.id)
        .where(
            or_(
                (EmailMessage.status == "sent") & (EmailMessage.sent_at < cutoff),
                (EmailMessage.status == "failed") & (EmailMessage.expires_at < cutoff),
            )
        )
        .order_by(since)
        .limit(limit)
    )
    ids = list(db.scalars(old))
    if ids:
        db.execute(delete(EmailMessage).where(EmailMessage.id.in_(ids)))
    return len(ids)


# --- the message ------------------------------------------------------------------------------


def compose(mail: LeasedMail, settings: Settings) -> MimeMessage:
    """The email exactly as sent: the same bytes on every try (Date is when it was queued,
    Message-ID is the mail's id), so receivers can tell a repeat from a new mail."""
    sender = sender_address(settings)
    domain = sender.rpartition("@")[2] or "localhost"
    site = settings.public_url.rstrip("/")
    text = mail.body_text.rstrip()
    if mail.link:
        text += f"\n\n{site}{mail.link}"
    text += (
        f"\n\n-- \nYou get this email because you have an account at {site}.\n"
        f"All your notifications: {site}/notifications\n"
    )
    message = MimeMessage(policy=MESSAGE_POLICY)
    message["From"] = settings.smtp_from
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = f"<{mail.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(text)
    return message


# --- SMTP -------------------------------------------------------------------------------------


class SmtpUnreachable(Exception):
    """The SMTP server could not be reached or would not open a session (no mail was tried)."""


class SmtpSession:
    """One SMTP session for a round: opened at the first mail, reused for the rest."""

    def __init__(self, settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self._smtp: smtplib.SMTP | None = None

    def send(self, message: MimeMessage, *, recipient: str) -> None:
        """Hand one message to the server; raises SmtpUnreachable or an SMTP/OS error.

        The message is serialised here rather than by `smtplib.send_message`, whose generator
        rewrites body lines starting with "From " as ">From ". An address that is not ASCII
        needs the server's SMTPUTF8 extension (RFC 6531).
        """
        sender = sender_address(self.settings)
        international = not (sender + recipient).isascii()
        data = message.as_bytes(policy=MESSAGE_POLICY.clone(utf8=international))
        smtp = self._smtp or self._open()
        try:
            if international and not smtp.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    f"the SMTP server cannot take the address {recipient!r}: it lacks SMTPUTF8"
                )
            smtp.sendmail(sender, [recipient], data, ["SMTPUTF8"] if international else [])
        except BaseException:
            if getattr(smtp, "sock", None) is None:  # the server hung up (421, a drop)
                self._smtp = None
            raise

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        settings = self.settings
        host, port = settings.smtp_host.strip(), settings.smtp_port
        timeout = settings.smtp_timeout_seconds
        context = self.ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if settings.smtp_security == "ssl":
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            smtp.ehlo()
            if settings.smtp_security == "starttls":
                smtp.starttls(context=context)  # raises if the server cannot: never plain text
                smtp.ehlo()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        except (OSError, smtplib.SMTPException) as exc:
            if smtp is not None:
                smtp.close()
            raise SmtpUnreachable(describe_error(exc, settings)) from exc
        self._smtp = smtp
        return smtp


def describe_error(exc: BaseException, settings: Settings) -> str:
    """What went wrong, in a sentence an operator can act on (never the password)."""
    where = f"{settings.smtp_host.strip()}:{settings.smtp_port}"
    if isinstance(exc, SmtpUnreachable):
        text = str(exc)
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        text = f"the SMTP server refused the recipient: {refusals}"
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        text = f"the SMTP server refused the sender: {exc.smtp_code} {_text(exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        text = (
            f"the SMTP server {where} refused the login of REELMINT_SMTP_USERNAME: "
            f"{exc.smtp_code} {_text(exc.smtp_error)}"
        )
    elif isinstance(exc, smtplib.SMTPNotSupportedError) and settings.smtp_security == "starttls":
        text = f"the SMTP server {where} does not offer STARTTLS ({exc})"
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"the SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        text = f"the SMTP server {where} closed the connection ({exc or 'no reason given'})"
    elif isinstance(exc, ssl.SSLError):
        text = f"TLS with the SMTP server {where} failed: {exc.reason or exc}"
    elif isinstance(exc, TimeoutError):
        text = f"the SMTP server {where} did not answer within {settings.smtp_timeout_seconds:g} s"
    elif isinstance(exc, OSError):
        text = f"could not reach the SMTP server {where}: {exc.strerror or exc}"
    else:
        text = f"sending failed: {type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_CHARS]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


# --- the mailer -------------------------------------------------------------------------------


class Mailer:
    """Sends due mail for one Services; `run_once` is one lease-send-record round.

    `ssl_context` replaces the default (system CAs, host name checked), e.g. to trust a
    private CA; `rng` makes the retry jitter reproducible.
    """

    def __init__(
        self,
        services: Services,
        *,
        worker_id: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.worker_id = worker_id or outbox.lease_owner_id()
        self.ssl_context = ssl_context
        self.rng = rng

    def run_once(self, *, now: datetime | None = None) -> RoundOutcome:
        """Lease a batch of due mails, send them over one session, record each result.

        `now` fixes the clock for the round (tests); by default each step reads the time.
        """
        if not self.settings.sends_email:
            return RoundOutcome(tried=0)  # email is off: mail waits in the outbox
        lease_now = now or utcnow()
        with self.services.db.read() as db:
            if not any_due(db=db, now=lease_now):
                return RoundOutcome(tried=0)  # the usual idle round: no write lock taken
        with self.services.db.write() as db:
            leased = lease_due(
                db=db, settings=self.settings, owner=self.worker_id, now=lease_now, limit=BATCH
            )
        return self._send_all(leased, now=now)

    def _send_all(self, leased: list[LeasedMail], *, now: datetime | None) -> RoundOutcome:
        deadline = time.monotonic() + lease_seconds(self.settings) - 30
        per_mail = STEPS_PER_MAIL * self.settings.smtp_timeout_seconds
        session = SmtpSession(self.settings, ssl_context=self.ssl_context)
        unreachable: SendResult | None = None
        tried = 0
        try:
            for index, mail in enumerate(leased):
                if unreachable is None and time.monotonic() + per_mail > deadline:
                    self._release(leased[index:])  # the lease ends soon: leave these for later
                    break
                # Once the server could not be reached, the rest share that try's outcome
                # rather than hammering a server that is down.
                result = unreachable or self._send_one(session, mail)
                if result.unreachable:
                    unreachable = result
                tried += 1
                self._record(mail, result, now=now)
        finally:
            session.close()
        return RoundOutcome(tried=tried, unreachable=unreachable is not None)

    def _send_one(self, session: SmtpSession, mail: LeasedMail) -> SendResult:
        try:
            message = compose(mail, self.settings)
            session.send(message, recipient=mail.to_address)
        except SmtpUnreachable as exc:
            return SendResult(str(exc), unreachable=True)
        except (OSError, smtplib.SMTPException, ValueError) as exc:
            return SendResult(describe_error(exc, self.settings))
        return SendResult(None)

    def _record(self, mail: LeasedMail, result: SendResult, *, now: datetime | None) -> None:
        with self.services.db.write() as db:
            record_result(
                db=db,
                settings=self.settings,
                leased=mail,
                result=result,
                now=now or utcnow(),
                rng=self.rng,
            )

    def _release(self, mails: list[LeasedMail]) -> None:
        with self.services.db.write() as db:
            for mail in mails:
                release(db=db, leased=mail)


def deliver_due(
    *,
    services: Services,
    worker_id: str,
    now: datetime | None = None,
    ssl_context: ssl.SSLContext | None = None,
    rng: random.Random | None = None,
) -> int:
    """One mailer round (lease, send, record) as `worker_id`; returns how many mails were
    tried. Nothing happens while email is off (`smtp_host` unset)."""
    mailer = Mailer(services, worker_id=worker_id, ssl_context=ssl_context, rng=rng)
    return mailer.run_once(now=now).tried


# --- the thread -------------------------------------------------------------------------------


def run_mailer(services: Services, stop: threading.Event) -> None:
    """Send mail until `stop` is set: drain what is due, then wait for new mail or the poll.

    With email off, say so once and stop: mail waits in the outbox (the settings are read at
    start, so configuring SMTP takes a restart, which then sends the backlog). A database
    or server fault is logged and retried after a growing pause.
    """
    settings = services.settings
    if not settings.sends_email:
        log.warning(
            "email is off (REELMINT_SMTP_HOST is not set): emails wait in the outbox and are "
            "sent once an SMTP server is configured"
        )
        return
    wakeup = threading.Event()
    register_wakeup(wakeup)
    mailer = Mailer(services)
    poll = settings.mailer_poll_seconds
    pause = poll
    log.info(
        "mailer %s sending through %s:%d", mailer.worker_id, settings.smtp_host, settings.smtp_port
    )
    while not stop.is_set():
        wakeup.clear()  # set again by any commit of new mail from here on
        try:
            outcome = mailer.run_once()
        except Exception:
            log.exception("mailer round failed; retrying in %.0f s", pause)
            stop.wait(pause)
            pause = min(pause * 2, MAX_ERROR_PAUSE_SECONDS)
            continue
        pause = poll
        if outcome.tried >= BATCH and not outcome.unreachable:
            continue  # a full batch: more may be due now
        outbox.wait_for_wakeup(wakeup, stop, poll)


def start_mailer_thread(services: Services, stop: threading.Event) -> threading.Thread:
    """A thread sending due email until `stop` is set (it ends at once when email is off)."""
    thread = threading.Thread(target=run_mailer, args=(services, stop), name="mailer", daemon=True)
    thread.start()
    return thread
