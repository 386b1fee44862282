"""The OpenAI-compatible video API (/v1/videos...), plus reelmint's extensions.

The official OpenAI clients always send POST /v1/videos as multipart/form-data (with or
without a file); other clients send JSON. Both are read here, by hand rather than by FastAPI,
so that an upload is streamed to a temporary file under a hard size cap instead of being read
into memory whole, and so that both forms become one `VideoRequest`. The OpenAPI document
still describes both bodies (`openapi_extra`).

Routes stay thin: they read the request, call the videos service (which decides and
authorises), and shape the response. Everything the service writes happens in one transaction,
together with the idempotency record when the client sent an `Idempotency-Key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from reelmint.api.bodies import ApiRoute, check_text, no_duplicate_keys
from reelmint.api.deps import CurrentActor, OptionalActor, ServicesDep
from reelmint.api.files import PRIVATE, stored_file
from reelmint.api.idempotency import (
    IDEMPOTENCY_HEADER,
    REPLAYED_HEADER,
    Outcome,
    Record,
    StoredResponse,
    check_idempotency_key,
    fingerprint,
    run_idempotent,
)
from reelmint.api.multipart import (
    UnsupportedMediaType,
    capped,
    parse_multipart,
    safe_file_name,
    too_large,
)
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import require_admin
from reelmint.domains.rights.claims import is_blocked
from reelmint.domains.uploads import remove_files
from reelmint.domains.videos import events
from reelmint.domains.videos.job_queue_api import router as job_queue_router
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.moderation import take_down_video
from reelmint.domains.videos.reports_api import router as reports_router
from reelmint.domains.videos.schemas import (
    CreateVideoIn,
    EditIn,
    ErrorOut,
    ExtendIn,
    RemixIn,
    TakeDownIn,
    VideoDeletedOut,
    VideoListOut,
    VideoOut,
    inline_json_schema,
    multipart_create_schema,
)
from reelmint.domains.videos.service import (
    MISSING_ADVICE,
    ContentVariant,
    VideoRequest,
    cancel_video,
    content_of,
    create_derived_with,
    create_video_with,
    delete_video,
    extension_request,
    get_own_video,
    get_visible_video,
    list_own_videos,
    make_spritesheet_for,
    parse_seconds,
    publish_video,
    remix_request,
    unpublish_video,
    video_json,
)
from reelmint.engine.errors import InvalidRequest
from reelmint.errors import BadRequest, NotFound, TooLarge
from reelmint.scratch import scratch_folder

log = logging.getLogger("reelmint.api.videos")
M = TypeVar("M", bound=BaseModel)
router = APIRouter(prefix="/v1", tags=["videos"], route_class=ApiRoute)

POLL_AFTER_MS = "1000"
POLL_AFTER_HEADER = "openai-poll-after-ms"
FIELD_ALLOWANCE = 1024 * 1024  # the non-file part of a body: prompt, storyboard, ...
MAX_FIELD_BYTES = 512 * 1024
MAX_FIELDS = 32
UPLOAD_FIELD = "input_reference"
_UPLOAD_HINT = "send a smaller reference image (the server's limit is REELMINT_MAX_UPLOAD_BYTES)"
_NO_FILE_HINT = "name a video by its id (video[id]) rather than uploading it"
_NO_TYPE_HINT = "send the body as application/json or multipart/form-data"
_BRACKETED = re.compile(r"([A-Za-z_]+)\[([A-Za-z_]*)\]")
_DATA_URL = re.compile(r"data:image/(png|jpeg|jpg|webp);base64,(.*)", re.DOTALL)
# Where an engine refusal points, for clients that highlight the field to fix.
_ENGINE_PARAMS = {
    "invalid_prompt": "prompt",
    "invalid_seconds": "seconds",
    "invalid_size": "size",
    "invalid_storyboard": "storyboard",
    "invalid_seed": "seed",
    "invalid_reference_image": UPLOAD_FIELD,
    "reference_image_unsupported": UPLOAD_FIELD,
    "unknown_backend": "backend",
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error responses of a route (all share one shape)."""
    words = {
        400: "The request is not valid; `error.param` names the field to fix.",
        401: "No valid credentials.",
        403: "Not allowed (e.g. a cookie request without its CSRF token).",
        404: "No such video (or not yours).",
        409: "The video is not in a state that allows this.",
        413: "The upload is too large.",
        415: "The body is neither JSON nor multipart/form-data.",
        416: "The requested byte range is outside the file.",
        503: "The file storage cannot be reached; try again shortly.",
    }
    return {status: {"model": ErrorOut, "description": words[status]} for status in statuses}


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description="Makes a retry safe: the same key and request return the first response "
        "(with `Idempotent-Replayed: true`); the same key with another request is a 409. "
        "1-255 printable characters, per user, kept 24 hours.",
    ),
]
VideoId = Annotated[str, PathParam(description="The video's id (video_...).", max_length=64)]


# --- the routes -------------------------------------------------------------------------------


@router.post(
    "/videos",
    response_model=VideoOut,
    summary="Create a video",
    responses=_errors(400, 401, 403, 409, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {"schema": multipart_create_schema()},
                "application/json": {"schema": inline_json_schema(CreateVideoIn)},
            },
        }
    },
)
async def create(
    request: Request,
    actor: CurrentActor,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Queue a video: OpenAI's fields (prompt, model, seconds, size, input_reference) plus
    reelmint's (storyboard, seed, backend). The job is returned at once, `queued`; poll it,
    or follow `/v1/videos/{id}/events`."""
    key = check_idempotency_key(idempotency_key)
    limit = services.settings.max_upload_bytes
    with scratch_folder("upload") as scratch:
        body = await read_body(request, folder=Path(scratch), max_file_bytes=limit)
        video_request, meant = await run_in_threadpool(checked_request, body, Path(scratch), limit)
        outcome = await run_in_threadpool(
            _create,
            services,
            actor.user,
            video_request,
            key,
            fingerprint(
                method="POST", path=request.url.path, body=meant, file_sha256=body.file_sha
            ),
            body.file_name,
        )
    return video_response(outcome)


@router.get(
    "/videos", response_model=VideoListOut, summary="List videos", responses=_errors(400, 401)
)
def list_videos(
    actor: CurrentActor,
    services: ServicesDep,
    after: Annotated[
        str | None, Query(max_length=64, description="The last_id of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Videos per page, 1-100.")] = 20,
    order: Annotated[Literal["asc", "desc"], Query(description="By creation time.")] = "desc",
) -> VideoListOut:
    """Your videos, newest first; page on with `after=<last_id>` while `has_more`."""
    with services.db.read() as db:
        page = list_own_videos(db=db, actor=actor.user, after=after, limit=limit, order=order)
        data = [VideoOut.model_validate(video_json(db=db, video=v)) for v in page.items]
    return VideoListOut(
        data=data,
        first_id=data[0].id if data else None,
        last_id=data[-1].id if data else None,
        has_more=page.has_more,
    )


@router.get(
    "/videos/{video_id}",
    response_model=VideoOut,
    summary="Retrieve a video",
    responses=_errors(400, 401, 404),
)
def retrieve(video_id: VideoId, actor: OptionalActor, services: ServicesDep) -> JSONResponse:
    """One of your videos, with its status and progress, or a published one a rights holder
    has not blocked (what its page shows; no credentials needed for that, as for its
    content and the feed)."""
    with services.db.read() as db:
        video = get_visible_video(db=db, actor=actor.user if actor else None, video_id=video_id)
        body = video_json(db=db, video=video)
    return video_response(Outcome(StoredResponse(200, body), replayed=False))


@router.delete(
    "/videos/{video_id}",
    response_model=VideoDeletedOut,
    summary="Delete a video",
    responses=_errors(400, 401, 403, 404),
)
def delete(video_id: VideoId, actor: CurrentActor, services: ServicesDep) -> VideoDeletedOut:
    """Delete a video and its files; an unfinished one is cancelled first."""
    with services.db.write() as db:
        keys = delete_video(db=db, actor=actor.user, video_id=video_id)
    remove_files(services.storage, keys)
    return VideoDeletedOut(id=video_id)


@router.post(
    "/videos/{video_id}/remix",
    response_model=VideoOut,
    summary="Remix a video",
    responses=_errors(400, 401, 403, 404, 409, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": inline_json_schema(RemixIn)},
                "multipart/form-data": {"schema": inline_json_schema(RemixIn)},
            },
        }
    },
)
async def remix(
    video_id: VideoId,
    request: Request,
    actor: CurrentActor,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A new video from a completed one (yours, or a published one): same model, size, length
    and seed, a new prompt."""
    key = check_idempotency_key(idempotency_key)
    prompt = validate(RemixIn, await _fields_only(request)).prompt

    def make(db: Session) -> tuple[Video, VideoRequest]:
        return remix_request(db=db, actor=actor.user, video_id=video_id, prompt=prompt)

    return await _derive(services, actor.user, make, key, request, {"prompt": prompt})


def _derived_body(model: type[BaseModel], what: str) -> dict[str, Any]:
    schema = inline_json_schema(model)
    form = {
        **schema,
        "description": f"{what} As a form (what the official clients send), the video is the "
        "field video[id].",
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "multipart/form-data": {"schema": form},
            },
        }
    }


@router.post(
    "/videos/edits",
    response_model=VideoOut,
    summary="Edit a video (as a remix of it)",
    responses=_errors(400, 401, 403, 404, 409, 413, 415),
    openapi_extra=_derived_body(EditIn, "A completed video (by id) and what to show instead."),
)
async def edit(
    request: Request,
    actor: CurrentActor,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """OpenAI's video edit, for a video named by id (yours, or a published one): here it is a
    remix, a new video with the source's model, size, length and seed and the new prompt.
    Uploading a video to edit is not supported (400 `video_upload_unsupported`)."""
    key = check_idempotency_key(idempotency_key)
    data = validate(EditIn, await _fields_only(request))

    def make(db: Session) -> tuple[Video, VideoRequest]:
        return remix_request(
            db=db,
            actor=actor.user,
            video_id=data.video.id,
            prompt=data.prompt,
            verb="edited",
            param="video",
        )

    return await _derive(services, actor.user, make, key, request, data.model_dump())


@router.post(
    "/videos/extensions",
    response_model=VideoOut,
    summary="Extend a video",
    responses=_errors(400, 401, 403, 404, 409, 413, 415),
    openapi_extra=_derived_body(
        ExtendIn, "A completed video (by id), what happens next, and for how many seconds."
    ),
)
async def extend(
    request: Request,
    actor: CurrentActor,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """A new video that plays the source (yours, or a published one) and goes on: its shots
    again with the same model, size and seed, then `prompt` planned as `seconds` more that
    carry on from its last shot (place, light, cast). Priced as a video of the whole length;
    up to the backend's longest video (400 `invalid_seconds` says how much room is left)."""
    key = check_idempotency_key(idempotency_key)
    data = validate(ExtendIn, await _fields_only(request))
    # A form's "4" and JSON's 4 are the same request: the fingerprint holds the number.
    seconds = parse_seconds(data.seconds)
    same = {**data.model_dump(), "seconds": seconds}

    def make(db: Session) -> tuple[Video, VideoRequest]:
        return extension_request(
            db=db,
            actor=actor.user,
            video_id=data.video.id,
            prompt=data.prompt,
            seconds=seconds,
            param="video",
        )

    return await _derive(services, actor.user, make, key, request, same)


@router.post(
    "/videos/{video_id}/cancel",
    response_model=VideoOut,
    summary="Cancel a video (extension)",
    responses=_errors(400, 401, 403, 404, 409),
)
def cancel(
    video_id: VideoId,
    request: Request,
    actor: CurrentActor,
    services: ServicesDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Stop a queued or running video; it ends `cancelled`."""
    key = check_idempotency_key(idempotency_key)
    path = request.url.path

    def work(record: Record) -> StoredResponse:
        with services.db.write() as db:
            video = cancel_video(db=db, actor=actor.user, video_id=video_id)
            response = StoredResponse(200, video_json(db=db, video=video))
            record(db, response)
        return response

    outcome = run_idempotent(
        services=services,
        user_id=actor.user.id,
        key=key,
        method="POST",
        path=path,
        request_fingerprint=fingerprint(method="POST", path=path, body={}),
        work=work,
    )
    return video_response(outcome)


@router.post(
    "/videos/{video_id}/publish",
    response_model=VideoOut,
    summary="Publish a video to the public feed (extension)",
    responses=_errors(400, 401, 403, 404, 409),
)
def publish(video_id: VideoId, actor: CurrentActor, services: ServicesDep) -> VideoOut:
    """Anyone, signed in or not, may then watch it; publishing again changes nothing."""
    with services.db.write() as db:
        video = publish_video(db=db, actor=actor.user, video_id=video_id)
        return VideoOut.model_validate(video_json(db=db, video=video))


@router.post(
    "/videos/{video_id}/unpublish",
    response_model=VideoOut,
    summary="Take a video off the public feed (extension)",
    responses=_errors(400, 401, 403, 404, 409),
)
def unpublish(video_id: VideoId, actor: CurrentActor, services: ServicesDep) -> VideoOut:
    """Only you (and admins) can then watch it again."""
    with services.db.write() as db:
        video = unpublish_video(db=db, actor=actor.user, video_id=video_id)
        return VideoOut.model_validate(video_json(db=db, video=video))


@router.post(
    "/admin/videos/{video_id}/take-down",
    response_model=VideoOut,
    summary="Take a published video down, saying why (administrators)",
    responses=_errors(400, 401, 403, 404, 409, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_json_schema(TakeDownIn)}},
        }
    },
)
async def take_down(
    video_id: VideoId, request: Request, actor: CurrentActor, services: ServicesDep
) -> VideoOut:
    """Moderation: the video leaves the feed, its page and content for good (others' videos
    that play it again leave the feed too); its owner is told why in the app and by email,
    still sees it and may delete it, but cannot publish it again. Again: the video as the
    first take-down left it. 403 `admin_only` for anyone but an administrator; 409
    `video_not_published` for a video never published."""
    require_admin(actor.user)  # told so before anything about the body
    reason = validate(TakeDownIn, await _fields_only(request)).reason

    def work() -> VideoOut:
        with services.db.write() as db:
            video = take_down_video(db=db, actor=actor.user, video_id=video_id, reason=reason)
            return VideoOut.model_validate(video_json(db=db, video=video))

    return await run_in_threadpool(work)


@router.head("/videos/{video_id}/content", include_in_schema=False)
@router.get(
    "/videos/{video_id}/content",
    summary="Download a video's file",
    response_class=Response,
    responses={
        200: {
            "description": "The whole file.",
            "content": {
                "video/mp4": {"schema": {"type": "string", "format": "binary"}},
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        206: {
            "description": "The byte range asked for with a Range header.",
            "content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}},
        },
        **_errors(400, 401, 404, 409, 416, 503),
    },
)
def content(
    video_id: VideoId,
    request: Request,
    actor: OptionalActor,
    services: ServicesDep,
    # Any text: content_of refuses another variant as 400 `variant_unsupported` naming the
    # ones there are (as a Literal here, FastAPI would refuse it first as `invalid_request`).
    variant: Annotated[
        str,
        Query(
            description="video (MP4), thumbnail (JPEG) or spritesheet (JPEG: a grid of one "
            "frame per second, made on first request).",
            json_schema_extra={"enum": list(get_args(ContentVariant))},
        ),
    ] = "video",
) -> Response:
    """The MP4 (or its JPEG thumbnail, or its spritesheet), with HTTP range support for
    players. Your videos, and anyone's once published (no credentials needed then). HEAD
    answers the same, with no body."""
    with services.db.read() as db:
        video = get_visible_video(db=db, actor=actor.user if actor else None, video_id=video_id)
        public = video.published_at is not None and not is_blocked(db=db, video_id=video.id)
    key, media_type = content_of(video, variant)
    # Kept a while only when anyone may watch it: a draft, or a video its owner alone may
    # still see (blocked by a claim), must not outlive an unpublish or a block in a cache.
    cache_control = "private, max-age=300" if public else PRIVATE

    def serve() -> Response:
        return stored_file(
            services.storage,
            key,
            media_type,
            what=f"{variant} of video {video_id}",
            cache_control=cache_control,
            range_header=request.headers.get("range"),
            filename=_content_filename(video_id, variant),
            head=request.method == "HEAD",
            missing_advice=MISSING_ADVICE,
        )

    try:
        return serve()
    except NotFound as missing:
        if variant != "spritesheet" or missing.code != "content_missing":
            raise
    make_spritesheet_for(services=services, video=video)  # its first request
    return serve()


def _content_filename(video_id: str, variant: str) -> str:
    return {
        "video": f"{video_id}.mp4",
        "thumbnail": f"{video_id}.jpg",
        "spritesheet": f"{video_id}-spritesheet.jpg",
    }[variant]


@router.get(
    "/videos/{video_id}/events",
    summary="Follow a video's progress as server-sent events (extension)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`event: progress` with the Video object whenever it changes, then "
            "one `event: completed|failed|cancelled`, after which the stream ends.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **_errors(400, 401, 404),
    },
)
async def follow(
    video_id: VideoId, request: Request, actor: CurrentActor, services: ServicesDep
) -> StreamingResponse:
    """Works with a bearer token and with the session cookie (EventSource)."""
    await run_in_threadpool(_require_own, services, actor.user, video_id)
    stream = events.video_events(
        services=services,
        user=actor.user,
        video_id=video_id,
        is_disconnected=request.is_disconnected,
        allowed=actor.still_signed_in,
    )
    return StreamingResponse(stream, media_type="text/event-stream", headers=events.HEADERS)


# --- the work behind the routes (run in the thread pool) ---------------------------------------


def _create(
    services: Services,
    user: User,
    video_request: VideoRequest,
    key: str | None,
    request_fingerprint: str,
    file_name: str | None,
) -> Outcome:
    def work(record: Record) -> StoredResponse:
        with engine_refusals(file_name, video_request.input_reference):
            return create_video_with(
                services=services,
                user=user,
                request=video_request,
                within=lambda db, video: _respond(db, video, record),
            )

    return run_idempotent(
        services=services,
        user_id=user.id,
        key=key,
        method="POST",
        path="/v1/videos",
        request_fingerprint=request_fingerprint,
        work=work,
    )


async def _fields_only(request: Request) -> dict[str, Any]:
    """The fields of a body that takes no file (JSON or a form)."""
    with scratch_folder("fields") as scratch:
        return (await read_body(request, folder=Path(scratch), max_file_bytes=None)).fields


async def _derive(
    services: Services,
    user: User,
    make: Callable[[Session], tuple[Video, VideoRequest]],
    key: str | None,
    request: Request,
    fields: dict[str, Any],
) -> JSONResponse:
    """Queue the video `make` derives from a source (a remix, edit or extension), once per
    idempotency key (`fields`, the checked request, is its fingerprint: a form and JSON that
    say the same are the same request); the new video names its source."""
    path = request.url.path
    outcome = await run_in_threadpool(
        run_idempotent,
        services=services,
        user_id=user.id,
        key=key,
        method="POST",
        path=path,
        request_fingerprint=fingerprint(method="POST", path=path, body=fields),
        work=lambda record: _derive_work(services, user, make, record),
    )
    return video_response(outcome)


def _derive_work(
    services: Services,
    user: User,
    make: Callable[[Session], tuple[Video, VideoRequest]],
    record: Record,
) -> StoredResponse:
    with engine_refusals(None, None):
        with services.db.read() as db:
            source, video_request = make(db)
        return create_derived_with(
            services=services,
            user=user,
            source=source,
            request=video_request,
            within=lambda db, video: _respond(db, video, record),
        )


def _respond(db: Session, video: Video, record: Record) -> StoredResponse:
    """The response to a new job, recorded in the job's own transaction."""
    response = StoredResponse(200, video_json(db=db, video=video))
    record(db, response)
    return response


def _require_own(services: Services, user: User, video_id: str) -> None:
    with services.db.read() as db:
        get_own_video(db=db, actor=user, video_id=video_id)


def video_response(outcome: Outcome) -> JSONResponse:
    """A Video as JSON, with OpenAI's polling hint and the idempotency replay marker."""
    body = outcome.response.body
    headers = {}
    if body.get("status") in ("queued", "in_progress"):
        headers[POLL_AFTER_HEADER] = POLL_AFTER_MS
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    return JSONResponse(body, status_code=outcome.response.status_code, headers=headers)


@contextmanager
def engine_refusals(file_name: str | None, upload: Path | None) -> Iterator[None]:
    """The engine's refusals as 400s naming the field to fix, without our temp paths."""
    try:
        yield
    except InvalidRequest as exc:
        message = exc.message
        if upload is not None:
            message = message.replace(repr(str(upload)), repr(file_name or UPLOAD_FIELD))
        raise BadRequest(message, code=exc.code, param=_ENGINE_PARAMS.get(exc.code)) from exc


# --- reading request bodies -------------------------------------------------------------------


@dataclass
class Body:
    """A POST body as received: its fields, and at most one uploaded file (in a temp folder)."""

    fields: dict[str, Any]
    file: Path | None = None
    file_name: str | None = None
    file_sha: str | None = None
    from_form: bool = False


async def read_body(request: Request, *, folder: Path, max_file_bytes: int | None) -> Body:
    """The fields of a JSON or multipart body; an upload (if allowed) is saved in `folder`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return await _read_multipart(request, folder=folder, max_file_bytes=max_file_bytes)
    if kind == "application/json" or kind.endswith("+json"):
        limit = FIELD_ALLOWANCE + (max_file_bytes or 0) * 4 // 3
        raw = await _read_capped(request, limit, hint=_json_hint(max_file_bytes))
        return Body(fields=parse_json_object(raw))
    if not kind and not await _read_capped(request, FIELD_ALLOWANCE, hint=_NO_TYPE_HINT):
        return Body(fields={})
    raise UnsupportedMediaType(
        f"send the body as application/json or multipart/form-data, not {kind[:60] or 'none'}"
    )


async def _read_capped(request: Request, limit: int, *, hint: str) -> bytes:
    """A whole body of at most `limit` bytes (413 `too_large` ending with `hint`, no param:
    which field made it too large is not known before it is read)."""
    data = bytearray()
    async for chunk in capped(request, limit, hint=hint, param=None):
        data.extend(chunk)
    return bytes(data)


def _json_hint(max_file_bytes: int | None) -> str:
    """What a JSON body may hold, for its 413: fields, and the image where one is taken."""
    fields = f"{FIELD_ALLOWANCE} bytes of fields"
    if max_file_bytes is None:
        return f"a JSON body here holds at most {fields}; send shorter fields"
    return (
        f"a JSON body here holds at most {fields} and {UPLOAD_FIELD}, an image of at most "
        f"{max_file_bytes} bytes (REELMINT_MAX_UPLOAD_BYTES) written as base64; send shorter "
        "fields or a smaller image"
    )


def _multipart_capped(request: Request, max_file_bytes: int | None) -> AsyncIterator[bytes]:
    """A multipart body, refused (413) as soon as it is longer than its fields' allowance and
    the reference image, where one is taken; the message says which it holds."""
    fields = f"{FIELD_ALLOWANCE} bytes of fields"
    if max_file_bytes is None:
        hint = f"a form here holds at most {fields} and no file; {_NO_FILE_HINT}"
        return capped(request, FIELD_ALLOWANCE, hint=hint, param=None)
    hint = f"a form here holds at most {fields} and one reference image; {_UPLOAD_HINT}"
    return capped(request, FIELD_ALLOWANCE + max_file_bytes, hint=hint, param=UPLOAD_FIELD)


def _too_large(limit: int) -> TooLarge:
    return too_large(limit, _UPLOAD_HINT, UPLOAD_FIELD)


async def _read_multipart(request: Request, *, folder: Path, max_file_bytes: int | None) -> Body:
    try:
        form = await parse_multipart(
            request.headers,
            _multipart_capped(request, max_file_bytes),
            max_files=1,  # one is read even where none is taken, to say why it is refused
            max_fields=MAX_FIELDS,
            max_part_size=MAX_FIELD_BYTES,
        )
    except MultiPartException as exc:
        raise BadRequest(
            f"the multipart/form-data body cannot be read: {exc.message}",
            code="invalid_multipart",
        ) from None
    try:
        body = Body(fields={}, from_form=True)
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                await _save_upload(body, name, value, folder, max_file_bytes)
            else:
                _add_form_field(body.fields, name, value)
        return body
    finally:
        await form.close()


async def _save_upload(
    body: Body, name: str, upload: UploadFile, folder: Path, max_bytes: int | None
) -> None:
    if name == "video" and max_bytes is None:  # an edit or extension, sent a file
        raise BadRequest(
            "uploading a video is not supported; name a completed video of yours (or a "
            'published one) by id instead: video[id]=video_... in a form, {"video": {"id": '
            '"video_..."}} in JSON',
            code="video_upload_unsupported",
            param="video",
        )
    if name != UPLOAD_FIELD or max_bytes is None:
        only = f"the only file is {UPLOAD_FIELD}" if max_bytes is not None else "it takes none"
        raise BadRequest(
            f"unexpected file field {name[:40]!r}; {only}",
            code="unknown_parameter",
            param=name[:40],
        )
    if (upload.size or 0) > max_bytes:
        raise _too_large(max_bytes)
    target = folder / "input_reference"
    body.file_sha = await run_in_threadpool(_copy_hashed, upload, target)
    body.file = target
    body.file_name = safe_file_name(upload.filename, UPLOAD_FIELD)


def _copy_hashed(upload: UploadFile, target: Path) -> str:
    digest = hashlib.sha256()
    upload.file.seek(0)
    with target.open("wb") as out:
        while chunk := upload.file.read(256 * 1024):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _add_form_field(fields: dict[str, Any], name: str, value: str) -> None:
    """One text field of a form. Bracketed names (`input_reference[image_url]`, `characters[]`)
    are how the OpenAI clients send objects and lists in forms."""
    bracketed = _BRACKETED.fullmatch(name)
    if bracketed is None:
        if name in fields:
            raise BadRequest(
                f"the field {name[:40]!r} is given twice; give it once",
                code="duplicate_parameter",
                param=name[:40],
            )
        fields[name] = value
        return
    outer, inner = bracketed.groups()
    if outer == "characters":
        fields.setdefault("characters", []).append(value)
    elif outer in (UPLOAD_FIELD, "video") and inner:
        parts = fields.setdefault(outer, {})
        if not isinstance(parts, dict) or inner in parts:
            raise BadRequest(
                f"the field {name[:40]!r} is given twice; give it once",
                code="duplicate_parameter",
                param=outer,
            )
        parts[inner] = value
    elif outer == "storyboard":
        raise BadRequest(
            "in a multipart form, send the storyboard as ONE field holding its JSON (e.g. "
            "extra_body={'storyboard': json.dumps(cards)}), or send the request as JSON",
            code="invalid_storyboard",
            param="storyboard",
        )
    else:
        raise BadRequest(f"unknown field {name[:40]!r}", code="unknown_parameter", param=name[:40])


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A JSON object body; duplicate keys are refused (which one would count is a guess)."""
    try:
        data = json.loads(raw or b"{}", object_pairs_hook=no_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(
            f"the body is not valid JSON: {str(exc)[:200]}", code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_json")
    return data


# --- from fields to a VideoRequest -------------------------------------------------------------


def to_video_request(body: Body, folder: Path, max_file_bytes: int) -> VideoRequest:
    """Check the fields' types and turn them into the service's `VideoRequest`."""
    return checked_request(body, folder, max_file_bytes)[0]


def checked_request(
    body: Body, folder: Path, max_file_bytes: int
) -> tuple[VideoRequest, dict[str, Any]]:
    """`to_video_request`, and the fields as the request means them, for its idempotency
    fingerprint: a form's text read as JSON's types (seed 3, a storyboard object) and seconds
    as a number ("4", 4 and 4.0 alike)."""
    fields = dict(body.fields)
    if body.from_form:
        _form_types(fields)
    request = _video_request(body, fields, folder, max_file_bytes)
    if "seconds" in fields:
        fields["seconds"] = parse_seconds(fields["seconds"])
    return request, fields


def _video_request(
    body: Body, fields: dict[str, Any], folder: Path, max_file_bytes: int
) -> VideoRequest:
    data = validate(CreateVideoIn, fields)
    reference = body.file
    if data.input_reference is not None:
        if reference is not None:
            raise BadRequest(
                "give input_reference once: as a file or as an image_url, not both",
                code="invalid_request",
                param=UPLOAD_FIELD,
            )
        reference = _reference_from_url(data.input_reference, folder, max_file_bytes)
        body.file_name = UPLOAD_FIELD
    return VideoRequest(
        prompt=data.prompt,
        model=data.model or None,
        seconds=data.seconds,
        size=data.size or None,
        seed=data.seed,
        storyboard=data.storyboard,
        backend=data.backend or None,
        input_reference=reference,
        characters=_character_references(data.characters or []),
    )


def _character_references(items: list[Any]) -> tuple[str, ...]:
    """`characters` as OpenAI's clients send it: ids as strings or `{"id": ...}` objects."""
    references = []
    for item in items:
        if isinstance(item, dict) and set(item) == {"id"}:
            item = item["id"]
        if not isinstance(item, str):
            raise BadRequest(
                'each of characters must be an id or handle, or {"id": ...}',
                code="invalid_characters",
                param="characters",
            )
        references.append(item)
    return tuple(references)


def _form_types(fields: dict[str, Any]) -> None:
    """Form fields are text: read seed as a number and storyboard/characters as JSON."""
    if UPLOAD_FIELD in fields and isinstance(fields[UPLOAD_FIELD], str):
        raise BadRequest(
            f"{UPLOAD_FIELD} must be an uploaded file (or input_reference[image_url])",
            code="invalid_reference_image",
            param=UPLOAD_FIELD,
        )
    for name in ("seed", "storyboard", "characters"):
        value = fields.get(name)
        if not isinstance(value, str):
            continue
        if not value.strip():
            del fields[name]
            continue
        try:
            fields[name] = json.loads(value, object_pairs_hook=no_duplicate_keys)
        except (ValueError, RecursionError) as exc:
            if name == "characters":  # a bare name: characters were asked for all the same
                fields[name] = [value]
                continue
            code = {"seed": "invalid_seed", "storyboard": "invalid_storyboard"}.get(name)
            raise BadRequest(
                f"{name} must be JSON ({'a whole number' if name == 'seed' else 'an object'}): "
                f"{str(exc)[:120]}",
                code=code or "invalid_request",
                param=name,
            ) from None


FIELD_SHAPES = {
    UPLOAD_FIELD: '{"image_url": "data:image/png;base64,..."} in JSON, or the image as a '
    "multipart file",
}
"""What a field's value should look like, where the validator's words do not say it."""


def validate(model: type[M], fields: dict[str, Any]) -> M:
    """`model` from `fields`; the first problem as a 400 that names the field."""
    check_text(fields)
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        # The models are flat: the first part names the field (the rest is a union's member).
        param = str(first["loc"][0]) if first["loc"] else None
        if first["type"] == "extra_forbidden":
            allowed = ", ".join(model.model_fields)
            raise BadRequest(
                f"unknown field {param!r}; the fields are {allowed}",
                code="unknown_parameter",
                param=param,
            ) from None
        code = (
            f"invalid_{param}" if param in ("prompt", "seconds", "seed", "model", "size") else None
        )
        message = f"{param}: {first['msg']}" if param else first["msg"]
        if param in FIELD_SHAPES:
            message += f"; send {FIELD_SHAPES[param]}"
        raise BadRequest(message, code=code or "invalid_request", param=param) from None


def _reference_from_url(reference: dict[str, str], folder: Path, max_bytes: int) -> Path:
    """A reference image given as {"image_url": "data:image/png;base64,..."}."""
    url = reference.get("image_url")
    unknown = set(reference) - {"image_url"}
    if unknown or not url:
        raise BadRequest(
            "input_reference accepts an uploaded file or {'image_url': 'data:image/...;base64,"
            "...'}; file ids are not supported",
            code="input_reference_unsupported",
            param=UPLOAD_FIELD,
        )
    matched = _DATA_URL.fullmatch(url)
    if matched is None:
        raise BadRequest(
            "input_reference.image_url must be a base64 data: URL of a PNG, JPEG or WebP image; "
            "the server does not fetch URLs, so download the image and upload it",
            code="input_reference_unsupported",
            param=UPLOAD_FIELD,
        )
    try:
        data = base64.b64decode(matched.group(2), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(
            "input_reference.image_url holds invalid base64",
            code="invalid_reference_image",
            param=UPLOAD_FIELD,
        ) from None
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    target = folder / "input_reference"
    target.write_bytes(data)
    return target


router.include_router(reports_router)  # /v1/videos/{id}/reports, /v1/admin/reports
router.include_router(job_queue_router)  # /v1/admin/jobs, /v1/admin/videos/{id}/cancel
