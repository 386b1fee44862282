"""Changing your email address over the API, for clients with their own screens (the web has
Settings, /change-email/{token} and /cancel-email-change/{token}): ask with the password,
confirm with the token of the link emailed to the new address, or cancel, with the account's
own credentials; or cancel with the token of the link emailed to the old address, with none
(whoever asked knows the password, so the owner may have no way left to sign in)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentActor, CurrentUser, ServicesDep, password_checks
from reelmint.domains.accounts.email_change import (
    cancel_email_change,
    cancel_email_change_by_link,
    confirm_email_change,
    request_email_change,
)
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import get_user

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=ApiRoute)


class EmailChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: StrictStr = Field(max_length=400, description="The new address.")
    password: StrictStr = Field(max_length=256, description="Your account's password.")


class EmailChangeConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: StrictStr = Field(
        max_length=200, description="The token of the emailed link: what follows /change-email/."
    )


class EmailChangeCancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: StrictStr = Field(
        max_length=200,
        description="The token of the link emailed to the old address: what follows "
        "/cancel-email-change/.",
    )


@router.post("/me/email-change", status_code=202, summary="Ask to change your email address")
def ask(
    body: EmailChangeIn, actor: CurrentActor, request: Request, services: ServicesDep
) -> dict[str, Any]:
    """Emails a link to the new address; your address changes only when that link's token is
    confirmed (POST /v1/me/email-change/confirm), within `expires_in_days`. A confirmed old
    address is told. Asking again replaces the pending change. An address another account
    has is answered the same (that account is mailed instead, with no link), so this tells
    nobody which addresses have accounts. 403 `wrong_password`; 400 `invalid_email` or
    `same_email`; 409 `email_off` on a server that sends no email; 429
    `email_change_recently_sent` a few minutes after the last request. A wrong password counts
    as a failed sign-in (429 `too_many_attempts` after too many)."""
    user = actor.user
    with password_checks(request, services, actor), services.db.write() as db:
        mine = get_user(db=db, user_id=user.id)
        request_email_change(
            db=db,
            settings=services.settings,
            user=mine,
            new_email=body.email,
            password=body.password,
        )
        return _request_of(mine, services.settings.email_confirmation_days)


@router.post("/me/email-change/confirm", summary="Change your address with an emailed link")
def confirm(body: EmailChangeConfirmIn, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The link's token, sent with the credentials of the account that asked: the pending
    address becomes yours, confirmed. 400 `invalid_email_change_link` when it expired, was
    cancelled or replaced, or was made up; 403 `confirmation_for_another_account` when it
    names another account; 409 `email_taken` when another account took the address since."""
    with services.db.write() as db:
        mine = get_user(db=db, user_id=user.id)
        changed = confirm_email_change(
            db=db, settings=services.settings, token=body.token, user=mine
        )
        return {"object": "email_change", "email": changed.email, "email_confirmed": True}


@router.delete("/me/email-change", summary="Cancel a pending change of email address")
def cancel(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The emailed link stops working. `cancelled` false when no change was pending."""
    with services.db.write() as db:
        mine = get_user(db=db, user_id=user.id)
        cancelled = cancel_email_change(mine)
        db.flush()
        return {**_request_of(mine, None), "cancelled": cancelled}


@router.post("/email-change/cancel", summary="Stop a change of email address with an emailed link")
def cancel_by_link(body: EmailChangeCancelIn, services: ServicesDep) -> dict[str, Any]:
    """No credentials needed: the token of the link emailed to a confirmed old address stops
    the pending change (the new address's link stops working). 400 `invalid_cancel_link` when
    the change was made, cancelled or replaced since, the link expired, or it was made up. A
    new password is the next thing to set: whoever asked knows the current one."""
    with services.db.write() as db:
        user = cancel_email_change_by_link(db=db, settings=services.settings, token=body.token)
        return {**_request_of(user, None), "cancelled": True}


def _request_of(user: User, days: int | None) -> dict[str, Any]:
    return {
        "object": "email_change_request",
        "email": user.email,
        "pending_email": user.pending_email,
        "expires_in_days": days if user.pending_email else None,
    }
