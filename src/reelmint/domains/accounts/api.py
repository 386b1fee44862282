"""Account endpoints of the API (the web pages manage sign-up, sessions and tokens)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.domains.accounts.email_change import live_pending_email
from reelmint.domains.accounts.export import (
    export_filename,
    export_slot,
    exports_dir,
    write_export,
)
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import get_user, rename, set_timezone
from reelmint.domains.notifications.service import set_social_notifications

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=ApiRoute)
EXPORT_CHUNK = 1 << 20


class Me(BaseModel):
    id: str
    object: str = "user"
    email: str
    display_name: str
    role: str
    plan: str
    email_confirmed: bool = Field(
        description="Whether you confirmed your address with the link emailed at sign-up. "
        "Until then you are emailed nothing else (your notifications are in the app) and "
        "cameo owners cannot approve you by this address; POST /v1/me/email-confirmation "
        "sends a new link."
    )
    pending_email: str | None = Field(
        description="The address you asked to change to, until the link emailed to it is used "
        "(POST /v1/me/email-change); null when no change is pending or its link expired."
    )
    timezone: str = Field(description="IANA time zone: the daily quota resets at its midnight.")
    notify_social: bool = Field(
        description="Whether you are told, in the app, of a new follower and of your videos' "
        "like milestones (the first like, then 10, 100, 1000...)."
    )

    @classmethod
    def of(cls, user: User, settings: Settings) -> Me:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            plan=user.plan,
            email_confirmed=user.email_confirmed_at is not None,
            pending_email=live_pending_email(user, settings),
            timezone=user.timezone,
            notify_social=user.notify_social,
        )


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: StrictStr | None = Field(
        default=None, max_length=64, description="An IANA time zone such as Europe/Paris."
    )
    display_name: StrictStr | None = Field(
        default=None,
        description="The name others see on your videos and profile (1-80 characters, spaces "
        "collapsed; longer is 400 `invalid_display_name`, as from the service).",
    )
    notify_social: StrictBool | None = Field(
        default=None,
        description="Be told in the app of new followers and of like milestones (true) or not.",
    )


@router.get("/me", response_model=Me)
def me(user: CurrentUser, services: ServicesDep) -> Me:
    """The account the credentials belong to."""
    return Me.of(user, services.settings)


@router.patch("/me", response_model=Me)
def update_me(body: MeUpdate, user: CurrentUser, services: ServicesDep) -> Me:
    """Change your settings: the time zone your day (and daily quota) follows, the name
    others see, and whether social news (followers, like milestones) is told to you. If one
    is refused, none changes."""
    with services.db.write() as db:
        mine = get_user(db=db, user_id=user.id)
        if body.timezone is not None:
            set_timezone(db=db, user=mine, timezone=body.timezone)
        if body.display_name is not None:
            rename(db=db, user=mine, display_name=body.display_name)
        if body.notify_social is not None:
            set_social_notifications(db=db, user=mine, on=body.notify_social)
        return Me.of(mine, services.settings)


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "A ZIP file."}},
    summary="Download your data",
)
def export_me(user: CurrentUser, services: ServicesDep) -> StreamingResponse:
    """Your data, to take with you: `account.json` (account, videos with prompts and
    storyboards, cameos, follows, notifications, token names, webhook URLs; no signing secret
    or token), `statement.csv`, and your videos' and active cameos' files. One export per user
    at a time (429 `export_in_progress`)."""
    return export_response(services, user.id)


def export_response(services: Services, user_id: str) -> StreamingResponse:
    """The export as a download, streamed from its file, which is removed once sent, cut off,
    or if writing it fails (housekeeping sweeps any a crash leaves). Not range-served: every
    export is built afresh, so two requests never make one file."""
    with export_slot(services, user_id):
        handle, name = tempfile.mkstemp(
            prefix="reelmint-export-", suffix=".zip", dir=exports_dir(services)
        )
        os.close(handle)
        path = Path(name)
        try:
            write_export(services=services, user_id=user_id, target=path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return StreamingResponse(
        _read_then_remove(path),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{export_filename()}"',
            "Content-Length": str(path.stat().st_size),
            "Cache-Control": "no-store",
        },
    )


def _read_then_remove(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as source:
            while chunk := source.read(EXPORT_CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
