"""The platform's server: it refuses an unmigrated database and serves a real port."""

from __future__ import annotations

import httpx
import pytest

from reelmint.db.migrate import upgrade
from reelmint.errors import ServiceError
from reelmint.server import make_server, require_current_schema


def test_the_server_answers_on_a_real_port(live_server):
    response = httpx.get(f"{live_server.url}/healthz", timeout=10)
    assert response.json() == {"status": "ok", "database": "ok"}
    assert httpx.get(f"{live_server.api_url}/me", timeout=10).status_code == 401


def test_an_unmigrated_database_is_refused_with_advice(services):
    with pytest.raises(ServiceError, match="reelmint migrate") as caught:
        require_current_schema(services)  # `services` was made with create_all, not migrations
    assert caught.value.code == "database_not_migrated"


def test_a_migrated_database_is_accepted(tmp_path):
    from reelmint.bootstrap import build_services
    from reelmint.config import Settings

    built = build_services(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db"))
    upgrade(built.db)
    require_current_schema(built)
    built.close()


def test_a_server_has_analysed_every_route_before_its_first_request(services):
    server = make_server(services, host="127.0.0.1", port=0)
    app = server.config.app
    assert app.openapi_schema is not None  # built: every route was walked
    assert "/v1/videos" in app.openapi_schema["paths"]
    lazy = make_server(services, host="127.0.0.1", port=0, analyse_routes=False)
    assert lazy.config.app.openapi_schema is None


def test_a_port_in_use_is_refused_before_any_worker_leases_a_job(tmp_path):
    import socket

    from sqlalchemy import func, select

    from reelmint.bootstrap import build_services
    from reelmint.config import Settings
    from reelmint.domains.videos.models import Video, VideoRun
    from reelmint.domains.videos.service import VideoRequest, create_video
    from reelmint.errors import BadRequest
    from reelmint.server import serve
    from support import make_account

    built = build_services(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db"))
    upgrade(built.db)
    user = make_account(built).user
    create_video(services=built, user=user, request=VideoRequest(prompt="a cat", seconds="4"))
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        with pytest.raises(BadRequest) as caught:
            serve(built, host="127.0.0.1", port=port, workers=1)
        assert caught.value.code == "cannot_listen"
        assert f"cannot listen on 127.0.0.1:{port}" in caught.value.message
        with pytest.raises(BadRequest, match="not an address of this machine"):
            serve(built, host="nosuchhost.invalid", port=port, workers=1)
    finally:
        taken.close()
    with built.db.read() as db:
        assert db.scalar(select(Video.attempts)) == 0  # no worker leased it
        assert db.scalar(select(func.count()).select_from(VideoRun)) == 0
    built.close()


def test_a_stop_signal_tells_the_workers_before_the_server_drains(services, monkeypatch):
    """Open connections may keep uvicorn draining for its graceful timeout: the workers are
    told at the signal, so a rendering job is handed back rather than finished meanwhile, and
    progress streams (which never finish by themselves) are ended."""
    import signal
    import threading

    from reelmint.domains.videos import events
    from reelmint.server import _stop_workers_on_exit

    ending = threading.Event()
    monkeypatch.setattr(events, "_ENDING", ending)
    server = make_server(services, host="127.0.0.1", port=0, analyse_routes=False)
    stop = threading.Event()
    _stop_workers_on_exit(server, stop)
    assert not stop.is_set()
    assert not ending.is_set()
    server.handle_exit(signal.SIGTERM, None)
    assert stop.is_set()
    assert ending.is_set()
    assert server.should_exit  # uvicorn's own handling still runs


def test_a_worker_host_logs_info_lines_with_utc_time_level_and_logger(tmp_path, capsys):
    import re
    import threading

    from reelmint.bootstrap import build_services
    from reelmint.config import Settings
    from reelmint.server import run_workers

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db")
    built = build_services(settings)
    upgrade(built.db)
    stop = threading.Event()
    stop.set()  # start, log, and stop at once
    run_workers(built, count=1, stop=stop)
    built.close()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    started = rf"{stamp} INFO reelmint\.server: reelmint worker: 1 worker on \S+"
    assert re.search(rf"^{started}$", capsys.readouterr().err, re.MULTILINE)
