"""Test support shared by many test modules: factories, a live server, MP4 probing.

A plain module, imported as `support` (tests/ is on sys.path through its conftest.py):
fixtures live in conftest.py; anything a test imports by name lives here, because importing
a module named `conftest` is ambiguous once sub-folders have their own conftest.py.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import numpy as np

if TYPE_CHECKING:
    from reelmint.bootstrap import Services


@dataclass(frozen=True)
class Mp4Facts:
    """What PyAV reads back from an MP4: codecs, geometry, timing and decoded frames."""

    video_codec: str
    audio_codec: str | None
    pix_fmt: str
    width: int
    height: int
    fps: float
    frames: int
    duration: float
    audio_rate: int | None
    audio_duration: float | None
    decoded: list[np.ndarray]


def probe_mp4(path: Path, *, keep_every: int = 0) -> Mp4Facts:
    """Decode `path` fully; keep every `keep_every`-th RGB frame (0: keep none)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        decoded: list[np.ndarray] = []
        count = 0
        for frame in container.decode(video=0):
            if keep_every and count % keep_every == 0:
                decoded.append(frame.to_ndarray(format="rgb24"))
            count += 1
        duration = float(container.duration / av.time_base) if container.duration else 0.0
        audio_duration = (
            float(audio.duration * audio.time_base) if audio and audio.duration else None
        )
        return Mp4Facts(
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio else None,
            pix_fmt=video.codec_context.pix_fmt,
            width=video.codec_context.width,
            height=video.codec_context.height,
            fps=float(video.average_rate),
            frames=count,
            duration=duration,
            audio_rate=audio.codec_context.sample_rate if audio else None,
            audio_duration=audio_duration,
            decoded=decoded,
        )


@dataclass(frozen=True)
class CliRun:
    """What one `reelmint ARGV` run in this process did."""

    code: int
    out: str
    err: str


POSTGRES_ADMIN_URL = os.environ.get(
    "REELMINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REELMINT_REQUIRE_POSTGRES") == "1"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3
        ):
            return True
    except Exception:
        return False


def make_services(tmp_path: Path, database_url: str, **settings: Any) -> Services:
    """Services over a fresh schema (created from the models) in a temporary data folder.

    Every backend is offered (model folders are named, never read: no test's worker runs a
    model job) unless a test says otherwise, e.g. `wan_path=None`."""
    from reelmint.bootstrap import build_services
    from reelmint.config import Settings
    from reelmint.db import Base

    settings.setdefault("wan_path", tmp_path / "models" / "wan")
    settings.setdefault("ltx_path", tmp_path / "models" / "ltx")
    data = tmp_path / "data"
    keys = data / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    copied = copy_sqlite_schema(database_url)
    built = build_services(Settings(data_dir=data, database_url=database_url, **settings))
    if not copied:
        Base.metadata.create_all(built.db.engine)
    return built


_sqlite_template: list[Path] = []


def copy_sqlite_schema(database_url: str) -> bool:
    """Give a new SQLite database file the models' tables by copying a file made once per
    process (`create_all` on SQLite commits each statement: about 0.2 s a test). False when
    `database_url` is not a new SQLite file: the caller then runs `create_all` itself."""
    import shutil
    import tempfile

    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    target = Path(url.database or "")
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    if target.exists():
        return False
    if not _sqlite_template:
        _sqlite_template.append(_build_sqlite_template(Path(tempfile.mkdtemp()) / "schema.db"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template[0], target)
    return True


def _build_sqlite_template(path: Path) -> Path:
    from sqlalchemy import create_engine

    from reelmint.db import Base
    from reelmint.db.models import load_all_models

    load_all_models()
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


PRODUCTION_HASHER: list[Any] = []  # set once by use_cheap_password_hashing


def use_cheap_password_hashing() -> None:
    """Make accounts hash with argon2id at the library's cheapest parameters (its profile for
    tests), keeping the hasher production uses in PRODUCTION_HASHER.

    The recommended parameters cost about 0.17 s a hash or check, and the suite makes and signs
    in thousands of accounts; what it tests of passwords is which hash is stored and when it is
    checked, not how slow one is. Processes the tests start (`reelmint up`, the CLI) keep the
    recommended parameters; `test_production_hashes_with_the_recommended_parameters` guards
    them."""
    from argon2 import PasswordHasher, profiles

    from reelmint.domains.accounts import service

    if PRODUCTION_HASHER:
        return
    PRODUCTION_HASHER.append(service._hasher)
    service._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    service._DUMMY_HASH = service._hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    """A user made for a test, with an API token."""

    user: Any
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_account(services: Services, email: str = "ada@example.com", **fields: Any) -> Account:
    """An account with an API token; its address confirmed unless `email_confirmed=False`."""
    from reelmint.domains.accounts.service import create_api_token, create_user

    password = "correct horse battery"
    fields.setdefault("email_confirmed", True)
    with services.db.write() as db:
        user = create_user(db=db, email=email, password=password, **fields)
        _, token = create_api_token(db=db, user=user, name="tests")
    return Account(user=user, email=email, password=password, token=token)


def join_organisation(db: Any, *, owner: Any, organisation: Any, user: Any, role: str = "member"):
    """`user` joins the organisation as `role` the way people do: `owner` invites them and
    they accept. The membership."""
    from reelmint.domains.accounts import invitations

    invitations.invite(db=db, actor=owner, organisation=organisation, user=user, role=role)
    return invitations.accept(db=db, actor=user, organisation_id=organisation.id)


_apps: list[Any] = []


def app_serving(services: Services) -> Any:
    """The API and web app over `services`: one app per test process, pointed at each test's
    services in turn (every handler finds them at `request.app.state.services`).

    FastAPI analyses every route's signature once per app (at the first request a router gets,
    in recent releases): about 0.5 s, which a new app for every test paid again. A test that
    needs two apps at once builds the second with `create_app`."""
    from reelmint.api.app import create_app

    if not _apps:
        _apps.append(create_app(services))
    app = _apps[0]
    app.state.services = services
    return app


@dataclass
class LiveServer:
    """A real HTTP server on a free port, with in-process workers, over `services`."""

    url: str
    services: Services

    @property
    def api_url(self) -> str:
        return f"{self.url}/v1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now (for servers that cannot take port 0)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_server(services: Services, *, workers: int = 1) -> Iterator[LiveServer]:
    """Serve `services` on 127.0.0.1 until the block ends."""
    import threading
    import time

    from reelmint.server import background_work, make_server

    port = free_port()
    # Tests skip the start-up analysis of every route (make_server's note): 1 s a server.
    server = make_server(services, host="127.0.0.1", port=port, analyse_routes=False)
    with background_work(services, workers=workers):
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.started, "the test server did not start"
        try:
            yield LiveServer(url=f"http://127.0.0.1:{port}", services=services)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


FAST_QUEUE = {"worker_poll_seconds": 0.05, "heartbeat_seconds": 0.5, "lease_seconds": 5.0}


def at_once(works: Sequence[Callable[[], Any]], *, timeout: float | None = None) -> list[Any]:
    """Run each of `works` in a thread of its own, all released together by one barrier;
    what each returned, or the exception it raised, in the order given.

    With `timeout`, each thread is waited for at most that many seconds in turn (as a
    `join(timeout=...)` would), and TimeoutError is raised if any is still running then, so
    a deadlock fails the test instead of hanging it; without, all are waited for."""
    import threading

    start = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(n: int) -> None:
        start.wait()
        try:
            results[n] = works[n]()
        except BaseException as error:  # handed to the test, which says what it expected
            results[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    running = [n for n, thread in enumerate(threads) if thread.is_alive()]
    if running:
        raise TimeoutError(f"works {running} of {len(works)} still running after {timeout}s each")
    return results


def while_held_open(services: Services, first: Any, second: Any) -> tuple[str, str]:
    """Run `first(db)` and hold its transaction open; meanwhile start `second(db)` in a
    transaction of its own, give it a moment to get past any check that has no lock to wait
    on, then commit the first. Each returns what it did, or the code it was refused with."""
    import threading

    from reelmint.errors import ServiceError

    started, commit = threading.Event(), threading.Event()
    outcomes: dict[int, str] = {}

    def run(n: int, work: Any) -> None:
        try:
            with services.db.write() as db:
                done = work(db)
                if n == 0:
                    started.set()
                    commit.wait(timeout=30)
            outcomes[n] = done
        except ServiceError as refused:
            outcomes[n] = refused.code
            started.set()

    threads = [threading.Thread(target=run, args=(n, w)) for n, w in enumerate((first, second))]
    threads[0].start()
    assert started.wait(timeout=30)
    threads[1].start()
    threads[1].join(timeout=0.5)  # not a time limit: only a chance to run ahead
    commit.set()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes[0], outcomes[1]


def licensed_character(
    services: Services, fee: int = 3, *, email: str = "studio@example.com"
) -> str:
    """A rights holder's licensed character, Captain Brightwave (@brightwave), whose fee is
    `fee` units; its id."""
    from reelmint.domains.accounts.service import create_organisation
    from reelmint.domains.rights import service as rights

    member = make_account(services, email).user
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=member, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        request = rights.CharacterRequest(
            handle="brightwave",
            name="Captain Brightwave",
            description="a caped surfer hero who rides a glowing tidal wave",
            policy="licensed",
            fee_units=fee,
        )
        character = rights.register_character(
            db=db, actor=member, organisation_id=org.id, request=request
        )
        return character.id


@dataclass(frozen=True)
class RawReply:
    """What an app answered a request sent straight through ASGI, and how much it read."""

    status: int
    body: bytes
    bytes_read: int


def post_through_asgi(
    app: Any, path: str, chunks: Iterable[bytes], headers: Sequence[tuple[bytes, bytes]]
) -> RawReply:
    """POST a body in `chunks` (one ASGI message each; an endless iterable is a client that
    never stops) straight to `app`, without a test client that reads the body up front: the
    reply counts the body bytes the app asked for before it answered."""
    import asyncio

    pending = iter(chunks)
    upcoming = next(pending, None)
    read, status, body = 0, 0, bytearray()

    async def receive() -> dict[str, Any]:
        nonlocal read, upcoming
        if upcoming is None:
            return {"type": "http.disconnect"}
        chunk, upcoming = upcoming, next(pending, None)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": upcoming is not None}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        body.extend(message.get("body", b""))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    return RawReply(status=status, body=bytes(body), bytes_read=read)


def unreachable_s3(tmp_path: Path, monkeypatch):
    """A real S3 store whose endpoint refuses connections (nothing listens there), tried
    once: every write fails as storage that cannot be reached."""
    from reelmint.bootstrap import build_storage
    from reelmint.config import Settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings = Settings(
        data_dir=tmp_path,
        storage="s3",
        s3_bucket="cameos",
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        s3_region="us-east-1",
        s3_max_attempts=1,
    )
    return build_storage(settings)


@contextmanager
def moto_s3() -> Iterator[str]:
    """A moto S3 server on a free local port, for as long as the block runs: its URL (the
    caller sets the fake credentials boto3 needs)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def video_row(services: Services, video_id: str) -> Any:
    """The video's row as it is now (a worker, a test's stand-in for one, may have changed it)."""
    from reelmint.domains.videos.models import Video

    with services.db.read() as db:
        return db.get_one(Video, video_id)


def runs_of(services: Services, video_id: str) -> list[Any]:
    """The video's runs (each lease of it by a worker), first first."""
    from sqlalchemy import select

    from reelmint.domains.videos.models import VideoRun

    with services.db.read() as db:
        query = select(VideoRun).where(VideoRun.video_id == video_id).order_by(VideoRun.attempt)
        return list(db.scalars(query))
