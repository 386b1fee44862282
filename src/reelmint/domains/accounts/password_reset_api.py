"""Password reset over the API, for clients with their own sign-in screen (the web pages are
/forgot-password and /reset-password/{token}); no credentials needed, as the caller has none."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import ServicesDep
from reelmint.domains.accounts.networks import request_network
from reelmint.domains.accounts.password_reset import request_password_reset, reset_password

router = APIRouter(prefix="/v1/auth", tags=["accounts"], route_class=ApiRoute)


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: StrictStr = Field(max_length=320, description="The account's email address.")


class ResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: StrictStr = Field(
        max_length=200, description="The token of the emailed link: what follows /reset-password/."
    )
    password: StrictStr = Field(max_length=1000, description="The new password (10-256 chars).")


@router.post("/password-reset", status_code=202, summary="Email a password reset link")
def ask_for_reset(body: ResetRequest, request: Request, services: ServicesDep) -> dict[str, Any]:
    """The same answer whether the address has an account or not (closed and disabled ones get
    no email, and one account at most one email every few minutes); 400 `invalid_email` when
    it is not an email address; 429 `too_many_reset_requests` when the caller's network has
    asked for too many this hour (`password_resets_per_network_per_hour`)."""
    with services.db.write() as db:
        request_password_reset(
            db=db,
            settings=services.settings,
            email=body.email,
            network=request_network(request),
        )
    return {
        "object": "password_reset_request",
        "message": "if an account exists for that address, a link to choose a new password "
        "was emailed to it",
        "expires_in_minutes": services.settings.password_reset_minutes,
    }


@router.post("/password-reset/confirm", summary="Set a new password with an emailed link")
def confirm_reset(body: ResetConfirm, services: ServicesDep) -> dict[str, Any]:
    """Sets the password, ends every browser session of the account and clears its failed
    sign-ins; the link stops working. 400 `invalid_reset_link` (expired, used, replaced,
    made up) or `weak_password`. API tokens stay."""
    with services.db.write() as db:
        user, ended = reset_password(
            db=db, settings=services.settings, token=body.token, password=body.password
        )
        return {"object": "password_reset", "user_id": user.id, "sessions_ended": ended}
