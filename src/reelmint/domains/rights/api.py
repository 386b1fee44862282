"""Characters: rights holders register and manage them; anyone may read the catalogue (so a
creator knows a character's policy and fee before using it); holders see their earnings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.rights import service
from reelmint.domains.wallet.service import earnings_account

router = APIRouter(prefix="/v1", tags=["characters"])


class CharacterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: StrictStr = Field(max_length=64, description="Your rights-holder org.")
    handle: StrictStr = Field(max_length=40, description="For @mentions: a-z, 0-9, _.")
    name: StrictStr = Field(max_length=120)
    description: StrictStr = Field(default="", max_length=2000)
    aliases: list[Annotated[StrictStr, Field(max_length=80)]] = Field(default=[], max_length=20)
    policy: Literal["blocked", "licensed", "open"] = "licensed"
    audience: Literal["everyone", "approved", "nobody"] = "everyone"
    banned_themes: list[Annotated[StrictStr, Field(max_length=80)]] = Field(
        default=[], max_length=50
    )
    fee_units: StrictInt = Field(default=0, ge=0, le=service.MAX_FEE_UNITS)
    holder_share_bps: StrictInt = Field(default=7000, ge=0, le=10_000)

    def request(self) -> service.CharacterRequest:
        return service.CharacterRequest(
            handle=self.handle,
            name=self.name,
            description=self.description,
            aliases=tuple(self.aliases),
            policy=self.policy,
            audience=self.audience,
            banned_themes=tuple(self.banned_themes),
            fee_units=self.fee_units,
            holder_share_bps=self.holder_share_bps,
        )


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: StrictStr = Field(max_length=64)


@router.post("/characters", status_code=201, summary="Register a character")
def create_character(body: CharacterIn, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    with services.db.write() as db:
        character = service.register_character(
            db=db, actor=user, organisation_id=body.organisation_id, request=body.request()
        )
        return service.character_json(character)


@router.get("/characters", summary="The character catalogue")
def list_characters(
    services: ServicesDep,
    organisation_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    with services.db.read() as db:
        found = service.list_characters(db=db, organisation_id=organisation_id)
        return {"object": "list", "data": [service.character_json(c) for c in found]}


@router.get("/characters/{character_id}", summary="A character")
def get_character(character_id: str, services: ServicesDep) -> dict[str, Any]:
    with services.db.read() as db:
        return service.character_json(service.get_character(db=db, character_id=character_id))


@router.put("/characters/{character_id}", summary="Change a character")
def update_character(
    character_id: str, body: CharacterIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        character = service.update_character(
            db=db, actor=user, character_id=character_id, request=body.request()
        )
        return service.character_json(character)


@router.post("/characters/{character_id}/approvals", summary="Approve a user")
def approve(
    character_id: str, body: ApprovalIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        service.approve_user(db=db, actor=user, character_id=character_id, user_id=body.user_id)
    return {"object": "character.approval", "character_id": character_id, "user_id": body.user_id}


@router.delete("/characters/{character_id}/approvals/{user_id}", summary="Withdraw an approval")
def unapprove(
    character_id: str, user_id: str, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        service.revoke_approval(db=db, actor=user, character_id=character_id, user_id=user_id)
    return {"object": "character.approval", "deleted": True}


@router.get("/organisations/{organisation_id}/earnings", summary="A rights holder's earnings")
def earnings(organisation_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Licence-fee shares: pending (for `rights_hold_days`) and available, in units."""
    with services.db.write() as db:  # the accounts are made on first read
        service.holder_organisation(db=db, actor=user, organisation_id=organisation_id)
        pending = earnings_account(db=db, organisation_id=organisation_id)
        available = earnings_account(db=db, organisation_id=organisation_id, available=True)
        return {
            "object": "earnings",
            "organisation_id": organisation_id,
            "pending": pending.balance,
            "available": available.balance,
        }
