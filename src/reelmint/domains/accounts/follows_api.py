"""Following: follow and unfollow a user, list whom you follow and who follows you."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.accounts import follows
from reelmint.domains.accounts.blocks import BlockedPage
from reelmint.domains.accounts.models import User

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=ApiRoute)
UserId = Annotated[str, PathParam(description="The user's id (user_...).", max_length=64)]
After = Annotated[
    str | None,
    Query(max_length=100, description="The previous page's next_cursor (or its last_id)."),
]
Limit = Annotated[
    int, Query(ge=1, le=follows.MAX_PEOPLE_PAGE, description="Users per page, 1-200.")
]


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "object": "user", "display_name": user.display_name}


@router.post("/users/{user_id}/follow", summary="Follow a user")
def follow(user_id: UserId, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Following again changes nothing. `mutual` says whether they follow you too."""
    with services.db.write() as db:
        follows.follow(db=db, actor=user, user_id=user_id)
        mutual = follows.are_mutual(db=db, a=user.id, b=user_id)
    return {"object": "follow", "user_id": user_id, "following": True, "mutual": mutual}


@router.delete("/users/{user_id}/follow", summary="Stop following a user")
def unfollow(user_id: UserId, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    with services.db.write() as db:
        follows.unfollow(db=db, actor=user, user_id=user_id)
    return {"object": "follow", "user_id": user_id, "following": False, "mutual": False}


@router.get("/me/following", summary="The users you follow")
def list_following(
    user: CurrentUser, services: ServicesDep, after: After = None, limit: Limit = 50
) -> dict[str, Any]:
    """Most recently followed first; page on with `after` = `next_cursor` while `has_more`."""
    with services.db.read() as db:
        page = follows.following(db=db, user=user, limit=limit, after=after)
    return people_page_json(page)


@router.get("/me/followers", summary="The users who follow you")
def list_followers(
    user: CurrentUser, services: ServicesDep, after: After = None, limit: Limit = 50
) -> dict[str, Any]:
    """Most recent first; page on with `after` = `next_cursor` while `has_more`."""
    with services.db.read() as db:
        page = follows.followers(db=db, user=user, limit=limit, after=after)
    return people_page_json(page)


def people_page_json(page: follows.PeoplePage | BlockedPage) -> dict[str, Any]:
    """A page of people as the API lists them (follow lists, blocked users)."""
    data = [_user_json(u) for u in page.users]
    first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
    return {
        "object": "list",
        "data": data,
        "first_id": first,
        "last_id": last,
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
    }
