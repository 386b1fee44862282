"""Webhook endpoints: users register URLs that receive signed video events.

Thin routes: the service checks, authorises and changes; a route opens the transaction and
shapes the answer. Answers carrying a signing secret are marked `Cache-Control: no-store`.

Creating an endpoint and rotating its secret take an `Idempotency-Key`: a retry after a lost
answer gets the first answer again, secret included, instead of a second endpoint (or a second
rotation, which would end the old secret before the receiver ever saw the new one). The stored
answer keeps its secret sealed with the platform key, like the endpoint itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.api.idempotency import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADER,
    Record,
    StoredResponse,
    check_idempotency_key,
    fingerprint,
    run_idempotent,
)
from reelmint.bootstrap import Services
from reelmint.crypto import SecretBox, platform_box
from reelmint.domains.accounts.models import User
from reelmint.domains.webhooks import service
from reelmint.domains.webhooks.models import WebhookEndpoint
from reelmint.domains.webhooks.schemas import (
    RotateSecretIn,
    WebhookCreate,
    WebhookDeliveryList,
    WebhookDeliveryOut,
    WebhookEndpointDeleted,
    WebhookEndpointList,
    WebhookEndpointOut,
)

router = APIRouter(prefix="/v1", tags=["webhooks"], route_class=ApiRoute)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Makes a retry safe: the same key returns the first answer, secret "
        "included, and changes nothing more.",
    ),
]

Within = Callable[[Session, WebhookEndpoint, str], None]
"""Called inside the write transaction with the endpoint and its new secret."""

SEALED_SECRET = "secret_sealed"


@router.post("/webhooks", response_model=WebhookEndpointOut, status_code=201)
def create_webhook(
    body: WebhookCreate,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register an endpoint for video events. The answer holds its signing secret, once."""
    wanted = service.EndpointRequest(url=body.url, events=body.events, description=body.description)

    def act(within: Within) -> tuple[WebhookEndpoint, str]:
        return service.create_endpoint(services=services, actor=user, request=wanted, within=within)

    return _secret_answer(
        services, user, request, key=idempotency_key, fields=body.model_dump(), status=201, act=act
    )


@router.get("/webhooks", response_model=WebhookEndpointList)
def list_webhooks(user: CurrentUser, services: ServicesDep) -> WebhookEndpointList:
    """Your endpoints (their secrets are never shown again)."""
    with services.db.read() as db:
        endpoints = service.list_endpoints(db=db, actor=user)
    return WebhookEndpointList(data=[WebhookEndpointOut.of(e) for e in endpoints])


@router.get("/webhooks/{webhook_id}", response_model=WebhookEndpointOut)
def get_webhook(webhook_id: str, user: CurrentUser, services: ServicesDep) -> WebhookEndpointOut:
    with services.db.read() as db:
        endpoint = service.get_endpoint(db=db, actor=user, endpoint_id=webhook_id)
    return WebhookEndpointOut.of(endpoint)


@router.delete("/webhooks/{webhook_id}", response_model=WebhookEndpointDeleted)
def delete_webhook(
    webhook_id: str, user: CurrentUser, services: ServicesDep
) -> WebhookEndpointDeleted:
    """Remove an endpoint; events not yet delivered to it are dropped."""
    with services.db.write() as db:
        service.delete_endpoint(db=db, actor=user, endpoint_id=webhook_id)
    return WebhookEndpointDeleted(id=webhook_id)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=WebhookEndpointOut)
def rotate_webhook_secret(
    webhook_id: str,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    body: RotateSecretIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A new signing secret, shown once; the old one signs too for `keep_old_hours` (24 by
    default, 0 to end it at once)."""
    keep = (body or RotateSecretIn()).keep_old_hours

    def act(within: Within) -> tuple[WebhookEndpoint, str]:
        with services.db.write() as db:
            endpoint, secret = service.rotate_secret(
                db=db,
                settings=services.settings,
                actor=user,
                endpoint_id=webhook_id,
                keep_old_hours=keep,
            )
            within(db, endpoint, secret)
        return endpoint, secret

    return _secret_answer(
        services, user, request, key=idempotency_key, fields={"keep_old_hours": keep}, act=act
    )


@router.post("/webhooks/{webhook_id}/enable", response_model=WebhookEndpointOut)
def enable_webhook(webhook_id: str, user: CurrentUser, services: ServicesDep) -> WebhookEndpointOut:
    """Turn an endpoint the platform turned off back on: events from now on are sent to it,
    and its failures are counted afresh. Events missed while it was off are not sent. Its URL
    is checked again first, as when it was registered (400 `webhook_target_forbidden` or
    `webhook_target_unresolvable`: it stays off). An endpoint that is on is returned as it is."""
    endpoint = service.turn_back_on(services=services, actor=user, endpoint_id=webhook_id)
    return WebhookEndpointOut.of(endpoint)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=WebhookDeliveryList)
def list_webhook_deliveries(
    webhook_id: str,
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_DELIVERIES_PAGE)] = 20,
) -> WebhookDeliveryList:
    """The endpoint's recent deliveries, newest first, with each attempt's status and error."""
    with services.db.read() as db:
        rows = service.list_deliveries(db=db, actor=user, endpoint_id=webhook_id, limit=limit)
    return WebhookDeliveryList(data=[WebhookDeliveryOut.of(d, attempts) for d, attempts in rows])


@router.post("/webhooks/{webhook_id}/test", response_model=WebhookDeliveryOut, status_code=202)
def test_webhook(webhook_id: str, user: CurrentUser, services: ServicesDep) -> WebhookDeliveryOut:
    """Queue a `webhook.test` event to the endpoint; follow it under /deliveries. It is sent
    even while the endpoint is turned off, to check the receiver before turning it back on."""
    with services.db.write() as db:
        delivery = service.send_test_event(db=db, actor=user, endpoint_id=webhook_id)
    return WebhookDeliveryOut.of(delivery, [])


def _secret_answer(
    services: Services,
    user: User,
    request: Request,
    *,
    key: str | None,
    fields: dict[str, Any],
    act: Callable[[Within], tuple[WebhookEndpoint, str]],
    status: int = 200,
) -> JSONResponse:
    """Do `act` once per idempotency key and answer with the endpoint and its new secret; a
    retry with the key gets the first answer back (`Idempotent-Replayed: true`)."""
    box = platform_box(services.settings.data_dir)

    def work(record: Record) -> StoredResponse:
        def within(db: Session, endpoint: WebhookEndpoint, secret: str) -> None:
            record(db, StoredResponse(status, _sealed_answer(box, endpoint, secret)))

        endpoint, secret = act(within)
        return StoredResponse(status, _answer(endpoint, secret))

    outcome = run_idempotent(
        services=services,
        user_id=user.id,
        key=check_idempotency_key(key),
        method="POST",
        path=request.url.path,
        request_fingerprint=fingerprint(method="POST", path=request.url.path, body=fields),
        work=work,
    )
    headers = {"Cache-Control": "no-store"}
    body = outcome.response.body
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
        body = _opened_answer(box, body)
    return JSONResponse(body, status_code=outcome.response.status_code, headers=headers)


def _answer(endpoint: WebhookEndpoint, secret: str) -> dict[str, Any]:
    return WebhookEndpointOut.of(endpoint, secret=secret).model_dump(mode="json")


def _sealed_answer(box: SecretBox, endpoint: WebhookEndpoint, secret: str) -> dict[str, Any]:
    """The answer as an idempotency record keeps it: the secret sealed, for this endpoint."""
    answer = _answer(endpoint, secret)
    answer.pop("secret")
    answer[SEALED_SECRET] = box.seal(secret, context=_replay_context(endpoint.id))
    return answer


def _opened_answer(box: SecretBox, stored: dict[str, Any]) -> dict[str, Any]:
    answer = dict(stored)
    sealed = answer.pop(SEALED_SECRET)
    answer["secret"] = box.open(sealed, context=_replay_context(answer["id"]))
    return answer


def _replay_context(endpoint_id: str) -> str:
    return f"webhook secret answer replayed:{endpoint_id}"
