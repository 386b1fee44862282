"""What the cameo endpoints take and give (pydantic), where a body is JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.domains.cameos.service import MAX_RESTRICTION_CHARS, MAX_RESTRICTIONS

PermissionName = Literal["only_me", "approved", "mutual", "everyone"]


class CameoUpdateIn(BaseModel):
    """Change who may use a cameo, its restrictions, or its display name; omitted: kept."""

    model_config = ConfigDict(extra="forbid")

    display_name: StrictStr | None = Field(default=None, max_length=200)
    permission: PermissionName | None = Field(
        default=None,
        description="only_me, approved (users you approve), mutual (people who follow you "
        "and whom you follow) or everyone.",
    )
    restrictions: list[Annotated[StrictStr, Field(max_length=MAX_RESTRICTION_CHARS)]] | None = (
        Field(
            default=None,
            max_length=MAX_RESTRICTIONS,
            description="Words or phrases a prompt using the cameo may not contain (replaces the "
            "list).",
        )
    )


class ApprovalIn(BaseModel):
    """The user to approve: by id or by email (one of them)."""

    model_config = ConfigDict(extra="forbid")

    user_id: StrictStr | None = Field(default=None, max_length=64)
    email: StrictStr | None = Field(default=None, max_length=320)


class ConsentOut(BaseModel):
    """The phrase to type back (as `consent_phrase`) when creating a cameo."""

    object: Literal["cameo.consent"] = "cameo.consent"
    phrase: str
    statement: str = Field(description="What typing the phrase means.")
    expires_at: int = Field(description="Unix seconds; ask for a new phrase after this.")


class PermissionOut(BaseModel):
    """Whether you may use a cameo (in a prompt, when one is given)."""

    object: Literal["cameo.permission"] = "cameo.permission"
    handle: str
    display_name: str
    allowed: bool
    code: str | None = Field(description="cameo_permission_denied when not allowed.")
    reason: str | None = Field(description="Why not, and what to do.")
