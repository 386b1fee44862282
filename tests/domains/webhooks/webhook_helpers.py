"""Webhook test helpers: a real HTTP receiver, an independent signature check, a clock.

The receiver is a real `http.server` on 127.0.0.1, so services that deliver to it allow
private targets (`webhook_allow_private_targets=True`); the SSRF tests build their own.
A plain module (not a conftest.py, which would shadow tests/conftest.py for `import conftest`);
each test module wraps what it needs in fixtures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reelmint.db.base import new_id
from support import copy_sqlite_schema


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on a free local port that answers with scripted statuses."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    default_status: int = 200
    reply_body: bytes = b"ok"
    reply_headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.script.pop(0) if self.script else self.default_status

    def record(self, item: Received) -> None:
        with self.lock:
            self.received.append(item)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Poll (never a fixed sleep) until `count` requests have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.record(Received(path=self.path, headers=headers, body=body))
            if receiver.delay:
                time.sleep(receiver.delay)  # a slow receiver, so dispatchers overlap
            status = receiver.next_status()
            self.send_response(status)
            for name, value in receiver.reply_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(receiver.reply_body)))
            self.end_headers()
            self.wfile.write(receiver.reply_body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # Two dispatchers send 2 x 8 requests at once; the default backlog of 5 refuses some of
    # them when the machine is busy, and a refused delivery is (rightly) retried later.
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a dispatcher that stops reading early closes the connection: expected


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver serving in a thread until the block ends."""
    server = _QuietServer(("127.0.0.1", 0), _handler_for(Receiver(url="")))
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    server.RequestHandlerClass = _handler_for(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class Dripper:
    """A receiver that takes the request, then sends its answer one byte at a time, never
    finishing it (an endless header), until the test stops it."""

    url: str
    interval: float
    requests: int = 0
    answering: int = 0  # connections it is dripping into now
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> None:
        """Poll until `count` requests have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.requests >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, the dripper got {self.requests}")

    def stop(self) -> None:
        """Stop dripping: every connection is closed, so the senders' reads end."""
        self.stopping.set()


def _dripping_handler(dripper: Dripper) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            length = 0
            while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            self.rfile.read(length)
            with dripper.lock:
                dripper.requests += 1
                dripper.answering += 1
            try:
                self._drip()
            finally:
                with dripper.lock:
                    dripper.answering -= 1

        def _drip(self) -> None:
            answer = b"HTTP/1.1 200 OK\r\nX-Slow: "
            sent = 0
            while not dripper.stopping.is_set():
                byte = answer[sent : sent + 1] or b"a"
                try:
                    self.wfile.write(byte)
                    self.wfile.flush()
                except OSError:
                    return  # the sender gave up and closed the connection
                sent += 1
                dripper.stopping.wait(dripper.interval)

    return Handler


class _DrippingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@contextmanager
def running_dripper(interval: float = 0.2) -> Iterator[Dripper]:
    """A dripping receiver serving in a thread until the block ends (or `stop()`)."""
    dripper = Dripper(url="", interval=interval)
    server = _DrippingServer(("127.0.0.1", 0), _dripping_handler(dripper))
    dripper.url = f"http://127.0.0.1:{server.server_address[1]}/slow"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield dripper
    finally:
        dripper.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class SignatureInvalid(AssertionError):
    pass


def verify_standard_webhook(
    received: Received, secret: str, *, now: datetime, tolerance: int = 300
) -> dict[str, Any]:
    """The receiver's side of Standard Webhooks, written independently of reelmint.

    Checks the three headers, the timestamp window and that one of the space-separated
    `v1,<base64>` signatures is HMAC-SHA256(base64decode(secret after whsec_), id.ts.body).
    Returns the parsed event.
    """
    msg_id = received.headers.get("webhook-id")
    stamp = received.headers.get("webhook-timestamp")
    header = received.headers.get("webhook-signature")
    if not (msg_id and stamp and header):
        raise SignatureInvalid("missing Standard Webhooks headers")
    if abs(now.timestamp() - int(stamp)) > tolerance:
        raise SignatureInvalid("timestamp outside tolerance")
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret[len("whsec_") :])
    signed = msg_id.encode() + b"." + stamp.encode() + b"." + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    candidates = [part.split(",", 1) for part in header.split(" ")]
    if not any(
        version == "v1" and hmac.compare_digest(sig, expected) for version, sig in candidates
    ):
        raise SignatureInvalid("no signature matches")
    return json.loads(received.body)


class Clock:
    """A settable clock for dispatchers, so backoff is driven, never slept through."""

    def __init__(self) -> None:
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        """Fixed when first read: a whole second a little ahead of real time, so what a test
        queued before it first asks the time is already due (however slow the set-up was)."""
        if self._now is None:
            self._now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
        return self._now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self._now = self.now + timedelta(seconds=seconds)


def allowing_services(tmp_path: Path, database_url: str, **settings: Any) -> Any:
    """Services over a fresh schema (as tests/conftest.py's make_services builds them) that may
    deliver to the local receiver."""
    from reelmint.bootstrap import build_services
    from reelmint.config import Settings
    from reelmint.db import Base

    settings.setdefault("webhook_allow_private_targets", True)
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True, exist_ok=True)
    copied = copy_sqlite_schema(database_url)
    built = build_services(Settings(data_dir=data, database_url=database_url, **settings))
    if not copied:
        Base.metadata.create_all(built.db.engine)
    return built


def insert_video(services: Any, user: Any, *, status: str = "completed", **fields: Any) -> Any:
    """A finished video row, as the queue would leave it (no rendering needed)."""
    from reelmint.db.base import utcnow
    from reelmint.domains.videos.models import Video

    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id("video"),
        "user_id": user.id,
        "model": "sora-2",
        "backend": "preview",
        "prompt": "a fox runs through snow",
        "storyboard_json": "{}",
        "seconds": 4.0,
        "size": "480x480",
        "seed": 7,
        "status": status,
        "progress": 100 if status == "completed" else 0,
        "queue_key": now.timestamp(),
        "completed_at": now,
        "created_at": now,
    }
    if status == "failed":
        values |= {"error_code": "render_failed", "error_message": "the backend crashed"}
    values.update(fields)
    with services.db.write() as db:
        video = Video(**values)
        db.add(video)
    return video


@dataclass(frozen=True)
class Person:
    """A user made for a test, with an API token."""

    user: Any
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_person(services: Any, email: str = "ada@example.com") -> Person:
    """A user who never signs in with a password (so no costly argon2 hash), with a token."""
    from reelmint.domains.accounts.models import User
    from reelmint.domains.accounts.service import create_api_token

    with services.db.write() as db:
        user = User(email=email, password_hash="!", display_name=email.split("@")[0])
        db.add(user)
        db.flush()
        _, token = create_api_token(db=db, user=user, name="tests")
    return Person(user=user, token=token)


def register(services: Any, person: Person, url: str, **fields: Any) -> tuple[Any, str]:
    """An endpoint of `person` at `url`; returns it and its secret."""
    from reelmint.domains.webhooks.service import EndpointRequest, create_endpoint

    return create_endpoint(
        services=services, actor=person.user, request=EndpointRequest(url=url, **fields)
    )


def announce(services: Any, video: Any, event: str = "video.completed") -> None:
    """What the queue's finishing transaction does: queue the event in a write transaction."""
    from reelmint.domains.webhooks.service import enqueue_video_event

    with services.db.write() as db:
        enqueue_video_event(db=db, video=video, event=event)  # type: ignore[arg-type]
