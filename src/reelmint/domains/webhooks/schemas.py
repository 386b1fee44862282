"""What the webhook endpoints of the API take and give (pydantic)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reelmint.db.base import unix_time, utcnow
from reelmint.domains.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


class WebhookCreate(BaseModel):
    """A new endpoint. Unknown fields are refused, so a misspelt one is not silently lost."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="Where events are POSTed: an http(s) URL on a public address.")
    events: list[str] | None = Field(
        default=None,
        description='Event types to receive: "video.completed", "video.failed". Default: both.',
    )
    description: str | None = Field(default=None, description="A note for yourself.")


class RotateSecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_old_hours: int = Field(
        default=24,
        description="For how many hours (0-72) deliveries are signed with the old secret too, "
        "so your receiver goes on verifying while you change it over; 0 ends the old secret "
        "at once (when it leaked).",
    )


def still_signing(endpoint: WebhookEndpoint) -> datetime | None:
    until = endpoint.previous_secret_until
    return until if until is not None and utcnow() < until else None


class WebhookEndpointOut(BaseModel):
    """An endpoint. `secret` is present only in the answer that created or rotated it."""

    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    url: str
    events: list[str]
    description: str
    created_at: int
    secret_rotated_at: int | None = None
    previous_secret_expires_at: int | None = Field(
        default=None,
        description="After a rotation, until when deliveries carry a signature with the "
        "previous secret too (null: only the current secret signs).",
    )
    disabled_at: int | None = Field(
        default=None,
        description="When the platform turned the endpoint off because its deliveries kept "
        "failing, or because its URL now reaches an address webhooks may not be sent to (a "
        "private one) (null while it is on). While it is off only test events are sent; other "
        "events are listed under /deliveries as not sent and are never sent later. "
        "POST /v1/webhooks/{id}/enable turns it back on.",
    )
    disabled_reason: str | None = Field(
        default=None,
        description="Why it was turned off, with the last error or the refusal (null while on).",
    )
    secret: str | None = Field(
        default=None,
        description="The signing secret (whsec_...), shown only once: store it now. Verify "
        "deliveries with it as in Standard Webhooks.",
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, *, secret: str | None = None) -> WebhookEndpointOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=endpoint.event_list,
            description=endpoint.description,
            created_at=unix_time(endpoint.created_at),
            secret_rotated_at=unix_time(endpoint.secret_rotated_at),
            previous_secret_expires_at=unix_time(still_signing(endpoint)),
            disabled_at=unix_time(endpoint.disabled_at),
            disabled_reason=endpoint.disabled_reason,
            secret=secret,
        )


class WebhookEndpointList(BaseModel):
    object: Literal["list"] = "list"
    data: list[WebhookEndpointOut]
    has_more: bool = False


class WebhookEndpointDeleted(BaseModel):
    id: str
    object: Literal["webhook_endpoint.deleted"] = "webhook_endpoint.deleted"
    deleted: bool = True


class WebhookAttemptOut(BaseModel):
    """One try at delivering: the receiver's HTTP status, or the error that prevented one."""

    attempt: int
    created_at: int
    status_code: int | None
    error: str | None
    duration_ms: int
    response_excerpt: str | None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> WebhookAttemptOut:
        return cls(
            attempt=attempt.attempt,
            created_at=unix_time(attempt.created_at),
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
            response_excerpt=attempt.response_excerpt,
        )


class WebhookDeliveryOut(BaseModel):
    """One event on its way to an endpoint, with every attempt so far."""

    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    webhook_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    created_at: int
    attempts: int
    next_attempt_at: int | None = Field(description="When it is tried again (pending only).")
    delivered_at: int | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[WebhookAttemptOut]

    @classmethod
    def of(cls, delivery: WebhookDelivery, attempts: list[WebhookAttempt]) -> WebhookDeliveryOut:
        pending = delivery.status == "pending"
        return cls(
            id=delivery.id,
            webhook_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status,  # type: ignore[arg-type]
            created_at=unix_time(delivery.created_at),
            attempts=delivery.attempts,
            next_attempt_at=unix_time(delivery.next_attempt_at) if pending else None,
            delivered_at=unix_time(delivery.delivered_at),
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error,
            attempt_log=[WebhookAttemptOut.of(attempt) for attempt in attempts],
        )


class WebhookDeliveryList(BaseModel):
    object: Literal["list"] = "list"
    data: list[WebhookDeliveryOut]
