"""The feed over the API: everyone's published videos, or those of the creators you follow;
and a creator's public profile and published videos.

Thin routes: the feed service decides what is in it and who may ask for what (the Following
feed needs credentials; a disabled creator is not found); the routes shape the answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentActor, OptionalActor, ServicesDep
from reelmint.domains.feed import creators, likes, service
from reelmint.domains.feed.schemas import (
    CreatorMatchOut,
    CreatorOut,
    CreatorProfileOut,
    CreatorSearchOut,
    FeedItemOut,
    FeedPageOut,
    LikesOut,
)
from reelmint.domains.videos.schemas import ErrorOut, VideoOut

router = APIRouter(prefix="/v1", tags=["feed"], route_class=ApiRoute)

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A damaged cursor (`invalid_cursor`)."},
    401: {"model": ErrorOut, "description": "`scope=following` without valid credentials."},
}
_CREATOR_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "A damaged cursor (`invalid_cursor`)."},
    404: {"model": ErrorOut, "description": "No such user, or disabled (`user_not_found`)."},
}
_LIKE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No valid credentials."},
    404: {"model": ErrorOut, "description": "No such video you can watch (`video_not_found`)."},
    409: {"model": ErrorOut, "description": "Not completed yet (`video_not_completed`)."},
}
UserId = Annotated[str, PathParam(description="The creator's id (user_...).", max_length=64)]
VideoIdParam = Annotated[str, PathParam(description="The video's id (video_...).", max_length=64)]
After = Annotated[str | None, Query(max_length=100, description="The previous page's next_cursor.")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_FEED_PAGE, description="Videos per page, 1-50.")]


@router.get("/feed", response_model=FeedPageOut, responses=_ERRORS, summary="The feed")
def feed(
    actor: OptionalActor,
    services: ServicesDep,
    scope: Annotated[
        str,
        Query(
            description="everyone (default), or following: the creators you follow "
            "(anything else: 400 `invalid_scope`).",
            json_schema_extra={"enum": list(service.FEED_SCOPES)},
        ),
    ] = "everyone",
    after: After = None,
    limit: Limit = 20,
) -> FeedPageOut:
    """Published videos, newest first, with their creators; no credentials needed for
    everyone's feed. Page on with `after=<next_cursor>` while `has_more`."""
    viewer = actor.user if actor is not None else None
    with services.db.read() as db:
        page = service.feed_for(db=db, viewer=viewer, scope=scope, cursor=after, limit=limit)
    return _page_out(page)


@router.get(
    "/users",
    response_model=CreatorSearchOut,
    responses={400: {"model": ErrorOut, "description": "A query too short or too long."}},
    summary="Find creators by name",
)
def search_creators(
    actor: OptionalActor,
    services: ServicesDep,
    q: Annotated[str, Query(description="Part of a display name, 2-80 characters.")] = "",
    limit: Annotated[
        int, Query(ge=1, le=creators.MAX_SEARCH_RESULTS, description="Results, 1-50.")
    ] = 20,
) -> CreatorSearchOut:
    """Creators (users with a published video) whose display name contains `q`
    (case-insensitive), names starting with it first. Emails are never searched or shown. No
    credentials needed."""
    viewer = actor.user if actor is not None else None
    with services.db.read() as db:
        found = creators.search_creators(db=db, viewer=viewer, query=q, limit=limit)
    data = [
        CreatorMatchOut(id=m.user.id, display_name=m.user.display_name, you_follow=m.you_follow)
        for m in found.matches
    ]
    return CreatorSearchOut(data=data, has_more=found.has_more)


@router.get(
    "/users/{user_id}",
    response_model=CreatorProfileOut,
    responses=_CREATOR_ERRORS,
    summary="A creator's profile",
)
def creator_profile(
    user_id: UserId, actor: OptionalActor, services: ServicesDep
) -> CreatorProfileOut:
    """Name, when they joined, and how many published videos, followers and followees they
    have; with credentials, also whether you follow each other. No credentials needed."""
    viewer = actor.user if actor is not None else None
    with services.db.read() as db:
        profile = creators.creator_profile(db=db, viewer=viewer, user_id=user_id)
        return CreatorProfileOut.of(profile)


@router.get(
    "/users/{user_id}/videos",
    response_model=FeedPageOut,
    responses=_CREATOR_ERRORS,
    summary="A creator's published videos",
)
def creator_videos(
    user_id: UserId,
    actor: OptionalActor,
    services: ServicesDep,
    after: After = None,
    limit: Limit = 20,
) -> FeedPageOut:
    """Their videos in the feed, newest first, paged like the feed."""
    viewer = actor.user if actor is not None else None
    with services.db.read() as db:
        page = creators.creator_videos(
            db=db, viewer=viewer, user_id=user_id, cursor=after, limit=limit
        )
    return _page_out(page)


def _page_out(page: service.FeedPage) -> FeedPageOut:
    data = [
        FeedItemOut(
            video=VideoOut.of(item.video),
            creator=CreatorOut(id=item.video.user_id, display_name=item.creator_name),
            following=item.following,
            likes=item.likes,
            liked=item.liked,
        )
        for item in page.items
    ]
    more = page.next_cursor is not None
    return FeedPageOut(data=data, has_more=more, next_cursor=page.next_cursor)


@router.post(
    "/videos/{video_id}/like",
    response_model=LikesOut,
    responses=_LIKE_ERRORS,
    summary="Like a video (extension)",
)
def like_video(video_id: VideoIdParam, actor: CurrentActor, services: ServicesDep) -> LikesOut:
    """Like a completed video you can watch (yours, or a published one); liking again changes
    nothing. 404 `video_not_found`, 409 `video_not_completed`."""
    with services.db.write() as db:
        count = likes.like(db=db, actor=actor.user, video_id=video_id)
    return LikesOut(video_id=video_id, likes=count, liked=True)


@router.delete(
    "/videos/{video_id}/like",
    response_model=LikesOut,
    responses=_LIKE_ERRORS,
    summary="Stop liking a video (extension)",
)
def unlike_video(video_id: VideoIdParam, actor: CurrentActor, services: ServicesDep) -> LikesOut:
    """Take your like back (not liked: no change)."""
    with services.db.write() as db:
        count = likes.unlike(db=db, actor=actor.user, video_id=video_id)
    return LikesOut(video_id=video_id, likes=count, liked=False)
