"""Claims on published videos: rights holders claim, release and answer disputes; uploaders
see the claims on their videos and dispute them (once). Included by the characters router."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.rights import claims as service

router = APIRouter(prefix="/claims", tags=["claims"], route_class=ApiRoute)

ClaimStatusQuery = Literal["active", "disputed", "upheld", "released", "lapsed"]


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    video_id: StrictStr = Field(max_length=64, description="A published video.")
    character_id: StrictStr = Field(max_length=64, description="Your organisation's character.")
    # Checked by the service, so an unknown action is 400 `invalid_action` (as documented).
    action: StrictStr = Field(
        max_length=20,
        description="block (off the feed), monetize (its earnings are yours) or track (recorded).",
        json_schema_extra={"enum": ["block", "monetize", "track"]},
    )


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(  # its length is the service's to check: 400 invalid_reason
        description=f"Why the claim is wrong: {service.MIN_REASON} to {service.MAX_TEXT} "
        "characters.",
    )


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["uphold", "release"]
    note: StrictStr = Field(default="", max_length=service.MAX_TEXT)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: StrictStr = Field(default="", max_length=service.MAX_TEXT)


@router.post("", status_code=201, summary="Claim a published video")
def create_claim(body: ClaimIn, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The video must use the character (found in its prompt or storyboard, or it paid the
    character's licence fee); its uploader is notified."""
    with services.db.write() as db:
        claim = service.create_claim(
            db=db,
            settings=services.settings,
            actor=user,
            video_id=body.video_id,
            character_id=body.character_id,
            action=body.action,
        )
        return service.claim_json(db=db, claim=claim)


@router.get("", summary="Claims: your organisations' and those on your videos")
def list_claims(
    user: CurrentUser,
    services: ServicesDep,
    organisation_id: Annotated[str | None, Query(max_length=64)] = None,
    video_id: Annotated[str | None, Query(max_length=64)] = None,
    status: ClaimStatusQuery | None = None,
    after: Annotated[str | None, Query(max_length=64, description="The last_id so far.")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> dict[str, Any]:
    with services.db.read() as db:
        page = service.list_claims(
            db=db,
            actor=user,
            organisation_id=organisation_id,
            video_id=video_id,
            status=status,
            after=after,
            limit=limit,
        )
        data = service.claims_json(db=db, claims=page.items)
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": page.has_more,
    }


@router.get("/{claim_id}", summary="A claim")
def get_claim(claim_id: str, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    with services.db.read() as db:
        claim = service.get_claim(db=db, actor=user, claim_id=claim_id)
        return service.claim_json(db=db, claim=claim)


@router.post("/{claim_id}/dispute", summary="Dispute a claim on your video (once)")
def dispute(
    claim_id: str, body: DisputeIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """The rights holder then has `claim_dispute_days` to uphold or release it; unanswered,
    it lapses."""
    with services.db.write() as db:
        claim = service.dispute_claim(
            db=db, settings=services.settings, actor=user, claim_id=claim_id, reason=body.reason
        )
        return service.claim_json(db=db, claim=claim)


@router.post("/{claim_id}/answer", summary="Answer a dispute: uphold or release")
def answer(
    claim_id: str, body: AnswerIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        claim = service.answer_dispute(
            db=db, actor=user, claim_id=claim_id, decision=body.decision, note=body.note
        )
        return service.claim_json(db=db, claim=claim)


@router.post("/{claim_id}/release", summary="Release a claim (any time)")
def release(
    claim_id: str, user: CurrentUser, services: ServicesDep, body: ReleaseIn | None = None
) -> dict[str, Any]:
    """Ends the claim's effect at once; the uploader is notified."""
    note = body.note if body is not None else ""
    with services.db.write() as db:
        claim = service.release_claim(db=db, actor=user, claim_id=claim_id, note=note)
        return service.claim_json(db=db, claim=claim)
