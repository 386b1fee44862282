"""Characters: rights holders register and manage them and their reference images; anyone may
read the catalogue and see the images (so a creator knows a character's policy and fee before
using it, and fans and detectors what it looks like); holders see their earnings.
Claims on videos (/v1/claims, claims_api.py) are served by this router too."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.api.files import stored_file
from reelmint.api.multipart import FormSpec, read_image_form
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.rights import images, service
from reelmint.domains.rights.claims_api import router as claims_router
from reelmint.domains.rights.models import Character
from reelmint.domains.uploads import remove_files
from reelmint.domains.wallet.api import MAX_STATEMENT, StatementAfter, statement_response
from reelmint.domains.wallet.service import earnings_account, organisation_statement
from reelmint.scratch import scratch_folder

router = APIRouter(prefix="/v1", tags=["characters"], route_class=ApiRoute)

Position = Annotated[int, PathParam(ge=0, le=2**31 - 1, description="The image's position.")]
# Public, but revalidated on every use: a position freed by a delete is taken by the next
# upload, and a cache must never show the deleted picture under it.
IMAGE_CACHE = "public, no-cache"
IMAGE_FORM = FormSpec(
    fields=(),
    media_hint="send the images as multipart/form-data: one or more `images` files (JPEG, PNG "
    "or WebP)",
)


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
    holder_share_bps: StrictInt | None = Field(
        default=None,
        ge=0,
        le=10_000,
        description="Your share of each fee in basis points; left out: 7000, or the platform's "
        "most (REELMINT_HOLDER_SHARE_MAX_BPS) if that is lower.",
    )

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
            db=db,
            actor=user,
            organisation_id=body.organisation_id,
            request=body.request(),
            max_share_bps=services.settings.holder_share_max_bps,
        )
        return service.character_json(character)


@router.get("/characters", summary="The character catalogue")
def list_characters(
    services: ServicesDep,
    organisation_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    with services.db.read() as db:
        found = service.list_characters(db=db, organisation_id=organisation_id)
        pictures = images.images_by_character(db=db, characters=found)
        data = [service.character_json(c, pictures[c.id]) for c in found]
        return {"object": "list", "data": data}


@router.get("/characters/{character_id}", summary="A character")
def get_character(character_id: str, services: ServicesDep) -> dict[str, Any]:
    with services.db.read() as db:
        return _with_images(db, service.get_character(db=db, character_id=character_id))


@router.put("/characters/{character_id}", summary="Change a character")
def update_character(
    character_id: str, body: CharacterIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        character = service.update_character(
            db=db,
            actor=user,
            character_id=character_id,
            request=body.request(),
            max_share_bps=services.settings.holder_share_max_bps,
            organisation_id=body.organisation_id,
        )
        return _with_images(db, character)


@router.delete("/characters/{character_id}", summary="Retire a character")
def retire_character(
    character_id: str,
    user: CurrentUser,
    services: ServicesDep,
    reason: Annotated[
        str,
        Query(
            max_length=service.MAX_RETIRE_REASON,
            description="Why; required of an administrator retiring another holder's character "
            "(its members are told).",
        ),
    ] = "",
) -> dict[str, Any]:
    """Retire a character for good (its holder's members, or an administrator): it is no
    longer detected, listed or claimable, its claims in force are released and its reference
    images removed; its handle stays taken."""
    with services.db.write() as db:
        retired = service.retire_character(
            db=db, actor=user, character_id=character_id, reason=reason
        )
    remove_files(services.storage, retired.image_keys)
    return {
        "id": character_id,
        "object": "character.deleted",
        "deleted": True,
        "claims_released": retired.claims_ended,
    }


def _with_images(db: Session, character: Character) -> dict[str, Any]:
    return service.character_json(character, images.images_of(db=db, character=character))


# --- reference images -------------------------------------------------------------------------

IMAGES_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["images"],
    "properties": {
        "images": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "1 to character_max_images (in all) images: JPEG, PNG or WebP.",
        }
    },
}


@router.post(
    "/characters/{character_id}/images",
    status_code=201,
    summary="Add reference images to a character",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": IMAGES_FORM_SCHEMA}},
        }
    },
)
async def add_images(
    character_id: str, request: Request, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """multipart/form-data: one or more `images` files (JPEG, PNG or WebP), added after the
    existing ones. Members of the character's rights holder only. Each image is checked and
    stored re-encoded as JPEG (its metadata dropped); a refusal adds none of them."""
    await run_in_threadpool(_editable, services, user, character_id)  # before reading the body
    rules = images.image_rules(services.settings)
    with scratch_folder("character") as scratch:
        form = await read_image_form(request, folder=Path(scratch), rules=rules, spec=IMAGE_FORM)
        added = await run_in_threadpool(
            images.add_images,
            services=services,
            actor=user,
            character_id=character_id,
            images=form.images,
        )
    return {"object": "list", "data": [images.image_json(image) for image in added]}


def _editable(services: Services, user: User, character_id: str) -> None:
    with services.db.read() as db:
        images.editable_character(db=db, actor=user, character_id=character_id)


@router.get("/characters/{character_id}/images", summary="A character's reference images")
def list_images(character_id: str, services: ServicesDep) -> dict[str, Any]:
    """Public, like the catalogue: what the character looks like."""
    with services.db.read() as db:
        found = images.list_images(db=db, character_id=character_id)
    return {"object": "list", "data": [images.image_json(image) for image in found]}


@router.get(
    "/characters/{character_id}/images/{position}",
    summary="A character's reference image (JPEG)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def get_image(character_id: str, position: Position, services: ServicesDep) -> Response:
    """Public, like the catalogue."""
    with services.db.read() as db:
        found = images.get_image(db=db, character_id=character_id, position=position)
    return stored_file(
        services.storage,
        found.storage_key,
        found.content_type,
        what="image",
        cache_control=IMAGE_CACHE,
    )


@router.delete("/characters/{character_id}/images/{position}", summary="Delete a reference image")
def delete_image(
    character_id: str, position: Position, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """Members of the character's rights holder only; the other images keep their positions."""
    deleted = images.delete_image(
        services=services, actor=user, character_id=character_id, position=position
    )
    return {
        "object": "character.image",
        "character_id": deleted.character_id,
        "position": deleted.position,
        "deleted": True,
    }


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
    """Licence-fee shares: pending (for `rights_hold_days`), available, and asked for in
    payouts not yet paid (`in_payout`, not available meanwhile), in units."""
    with services.db.write() as db:  # the accounts are made on first read
        service.holder_organisation(db=db, actor=user, organisation_id=organisation_id)
        pending = earnings_account(db=db, organisation_id=organisation_id)
        available = earnings_account(db=db, organisation_id=organisation_id, available=True)
        return {
            "object": "earnings",
            "organisation_id": organisation_id,
            "pending": pending.balance,
            "available": available.available,
            "in_payout": available.reserved,
        }


@router.get(
    "/organisations/{organisation_id}/earnings/statement",
    summary="Every movement on a rights holder's earnings",
)
def earnings_statement(
    organisation_id: str,
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_STATEMENT)] = 100,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    after: StatementAfter = None,
) -> Response:
    """Newest first: each licence fee's share, its release after the hold, and payouts asked
    for, paid or given back; `format=csv` downloads it; pages as the wallet statement does.
    Members of the organisation only."""
    with services.db.read() as db:
        service.holder_organisation(db=db, actor=user, organisation_id=organisation_id)
        lines = organisation_statement(
            db=db, organisation_id=organisation_id, limit=limit + 1, after=after
        )
    return statement_response(lines, format, f"reelmint-earnings-{organisation_id}.csv", limit)


router.include_router(claims_router)
