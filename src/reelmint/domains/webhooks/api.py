"""Webhook endpoints: users register URLs that receive signed video events.

Thin routes: the service checks, authorises and changes; a route opens the transaction and
shapes the answer. Answers carrying a signing secret are marked `Cache-Control: no-store`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.webhooks import service
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


@router.post("/webhooks", response_model=WebhookEndpointOut, status_code=201)
def create_webhook(
    body: WebhookCreate, user: CurrentUser, services: ServicesDep, response: Response
) -> WebhookEndpointOut:
    """Register an endpoint for video events. The answer holds its signing secret, once."""
    request = service.EndpointRequest(
        url=body.url, events=body.events, description=body.description
    )
    endpoint, secret = service.create_endpoint(services=services, actor=user, request=request)
    response.headers["Cache-Control"] = "no-store"
    return WebhookEndpointOut.of(endpoint, secret=secret)


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
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    body: RotateSecretIn | None = None,
) -> WebhookEndpointOut:
    """A new signing secret, shown once; the old one signs too for `keep_old_hours` (24 by
    default, 0 to end it at once)."""
    keep = (body or RotateSecretIn()).keep_old_hours
    with services.db.write() as db:
        endpoint, secret = service.rotate_secret(
            db=db,
            settings=services.settings,
            actor=user,
            endpoint_id=webhook_id,
            keep_old_hours=keep,
        )
    response.headers["Cache-Control"] = "no-store"
    return WebhookEndpointOut.of(endpoint, secret=secret)


@router.post("/webhooks/{webhook_id}/enable", response_model=WebhookEndpointOut)
def enable_webhook(webhook_id: str, user: CurrentUser, services: ServicesDep) -> WebhookEndpointOut:
    """Turn an endpoint the platform turned off back on: events from now on are sent to it,
    and its failures are counted afresh. Events missed while it was off are not sent. An
    endpoint that is on is returned as it is."""
    with services.db.write() as db:
        endpoint = service.enable_endpoint(db=db, actor=user, endpoint_id=webhook_id)
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
