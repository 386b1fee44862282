"""Notifications: list yours, mark them read.

Thin routes: the service checks and authorises (another user's notification is not found);
a route opens the transaction and shapes the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.notifications import service
from reelmint.domains.notifications.schemas import (
    NotificationListOut,
    NotificationOut,
    NotificationsReadOut,
)
from reelmint.domains.videos.schemas import ErrorOut

router = APIRouter(prefix="/v1", tags=["notifications"], route_class=ApiRoute)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        400: "The request is not valid; `error.param` names the field to fix.",
        401: "No valid credentials.",
        403: "Not allowed (e.g. a cookie request without its CSRF token).",
        404: "No such notification (or not yours).",
    }
    return {status: {"model": ErrorOut, "description": words[status]} for status in statuses}


@router.get("/notifications", response_model=NotificationListOut, responses=_errors(400, 401, 404))
def list_notifications(
    user: CurrentUser,
    services: ServicesDep,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
    after: Annotated[
        str | None,
        Query(max_length=100, description="The previous page's next_cursor (or its last_id)."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_PAGE, description="Notifications per page, 1-100.")
    ] = 20,
) -> NotificationListOut:
    """Your notifications, newest first; page on with `after=<next_cursor>` while
    `has_more`."""
    with services.db.read() as db:
        page = service.list_notifications(
            db=db, user=user, unread_only=unread, limit=limit, after=after
        )
        unread_count = service.unread_count(db=db, user=user)
    data = [NotificationOut.of(notification) for notification in page.items]
    return NotificationListOut(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=page.has_more,
        next_cursor=page.next_cursor,
        unread_count=unread_count,
    )


@router.post(
    "/notifications/read-all",
    response_model=NotificationsReadOut,
    responses=_errors(401, 403),
)
def mark_all_notifications_read(user: CurrentUser, services: ServicesDep) -> NotificationsReadOut:
    """Mark every notification of yours read."""
    with services.db.write() as db:
        count = service.mark_all_read(db=db, user=user)
    return NotificationsReadOut(marked_read=count)


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    responses=_errors(401, 403, 404),
)
def mark_notification_read(
    notification_id: str, user: CurrentUser, services: ServicesDep
) -> NotificationOut:
    """Mark one notification read (marking it again changes nothing)."""
    with services.db.write() as db:
        notification = service.mark_read(db=db, user=user, notification_id=notification_id)
    return NotificationOut.of(notification)
