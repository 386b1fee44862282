"""Administrators suspend an account, saying why, and reinstate it (`accounts.suspension`)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import AdminUser, ServicesDep
from reelmint.db.base import unix_time
from reelmint.domains.accounts import suspension
from reelmint.domains.accounts.models import User

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=ApiRoute)
UserId = Annotated[str, PathParam(description="The account's id (user_...).", max_length=64)]


class SuspendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(  # checked by the service: 400 `invalid_reason` at any length
        json_schema_extra={"maxLength": suspension.MAX_REASON_CHARS},
        description="Why, on one line of 1-500 characters: the person reads it (by email).",
    )


class SuspensionOut(BaseModel):
    """An account's suspension: `suspended_at` and `reason` are null when it is not."""

    object: Literal["account_suspension"] = "account_suspension"
    user_id: str
    suspended: bool
    suspended_at: int | None = Field(description="Unix seconds; null when not suspended.")
    reason: str | None
    sessions_ended: int = Field(0, description="Browser sessions the suspension ended.")
    withdrawn: list[str] = Field(
        default_factory=list,
        description="Others' videos taken off the feed because they play this account's again.",
    )

    @classmethod
    def of(cls, user: User, done: suspension.Suspension | None = None) -> SuspensionOut:
        return cls(
            user_id=user.id,
            suspended=user.suspended_at is not None,
            suspended_at=unix_time(user.suspended_at),
            reason=user.suspended_reason,
            sessions_ended=done.sessions_ended if done else 0,
            withdrawn=done.withdrawn if done else [],
        )


@router.post(
    "/admin/users/{user_id}/suspend",
    response_model=SuspensionOut,
    summary="Suspend an account (administrators)",
)
def suspend(
    user_id: UserId, body: SuspendIn, user: AdminUser, services: ServicesDep
) -> SuspensionOut:
    """The account can no longer sign in or use its tokens, and its videos are seen by no one
    else, until reinstated; it keeps everything. The person is told why by email. Again with
    the same reason: no change; with another: 409 `already_suspended`."""
    with services.db.write() as db:
        done = suspension.suspend_account(
            db=db,
            actor=user,
            user_id=user_id,
            reason=body.reason,
            contact=services.settings.operator_contact,
        )
        return SuspensionOut.of(done.user, done)


@router.post(
    "/admin/users/{user_id}/reinstate",
    response_model=SuspensionOut,
    summary="End an account's suspension (administrators)",
)
def reinstate(user_id: UserId, user: AdminUser, services: ServicesDep) -> SuspensionOut:
    """The account may sign in again and its published videos are seen again; the person is
    told. 409 `not_suspended` for an account that is not."""
    with services.db.write() as db:
        return SuspensionOut.of(suspension.reinstate_account(db=db, actor=user, user_id=user_id))


class SuspensionList(BaseModel):
    object: Literal["list"] = "list"
    data: list[SuspensionOut]
    has_more: bool = Field(description="More suspended accounts follow this page.")
    next_cursor: str | None = Field(description="Pass as `after` for the next page.")


@router.get(
    "/admin/suspensions",
    response_model=SuspensionList,
    summary="The suspended accounts (administrators)",
)
def suspended(
    user: AdminUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=suspension.MAX_PAGE)] = 50,
    after: Annotated[
        str | None,
        Query(max_length=128, description="The previous page's next_cursor, or a user id."),
    ] = None,
) -> SuspensionList:
    """The suspended accounts, the most recently suspended first, a page at a time."""
    with services.db.read() as db:
        page = suspension.suspended_accounts(db=db, actor=user, limit=limit, after=after)
        data = [SuspensionOut.of(account) for account in page.users]
    return SuspensionList(data=data, has_more=page.has_more, next_cursor=page.next_cursor)
