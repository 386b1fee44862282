"""Account endpoints of the API (the web pages manage sign-up, sessions and tokens)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from reelmint.api.deps import CurrentUser

router = APIRouter(prefix="/v1", tags=["accounts"])


class Me(BaseModel):
    id: str
    object: str = "user"
    email: str
    display_name: str
    role: str
    plan: str


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    """The account the credentials belong to."""
    return Me(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        plan=user.plan,
    )
