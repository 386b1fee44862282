"""The feed over the API: everyone's published videos, or those of the creators you follow.

Thin route: the feed service decides what is in it and who may ask for what (the Following
feed needs credentials); the route shapes the answer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from reelmint.api.deps import OptionalActor, ServicesDep
from reelmint.domains.feed import service
from reelmint.domains.feed.schemas import CreatorOut, FeedItemOut, FeedPageOut
from reelmint.domains.videos.schemas import ErrorOut, VideoOut

router = APIRouter(prefix="/v1", tags=["feed"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A damaged cursor (`invalid_cursor`)."},
    401: {"model": ErrorOut, "description": "`scope=following` without valid credentials."},
}


@router.get("/feed", response_model=FeedPageOut, responses=_ERRORS, summary="The feed")
def feed(
    actor: OptionalActor,
    services: ServicesDep,
    scope: Annotated[
        Literal["everyone", "following"],
        Query(description="everyone (default), or following: the creators you follow."),
    ] = "everyone",
    after: Annotated[
        str | None, Query(max_length=100, description="The previous page's next_cursor.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_FEED_PAGE, description="Videos per page, 1-50.")
    ] = 20,
) -> FeedPageOut:
    """Published videos, newest first, with their creators; no credentials needed for
    everyone's feed. Page on with `after=<next_cursor>` while `has_more`."""
    viewer = actor.user if actor is not None else None
    with services.db.read() as db:
        page = service.feed_for(db=db, viewer=viewer, scope=scope, cursor=after, limit=limit)
    data = [
        FeedItemOut(
            video=VideoOut.of(item.video),
            creator=CreatorOut(id=item.video.user_id, display_name=item.creator_name),
            following=item.following,
        )
        for item in page.items
    ]
    more = page.next_cursor is not None
    return FeedPageOut(data=data, has_more=more, next_cursor=page.next_cursor)
