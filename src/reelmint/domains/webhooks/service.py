"""Webhooks: users register endpoints; events about their videos are queued for delivery.

Authorisation lives here: an endpoint is seen and changed only by the user who registered it
(anyone else is told it does not exist). Events are written to the outbox
(`webhook_deliveries`) inside the transaction that makes them true, with their body frozen
then; `dispatch.py` sends them.

An endpoint whose deliveries keep failing is turned off (`dispatch.record_result` decides,
`disable_endpoint` does it and tells the owner); while it is off, its events are written to
the outbox already given up ("not sent"), so its owner sees what was missed, and only test
events are sent. `enable_endpoint` turns it back on; nothing missed is sent then.

An endpoint whose target the SSRF policy now refuses (its host resolves to a private address
since it was registered, or the operator stopped allowing private targets) is turned off at
its first refused delivery (`dispatch.count_outcome`): every later attempt would be refused the
same way before any connection, so retrying only wastes the schedule. Its owner is told what to
change (`disable_endpoint` with `refused=True`), and `turn_back_on` checks the target again
before it is on.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.crypto import platform_box
from reelmint.db.base import new_id, utcnow
from reelmint.db.paging import check_limit
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.service import notify
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.schemas import VideoOut
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.targets import check_webhook_url
from reelmint.errors import BadRequest, Conflict, NotFound
from reelmint.outbox import CommitWakeups
from reelmint.terminal import drop_control, has_control

VideoEvent = Literal["video.completed", "video.failed"]
EVENT_TYPES: tuple[VideoEvent, ...] = ("video.completed", "video.failed")
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
MAX_ENDPOINTS_PER_USER = 10
MAX_DESCRIPTION = 500
MAX_DELIVERIES_PAGE = 100
NOT_SENT_DISABLED = "not sent: the endpoint was turned off (disabled) when the event happened"
"""The `last_error` of an event queued while its endpoint is off: given up, never sent."""
GIVEN_UP_DISABLED = "given up: the endpoint was turned off (disabled) before it was delivered"
"""The `last_error` of a delivery still pending when its endpoint was turned off."""
TARGET_REFUSED = (
    "given up at once, not retried: webhooks are sent only to public addresses, so every "
    "attempt would be refused"
)
"""Added to the `last_error` of a delivery whose target the SSRF policy refused."""


@dataclass(frozen=True)
class EndpointRequest:
    """What a user asked to register (not yet checked)."""

    url: str
    events: list[str] | None = None
    description: str | None = None


# --- endpoints --------------------------------------------------------------------------------


def create_endpoint(
    *,
    services: Services,
    actor: User,
    request: EndpointRequest,
    within: Callable[[Session, WebhookEndpoint, str], None] | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret, which is never shown again.
    `within` runs in the same transaction once it is added, with the endpoint and its secret
    (a form's record of being done, an idempotency key's record of the answer).

    Everything that needs no database (the URL, whose check may ask DNS) is checked before the
    write transaction opens, so a slow resolver never holds the database's write lock.
    """
    url = check_webhook_url(
        request.url, allow_private=services.settings.webhook_allow_private_targets
    )
    events = check_events(request.events)
    description = check_description(request.description)
    with services.db.write() as db:
        _lock_user(db, actor.id)
        count = db.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.user_id == actor.id)
        )
        if (count or 0) >= MAX_ENDPOINTS_PER_USER:
            raise Conflict(
                f"you have {count} webhook endpoints, the most allowed; delete one before "
                "adding another",
                code="too_many_webhooks",
            )
        endpoint = WebhookEndpoint(
            id=new_id("wh"),
            user_id=actor.id,
            url=url,
            description=description,
            events=",".join(events),
        )
        secret = _set_new_secret(endpoint, services.settings)
        db.add(endpoint)
        db.flush()
        if within is not None:
            within(db, endpoint, secret)
        return endpoint, secret


def list_endpoints(*, db: Session, actor: User) -> list[WebhookEndpoint]:
    """The actor's endpoints, oldest first."""
    return list(
        db.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.user_id == actor.id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def get_endpoint(*, db: Session, actor: User, endpoint_id: str) -> WebhookEndpoint:
    """One of the actor's endpoints; anyone else's reads as not found (it is not theirs to
    know about)."""
    endpoint = db.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.user_id != actor.id:
        raise NotFound(
            f"no webhook endpoint {endpoint_id}", code="webhook_not_found", param="webhook_id"
        )
    return endpoint


def delete_endpoint(*, db: Session, actor: User, endpoint_id: str) -> None:
    """Remove an endpoint; its undelivered events go with it (the database cascades)."""
    endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    db.delete(endpoint)
    db.flush()


MAX_KEEP_OLD_HOURS = 72


def rotate_secret(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    endpoint_id: str,
    keep_old_hours: int = 24,
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Give an endpoint a new signing secret (returned once). For `keep_old_hours` (0-72)
    deliveries are signed with the old one too, so a receiver goes on verifying while it
    changes over; 0 ends the old one at once (a secret that leaked).

    Deliveries are signed when sent, so retries still pending are signed with the new secret.
    """
    if not 0 <= keep_old_hours <= MAX_KEEP_OLD_HOURS:
        raise BadRequest(
            f"keep_old_hours must be 0 to {MAX_KEEP_OLD_HOURS} (0: the old secret stops at "
            f"once), got {keep_old_hours}",
            code="invalid_request",
            param="keep_old_hours",
        )
    endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    now = now or utcnow()
    old_sealed = endpoint.secret_sealed if endpoint.secret_key_id == _key_id(settings) else None
    secret = _set_new_secret(endpoint, settings)
    endpoint.secret_rotated_at = now
    keep = keep_old_hours > 0 and old_sealed is not None
    endpoint.previous_secret_sealed = old_sealed if keep else None
    endpoint.previous_secret_until = now + timedelta(hours=keep_old_hours) if keep else None
    db.flush()
    return endpoint, secret


def _key_id(settings: Settings) -> str:
    """The id of this host's platform key, which seals the secrets it signs with."""
    return platform_box(settings.data_dir).key_id


def enable_endpoint(*, db: Session, actor: User, endpoint_id: str) -> WebhookEndpoint:
    """Turn an endpoint the platform turned off back on: events that happen from now on are
    sent to it, and its failures are counted afresh (the failures before do not count towards
    turning it off again). Events missed while it was off stay not sent. An endpoint that is
    on is left as it is (its failures still count). Its target is not checked here (that may
    ask DNS, which has no place in a write transaction): an owner turns an endpoint back on
    through `turn_back_on`, which checks it first."""
    endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    db.execute(
        select(WebhookEndpoint.id)
        .where(WebhookEndpoint.id == endpoint.id)
        .with_for_update(key_share=True)  # one change at a time with the dispatchers' records
    )
    db.refresh(endpoint)
    if endpoint.disabled_at is not None:
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
        endpoint.failing_since = None
        endpoint.failed_in_a_row = 0
        db.flush()
    return endpoint


def turn_back_on(*, services: Services, actor: User, endpoint_id: str) -> WebhookEndpoint:
    """`enable_endpoint`, after checking its target again as registering does: an endpoint
    turned off because its URL reached a private address (or one whose host name has gone)
    stays off until that is fixed, with the same error codes as registering
    (`webhook_target_forbidden`, `webhook_target_unresolvable`). The check may ask DNS, so it
    runs before the write transaction, as in `create_endpoint`; an endpoint that is on is not
    checked (it is returned as it is). One that a dispatcher turned off between the two (it
    was on when read) is checked on a second pass, never turned on unchecked."""
    for _ in range(2):
        with services.db.read() as db:
            endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
            url, off = endpoint.url, endpoint.disabled_at is not None
        if off:
            _check_target_again(services, url)
        with services.db.write() as db:
            if off or not _is_off(db, actor, endpoint_id):
                return enable_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    raise Conflict(  # turned off twice in a moment: let the owner look before trying again
        f"webhook endpoint {endpoint_id} changed while it was being turned on; try again",
        code="webhook_changed",
    )


def _is_off(db: Session, actor: User, endpoint_id: str) -> bool:
    endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    locked = select(WebhookEndpoint.disabled_at).where(WebhookEndpoint.id == endpoint.id)
    return db.scalar(locked.with_for_update(key_share=True)) is not None


def _check_target_again(services: Services, url: str) -> None:
    try:
        check_webhook_url(url, allow_private=services.settings.webhook_allow_private_targets)
    except BadRequest as refused:
        why = refused.message.rstrip(".")
        raise BadRequest(
            f"the endpoint stays off: {why}. Its URL cannot be changed: make the host name "
            "resolve to a public address, or add an endpoint with a public URL and delete "
            "this one",
            code=refused.code,  # no param: turning it on takes no body
        ) from None


def disable_endpoint(
    *, db: Session, endpoint: WebhookEndpoint, reason: str, now: datetime, refused: bool = False
) -> None:
    """Turn `endpoint` off (the caller holds its row lock and decided it keeps failing, or,
    with `refused`, that its target is refused by the SSRF policy): its pending deliveries are
    given up, except those a dispatcher is sending now (their result gives them up), and its
    owner is told in the app and by email, once for this disabling."""
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    db.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == "pending",
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
        )
        .values(
            status="failed",
            next_attempt_at=now,
            locked_until=None,
            locked_by=None,
            last_error=GIVEN_UP_DISABLED,
        )
        .execution_options(synchronize_session=False)
    )
    db.flush()
    owner = db.get(User, endpoint.user_id)
    if owner is not None:
        _tell_disabled(db, owner, endpoint, refused=refused)


def _tell_disabled(db: Session, owner: User, endpoint: WebhookEndpoint, *, refused: bool) -> None:
    disabled_at = endpoint.disabled_at
    assert disabled_at is not None
    path = f"/v1/webhooks/{endpoint.id}"
    why = "reelmint refuses to send to its URL" if refused else "its deliveries kept failing"
    notify(
        db=db,
        user=owner,
        kind="webhook_disabled",
        title=f"Your webhook endpoint {_short_url(endpoint)} was turned off",
        body=(
            f"Your webhook endpoint {endpoint.url} ({endpoint.id}) was turned off because "
            f"{why}: {endpoint.disabled_reason}\n\n"
            "While it is off, nothing is sent to it: events that happen meanwhile are listed "
            f"under GET {path}/deliveries as not sent, and are not sent later (GET /v1/videos "
            "shows what you missed). Its retries still pending were given up too.\n\n"
            + (_refused_fix(path) if refused else _failing_fix(path))
        ),
        link=f"/settings/webhooks/{endpoint.id}",
        key=(
            f"webhook_disabled:{owner.id}:{endpoint.id}:{int(disabled_at.timestamp() * 1_000_000)}"
        ),
    )


def tell_target_refused(*, db: Session, endpoint: WebhookEndpoint, reason: str) -> None:
    """Tell the owner of an endpoint that stays on (the operator never turns endpoints off)
    that its target is refused: once while it keeps failing (the key holds `failing_since`,
    which the caller has set and only a successful attempt or turning it on clears)."""
    owner = db.get(User, endpoint.user_id)
    failing_since = endpoint.failing_since
    if owner is None or failing_since is None:
        return
    path = f"/v1/webhooks/{endpoint.id}"
    notify(
        db=db,
        user=owner,
        kind="webhook_target_refused",
        title=f"Nothing can be sent to your webhook endpoint {_short_url(endpoint)}",
        body=(
            f"reelmint refuses to send to your webhook endpoint {endpoint.url} "
            f"({endpoint.id}): {reason}\n\n"
            f"Until that changes, each event is given up at once (GET {path}/deliveries lists "
            "them), and none is sent later.\n\n"
            "To fix it, make its host name resolve to a public address; or, if the receiver "
            "is meant to stay on a private network, add an endpoint with a public URL and "
            "delete this one."
        ),
        link=f"/settings/webhooks/{endpoint.id}",
        key=(
            f"webhook_target_refused:{owner.id}:{endpoint.id}:"
            f"{int(failing_since.timestamp() * 1_000_000)}"
        ),
    )


def _short_url(endpoint: WebhookEndpoint) -> str:
    return endpoint.url if len(endpoint.url) <= 120 else endpoint.url[:117] + "..."


def _failing_fix(path: str) -> str:
    return (
        "To turn it back on, fix the receiver, send it a test event (test events are "
        "still sent while it is off) and turn it on, on its page in Settings > Webhooks "
        f"or with POST {path}/test and POST {path}/enable."
    )


def _refused_fix(path: str) -> str:
    return (
        "Webhooks are sent only to public internet addresses, so retrying would not help. "
        "To fix it, make its host name resolve to a public address (its URL cannot be "
        "changed: if the receiver is meant to stay on a private network, add an endpoint "
        "with a public URL and delete this one). Then turn it back on, on its page in "
        f"Settings > Webhooks or with POST {path}/enable: its address is checked again first."
    )


def disabled_reason(*, failing_since: datetime, failed: int, last_error: str | None) -> str:
    """Why an endpoint was turned off, as its owner reads it (one line, the error shortened)."""
    error = drop_control(" ".join((last_error or "no answer").split()))
    if len(error) > 300:
        error = error[:297] + "..."
    return (
        f"no attempt has succeeded since {failing_since:%Y-%m-%d %H:%M} UTC, and its last "
        f"{failed} events were given up after their last retry; the last error: {error}"
    )


def refused_reason(error: str | None) -> str:
    """Why an endpoint whose target is refused was turned off, as its owner reads it."""
    refusal = drop_control(" ".join((error or "webhook_target_forbidden").split()))
    if len(refusal) > 300:
        refusal = refusal[:297] + "..."
    return f"{refusal}; webhooks are sent only to public addresses"


def check_events(events: Iterable[str] | None) -> list[str]:
    """The subscribed event types, sorted; every known type when none are named."""
    if events is None:
        return sorted(EVENT_TYPES)
    chosen = sorted(set(events))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown or not chosen:
        raise BadRequest(
            f"events must be a non-empty list drawn from {', '.join(EVENT_TYPES)}"
            + (f"; unknown: {', '.join(repr(name[:60]) for name in unknown)}" if unknown else ""),
            code="invalid_webhook_events",
            param="events",
        )
    return chosen


def check_description(description: str | None) -> str:
    text = " ".join((description or "").split())
    if has_control(text):
        raise BadRequest(
            "the description holds a control character; remove it",
            code="invalid_request",
            param="description",
        )
    if len(text) > MAX_DESCRIPTION:
        raise BadRequest(
            f"the description has {len(text)} characters; at most {MAX_DESCRIPTION} are allowed",
            code="invalid_request",
            param="description",
        )
    return text


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the HMAC key)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_context(endpoint_id: str) -> str:
    """What a sealed secret is bound to: it opens only for the endpoint it was made for."""
    return f"webhook_endpoint:{endpoint_id}:signing_secret"


def _set_new_secret(endpoint: WebhookEndpoint, settings: Settings) -> str:
    secret = new_signing_secret()
    box = platform_box(settings.data_dir)
    endpoint.secret_sealed = box.seal(secret, context=secret_context(endpoint.id))
    endpoint.secret_key_id = box.key_id
    return secret


def _lock_user(db: Session, user_id: str) -> None:
    """Serialise a user's endpoint changes, so two requests at once cannot pass the limit.

    PostgreSQL locks the user's row; SQLite's write transactions are serial already.
    """
    db.execute(select(User.id).where(User.id == user_id).with_for_update())


# --- deliveries -------------------------------------------------------------------------------


def list_deliveries(
    *, db: Session, actor: User, endpoint_id: str, limit: int = 20
) -> list[tuple[WebhookDelivery, list[WebhookAttempt]]]:
    """An endpoint's most recent deliveries, newest first, each with its attempts in order."""
    check_limit(limit, MAX_DELIVERIES_PAGE)
    endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    deliveries = list(
        db.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
    attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        rows = db.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(attempts))
            .order_by(WebhookAttempt.attempt)
        )
        for row in rows:
            attempts[row.delivery_id].append(row)
    return [(delivery, attempts[delivery.id]) for delivery in deliveries]


def purge_finished_deliveries(
    *, db: Session, settings: Settings, now: datetime, limit: int = 1000
) -> int:
    """Remove deliveries that finished (delivered, or given up) more than `webhook_keep_days`
    ago, with their attempts, at most `limit` a run, oldest first; how many. A finished
    delivery's `next_attempt_at` is when it finished."""
    cutoff = now - timedelta(days=settings.webhook_keep_days)
    finished_before = (
        WebhookDelivery.status.in_(("delivered", "failed")),
        WebhookDelivery.next_attempt_at < cutoff,
    )
    oldest = select(WebhookDelivery.id).where(*finished_before)
    ids = list(db.scalars(oldest.order_by(WebhookDelivery.next_attempt_at).limit(limit)))
    if not ids:
        return 0
    # The conditions again, so a row changed meanwhile by another process stays; attempts go
    # with their delivery (ON DELETE CASCADE, enforced on SQLite too: db/database.py).
    gone = db.scalars(
        delete(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids), *finished_before)
        .returning(WebhookDelivery.id)
    )
    return len(list(gone))


def send_test_event(*, db: Session, actor: User, endpoint_id: str) -> WebhookDelivery:
    """Queue a `webhook.test` event for one endpoint (whatever it subscribes to), due now.

    It is sent even while the endpoint is turned off, so its owner can check the receiver
    before turning it back on; its outcome counts like any delivery's."""
    endpoint = get_endpoint(db=db, actor=actor, endpoint_id=endpoint_id)
    now = utcnow()
    body = event_body(
        event_id=new_id("evt"),
        event_type=TEST_EVENT,
        created_at=now,
        data={"object": "webhook_endpoint", "id": endpoint.id, "url": endpoint.url},
    )
    delivery = _queue(db, endpoint, body=body, video_id=None, now=now)
    db.flush()
    _dispatcher_wakeups.after_commit(db)
    return delivery


def enqueue_video_event(*, db: Session, video: Video, event: VideoEvent) -> None:
    """Queue `event` about `video` for every endpoint of its owner, in the caller's transaction.

    The body is frozen now, so every endpoint and every retry gets the same event (one id),
    describing the video as it was when the event happened. Endpoints already holding this
    event for this video are skipped, so a repeated call queues nothing twice (while the first
    delivery is kept: `webhook_keep_days` after it finished; a video's events happen once).
    For an endpoint that is turned off the delivery is written already given up, never sent
    (NOT_SENT_DISABLED), so its owner sees the event in its delivery log.
    """
    if event not in EVENT_TYPES:
        raise ValueError(f"not a video event: {event!r}")
    endpoints = [
        endpoint
        for endpoint in db.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.user_id == video.user_id)
        )
        if event in endpoint.event_list
    ]
    if not endpoints:
        return
    already = set(
        db.scalars(
            select(WebhookDelivery.endpoint_id).where(
                WebhookDelivery.video_id == video.id, WebhookDelivery.event_type == event
            )
        )
    )
    now = utcnow()
    body = event_body(
        event_id=new_id("evt"), event_type=event, created_at=now, data=video_object(video)
    )
    for endpoint in endpoints:
        if endpoint.id not in already:
            _queue(db, endpoint, body=body, video_id=video.id, now=now)
    db.flush()
    _dispatcher_wakeups.after_commit(db)


def event_body(
    *, event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    """An event as receivers get it (OpenAI's event shape)."""
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created_at": int(created_at.timestamp()),
        "data": data,
    }


def video_object(video: Video) -> dict[str, Any]:
    """The video exactly as the API shows it (the videos API's own representation)."""
    return VideoOut.of(video).model_dump(mode="json")


def _queue(
    db: Session,
    endpoint: WebhookEndpoint,
    *,
    body: dict[str, Any],
    video_id: str | None,
    now: datetime,
) -> WebhookDelivery:
    off = endpoint.disabled_at is not None and body["type"] != TEST_EVENT
    delivery = WebhookDelivery(
        id=new_id("whdel"),
        endpoint_id=endpoint.id,
        event_id=body["id"],
        event_type=body["type"],
        video_id=video_id,
        payload=json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status="failed" if off else "pending",
        attempts=0,
        next_attempt_at=now,
        last_error=NOT_SENT_DISABLED if off else None,
        created_at=now,
    )
    db.add(delivery)
    return delivery


# --- waking dispatchers -----------------------------------------------------------------------

_dispatcher_wakeups = CommitWakeups("webhooks")


def register_wakeup(wakeup: threading.Event) -> None:
    """Have `wakeup` set whenever this process commits new deliveries (a dispatcher waits on it
    between polls, so events queued here go out at once rather than at the next poll)."""
    _dispatcher_wakeups.register(wakeup)
