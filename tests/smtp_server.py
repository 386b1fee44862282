"""A real SMTP server for tests (aiosmtpd): the mailer talks to it with smtplib exactly as it
would to Postfix. Its handler records every accepted message and can be told to refuse
recipients or answer DATA with scripted replies. A plain module beside support.py, so every
test folder can use it (tests/domains/notifications/smtp_helpers.py adds certificates, users and
browsers for the notification tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from support import free_port


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> MimeMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]

    @property
    def text(self) -> str:
        """The decoded body, with plain newlines."""
        return self.message.get_content().replace("\r\n", "\n")


@dataclass
class Sink:
    """What a running server saw. Set `refuse` to answer every RCPT with that reply, or put
    replies in `data_replies` to answer the next messages' DATA with them instead of "250"."""

    port: int
    received: list[Received] = field(default_factory=list)
    refuse: str | None = None
    data_replies: list[str] = field(default_factory=list)
    rcpt_tries: int = 0
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> list[str]:
        with self.lock:
            return [got.message["Message-ID"] for got in self.received]


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.sink.lock:
            self.sink.rcpt_tries += 1
            refusal = self.sink.refuse
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.sink.lock:
            scripted = self.sink.data_replies.pop(0) if self.sink.data_replies else None
        if scripted is not None:
            return scripted
        got = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content),
        )
        with self.sink.lock:
            self.sink.received.append(got)
        return "250 Message accepted for delivery"


@contextmanager
def running_smtp(port: int | None = None, **smtp_options: Any) -> Iterator[Sink]:
    """A real SMTP server on 127.0.0.1 until the block ends; `smtp_options` go to aiosmtpd
    (tls_context, require_starttls, ssl_context, credentials=(user, password), ...)."""
    credentials = smtp_options.pop("credentials", None)
    sink = Sink(port=port or free_port())
    if credentials is not None:
        smtp_options["authenticator"] = _authenticator(sink, *credentials)
        smtp_options.setdefault("auth_required", True)
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port, **smtp_options)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def _authenticator(sink: Sink, username: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == username
            and data.password.decode() == password
        )
        if ok:
            with sink.lock:
                sink.logins.append(username)
        return AuthResult(success=ok, handled=False)

    return check
