"""Settings › Webhooks: your endpoints, adding one (its signing secret shown once), and for
each its recent deliveries, a test event, a new secret (shown once), turning it back on after
the platform turned it off, and deleting it (after a confirmation).

The pages call the webhooks service as the API does: it checks the URL (the SSRF guard
included), the events, the description and the limit, and it authorises: an endpoint that is
not the signed-in user's reads as not found (404) on every page and form. A refused form is
shown again with the service's message and what was typed, and nothing changed.

A secret is rendered only into the response of the POST that made it: the platform keeps it
sealed and never shows it again, and no page is cached (`no-store`, web/security). A new
secret's form is done once per page (web/once.py): posted twice, the second post would
otherwise replace the secret just shown and end the old one early.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.api.idempotency import Record
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from reelmint.domains.webhooks.schemas import RotateSecretIn
from reelmint.domains.webhooks.schemas import still_signing as old_secret_until
from reelmint.domains.webhooks.service import (
    EVENT_TYPES,
    MAX_DESCRIPTION,
    MAX_ENDPOINTS_PER_USER,
    MAX_KEEP_OLD_HOURS,
    EndpointRequest,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_deliveries,
    list_endpoints,
    rotate_secret,
    send_test_event,
    turn_back_on,
)
from reelmint.domains.webhooks.targets import MAX_URL_LENGTH
from reelmint.errors import BadRequest, ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.forms import plain_int
from reelmint.web.once import DONE, new_form_key, once_per_form
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import confirm_page, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]
EventsField = Annotated[list[str] | None, Form()]

HOME = "/settings/webhooks"
DELIVERIES_SHOWN = 20
DEFAULT_KEEP_OLD_HOURS = RotateSecretIn().keep_old_hours  # the API's default, one source
EVENT_LABELS: dict[str, str] = {
    "video.completed": "a video of yours finished and is ready",
    "video.failed": "a video of yours could not be made",
}


@dataclass(frozen=True)
class EndpointForm:
    """What the add form holds: empty and every event ticked at first, else as typed."""

    url: str = ""
    description: str = ""
    events: frozenset[str] = field(default_factory=lambda: frozenset(EVENT_TYPES))


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery as the page shows it: its state in words, and its attempts."""

    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]
    label: str
    badge: str


# --- the list and the add form ----------------------------------------------------------------


@router.get(HOME)
def webhooks_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    return _list_page(request, services, actor.user)


@router.post(HOME)
def add_webhook(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    url: TextField = "",
    description: TextField = "",
    events: EventsField = None,
    csrf_token: TextField = "",
    form_key: TextField = "",
) -> Response:
    """Register an endpoint and show its signing secret, once. No event ticked is refused by
    the service (a browser sends no field for an unticked box, so none means none here).
    Once per form: the same form posted again (a double click) adds no second endpoint."""
    check_form(actor, request, csrf_token)
    chosen = list(events or [])
    typed = EndpointForm(url=url, description=description, events=frozenset(chosen))
    wanted = EndpointRequest(url=url, events=chosen, description=description)

    def work(record: Record) -> tuple[WebhookEndpoint, str]:
        return create_endpoint(
            services=services,
            actor=actor.user,
            request=wanted,
            within=lambda db, _endpoint, _secret: record(db, DONE),
        )

    try:
        made = once_per_form(
            services=services,
            user=actor.user,
            form_key=form_key,
            path=HOME,
            fields={"url": url, "description": description, "events": ",".join(sorted(chosen))},
            work=work,
        )
    except ServiceError as error:
        return _list_page(request, services, actor.user, typed=typed, error=error)
    if made is None:
        return flash_redirect(services, HOME, "webhook_already_added")
    endpoint, secret = made
    return _secret_page(request, endpoint, secret, rotated=False, status=201)


def _list_page(
    request: Request,
    services: Services,
    user: User,
    *,
    typed: EndpointForm | None = None,
    error: ServiceError | None = None,
) -> Response:
    with services.db.read() as db:
        endpoints = list_endpoints(db=db, actor=user)
    context = {
        "endpoints": endpoints,
        "form_key": new_form_key(),
        "typed": typed or EndpointForm(),
        "error": error,
        "event_choices": event_choices(),
        "max_endpoints": MAX_ENDPOINTS_PER_USER,
        "max_description": MAX_DESCRIPTION,
        "max_url": MAX_URL_LENGTH,
    }
    return render(request, "webhooks.html", context, status=error.status if error else 200)


def event_choices() -> list[tuple[str, str]]:
    """The events the service accepts, each with what it means."""
    return [(name, EVENT_LABELS.get(name, "")) for name in EVENT_TYPES]


# --- one endpoint ----------------------------------------------------------------------------


@router.get(HOME + "/{endpoint_id}")
def endpoint_page(
    request: Request, services: ServicesDep, actor: SignedIn, endpoint_id: str
) -> Response:
    return _endpoint_page(request, services, actor.user, endpoint_id)


@router.post(HOME + "/{endpoint_id}/test")
def send_test(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    endpoint_id: str,
    csrf_token: TextField = "",
) -> Response:
    """Queue a `webhook.test` event; the endpoint's page lists it among its deliveries."""
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        delivery = send_test_event(db=db, actor=actor.user, endpoint_id=endpoint_id)
    return flash_redirect(services, _page_of(delivery.endpoint_id), "webhook_test_queued")


@router.post(HOME + "/{endpoint_id}/enable")
def enable(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    endpoint_id: str,
    csrf_token: TextField = "",
) -> Response:
    """Turn back on an endpoint the platform turned off (one that is on stays as it is),
    checking its target again (`turn_back_on`): while it is still refused, the page says why
    and the endpoint stays off."""
    check_form(actor, request, csrf_token)
    try:
        endpoint = turn_back_on(services=services, actor=actor.user, endpoint_id=endpoint_id)
    except ServiceError as error:
        if error.status == 404:
            raise
        return _endpoint_page(request, services, actor.user, endpoint_id, enable_error=error)
    return flash_redirect(services, _page_of(endpoint.id), "webhook_enabled")


@router.post(HOME + "/{endpoint_id}/rotate-secret")
def rotate(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    endpoint_id: str,
    keep_old_hours: TextField = "",
    csrf_token: TextField = "",
    form_key: TextField = "",
) -> Response:
    """A new signing secret, shown once; the old one signs too for the hours asked. Once per
    form: the same form posted again makes no second secret and says where the first was."""
    check_form(actor, request, csrf_token)

    def work(record: Record) -> tuple[WebhookEndpoint, str]:
        hours = parse_keep_old_hours(keep_old_hours)
        with services.db.write() as db:
            rotated = rotate_secret(
                db=db,
                settings=services.settings,
                actor=actor.user,
                endpoint_id=endpoint_id,
                keep_old_hours=hours,
            )
            record(db, DONE)
        return rotated

    try:
        made = once_per_form(
            services=services,
            user=actor.user,
            form_key=form_key,
            path=_page_of(endpoint_id) + "/rotate-secret",
            fields={"keep_old_hours": keep_old_hours},
            work=work,
        )
    except ServiceError as error:  # another user's endpoint: showing its page is the 404
        return _endpoint_page(
            request, services, actor.user, endpoint_id, keep_old_hours=keep_old_hours, error=error
        )
    if made is None:
        return flash_redirect(services, _page_of(endpoint_id), "webhook_secret_already_rotated")
    endpoint, secret = made
    return _secret_page(request, endpoint, secret, rotated=True, status=200)


@router.post(HOME + "/{endpoint_id}/delete")
def delete(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    endpoint_id: str,
    csrf_token: TextField = "",
    confirm: TextField = "",
) -> Response:
    """Delete after a confirmation: the script asks in place; without it, a page asks."""
    check_form(actor, request, csrf_token)
    if confirm != "yes":
        with services.db.read() as db:
            endpoint = get_endpoint(db=db, actor=actor.user, endpoint_id=endpoint_id)
        described = f" ({endpoint.description})" if endpoint.description else ""
        return confirm_page(
            request,
            title="Delete this webhook endpoint?",
            subject=endpoint.url + described,
            subject_class="mono",
            message="Nothing more is sent to it, and the events not yet delivered to it are "
            "dropped with its delivery log. This cannot be undone.",
            action=f"{HOME}/{endpoint.id}/delete",
            button="Delete",
            back=_page_of(endpoint.id),
        )
    with services.db.write() as db:
        delete_endpoint(db=db, actor=actor.user, endpoint_id=endpoint_id)
    return flash_redirect(services, HOME, "webhook_deleted")


def parse_keep_old_hours(typed: str) -> int:
    """The rotate form's hours: a whole number from 0 to the most allowed; blank is the
    default. Said in the form's words (the service's message names the API's field)."""
    text = typed.strip()
    if not text:
        return DEFAULT_KEEP_OLD_HOURS
    hours = plain_int(text)
    if hours is None or not 0 <= hours <= MAX_KEEP_OLD_HOURS:
        raise BadRequest(
            f"keep the old secret for a whole number of hours from 0 to {MAX_KEEP_OLD_HOURS} "
            f"(0: it stops at once), not {text[:20]!r}",
            code="invalid_request",
            param="keep_old_hours",
        )
    return hours


def _endpoint_page(
    request: Request,
    services: Services,
    user: User,
    endpoint_id: str,
    *,
    keep_old_hours: str = str(DEFAULT_KEEP_OLD_HOURS),
    error: ServiceError | None = None,
    enable_error: ServiceError | None = None,
) -> Response:
    """The endpoint's page; `error` is the rotate form's refusal, `enable_error` turning it
    back on's (shown where each form is)."""
    with services.db.read() as db:
        endpoint = get_endpoint(db=db, actor=user, endpoint_id=endpoint_id)
        rows = list_deliveries(db=db, actor=user, endpoint_id=endpoint.id, limit=DELIVERIES_SHOWN)
    context: dict[str, Any] = {
        "endpoint": endpoint,
        "deliveries": [delivery_row(delivery, attempts) for delivery, attempts in rows],
        "deliveries_shown": DELIVERIES_SHOWN,
        "old_secret_until": old_secret_until(endpoint),
        "keep_old_hours": keep_old_hours,
        "max_keep_old_hours": MAX_KEEP_OLD_HOURS,
        "error": error,
        "enable_error": enable_error,
        "form_key": new_form_key(),
    }
    shown = error or enable_error
    return render(request, "webhooks_endpoint.html", context, status=shown.status if shown else 200)


def delivery_row(delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> DeliveryRow:
    """A delivery's state in words: an event never sent (its endpoint was off) is told apart
    from one given up after its attempts."""
    if delivery.status == "delivered":
        label, badge = "Delivered", "status-completed"
    elif delivery.status == "failed":
        label = "Not sent" if delivery.attempts == 0 else "Given up"
        badge = "status-failed"
    elif attempts:  # an attempt has failed: the next is due (or being made)
        label, badge = "Retrying", ""
    else:  # never tried, or its first attempt is being made now
        label, badge = ("Sending" if delivery.attempts else "Pending"), ""
    return DeliveryRow(delivery=delivery, attempts=attempts, label=label, badge=badge)


def _secret_page(
    request: Request, endpoint: WebhookEndpoint, secret: str, *, rotated: bool, status: int
) -> Response:
    context = {
        "endpoint": endpoint,
        "secret": secret,
        "rotated": rotated,
        "old_secret_until": old_secret_until(endpoint),
    }
    return render(request, "webhooks_secret.html", context, status=status)


def _page_of(endpoint_id: str) -> str:
    return f"{HOME}/{endpoint_id}"
