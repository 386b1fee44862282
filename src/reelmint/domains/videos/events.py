"""Live progress of one video as server-sent events (GET /v1/videos/{id}/events).

    event: progress            (the Video object, whenever it changes: status, progress, ...)
    data: {"id": "video_...", "status": "in_progress", "progress": 40, ...}

    event: completed           (or failed / cancelled: the last event; the stream then ends)
    data: {...}

The stream polls the database (every POLL_SECONDS) rather than listening to workers: workers
may run on other hosts and share nothing with this process but the database. Each poll is its
own short read, so an open stream holds no connection, transaction or thread between polls.
A comment line (`: heartbeat`) goes out when nothing else did for HEARTBEAT_SECONDS, so
proxies keep the connection open; the stream ends when the client goes away.

Each poll also asks whether the credential the stream was opened with still holds (`allowed`):
once its token is revoked, its browser signed out or its account disabled, the stream sends
`event: error` with 401 `unauthorized` and ends; once its account is suspended, with the 403
`account_suspended` (the reason, and how to reach the operator) its next request would get.

A database that cannot be reached ends the stream with `event: error`, 503
`database_unavailable` (the response has started, so no status can say it); the client
reconnects.

When the server is stopping (`end_streams`, on SIGINT/SIGTERM) every stream ends at its next
poll with a comment saying so, so the server stops at once instead of waiting out its grace
period for streams that would never end; clients reconnect (EventSource does, after `retry`),
to another server process or to this one once it is back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reelmint.api.errors import error_body
from reelmint.bootstrap import Services
from reelmint.db.outages import database_unreachable, describe
from reelmint.domains.accounts.models import User
from reelmint.domains.videos.models import FINISHED
from reelmint.domains.videos.service import get_own_video, video_json
from reelmint.errors import NotFound

POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 2000
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
SIGNED_OUT_MESSAGE = (
    "what this stream was opened with no longer signs you in (the API token was revoked, the "
    "browser signed out, or the account disabled or closed); sign in again to reopen it"
)


@dataclass(frozen=True)
class Snapshot:
    """The video as the client sees it, at one poll."""

    status: str
    body: dict[str, Any]


SIGNED_OUT = Snapshot(status="signed_out", body={})
SUSPENDED = "account_suspended"  # a Snapshot's status when the stream ends at a suspension
UNREACHABLE = (
    "the database cannot be reached for a moment, so this stream ended; reconnect in a few seconds"
)
log = logging.getLogger("reelmint.api.videos")
# Set when the server process is stopping: every open stream ends (`end_streams`).
_ENDING = threading.Event()


def end_streams() -> None:
    """The server is stopping: end every open stream at its next poll."""
    _ENDING.set()


def read_snapshot(
    *,
    services: Services,
    user: User,
    video_id: str,
    allowed: Callable[[Session], bool] | None = None,
) -> Snapshot | None:
    """The video now, in one short read; None once it is gone (deleted); `SIGNED_OUT` once
    `allowed` says the caller's credential no longer holds, or a `suspended` snapshot (its
    body the 403 `account_suspended` error) when that is because the account was suspended."""
    with services.db.read() as db:
        if allowed is not None and not allowed(db):
            return _why_signed_out(db, services, user)
        try:
            video = get_own_video(db=db, actor=user, video_id=video_id)
        except NotFound:
            return None
        return Snapshot(status=video.status, body=video_json(db=db, video=video))


def _why_signed_out(db: Session, services: Services, user: User) -> Snapshot:
    """`SIGNED_OUT`, unless the account is suspended now: then the 403 its next request
    would get, with the reason and how to reach the operator."""
    from reelmint.domains.accounts.service import suspended_error

    now = db.get(User, user.id, populate_existing=True)
    if now is None or now.disabled_at is not None or now.suspended_at is None:
        return SIGNED_OUT
    error = suspended_error(now, contact=services.settings.operator_contact)
    return Snapshot(status=SUSPENDED, body=error_body(error.status, error.code, error.message))


def format_event(event: str, data: dict[str, Any]) -> str:
    """One server-sent event; JSON has no raw line breaks, so `data` is a single line."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def video_events(
    *,
    services: Services,
    user: User,
    video_id: str,
    is_disconnected: Callable[[], Awaitable[bool]],
    allowed: Callable[[Session], bool] | None = None,
    poll_seconds: float | None = None,
    heartbeat_seconds: float | None = None,
) -> AsyncIterator[str]:
    """The event stream of one video, until it finishes, the client disconnects or (with
    `allowed`) the caller's credential stops holding."""
    poll = POLL_SECONDS if poll_seconds is None else poll_seconds
    heartbeat = HEARTBEAT_SECONDS if heartbeat_seconds is None else heartbeat_seconds
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    last: dict[str, Any] | None = None
    last_sent = time.monotonic()
    while True:
        try:
            snapshot = await run_in_threadpool(
                read_snapshot, services=services, user=user, video_id=video_id, allowed=allowed
            )
        except SQLAlchemyError as error:  # the response has started: no status to change
            if not database_unreachable(error):
                raise
            log.warning(
                "database unavailable, progress stream of %s ended: %s", video_id, describe(error)
            )
            yield format_event("error", error_body(503, "database_unavailable", UNREACHABLE))
            return
        if snapshot is SIGNED_OUT:
            yield format_event("error", error_body(401, "unauthorized", SIGNED_OUT_MESSAGE))
            return
        if snapshot is not None and snapshot.status == SUSPENDED:
            yield format_event("error", snapshot.body)
            return
        if snapshot is None:
            yield format_event(
                "error", error_body(404, "video_not_found", f"video {video_id} was deleted")
            )
            return
        if snapshot.body != last:
            last = snapshot.body
            if snapshot.status in FINISHED:
                yield format_event(snapshot.status, snapshot.body)
                return
            yield format_event("progress", snapshot.body)
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= heartbeat:
            yield ": heartbeat\n\n"
            last_sent = time.monotonic()
        if await is_disconnected():
            return
        if _ENDING.is_set():
            yield ": the server is restarting; reconnect\n\n"
            return
        await anyio.sleep(poll)
