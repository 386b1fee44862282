"""Notification test helpers: a real SMTP server (aiosmtpd), a TLS certificate, users, a browser.

The server is aiosmtpd's `Controller`, a real SMTP implementation in a thread: the mailer talks
to it with smtplib exactly as it would to Postfix. Its handler records every accepted message
and can be told to refuse recipients. A plain module (not a conftest.py); each test module
wraps what it needs in fixtures.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and the contexts that serve and trust it."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """What an operator's private CA bundle gives: this certificate, host name checked."""
        return ssl.create_default_context(cafile=str(self.cert_path))


def make_certificate(folder: Path) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.crt", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert_path=cert_path, key_path=key_path)


def mail_services(tmp_path: Path, database_url: str, **settings: Any) -> Any:
    """Services over a fresh schema (as tests/support.py's make_services builds them)."""
    from support import make_services

    return make_services(tmp_path, database_url, **settings)


def new_user(services: Any, email: str = "ada@example.com") -> Any:
    """A user who never signs in with a password (so no costly argon2 hash)."""
    from reelmint.domains.accounts.models import User

    with services.db.write() as db:
        user = User(email=email, password_hash="!", display_name=email.split("@")[0])
        db.add(user)
    return user


def tell(services: Any, user: Any, **fields: Any) -> Any:
    """`notify` in a write transaction of its own, as another domain's change would."""
    from reelmint.domains.notifications.service import notify

    fields.setdefault("kind", "quota_change")
    fields.setdefault("title", "Your daily quota changes on 1 March")
    fields.setdefault("body", "From 1 March your free daily quota is 20 clips.")
    with services.db.write() as db:
        return notify(db=db, user=user, **fields)


@dataclass
class Browser:
    """A TestClient signed in through a real session cookie; posts carry the CSRF token."""

    client: Any
    csrf: str

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("follow_redirects", False)
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


def sign_in(services: Any, client: Any, user: Any) -> Browser:
    from reelmint.api.deps import SESSION_COOKIE
    from reelmint.domains.accounts.service import start_web_session

    with services.db.write() as db:
        session, secret = start_web_session(db=db, user=user)
    client.cookies.set(SESSION_COOKIE, secret)
    return Browser(client=client, csrf=session.csrf_token)
