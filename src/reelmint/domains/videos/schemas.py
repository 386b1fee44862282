"""The shapes of the video API: OpenAI's Video object and its requests, plus reelmint's fields.

Responses follow the OpenAI Videos API field for field (so the official clients parse them);
reelmint's extensions are extra fields those clients ignore. Request models are flat (no nested
models) so that their JSON Schema can be written straight into the OpenAPI document for routes
that read their body themselves (multipart and JSON alike, see api.py).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from reelmint.db.base import unix_time
from reelmint.domains.videos.models import Video
from reelmint.engine.backends.registry import backend_names, get_backend
from reelmint.engine.pipeline import MAX_SEED
from reelmint.engine.storyboard import MAX_PROMPT_CHARS

VideoStatusOut = Literal["queued", "in_progress", "completed", "failed", "cancelled"]
MAX_MODEL_CHARS = 64


def offered_sizes() -> list[str]:
    """Every size some backend renders (each backend's own list is in its metadata)."""
    sizes = {
        (size.width, size.height) for name in backend_names() for size in get_backend(name).sizes
    }
    return [f"{width}x{height}" for width, height in sorted(sizes)]


# JSON Schema of fields whose Python type says less than the API accepts (documentation only:
# the service checks every value itself and says what to change).
_SECONDS_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
        {"type": "number", "exclusiveMinimum": 0},
    ],
    "description": 'Length in seconds: "4", "8", ... or a number. Default: the server\'s.',
    "examples": ["8"],
}
_SIZE_SCHEMA = {"type": "string", "enum": offered_sizes(), "description": "WIDTHxHEIGHT."}
_BACKEND_SCHEMA = {
    "type": "string",
    "enum": list(backend_names()),
    "description": "Run on this backend, whatever the model name says (extension).",
}
_CHARACTERS_SCHEMA = {
    "type": "array",
    "maxItems": 4,
    "items": {
        "anyOf": [
            {"type": "string", "maxLength": 65},
            {
                "type": "object",
                "properties": {"id": {"type": "string", "maxLength": 65}},
                "required": ["id"],
                "additionalProperties": False,
            },
        ]
    },
    "description": "Licensed characters and cameos the video uses, by id (chr_..., cameo_...) "
    'or handle (@name), as strings or {"id": ...}: checked and charged at admission as if the '
    "prompt mentioned them.",
}
_REFERENCE_SCHEMA = {
    "type": "object",
    "properties": {
        "image_url": {"type": "string", "pattern": "^data:image/(png|jpeg|webp);base64,"}
    },
    "required": ["image_url"],
    "additionalProperties": False,
    "description": 'A reference image as {"image_url": "data:image/png;base64,..."}; or upload '
    "a file with multipart/form-data instead.",
}


class VideoErrorOut(BaseModel):
    """Why a video failed (or that it was cancelled)."""

    code: str = Field(description="A stable, machine-readable code.")
    message: str = Field(description="What happened, and what to change.")


class VideoOut(BaseModel):
    """A video job: the OpenAI `Video` object, plus reelmint's extension fields."""

    id: str
    object: Literal["video"] = "video"
    created_at: int = Field(description="Unix time (seconds) the job was created.")
    status: VideoStatusOut
    progress: int = Field(ge=0, le=100, description="Approximate completion, 0-100.")
    model: str = Field(description="The model name the request gave.")
    prompt: str | None = None
    seconds: str = Field(description='Length in seconds, as a string as OpenAI sends it ("4").')
    size: str = Field(description="WIDTHxHEIGHT.")
    completed_at: int | None = Field(default=None, description="Unix time it finished.")
    expires_at: int | None = Field(default=None, description="Always null: files do not expire.")
    error: VideoErrorOut | None = None
    remixed_from_video_id: str | None = None
    # reelmint's extensions
    backend: str = Field(description="The backend that renders it (extension).")
    seed: int = Field(description="The seed: the same request and seed give the same video.")
    storyboard: dict[str, Any] | None = Field(
        default=None, description="The planned storyboard: shots, subjects, camera (extension)."
    )
    published_at: int | None = Field(
        default=None, description="Unix time it was published to the public feed (extension)."
    )
    price_units: int = Field(
        default=0,
        description="What the video costs in generation units, reserved at admission and "
        "charged only if it is delivered (extension).",
    )
    queue_position: int | None = Field(
        default=None,
        description="For queued jobs: 1 means next to run (approximate: per-user limits can "
        "hold a job back). Null otherwise (extension).",
    )
    taken_down_at: int | None = Field(
        default=None,
        description="Unix time the moderators took it down, for good: it cannot be published "
        "again (extension).",
    )
    taken_down_reason: str | None = Field(
        default=None, description="Why the moderators took it down, as its owner was told."
    )

    @classmethod
    def of(cls, video: Video, *, queue_position: int | None = None) -> VideoOut:
        error = None
        if video.error_code:
            error = VideoErrorOut(code=video.error_code, message=video.error_message or "")
        return cls(
            id=video.id,
            created_at=unix_time(video.created_at) or 0,
            status=video.status,  # type: ignore[arg-type]  # the table's check constraint
            progress=video.progress,
            model=video.model,
            prompt=video.prompt,
            seconds=format_seconds(video.seconds),
            size=video.size,
            completed_at=unix_time(video.completed_at),
            error=error,
            remixed_from_video_id=video.remixed_from_video_id,
            backend=video.backend,
            seed=video.seed,
            storyboard=json.loads(video.storyboard_json) if video.storyboard_json else None,
            published_at=unix_time(video.published_at),
            price_units=video.price_units or 0,
            queue_position=queue_position if video.status == "queued" else None,
            taken_down_at=unix_time(video.taken_down_at),
            taken_down_reason=video.taken_down_reason,
        )


class VideoListOut(BaseModel):
    """A page of videos, with OpenAI's cursor fields: pass `last_id` as `after` for the next."""

    object: Literal["list"] = "list"
    data: list[VideoOut]
    first_id: str | None
    last_id: str | None
    has_more: bool


class VideoDeletedOut(BaseModel):
    id: str
    object: Literal["video.deleted"] = "video.deleted"
    deleted: bool = True


class CreateVideoIn(BaseModel):
    """POST /v1/videos as JSON. Multipart forms carry the same fields (see api.py)."""

    model_config = ConfigDict(extra="forbid")

    # No min_length: an empty prompt is a blank one, which the service reads as none (fine
    # beside a storyboard, which the openai clients can only send with a prompt; refused with
    # what to write otherwise), as it does " ".
    prompt: StrictStr | None = Field(
        default=None,
        max_length=MAX_PROMPT_CHARS,
        description="What the video shows. Required unless a storyboard is given (an empty "
        "or blank prompt then counts as none).",
    )
    model: StrictStr | None = Field(
        default=None,
        max_length=MAX_MODEL_CHARS,
        description="sora-2 (the default), sora-2-pro, or a backend name such as preview.",
        examples=["sora-2", "sora-2-pro", "preview"],
    )
    seconds: Annotated[
        StrictStr | StrictInt | StrictFloat | None, WithJsonSchema(_SECONDS_SCHEMA)
    ] = None
    size: Annotated[StrictStr | None, WithJsonSchema(_SIZE_SCHEMA)] = None
    seed: StrictInt | None = Field(
        default=None, ge=0, le=MAX_SEED, description="Fix the seed to repeat a video (extension)."
    )
    backend: Annotated[StrictStr | None, WithJsonSchema(_BACKEND_SCHEMA)] = None
    storyboard: dict[str, Any] | None = Field(
        default=None,
        description="Explicit storyboard cards instead of a planned prompt (extension): "
        '{"prompt": "...", "shots": [{"prompt": "...", "duration": 3}, ...]}. In multipart '
        "requests, send it as one JSON string.",
    )
    characters: Annotated[list[Any] | None, WithJsonSchema(_CHARACTERS_SCHEMA)] = None
    input_reference: Annotated[dict[str, StrictStr] | None, WithJsonSchema(_REFERENCE_SCHEMA)] = (
        None
    )


class RemixIn(BaseModel):
    """POST /v1/videos/{id}/remix: a new prompt for a completed video."""

    model_config = ConfigDict(extra="forbid")

    prompt: StrictStr = Field(description="What the remix should show instead.")


class TakeDownIn(BaseModel):
    """POST /v1/admin/videos/{id}/take-down: why, for its owner to read."""

    model_config = ConfigDict(extra="forbid")

    reason: StrictStr = Field(
        description="Why it is taken down: one line of plain text, 1-500 characters, that its "
        "owner reads in the app and by email."
    )


class VideoReferenceIn(BaseModel):
    """The completed video an edit or extension starts from: yours, or a published one."""

    model_config = ConfigDict(extra="forbid")

    id: StrictStr = Field(max_length=64, description="The video's id (video_...).")

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, value: object) -> object:
        """A bare id ("video_...") is taken as {"id": ...}."""
        return {"id": value} if isinstance(value, str) else value


class EditIn(BaseModel):
    """POST /v1/videos/edits: a new prompt for a completed video (here, a remix of it)."""

    model_config = ConfigDict(extra="forbid")

    prompt: StrictStr = Field(description="What the edited video should show.")
    video: VideoReferenceIn


class ExtendIn(BaseModel):
    """POST /v1/videos/extensions: more seconds after a completed video's last shot."""

    model_config = ConfigDict(extra="forbid")

    prompt: StrictStr = Field(description="What happens next.")
    seconds: Annotated[
        StrictStr | StrictInt | StrictFloat,
        WithJsonSchema({**_SECONDS_SCHEMA, "description": 'Seconds to add: "4", "8", ...'}),
    ]
    video: VideoReferenceIn


class ErrorDetailOut(BaseModel):
    code: str
    message: str
    type: str
    param: str | None = None


class ErrorOut(BaseModel):
    """Every error the API returns."""

    error: ErrorDetailOut


def format_seconds(seconds: float) -> str:
    """4.0 -> "4", 6.5 -> "6.5": OpenAI's string form of a length."""
    return f"{seconds:g}"


def multipart_create_schema() -> dict[str, Any]:
    """The multipart/form-data form of POST /v1/videos (what the official clients send)."""
    string = {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "prompt": {**string, "maxLength": MAX_PROMPT_CHARS},
            "model": {**string, "maxLength": MAX_MODEL_CHARS, "examples": ["sora-2"]},
            "seconds": {**string, "pattern": r"^[0-9]+(\.[0-9]+)?$", "description": 'e.g. "4"'},
            "size": _SIZE_SCHEMA,
            "seed": {"type": "integer", "minimum": 0, "maximum": MAX_SEED},
            "backend": _BACKEND_SCHEMA,
            "storyboard": {**string, "description": "Storyboard cards as one JSON string."},
            "characters": {
                **string,
                "description": "Characters and cameos the video uses: a JSON list of ids or "
                "@handles (or send characters[] once per item).",
            },
            "input_reference": {
                "type": "string",
                "format": "binary",
                "description": "A reference image file (JPEG, PNG or WebP).",
            },
        },
        "additionalProperties": False,
    }


def inline_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema with the models it nests written in place: pydantic refers to
    them as `#/$defs/...`, which means nothing once the schema sits inside the OpenAPI
    document (ReDoc fails on it), since there they are not at the top."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found = defs[ref.removeprefix("#/$defs/")]
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return resolve({**found, **rest})
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(schema)
