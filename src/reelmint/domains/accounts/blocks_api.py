"""Blocking: block and unblock a user, list whom you blocked (accounts/blocks.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.accounts import blocks
from reelmint.domains.accounts.follows_api import After, UserId, people_page_json

router = APIRouter(prefix="/v1", tags=["accounts"], route_class=ApiRoute)
Limit = Annotated[
    int, Query(ge=1, le=blocks.MAX_BLOCKED_PAGE, description="Users per page, 1-200.")
]


@router.post("/users/{user_id}/block", summary="Block a user")
def block(user_id: UserId, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Blocking again changes nothing. Any follow between you ends; they are not told."""
    with services.db.write() as db:
        blocks.block(db=db, actor=user, user_id=user_id)
    return {"object": "block", "user_id": user_id, "blocked": True}


@router.delete("/users/{user_id}/block", summary="Unblock a user")
def unblock(user_id: UserId, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Unblocking someone not blocked changes nothing; follows ended by the block stay ended."""
    with services.db.write() as db:
        blocks.unblock(db=db, actor=user, user_id=user_id)
    return {"object": "block", "user_id": user_id, "blocked": False}


@router.get("/me/blocked", summary="The users you blocked")
def list_blocked(
    user: CurrentUser, services: ServicesDep, after: After = None, limit: Limit = 50
) -> dict[str, Any]:
    """Most recently blocked first; page on with `after` = `next_cursor` while `has_more`."""
    with services.db.read() as db:
        page = blocks.blocked_by(db=db, user=user, limit=limit, after=after)
    return people_page_json(page)
