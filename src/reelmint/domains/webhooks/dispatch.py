"""Webhook delivery: lease due events from the outbox, send them signed, record what happened.

Each delivery goes through three steps:
1. Lease: in one short transaction, take due deliveries (pending, due, not leased by a live
   dispatcher; `FOR UPDATE SKIP LOCKED` on PostgreSQL, an immediate transaction on SQLite),
   count the attempt and set `locked_until`. Several dispatchers, in any number of
   processes, therefore never take the same delivery.
2. Send: outside any transaction, POST the body with Standard Webhooks headers. No redirects
   are followed; at most a few KB of the answer are read; the whole attempt (connecting,
   sending, the answer) must be done within `webhook_timeout_seconds`, or it is a failed
   attempt ("no complete answer"), however little the receiver sends at a time.
3. Record: in one short transaction per delivery, store the attempt and move the delivery on:
   a 2xx answer delivers it; anything else schedules a retry with exponential backoff and
   jitter (a receiver's Retry-After may push it later), until `webhook_max_attempts` attempts
   have been made or RETRY_WINDOW_SECONDS have passed since the event; then it has failed.
   An attempt the SSRF policy refused (`SendResult.refused`) fails it at once (below).
   The same transaction keeps the endpoint's failure count (below).

An endpoint that keeps failing is turned off (`should_disable`): when one of its deliveries
fails for good, no attempt of its has succeeded for `webhook_disable_after_hours` (counted
from the first failed attempt since the last success, `failing_since`) and at least
DISABLE_AFTER_FAILED_DELIVERIES deliveries in a row have failed for good (`failed_in_a_row`;
any successful attempt, a test event's too, clears both). Both conditions together keep it
from flapping: a short outage never turns an endpoint off however many events it holds up,
nor does a long quiet spell with one lost event; an endpoint that sometimes succeeds stays on.
Turned off, it is sent nothing but test events: its pending deliveries are given up, a
delivery being sent as it happens is given up when its attempt fails, and a delivery queued
for it in a race with the disabling is given up when it falls due (`lease_due`).

A target the SSRF policy refuses (`targets.TargetForbidden`: the host now resolves to a
private, loopback or other non-public address, or the operator has since stopped allowing
private targets) is not a failure to wait out: the refusal comes before any connection, and
every retry would be refused the same way. So the delivery is given up at its first refused
attempt, with the refusal as its `last_error`, and the endpoint is turned off at once
(`on_refused_target`). A host name that cannot be resolved (`TargetUnresolvable`) is a network
failure, not a refusal: DNS outages end, so it keeps the retry schedule.

A dispatcher has BATCH senders. Its loop (`run_dispatcher`) leases only as many deliveries as
senders are free and never waits for a round to finish: each sender that is done frees its
place for the next due delivery, and at most MAX_SENDING_PER_ENDPOINT of one endpoint's
deliveries are sent at once, so one slow receiver never holds up anyone else's deliveries.

A dispatcher that dies mid-send leaves its lease to run out; the delivery is then due again and
another dispatcher sends it (receivers deduplicate on `webhook-id`, which retries keep).
Leases last well beyond an attempt's deadline, so a live dispatcher is never overtaken.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

import httpx
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

import reelmint
from reelmint import outbox
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.crypto import CryptoError, SecretBox, platform_box
from reelmint.db.base import utcnow
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.service import (
    NOT_SENT_DISABLED,
    TARGET_REFUSED,
    TEST_EVENT,
    disable_endpoint,
    disabled_reason,
    refused_reason,
    register_wakeup,
    secret_context,
    tell_target_refused,
)
from reelmint.domains.webhooks.targets import (
    TargetForbidden,
    TargetUnresolvable,
    attempt_deadline,
    webhook_client,
)

log = logging.getLogger("reelmint.webhooks")

RETRY_SCHEDULE_SECONDS: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600, 10800, 21600)
"""The wait after the 1st, 2nd, ... failed attempt (the last repeats), before jitter."""
MAX_RETRY_AFTER_SECONDS = 6 * 3600
RETRY_WINDOW_SECONDS = 10 * 3600
"""No attempt is made later than this after the event: the last one comes at its end at the
latest, whatever the receiver's Retry-After asks, and a failure past it is final."""
BATCH = 8
"""Senders per dispatcher: deliveries sent at the same time."""
MAX_SENDING_PER_ENDPOINT = 2
"""One endpoint's deliveries a dispatcher sends at the same time (the others wait their turn,
leaving the other senders to other endpoints)."""
DISABLE_AFTER_FAILED_DELIVERIES = 3
"""Deliveries in a row that must fail for good (with no successful attempt between) before an
endpoint failing for `webhook_disable_after_hours` is turned off."""
POLL_SECONDS = 1.0
MAX_ERROR_PAUSE_SECONDS = 30.0
RESPONSE_READ_LIMIT = 4096
EXCERPT_CHARS = 1000
USER_AGENT = f"reelmint/{reelmint.__version__}"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class LeasedDelivery:
    """What a dispatcher needs to send one delivery, copied out of the lease transaction."""

    id: str
    endpoint_id: str
    url: str
    secret_sealed: str
    event_id: str
    payload: str
    attempt: int
    owner: str
    previous_secret_sealed: str | None = None  # signs too, for a while after a rotation


@dataclass(frozen=True)
class SendResult:
    """How one attempt went: the receiver's status, or why there was none."""

    status_code: int | None
    error: str | None
    duration_ms: int
    excerpt: str | None = None
    retry_after: float | None = None
    refused: bool = False
    """The SSRF policy refused the target before any connection: retrying cannot help."""

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


# --- signing ----------------------------------------------------------------------------------


def sign(*, secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The Standard Webhooks signature: `v1,` + base64(HMAC-SHA256(key, id.timestamp.body)),
    where the key is the base64-decoded part of the secret after `whsec_`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{event_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def delivery_headers(
    *, secret: str, event_id: str, timestamp: int, body: str, previous: str | None = None
) -> dict[str, str]:
    """The headers of one attempt; with `previous` (a secret rotated out a moment ago) the
    signature header carries both signatures, space-separated, as Standard Webhooks allows,
    so a receiver still holding the old secret goes on verifying while it updates."""
    secrets = [secret] if previous is None else [secret, previous]
    signatures = [
        sign(secret=key, event_id=event_id, timestamp=timestamp, body=body) for key in secrets
    ]
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }


# --- backoff ----------------------------------------------------------------------------------


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based), with ±20% jitter so
    that many deliveries failing together do not all come back at the same instant."""
    return outbox.retry_delay(RETRY_SCHEDULE_SECONDS, attempt, rng=rng)


# The longest the system resolver takes to give up on a host name (glibc: 5 s a try, 2 tries,
# up to 3 name servers): the lookup comes before the attempt's deadline starts.
RESOLVER_ALLOWANCE_SECONDS = 30


def lease_seconds(settings: Settings) -> float:
    """How long a delivery stays leased: well past one attempt's deadline
    (`webhook_timeout_seconds`) and the host name's lookup before it, so a live dispatcher
    always records its result before anyone else may take the delivery."""
    return settings.webhook_timeout_seconds * 3 + 30 + RESOLVER_ALLOWANCE_SECONDS


# --- the three steps --------------------------------------------------------------------------


def _due(
    key_id: str, now: datetime, skip_endpoints: Collection[str] = ()
) -> Select[tuple[WebhookDelivery, WebhookEndpoint]]:
    """Deliveries ready to send by a holder of platform key `key_id`: pending, due, unleased,
    and not for one of `skip_endpoints`."""
    query = (
        select(WebhookDelivery, WebhookEndpoint)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
            WebhookEndpoint.secret_key_id == key_id,
        )
    )
    if skip_endpoints:
        query = query.where(WebhookEndpoint.id.not_in(list(skip_endpoints)))
    return query


def any_due(
    *, db: Session, key_id: str, now: datetime, skip_endpoints: Collection[str] = ()
) -> bool:
    """Whether anything is due: a cheap read, so an idle dispatcher takes no write lock."""
    return db.execute(_due(key_id, now, skip_endpoints).limit(1)).first() is not None


def lease_due(
    *,
    db: Session,
    settings: Settings,
    owner: str,
    key_id: str,
    now: datetime,
    limit: int,
    sending: Counter[str] | None = None,
) -> list[LeasedDelivery]:
    """Lease up to `limit` due deliveries to `owner` (in the caller's write transaction).

    Only deliveries whose endpoint's secret is sealed with this host's platform key
    (`key_id`) are taken: another host could not sign them. With `sending` (how many of each
    endpoint's deliveries the caller is sending now), no endpoint is given more than
    MAX_SENDING_PER_ENDPOINT at once; the rest stay due. A delivery whose lease ran out after
    its last allowed attempt (its dispatcher died) is marked failed instead (not counted
    against the endpoint: its receiver's answer is unknown), and so is one of an endpoint that
    is turned off, unless it is a test event (queued as the endpoint was turned off).
    """
    taken = Counter(sending or {})
    full = [endpoint for endpoint, count in taken.items() if count >= MAX_SENDING_PER_ENDPOINT]
    rows = db.execute(
        _due(key_id, now, full)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    ).all()
    leased: list[LeasedDelivery] = []
    for delivery, endpoint in rows:
        if sending is not None and taken[endpoint.id] >= MAX_SENDING_PER_ENDPOINT:
            continue  # left due, for when one of this endpoint's sends is done
        if endpoint.disabled_at is not None and delivery.event_type != TEST_EVENT:
            _finish(delivery, status="failed", now=now)
            delivery.last_error = NOT_SENT_DISABLED
            continue
        if delivery.attempts >= settings.webhook_max_attempts:
            _finish(delivery, status="failed", now=now)
            delivery.last_error = "the dispatcher stopped during the last attempt"
            continue
        taken[endpoint.id] += 1
        leased.append(_lease(delivery, endpoint, settings=settings, owner=owner, now=now))
    db.flush()
    return leased


def _lease(
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    *,
    settings: Settings,
    owner: str,
    now: datetime,
) -> LeasedDelivery:
    """Count the attempt, lease the delivery to `owner`, and copy out what sending needs."""
    delivery.attempts += 1
    delivery.locked_until = now + timedelta(seconds=lease_seconds(settings))
    delivery.locked_by = owner
    return LeasedDelivery(
        id=delivery.id,
        endpoint_id=endpoint.id,
        url=endpoint.url,
        secret_sealed=endpoint.secret_sealed,
        event_id=delivery.event_id,
        payload=delivery.payload,
        attempt=delivery.attempts,
        owner=owner,
        previous_secret_sealed=(
            endpoint.previous_secret_sealed
            if endpoint.previous_secret_until is not None and now < endpoint.previous_secret_until
            else None
        ),
    )


def send_delivery(
    leased: LeasedDelivery,
    *,
    client: httpx.Client,
    box: SecretBox,
    now: datetime,
    deadline: float | None = None,
) -> SendResult:
    """POST one delivery (no transaction is open here); never raises for the receiver's faults.

    The whole attempt must be done within `deadline` seconds (by default the client's read
    timeout): a receiver still answering then has failed this attempt.
    """
    seconds = deadline if deadline is not None else client.timeout.read or 10.0
    context = secret_context(leased.endpoint_id)
    try:
        secret = box.open(leased.secret_sealed, context=context)
        sealed = leased.previous_secret_sealed
        previous = box.open(sealed, context=context) if sealed is not None else None
    except CryptoError as exc:
        return SendResult(None, f"cannot sign: the signing secret is unreadable ({exc})", 0)
    headers = delivery_headers(
        secret=secret,
        event_id=leased.event_id,
        timestamp=int(now.timestamp()),
        body=leased.payload,
        previous=previous,
    )
    started = time.monotonic()
    try:
        with (
            attempt_deadline(seconds),
            client.stream(
                "POST", leased.url, content=leased.payload.encode(), headers=headers
            ) as response,
        ):
            excerpt = _read_limited(response)
            status = response.status_code
            error = _status_error(response)
            retry_after = _retry_after(response.headers.get("retry-after"))
    except TargetUnresolvable as exc:
        return SendResult(None, f"webhook_target_unresolvable: {exc}", _ms_since(started))
    except TargetForbidden as exc:  # a policy refusal (TargetUnresolvable is caught above)
        forbidden = f"webhook_target_forbidden: {exc}"
        return SendResult(None, forbidden, _ms_since(started), refused=True)
    except httpx.TimeoutException:
        late = f"no complete answer within {seconds:g} s"
        return SendResult(None, late, _ms_since(started))
    except httpx.HTTPError as exc:
        return SendResult(None, f"request failed: {exc or type(exc).__name__}", _ms_since(started))
    except Exception as exc:  # whatever else the receiver's URL or answer sets off
        log.warning("webhook %s to %s: unexpected fault", leased.id, leased.url, exc_info=True)
        failed = f"request failed: {type(exc).__name__}: {exc}"[:500]
        return SendResult(None, failed, _ms_since(started))
    return SendResult(status, error, _ms_since(started), excerpt, retry_after)


def record_result(
    *,
    db: Session,
    settings: Settings,
    leased: LeasedDelivery,
    result: SendResult,
    now: datetime,
    rng: random.Random | None = None,
) -> str | None:
    """Store the attempt and move the delivery on; returns its new status (None if gone).

    If the lease was lost meanwhile (someone else holds the delivery now), the attempt is
    still recorded but the delivery is left to its new holder. Otherwise the endpoint's
    failures are counted, and it may be turned off (`count_outcome`). The endpoint's row is
    locked before the delivery's, the order deleting an endpoint takes them in.
    """
    endpoint = db.get(
        WebhookEndpoint,
        leased.endpoint_id,
        with_for_update={"key_share": True},
        populate_existing=True,
    )
    delivery = db.get(WebhookDelivery, leased.id, with_for_update=True)
    if endpoint is None or delivery is None:  # the endpoint was deleted while we were sending
        return None
    db.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempt=leased.attempt,
            status_code=result.status_code,
            error=result.error,
            duration_ms=result.duration_ms,
            response_excerpt=result.excerpt,
            created_at=now,
        )
    )
    if delivery.locked_by != leased.owner or delivery.attempts != leased.attempt:
        db.flush()
        return delivery.status
    delivery.last_status_code = result.status_code
    delivery.last_error = f"{result.error}; {TARGET_REFUSED}" if result.refused else result.error
    give_up_at = delivery.created_at + timedelta(seconds=RETRY_WINDOW_SECONDS)
    turned_off = endpoint.disabled_at is not None and delivery.event_type != TEST_EVENT
    if result.delivered:
        _finish(delivery, status="delivered", now=now)
        delivery.delivered_at = now
    elif (
        result.refused
        or leased.attempt >= settings.webhook_max_attempts
        or now >= give_up_at
        or turned_off
    ):
        _finish(delivery, status="failed", now=now)
    else:
        wait = retry_delay(leased.attempt, rng=rng)
        if result.retry_after is not None:
            wait = max(wait, result.retry_after)
        delivery.next_attempt_at = min(now + timedelta(seconds=wait), give_up_at)
        delivery.locked_until = None
        delivery.locked_by = None
    db.flush()
    count_outcome(
        db=db, settings=settings, endpoint=endpoint, result=result, status=delivery.status, now=now
    )
    return delivery.status


def count_outcome(
    *,
    db: Session,
    settings: Settings,
    endpoint: WebhookEndpoint,
    result: SendResult,
    status: str,
    now: datetime,
) -> None:
    """Keep the endpoint's failure count after one attempt (the caller holds its row lock):
    a success clears it; a failure starts `failing_since` if it is not already running, and a
    delivery that failed for good (its new `status` is "failed") adds one to
    `failed_in_a_row`, after which the endpoint is turned off if its target was refused
    (`on_refused_target`) or if `should_disable`."""
    if result.delivered:
        endpoint.failing_since = None
        endpoint.failed_in_a_row = 0
        db.flush()
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    if status == "failed":
        endpoint.failed_in_a_row += 1
        if result.refused:
            on_refused_target(db=db, settings=settings, endpoint=endpoint, result=result, now=now)
        elif should_disable(endpoint, settings=settings, now=now):
            reason = disabled_reason(
                failing_since=endpoint.failing_since,
                failed=endpoint.failed_in_a_row,
                last_error=result.error or f"HTTP {result.status_code}",
            )
            disable_endpoint(db=db, endpoint=endpoint, reason=reason, now=now)
            log.warning("webhook endpoint %s turned off: %s", endpoint.id, reason)
    db.flush()


def on_refused_target(
    *,
    db: Session,
    settings: Settings,
    endpoint: WebhookEndpoint,
    result: SendResult,
    now: datetime,
) -> None:
    """An attempt to `endpoint` was refused by the SSRF policy (the caller holds its row lock
    and has given the delivery up): turn the endpoint off at once, its owner told what to
    change, once for this disabling.

    Why turn it off rather than only give up each delivery: the refusal is about the endpoint,
    not the event, so every delivery to it would be refused the same way; left on, each new
    event would cost a refused attempt and fill its log with failures saying the same thing.
    Turned off, its events are logged as not sent, its owner gets one notification (not one
    per delivery), and turning it back on (`service.turn_back_on`) checks the target again,
    as registering does, so it cannot come back on still refused. The operator's "never turn
    endpoints off" (`webhook_disable_after_hours` 0) is kept: the endpoint then stays on, each
    refused delivery is still given up at once, and the owner is told once while it keeps
    failing. An endpoint that is already off (a test event refused) changes nothing.
    """
    if endpoint.disabled_at is not None:
        return
    reason = refused_reason(result.error)
    if settings.webhook_disable_after_hours > 0:
        disable_endpoint(db=db, endpoint=endpoint, reason=reason, now=now, refused=True)
        log.warning("webhook endpoint %s turned off, its target refused: %s", endpoint.id, reason)
    else:
        tell_target_refused(db=db, endpoint=endpoint, reason=reason)


def should_disable(endpoint: WebhookEndpoint, *, settings: Settings, now: datetime) -> bool:
    """Whether an endpoint that is on has failed long enough, and often enough, to be turned
    off: no successful attempt for `webhook_disable_after_hours` (0: never) and at least
    DISABLE_AFTER_FAILED_DELIVERIES deliveries in a row failed for good."""
    hours = settings.webhook_disable_after_hours
    return (
        endpoint.disabled_at is None
        and hours > 0
        and endpoint.failing_since is not None
        and endpoint.failed_in_a_row >= DISABLE_AFTER_FAILED_DELIVERIES
        and now - endpoint.failing_since >= timedelta(hours=hours)
    )


def _finish(delivery: WebhookDelivery, *, status: str, now: datetime) -> None:
    delivery.status = status
    delivery.locked_until = None
    delivery.locked_by = None
    delivery.next_attempt_at = now


def _read_limited(response: httpx.Response) -> str:
    """At most RESPONSE_READ_LIMIT raw bytes of the answer (a receiver could send gigabytes)."""
    taken = bytearray()
    for chunk in response.iter_raw(chunk_size=1024):
        taken += chunk
        if len(taken) >= RESPONSE_READ_LIMIT:
            break
    return bytes(taken[:RESPONSE_READ_LIMIT]).decode("utf-8", "replace")[:EXCERPT_CHARS]


def _status_error(response: httpx.Response) -> str | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")[:200]
        return (
            f"the receiver answered HTTP {status}, a redirect to {where}; redirects are not "
            "followed, register the final URL instead"
        )
    return f"the receiver answered HTTP {status}"


def _retry_after(value: str | None) -> float | None:
    """A receiver's Retry-After in seconds (the delta form), capped; None if absent or odd
    (the date form, or digits that are not ASCII ones: "²" passes `str.isdigit`)."""
    digits = (value or "").strip()
    if not (digits.isascii() and digits.isdigit()):
        return None
    return min(float(digits), MAX_RETRY_AFTER_SECONDS)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --- the dispatcher ---------------------------------------------------------------------------


class Dispatcher:
    """Sends due deliveries for one Services with BATCH senders.

    `start_due` leases what free senders can take and returns at once (the dispatcher
    thread's loop); `run_once` also waits for those sends (one lease-send-record round).
    """

    def __init__(
        self,
        services: Services,
        *,
        owner: str | None = None,
        clock: Clock = utcnow,
        client: httpx.Client | None = None,
        rng: random.Random | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> None:
        settings = self.settings = services.settings
        self.services = services
        self.owner = owner or outbox.lease_owner_id()
        self.clock = clock
        self.rng = rng
        self.on_sent = on_sent
        self.box = platform_box(settings.data_dir)
        self.client = client or webhook_client(
            timeout=settings.webhook_timeout_seconds,
            user_agent=USER_AGENT,
            allow_private=settings.webhook_allow_private_targets,
        )
        self._pool = ThreadPoolExecutor(max_workers=BATCH, thread_name_prefix="webhook-send")
        self._lock = threading.Lock()
        self._sending: Counter[str] = Counter()  # endpoint id -> its deliveries being sent

    def __enter__(self) -> Dispatcher:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Wait for the sends under way (each ends by its deadline), then let go."""
        self._pool.shutdown(wait=True)
        self.client.close()

    def run_once(self) -> int:
        """Lease due deliveries, send them concurrently, record each result; returns how many
        were sent."""
        started = self.start_due()
        wait_for_futures(started)
        return len(started)

    def start_due(self) -> list[Future[None]]:
        """Lease as many due deliveries as there are free senders (at most
        MAX_SENDING_PER_ENDPOINT of one endpoint's, counting those being sent) and start
        sending them; returns at once, with the sends started (none: nothing due, or no
        sender free)."""
        sending = self._sending_now()
        free = BATCH - sum(sending.values())
        if free <= 0:
            return []
        full = [
            endpoint for endpoint, count in sending.items() if count >= MAX_SENDING_PER_ENDPOINT
        ]
        now = self.clock()
        with self.services.db.read() as db:
            if not any_due(db=db, key_id=self.box.key_id, now=now, skip_endpoints=full):
                return []  # the usual idle round: no write lock taken
        with self.services.db.write() as db:
            leased = lease_due(
                db=db,
                settings=self.settings,
                owner=self.owner,
                key_id=self.box.key_id,
                now=now,
                limit=free,
                sending=sending,
            )
        return [self._start(item) for item in leased]

    def _sending_now(self) -> Counter[str]:
        with self._lock:
            return +self._sending  # a copy, without endpoints at zero

    def _start(self, leased: LeasedDelivery) -> Future[None]:
        with self._lock:
            self._sending[leased.endpoint_id] += 1
        return self._pool.submit(self._send_and_record, leased)

    def _send_and_record(self, leased: LeasedDelivery) -> None:
        """One delivery; a fault here is logged and leaves the other sends alone (the
        delivery's lease runs out and it is sent again). Its sender is then free again."""
        try:
            self._send_and_record_one(leased)
        except Exception:
            log.exception(
                "webhook %s to %s: the attempt could not be recorded", leased.id, leased.url
            )
        finally:
            with self._lock:
                self._sending[leased.endpoint_id] -= 1
            if self.on_sent is not None:
                self.on_sent()

    def _send_and_record_one(self, leased: LeasedDelivery) -> None:
        result = send_delivery(
            leased,
            client=self.client,
            box=self.box,
            now=self.clock(),
            deadline=self.settings.webhook_timeout_seconds,
        )
        with self.services.db.write() as db:
            status = record_result(
                db=db,
                settings=self.settings,
                leased=leased,
                result=result,
                now=self.clock(),
                rng=self.rng,
            )
        if status == "failed":
            log.warning("webhook %s to %s failed for good: %s", leased.id, leased.url, result.error)


def run_dispatcher(
    services: Services, stop: threading.Event, *, poll_seconds: float = POLL_SECONDS
) -> None:
    """Deliver until `stop` is set: start sending what is due as senders come free, then wait
    for new events, a sender to finish, or the poll.

    A database fault is logged and retried after a growing pause, so a dispatcher outlives a
    database restart. Stopping waits for the sends under way (each ends by its deadline).
    """
    wakeup = threading.Event()
    register_wakeup(wakeup)
    pause = poll_seconds
    dispatcher: Dispatcher | None = None
    try:
        while not stop.is_set():
            wakeup.clear()  # set again by any commit of new deliveries, or a finished send
            try:
                dispatcher = dispatcher or Dispatcher(services, on_sent=wakeup.set)
                if dispatcher.start_due():
                    continue  # more may be due, and senders may still be free
                pause = poll_seconds
            except Exception:
                log.exception("webhook dispatch round failed; retrying in %.0f s", pause)
                stop.wait(pause)
                pause = min(pause * 2, MAX_ERROR_PAUSE_SECONDS)
                continue
            outbox.wait_for_wakeup(wakeup, stop, poll_seconds)
    finally:
        if dispatcher is not None:
            dispatcher.close()


def start_dispatcher_thread(services: Services, stop: threading.Event) -> threading.Thread:
    """A thread delivering due webhook events until `stop` is set."""
    thread = threading.Thread(
        target=run_dispatcher, args=(services, stop), name="webhooks", daemon=True
    )
    thread.start()
    return thread
