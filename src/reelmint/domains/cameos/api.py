"""Cameos: the consent phrase, creating one (multipart: images and fields), reading and
changing it, approvals, the permission check, the owner's view of every use (and deleting
any of them), and revocation.

Routes stay thin: the service decides and authorises (another user's cameo reads as not
found to everything but the public view and the permission check). A cameo is named by its
handle in every path (`/v1/cameos/ada`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.api.files import stored_file
from reelmint.api.multipart import FormSpec, read_image_form
from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.domains.accounts.models import User
from reelmint.domains.cameos import service
from reelmint.domains.cameos.schemas import ApprovalIn, CameoUpdateIn, ConsentOut, PermissionOut
from reelmint.domains.uploads import ImageUpload, remove_files
from reelmint.scratch import scratch_folder

router = APIRouter(prefix="/v1", tags=["cameos"], route_class=ApiRoute)

FILE_FIELD = "images"
TEXT_FIELDS = ("handle", "display_name", "permission", "restrictions", "consent_phrase")
USE_VARIANTS = ("video", "thumbnail")
"""What a cameo owner may fetch of a video using their cameo (no spritesheet)."""
MEDIA_HINT = (
    "send the cameo as multipart/form-data: the images as `images` files, and the "
    "fields handle, display_name, permission, restrictions and consent_phrase"
)
Handle = Annotated[str, PathParam(description="The cameo's handle (without @).", max_length=40)]
VideoId = Annotated[str, PathParam(description="The video's id (video_...).", max_length=64)]


# --- reading the create form (shared with the web page) ---------------------------------------


@dataclass
class CameoForm:
    """A create-cameo form as received: its text fields and the uploaded images (in a temp
    folder the caller owns)."""

    fields: dict[str, str] = field(default_factory=dict)
    restrictions: list[str] = field(default_factory=list)
    images: list[ImageUpload] = field(default_factory=list)

    def cameo_request(self) -> service.CameoRequest:
        return service.CameoRequest(
            handle=self.fields.get("handle", ""),
            display_name=self.fields.get("display_name", ""),
            permission=self.fields.get("permission", "") or "only_me",
            restrictions=tuple(self.restrictions),
        )


async def read_cameo_form(
    request: Request, *, folder: Path, settings: Settings, extra_fields: tuple[str, ...] = ()
) -> CameoForm:
    """Read a multipart create form under a hard size cap (api/multipart.py); images are
    saved in `folder`.

    `restrictions` may be sent several times, each a phrase or a comma- or line-separated
    list of them. `extra_fields` are other text fields the caller accepts (the web page's
    CSRF token).
    """
    spec = FormSpec(
        fields=TEXT_FIELDS,
        media_hint=MEDIA_HINT,
        repeatable=("restrictions",),
        extra_fields=extra_fields,
    )
    form = await read_image_form(
        request, folder=folder, rules=service.image_rules(settings), spec=spec
    )
    restrictions = form.repeated.get("restrictions", [])
    return CameoForm(
        fields=form.fields,
        restrictions=[phrase for value in restrictions for phrase in split_phrases(value)],
        images=form.images,
    )


def split_phrases(text: str) -> list[str]:
    """Phrases separated by commas or new lines."""
    return [part for line in text.splitlines() for part in line.split(",") if part.strip()]


# --- the routes -------------------------------------------------------------------------------


@router.post("/cameos/consent", response_model=ConsentOut, summary="Get a verification phrase")
def consent(user: CurrentUser, services: ServicesDep) -> ConsentOut:
    """A new phrase (replacing any earlier one) to type back as `consent_phrase` when creating
    a cameo, within `cameo_consent_minutes`. Case and spacing do not count."""
    with services.db.write() as db:
        made = service.start_consent(db=db, settings=services.settings, user=user)
        return ConsentOut(
            phrase=made.phrase,
            statement=service.consent_statement(),
            expires_at=int(made.expires_at.timestamp()),
        )


CREATE_FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["images", "handle", "display_name", "consent_phrase"],
    "properties": {
        FILE_FIELD: {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "description": "1 to cameo_max_images photos of yourself: JPEG, PNG or WebP.",
        },
        "handle": {"type": "string", "maxLength": 40, "description": "a-z, 0-9, _ (2-30)."},
        "display_name": {"type": "string", "maxLength": 80},
        "permission": {
            "type": "string",
            "enum": ["only_me", "approved", "mutual", "everyone"],
            "default": "only_me",
        },
        "restrictions": {
            "type": "array",
            "items": {"type": "string", "maxLength": 80},
            "description": "Words or phrases a prompt using the cameo may not contain.",
        },
        "consent_phrase": {
            "type": "string",
            "maxLength": 200,
            "description": "The phrase from POST /v1/cameos/consent, typed back.",
        },
    },
}


@router.post(
    "/cameos",
    status_code=201,
    summary="Create a cameo",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": CREATE_FORM_SCHEMA}},
        }
    },
)
async def create(request: Request, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """multipart/form-data: `images` (1 to `cameo_max_images` JPEG, PNG or WebP files),
    `handle`, `display_name`, `permission` (default only_me), `restrictions` (repeatable; each
    a phrase or a comma-separated list) and `consent_phrase` (the phrase from
    POST /v1/cameos/consent, typed back)."""
    with scratch_folder("cameo") as scratch:
        form = await read_cameo_form(request, folder=Path(scratch), settings=services.settings)
        return await run_in_threadpool(_create, services, user, form)


def _create(services: Services, user: User, form: CameoForm) -> dict[str, Any]:
    cameo = service.create_cameo(
        services=services,
        user=user,
        request=form.cameo_request(),
        images=form.images,
        consent_phrase=form.fields.get("consent_phrase", ""),
    )
    with services.db.read() as db:
        images = service.images_of(db=db, cameo=cameo)
        return service.cameo_json(cameo=cameo, viewer=user, images=images)


@router.get("/cameos", summary="Your cameos")
def list_mine(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    with services.db.read() as db:
        data = [
            service.cameo_json(cameo=c, viewer=user, images=service.images_of(db=db, cameo=c))
            for c in service.list_own_cameos(db=db, user=user)
        ]
    return {"object": "list", "data": data}


@router.get("/cameos/{handle}", summary="A cameo")
def get(handle: Handle, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Its owner sees everything; anyone else the handle, name, permission, restrictions and
    status (what they need to use it). 404 `cameo_not_found` to someone its owner blocked."""
    with services.db.read() as db:
        cameo = service.cameo_seen_by(db=db, handle=handle, viewer=user)
        images = service.images_of(db=db, cameo=cameo)
        return service.cameo_json(cameo=cameo, viewer=user, images=images)


@router.patch("/cameos/{handle}", summary="Change who may use a cameo")
def update(
    handle: Handle, body: CameoUpdateIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        cameo = service.update_cameo(
            db=db,
            actor=user,
            handle=handle,
            display_name=body.display_name,
            permission=body.permission,
            restrictions=body.restrictions,
        )
        images = service.images_of(db=db, cameo=cameo)
        return service.cameo_json(cameo=cameo, viewer=user, images=images)


@router.get("/cameos/{handle}/permission", response_model=PermissionOut, summary="May I use it?")
def permission(
    handle: Handle,
    user: CurrentUser,
    services: ServicesDep,
    prompt: Annotated[
        str | None,
        Query(max_length=4000, description="Also check the owner's restrictions against it."),
    ] = None,
) -> PermissionOut:
    """Whether you may put the cameo in a video, as admission would decide (the restrictions
    only when `prompt` is given). Needs credentials: the answer depends on who asks."""
    with services.db.read() as db:
        cameo = service.cameo_seen_by(db=db, handle=handle, viewer=user)
        texts = [prompt] if prompt else []
        decision = service.permission_for(db=db, user=user, cameo=cameo, texts=texts)
        return PermissionOut(
            handle=cameo.handle,
            display_name=cameo.display_name,
            allowed=decision.allowed,
            code=decision.code,
            reason=decision.reason,
        )


@router.get("/cameos/{handle}/images/{position}", summary="A cameo's reference image (owner)")
def image(
    handle: Handle,
    position: Annotated[int, PathParam(ge=0, le=100)],
    user: CurrentUser,
    services: ServicesDep,
) -> Response:
    with services.db.read() as db:
        found = service.own_image(db=db, actor=user, handle=handle, position=position)
    return stored_file(services.storage, found.storage_key, found.content_type, what="image")


@router.get("/cameos/{handle}/approvals", summary="Users you approved")
def approvals(handle: Handle, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    with services.db.read() as db:
        found = service.approved_users(db=db, actor=user, handle=handle)
    return {"object": "list", "data": [_user_json(u) for u in found]}


@router.post("/cameos/{handle}/approvals", summary="Approve a user")
def approve(
    handle: Handle, body: ApprovalIn, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """Lets them use the cameo while its permission is `approved`."""
    with services.db.write() as db:
        approved = service.approve_user(
            db=db, actor=user, handle=handle, user_id=body.user_id, email=body.email
        )
        return {"object": "cameo.approval", "handle": handle, "user": _user_json(approved)}


@router.delete("/cameos/{handle}/approvals/{user_id}", summary="Withdraw an approval")
def unapprove(
    handle: Handle, user_id: str, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    with services.db.write() as db:
        service.withdraw_approval(db=db, actor=user, handle=handle, user_id=user_id)
    return {"object": "cameo.approval", "handle": handle, "user_id": user_id, "deleted": True}


@router.get("/cameos/{handle}/uses", summary="Every video that uses your cameo")
def uses(
    handle: Handle,
    user: CurrentUser,
    services: ServicesDep,
    after: Annotated[
        str | None, Query(max_length=64, description="The last_id of the previous page.")
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=service.MAX_USES_PAGE, description="Uses per page, 1-100.")
    ] = service.USES_PAGE,
) -> dict[str, Any]:
    """Drafts and posts, whoever made them (deleted ones too, marked), newest first; page on
    with `after=<last_id>` while `has_more`."""
    with services.db.read() as db:
        page = service.uses_of(db=db, actor=user, handle=handle, after=after, limit=limit)
    data = [service.use_json(u) for u in page.uses]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["video_id"] if data else None,
        "last_id": data[-1]["video_id"] if data else None,
        "has_more": page.has_more,
    }


@router.get(
    "/cameos/{handle}/uses/{video_id}/content",
    summary="Watch a video using your cameo",
    response_class=Response,
    responses={
        200: {"description": "The whole file (MP4, or the JPEG thumbnail)."},
        206: {"description": "The byte range asked for with a Range header."},
        416: {"description": "The range starts past the end of the file."},
    },
)
def use_content(
    handle: Handle,
    video_id: VideoId,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    # Any text: content_of refuses another variant as 400 `variant_unsupported`, as the
    # video's own content route does (a Literal would be FastAPI's `invalid_request`).
    variant: Annotated[
        str,
        Query(
            description="video (MP4) or thumbnail (JPEG).",
            json_schema_extra={"enum": list(USE_VARIANTS)},
        ),
    ] = "video",
) -> Response:
    """The file of a completed video that uses your cameo, draft or post, with HTTP range
    support for players."""
    from reelmint.domains.videos.service import content_of

    with services.db.read() as db:
        video = service.used_video(db=db, actor=user, handle=handle, video_id=video_id)
    key, media_type = content_of(video, variant, offered=USE_VARIANTS)
    return stored_file(
        services.storage,
        key,
        media_type,
        what=f"{variant} of video {video_id}",
        range_header=request.headers.get("range"),
        filename=f"{video_id}.{media_type.split('/')[1]}",
    )


@router.delete("/cameos/{handle}/uses/{video_id}", summary="Delete a video that uses your cameo")
def delete_use(
    handle: Handle, video_id: VideoId, user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """Whoever made it: it is deleted (cancelled and refunded if unfinished) and its maker
    told."""
    with services.db.write() as db:
        keys = service.delete_use(db=db, actor=user, handle=handle, video_id=video_id)
    remove_files(services.storage, keys)
    return {"object": "cameo.use", "video_id": video_id, "deleted": True}


@router.post("/cameos/{handle}/revoke", summary="Revoke a cameo")
def revoke(handle: Handle, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """New uses are refused at once; queued videos using it are cancelled and refunded,
    running ones stopped (and refunded); other people's published videos with it leave the
    feed and cannot be published again. Its images are deleted. Revoking again: no change."""
    with services.db.write() as db:
        done = service.revoke_cameo(db=db, actor=user, handle=handle)
        body = service.cameo_json(
            cameo=done.cameo, viewer=user, images=service.images_of(db=db, cameo=done.cameo)
        )
    remove_files(services.storage, done.image_keys)
    return {
        **body,
        "cancelled_video_ids": done.cancelled,
        "stopping_video_ids": done.stopping,
        "unpublished_video_ids": done.unpublished,
    }


# --- helpers ----------------------------------------------------------------------------------


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "object": "user", "display_name": user.display_name}
