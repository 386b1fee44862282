"""What the notification endpoints of the API give (pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from reelmint.db.base import unix_time
from reelmint.domains.notifications.models import Notification


class NotificationOut(BaseModel):
    """One notification."""

    id: str
    object: Literal["notification"] = "notification"
    kind: str = Field(description="What it is about, a stable name such as `quota_change`.")
    title: str
    body: str
    link: str | None = Field(description="A path on this server to read more, if any.")
    read: bool
    read_at: int | None = Field(description="When it was marked read (Unix seconds).")
    created_at: int

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(
            id=notification.id,
            kind=notification.kind,
            title=notification.title,
            body=notification.body,
            link=notification.link,
            read=notification.read_at is not None,
            read_at=unix_time(notification.read_at),
            created_at=unix_time(notification.created_at),
        )


class NotificationListOut(BaseModel):
    """A page of notifications, newest first: pass `next_cursor` (or `last_id`) as `after`
    for the next."""

    object: Literal["list"] = "list"
    data: list[NotificationOut]
    first_id: str | None
    last_id: str | None
    has_more: bool
    next_cursor: str | None = Field(
        default=None,
        description="`after` for the next page (null on the last): unlike `last_id`, it still "
        "works if that notification is deleted meanwhile.",
    )
    unread_count: int = Field(description="All your unread notifications, not just this page.")


class NotificationsReadOut(BaseModel):
    """The answer to marking everything read."""

    object: Literal["notification.read_all"] = "notification.read_all"
    marked_read: int = Field(description="How many were unread until now.")
    unread_count: int = 0
