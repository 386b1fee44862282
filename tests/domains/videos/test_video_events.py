"""GET /v1/videos/{id}/events: server-sent progress over a real server, until the video ends."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from video_helpers import queue_video, set_state

from reelmint import worker
from reelmint.api.deps import SESSION_COOKIE
from reelmint.db.base import utcnow
from reelmint.domains.accounts.service import start_web_session
from reelmint.domains.videos import events
from support import make_account, running_server


@dataclass
class Event:
    name: str | None
    data: dict | None
    comment: str | None = None


def read_events(response: httpx.Response) -> Iterator[Event]:
    """Server-sent events as they arrive (comments included, so heartbeats can be seen)."""
    name, data = None, []
    for line in response.iter_lines():
        if line.startswith(":"):
            yield Event(None, None, comment=line[1:].strip())
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "":
            if name or data:
                yield Event(name, json.loads("".join(data)) if data else None)
            name, data = None, []


@pytest.fixture
def server(services):
    """A real server with no workers: the tests play the worker's part in the database."""
    with running_server(services, workers=0) as live:
        yield live


@pytest.fixture
def fast_polls(monkeypatch):
    monkeypatch.setattr(events, "POLL_SECONDS", 0.05)


def stream(server, account, video_id, **kwargs):
    return httpx.stream(
        "GET",
        f"{server.api_url}/videos/{video_id}/events",
        headers=account.headers,
        timeout=30,
        **kwargs,
    )


def test_progress_then_the_final_event_and_the_stream_ends(server, services, account, fast_polls):
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        received = read_events(response)
        first = next(received)
        assert (first.name, first.data["status"], first.data["id"]) == (
            "progress",
            "queued",
            video.id,
        )
        set_state(services, video.id, status="in_progress", progress=30)
        running = next(received)
        assert (running.name, running.data["status"], running.data["progress"]) == (
            "progress",
            "in_progress",
            30,
        )
        set_state(services, video.id, status="completed", progress=100, completed_at=utcnow())
        final = next(received)
        assert (final.name, final.data["status"], final.data["progress"]) == (
            "completed",
            "completed",
            100,
        )
        assert list(received) == []  # the server ended the stream


def test_cancelling_ends_the_stream(server, services, account, fast_polls):
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        received = read_events(response)
        assert next(received).name == "progress"
        cancelled = httpx.post(
            f"{server.api_url}/videos/{video.id}/cancel", headers=account.headers
        )
        assert cancelled.status_code == 200
        final = next(received)
        assert (final.name, final.data["error"]["code"]) == ("cancelled", "cancelled")
        assert list(received) == []


def test_a_finished_video_gets_its_final_event_at_once(server, services, account):
    video = queue_video(services, account.user)
    set_state(services, video.id, status="failed", error_code="render_failed", error_message="x")
    with stream(server, account, video.id) as response:
        assert [e.name for e in read_events(response)] == ["failed"]


def test_a_deleted_video_ends_the_stream_with_an_error(server, services, account, fast_polls):
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        received = read_events(response)
        next(received)
        httpx.delete(f"{server.api_url}/videos/{video.id}", headers=account.headers)
        final = next(received)
        assert (final.name, final.data["error"]["code"]) == ("error", "video_not_found")
        assert list(received) == []


def test_revoking_the_token_ends_its_open_stream(server, services, account, fast_polls):
    from reelmint.domains.accounts.models import ApiToken
    from reelmint.domains.accounts.service import find_api_token, revoke_api_token

    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        received = read_events(response)
        assert next(received).name == "progress"
        with services.db.write() as db:
            token, _ = find_api_token(db=db, secret=account.token)
            revoke_api_token(db=db, actor=account.user, token_id=token.id)
        final = next(received)
        assert (final.name, final.data["error"]["code"]) == ("error", "unauthorized")
        assert "the API token was revoked" in final.data["error"]["message"]
        assert list(received) == []
    with services.db.read() as db:
        assert db.get(ApiToken, token.id).revoked_at is not None


def test_a_suspension_ends_the_open_stream_saying_so(server, services, account, fast_polls):
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import suspend_account

    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        received = read_events(response)
        assert next(received).name == "progress"
        with services.db.write() as db:
            suspend_account(db=db, actor=OPERATOR, user_id=account.user.id, reason="spam bot")
        final = next(received)
        assert (final.name, final.data["error"]["code"]) == ("error", "account_suspended")
        assert "spam bot" in final.data["error"]["message"]
        assert list(received) == []


def test_signing_the_browser_out_ends_its_open_stream(server, services, account, fast_polls):
    from reelmint.domains.accounts.service import end_web_session

    video = queue_video(services, account.user)
    with services.db.write() as db:
        _, secret = start_web_session(db=db, user=account.user)
    url = f"{server.api_url}/videos/{video.id}/events"
    with httpx.stream("GET", url, cookies={SESSION_COOKIE: secret}, timeout=30) as response:
        received = read_events(response)
        assert next(received).name == "progress"
        with services.db.write() as db:
            end_web_session(db=db, secret=secret)
        final = next(received)
        assert (final.name, final.data["error"]["code"]) == ("error", "unauthorized")


def test_heartbeats_keep_a_quiet_stream_open(server, services, account, monkeypatch, fast_polls):
    monkeypatch.setattr(events, "HEARTBEAT_SECONDS", 0.2)
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        received = read_events(response)
        assert next(received).name == "progress"
        assert next(received).comment == "heartbeat"


def test_the_session_cookie_opens_the_stream_and_others_get_404(server, services, account):
    video = queue_video(services, account.user)
    set_state(services, video.id, status="cancelled")
    with services.db.write() as db:
        _, secret = start_web_session(db=db, user=account.user)
    url = f"{server.api_url}/videos/{video.id}/events"
    with httpx.stream("GET", url, cookies={SESSION_COOKIE: secret}, timeout=30) as response:
        assert [e.name for e in read_events(response)] == ["cancelled"]
    other = make_account(services, "bob@example.com")
    assert httpx.get(url, headers=other.headers, timeout=30).status_code == 404
    assert httpx.get(url, timeout=30).status_code == 401


def test_the_server_stops_polling_when_the_client_goes(
    server, services, account, monkeypatch, fast_polls
):
    polls = []
    original = events.read_snapshot

    def counted(**kwargs):
        polls.append(time.monotonic())
        return original(**kwargs)

    monkeypatch.setattr(events, "read_snapshot", counted)
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        next(read_events(response))
    closed = len(polls)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # a poll or two may be on its way; then they stop
        seen = len(polls)
        time.sleep(0.3)  # six poll intervals
        if len(polls) == seen:
            break
    assert len(polls) == seen, "the server kept polling after the client left"
    assert seen - closed <= 6


def test_a_real_worker_reports_progress_until_completed(live_server, monkeypatch, fast_polls):
    # The worker renders only once the stream has shown the video running, so a fast render
    # cannot finish between two polls and hide the in_progress state from the client.
    shown_running = threading.Event()
    real_generate = worker.generate

    def generate_once_seen(*args, **kwargs):
        assert shown_running.wait(30), "the stream never showed the video in progress"
        return real_generate(*args, **kwargs)

    monkeypatch.setattr(worker, "generate", generate_once_seen)
    account = make_account(live_server.services)
    created = httpx.post(
        f"{live_server.api_url}/videos",
        headers=account.headers,
        json={"prompt": "a dog runs in a park", "seconds": 4, "size": "480x480"},
        timeout=30,
    ).json()
    seen: list[Event] = []
    with stream(live_server, account, created["id"]) as response:
        for event in read_events(response):
            if event.name:
                seen.append(event)
                if event.data.get("status") == "in_progress":
                    shown_running.set()
    assert seen[-1].name == "completed"
    assert all(e.name == "progress" for e in seen[:-1])
    progress = [e.data["progress"] for e in seen]
    assert progress == sorted(progress)
    assert progress[-1] == 100
    assert any(e.data["status"] == "in_progress" for e in seen)


def test_open_streams_hold_no_database_connection_between_polls(
    server, services, account, monkeypatch
):
    monkeypatch.setattr(events, "POLL_SECONDS", 30.0)  # every stream sleeps after its first poll
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as one, stream(server, account, video.id) as two:
        for response in (one, two):
            assert next(read_events(response)).name == "progress"
        assert services.db.engine.pool.checkedout() == 0


def test_a_stopping_server_ends_open_streams(server, services, account, fast_polls, monkeypatch):
    monkeypatch.setattr(events, "_ENDING", threading.Event())  # this test's stop, not the module's
    video = queue_video(services, account.user)
    with stream(server, account, video.id) as response:
        received = read_events(response)
        assert next(received).name == "progress"
        events.end_streams()
        last = next(received)
        assert last.comment == "the server is restarting; reconnect"
        assert list(received) == []  # the stream ended, the video still queued


def test_a_database_outage_ends_the_stream_with_a_503_event(services, account, monkeypatch):
    import anyio
    from sqlalchemy.exc import OperationalError

    def unreachable(**_: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection failed: Connection refused"))

    monkeypatch.setattr(events, "read_snapshot", unreachable)

    async def collect() -> list[str]:
        async def connected() -> bool:
            return False

        stream = events.video_events(
            services=services, user=account.user, video_id="video_x", is_disconnected=connected
        )
        return [part async for part in stream]

    parts = anyio.run(collect)
    assert parts[0].startswith("retry:")
    [last] = parts[1:]
    assert last.startswith("event: error\n")
    assert '"code":"database_unavailable"' in last
