"""Notification test helpers: a real SMTP server (tests/smtp_server.py, re-exported here), a
TLS certificate, users, a browser. A plain module (not a conftest.py); each test module wraps
what it needs in fixtures.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smtp_server import Received, Sink, free_port, running_smtp  # noqa: F401 (for the tests)


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
    """A user who never signs in with a password (so no costly argon2 hash), whose address
    is confirmed (so their notifications are mailed)."""
    from reelmint.db.base import utcnow
    from reelmint.domains.accounts.models import User

    with services.db.write() as db:
        user = User(
            email=email,
            password_hash="!",
            display_name=email.split("@")[0],
            email_confirmed_at=utcnow(),
        )
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
