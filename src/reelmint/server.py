"""Running the platform: the API server, in-process workers and the webhook dispatcher.

`reelmint up` serves the API with N worker threads beside it (one laptop); `reelmint worker`
runs workers alone on any host that reaches the database and the storage (a fleet). Both
stop cleanly on SIGINT/SIGTERM: workers finish or hand back their job, then exit.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from reelmint.api.app import create_app
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.db.migrate import current_revision, head_revision, require_known_revision
from reelmint.domains.videos.events import end_streams
from reelmint.errors import BadRequest, ServiceError
from reelmint.logs import platform_logging
from reelmint.storage.base import StorageError
from reelmint.wording import count_of

log = logging.getLogger("reelmint.server")
JOIN_SECONDS = 30.0


def require_current_schema(services: Services) -> None:
    """Refuse to start on a database that is not migrated to this version's schema: one a
    newer version migrated says to upgrade reelmint here, an older one to run `migrate`."""
    current, head = current_revision(services.db), head_revision()
    require_known_revision(current)
    if current != head:
        raise ServiceError(
            f"the database is at schema revision {current or 'none'} but this version needs "
            f"{head}; run `reelmint migrate` first",
            code="database_not_migrated",
        )


def require_reachable_database(services: Services) -> None:
    """Refuse a database that cannot be reached (refused connection, unknown host or database,
    authentication failed, a SQLite file that cannot be opened) in one line that names the
    setting, the password hidden, with the driver's own first line."""
    try:
        with services.db.engine.connect():
            pass
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines() or [type(error.orig).__name__]
        raise ServiceError(
            f"cannot connect to the database ({database_setting(services.settings)}): "
            f"{reason[0].strip()}",
            code="database_unreachable",
        ) from None


def database_setting(settings: Settings) -> str:
    """Where the database URL came from, with its password hidden."""
    if settings.database_url is None:
        return f"REELMINT_DATABASE_URL unset: SQLite in REELMINT_DATA_DIR, {settings.data_dir}"
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"REELMINT_DATABASE_URL {url}"


def require_usable_storage(services: Services) -> None:
    """Refuse to start on file storage that cannot be used (an S3 bucket that does not exist,
    credentials it refuses, an endpoint that does not answer), saying which in one line:
    otherwise the server would start and every video fail at its end."""
    try:
        services.storage.check()
    except StorageError as error:
        raise ServiceError(
            f"the file storage cannot be used: {error}", code="storage_unusable"
        ) from None


@contextmanager
def background_work(services: Services, *, workers: int) -> Iterator[threading.Event]:
    """Worker threads, the webhook dispatcher and the mailer, stopped and joined on exit."""
    from reelmint.domains.notifications.mailer import start_mailer_thread
    from reelmint.domains.webhooks.dispatch import start_dispatcher_thread
    from reelmint.housekeeping import start_housekeeping_thread
    from reelmint.worker import start_worker_threads

    stop = threading.Event()
    threads = start_worker_threads(services, workers, stop)
    threads.append(start_dispatcher_thread(services, stop))
    threads.append(start_housekeeping_thread(services, stop))
    threads.append(start_mailer_thread(services, stop))
    try:
        yield stop
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=JOIN_SECONDS)


def make_server(
    services: Services, *, host: str, port: int, analyse_routes: bool = True
) -> uvicorn.Server:
    """A uvicorn server for the app over `services`.

    With `analyse_routes`, every route is analysed before the first request: FastAPI does it
    lazily, at the first request that reaches each router (about 1 s in all on a small
    machine), which the first visitors after a start would otherwise wait for. Building the
    OpenAPI schema walks every route, and keeps the schema `/openapi.json` serves."""
    app = create_app(services)
    if analyse_routes:
        app.openapi()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=services.settings.log_level,
        log_config=None,  # uvicorn's loggers propagate to the platform's (reelmint.logs)
        proxy_headers=True,
        forwarded_allow_ips=services.settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )
    return uvicorn.Server(config)


def serve(services: Services, *, host: str, port: int, workers: int) -> None:
    """Serve the API with `workers` in-process workers until interrupted, logging in the
    platform's format. The address is bound first: a port in use or an unknown host is one
    line (400 `cannot_listen`, exit 2) before any worker has leased a job."""
    with platform_logging(services.settings.log_level):
        require_current_schema(services)
        listening = listening_socket(host, port)
        try:
            server = make_server(services, host=host, port=port)
            logging.getLogger("uvicorn.error").info(
                "reelmint listening on http://%s:%d (Press CTRL+C to quit)",
                f"[{host}]" if ":" in host else host,
                listening.getsockname()[1],
            )
            with background_work(services, workers=workers) as stop:
                _stop_workers_on_exit(server, stop)
                server.run(sockets=[listening])
        finally:
            listening.close()


def _stop_workers_on_exit(server: uvicorn.Server, stop: threading.Event) -> None:
    """On SIGINT/SIGTERM, tell the workers at once, so they hand their jobs back while the
    server lets open connections finish (up to its graceful timeout), instead of rendering
    on for those seconds; and end the progress streams, which would never finish."""
    handle_exit = server.handle_exit

    def exit_now(sig: int, frame: Any) -> None:
        stop.set()
        end_streams()  # open progress streams end now, not after the graceful timeout
        handle_exit(sig, frame)

    server.handle_exit = exit_now  # type: ignore[method-assign]


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (listening starts with the server)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        raise BadRequest(
            f"cannot listen on {host!r}: it is not an address of this machine ({exc}); give "
            "--host an IP address such as 127.0.0.1 or 0.0.0.0",
            code="cannot_listen",
        ) from None
    family, kind, protocol, _, address = found[0]
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(address)
    except OSError as exc:
        listening.close()
        raise BadRequest(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; stop what uses it, or "
            "choose another --port or --host",
            code="cannot_listen",
        ) from None
    return listening


def run_workers(services: Services, *, count: int, stop: threading.Event) -> None:
    """Run `count` workers (and the dispatcher) in this process until `stop` is set."""
    with platform_logging(services.settings.log_level):
        require_current_schema(services)
        with background_work(services, workers=count):
            log.info("reelmint worker: %s on %s", count_of(count, "worker"), socket.gethostname())
            stop.wait()
