"""Email confirmation over the API, for clients with their own screens (the web pages are
/confirm-email/{token} and Settings): send a new link, and confirm with a link's token, both
with the account's own credentials."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.accounts.email_confirmation import confirm_email, send_confirmation
from reelmint.domains.accounts.service import get_user

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=ApiRoute)


class ConfirmationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: StrictStr = Field(
        max_length=200, description="The token of the emailed link: what follows /confirm-email/."
    )


@router.post(
    "/me/email-confirmation", status_code=202, summary="Email a new link to confirm your address"
)
def send_link(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """`sent` false when the address is confirmed already (nothing to do). 429
    `confirmation_recently_sent` when a link went a few minutes ago; older links stop
    working once a new one is sent."""
    with services.db.write() as db:
        mine = get_user(db=db, user_id=user.id)
        sent = send_confirmation(db=db, settings=services.settings, user=mine)
        return {
            "object": "email_confirmation_request",
            "sent": sent,
            "email": mine.email,
            "email_confirmed": mine.email_confirmed_at is not None,
            "expires_in_days": services.settings.email_confirmation_days,
        }


@router.post("/me/email-confirmation/confirm", summary="Confirm your address with an emailed link")
def confirm(body: ConfirmationIn, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The link's token, sent with the credentials of the account it was emailed for: both
    halves of the proof. Using it again changes nothing. 400 `invalid_confirmation_link` when
    it expired, was replaced by a newer one, or was made up; 403
    `confirmation_for_another_account` when it names another account."""
    with services.db.write() as db:
        mine = get_user(db=db, user_id=user.id)
        confirmed = confirm_email(db=db, settings=services.settings, token=body.token, user=mine)
        return {"object": "email_confirmation", "user_id": confirmed.id, "email_confirmed": True}
