"""Buying credits over the API: the catalogue, checkout, your purchases, Stripe's webhook.

Thin routes: the service checks, authorises and changes. The webhook takes no credentials:
its body is trusted only once its Stripe-Signature verifies against the webhook secret.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER, check_idempotency_key
from reelmint.api.multipart import capped
from reelmint.db.paging import check_limit
from reelmint.domains.payments import service
from reelmint.domains.payments.schemas import (
    CheckoutIn,
    CheckoutOut,
    CreditPackList,
    CreditPackOut,
    PurchaseList,
    PurchaseOut,
    WebhookAck,
)

router = APIRouter(prefix="/v1", tags=["payments"], route_class=ApiRoute)

MAX_WEBHOOK_BYTES = 1024 * 1024

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Makes a retry safe: the same key returns the same purchase and checkout.",
    ),
]


@router.get("/credit_packs", response_model=CreditPackList)
def list_credit_packs(services: ServicesDep) -> CreditPackList:
    """The credit packs on sale: units, price, validity."""
    test_mode = service.provider_for(services.settings).test_mode
    packs = service.list_packs(services.settings)
    return CreditPackList(data=[CreditPackOut.of(pack, test_mode=test_mode) for pack in packs])


@router.post("/checkout", response_model=CheckoutOut, status_code=201)
def checkout(
    body: CheckoutIn,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CheckoutOut:
    """Buy a pack: a pending purchase and the page to pay it on. The sandbox completes it at
    once (test money); Stripe credits it when its webhook says the payment arrived. A retry
    with the same Idempotency-Key answers `Idempotent-Replayed: true`."""
    result = service.start_purchase(
        services=services,
        user=user,
        pack_id=body.pack_id,
        request_key=check_idempotency_key(idempotency_key),
    )
    if result.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return CheckoutOut(purchase=PurchaseOut.of(result.purchase), checkout_url=result.checkout_url)


@router.get("/purchases", response_model=PurchaseList)
def list_purchases(
    user: CurrentUser,
    services: ServicesDep,
    after: Annotated[str | None, Query(max_length=64, description="The last_id so far.")] = None,
    limit: int = 20,
) -> PurchaseList:
    """Your purchases, newest first, a page at a time (`limit` 1-100, `after` the previous
    page's `last_id`)."""
    check_limit(limit, service.MAX_PURCHASES_PAGE)
    with services.db.read() as db:
        rows = service.list_purchases(db=db, actor=user, after=after, limit=limit + 1)
    data = [PurchaseOut.of(p) for p in rows[:limit]]
    return PurchaseList(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=len(rows) > limit,
    )


@router.get("/purchases/{purchase_id}", response_model=PurchaseOut)
def get_purchase(purchase_id: str, user: CurrentUser, services: ServicesDep) -> PurchaseOut:
    with services.db.read() as db:
        return PurchaseOut.of(service.get_purchase(db=db, actor=user, purchase_id=purchase_id))


@router.post("/payments/stripe/webhook", response_model=WebhookAck, include_in_schema=False)
async def stripe_webhook(
    request: Request,
    services: ServicesDep,
    response: Response,
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookAck:
    """Stripe's events. 200 for every verified event, handled or ignored (Stripe retries
    anything else); 400 `invalid_signature` for a body Stripe did not sign; 413 `too_large`
    for a body over MAX_WEBHOOK_BYTES, refused on its declared length before it is read, or
    as soon as the stream passes the cap."""
    hint = "Stripe's events are far smaller"
    payload = b"".join([chunk async for chunk in capped(request, MAX_WEBHOOK_BYTES, hint=hint)])
    outcome = await run_in_threadpool(
        service.handle_webhook,
        services=services,
        provider_name="stripe",
        payload=payload,
        signature_header=stripe_signature,
    )
    response.headers["Cache-Control"] = "no-store"
    return WebhookAck(outcome=outcome)
