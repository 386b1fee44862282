"""What the forms offer and how their raw text becomes a request.

The forms post plain text; everything is checked by the same services as the API, so a web
form can never create a video the API would refuse (or the other way round). The only checks
here are about the form itself: the storyboard box must hold a JSON object, and `next` must
stay on this site.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reelmint.api.bodies import no_duplicate_keys
from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE
from reelmint.engine.backends.base import Backend, Size
from reelmint.engine.backends.registry import get_backend
from reelmint.engine.storyboard import MAX_PROMPT_CHARS
from reelmint.errors import BadRequest

MAX_STORYBOARD_CHARS = 50_000
DEFAULT_MODEL = "sora-2"

STORYBOARD_EXAMPLE = json.dumps(
    {
        "prompt": "Morning on the farm",
        "shots": [
            {"prompt": 'A rooster on a fence crows "Good morning!" at dawn', "duration": 2},
            {"prompt": "Two brown cows graze in a misty meadow"},
        ],
    },
    indent=2,
)


def plain_int(text: str) -> int | None:
    """A whole number typed in ASCII digits, with an optional minus sign (None otherwise):
    Python's int() would also read `1_0` as 10 and other scripts' digits (`١`, fullwidth)."""
    text = text.strip()
    return int(text) if PLAIN_INT.fullmatch(text) else None


PLAIN_INT = re.compile(r"-?[0-9]{1,15}")


def whole_units(text: str, param: str = "units") -> int:
    """A form's whole number of units (400 `invalid_units` for anything else; the service
    checks the range)."""
    units = plain_int(text)
    if units is None:
        raise BadRequest(
            f"{param} must be a whole number, got {text[:20]!r}", code="invalid_units", param=param
        )
    return units


# --- where to go after logging in -------------------------------------------------------------


def safe_next(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site, else `default`: no open redirects.

    Refused: absolute URLs (`https://evil.example`), scheme-relative ones (`//evil.example`),
    backslash tricks browsers read as `//` (`/\\evil.example`), and control characters.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


# --- the create form --------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeOption:
    value: str
    label: str


def size_label(size: Size) -> str:
    """`Landscape 480p (854×480)`: what people call a frame size."""
    if size.width > size.height:
        shape = "Landscape"
    elif size.width < size.height:
        shape = "Portrait"
    else:
        shape = "Square"
    return f"{shape} {min(size.width, size.height)}p ({size.width}×{size.height})"


def default_backend_class(settings: Settings) -> type[Backend]:
    """The backend a request without a model runs on, whose sizes and lengths the form offers."""
    return get_backend(settings.backend_for_model(DEFAULT_MODEL))


@dataclass(frozen=True)
class CreateChoices:
    """What the create form offers: the default backend's sizes and length range."""

    sizes: tuple[SizeOption, ...]
    min_seconds: float
    max_seconds: float
    max_prompt: int
    example: str

    @classmethod
    def for_settings(cls, settings: Settings) -> CreateChoices:
        backend = default_backend_class(settings)
        return cls(
            sizes=tuple(SizeOption(str(size), size_label(size)) for size in backend.sizes),
            min_seconds=backend.min_seconds,
            max_seconds=backend.max_seconds,
            max_prompt=MAX_PROMPT_CHARS,
            example=STORYBOARD_EXAMPLE,
        )


@dataclass(frozen=True)
class CreateForm:
    """The create form's fields as typed (kept on the page when something is wrong)."""

    prompt: str = ""
    seconds: str = ""
    size: str = ""
    storyboard: str = ""

    @classmethod
    def defaults(cls, settings: Settings) -> CreateForm:
        backend = default_backend_class(settings)
        seconds = min(max(settings.default_seconds, backend.min_seconds), backend.max_seconds)
        return cls(seconds=f"{seconds:g}", size=settings.default_size)


def parse_storyboard(text: str) -> dict[str, Any] | None:
    """The storyboard box as a JSON object, or None when it is empty."""
    if not text.strip():
        return None
    if len(text) > MAX_STORYBOARD_CHARS:
        raise BadRequest(
            f"the storyboard is {len(text):,} characters; keep it under {MAX_STORYBOARD_CHARS:,}",
            code="invalid_storyboard_json",
            param="storyboard",
        )
    try:
        data = json.loads(text, object_pairs_hook=no_duplicate_keys)  # as the API reads it
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"the storyboard is not valid JSON: {exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}; compare it with the example",
            code="invalid_storyboard_json",
            param="storyboard",
        ) from None
    except (ValueError, RecursionError) as exc:  # nested too deeply, a number too long
        problem = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise BadRequest(
            f"the storyboard is not valid JSON: {problem}; compare it with the example",
            code="invalid_storyboard_json",
            param="storyboard",
        ) from None
    if not isinstance(data, dict):
        raise BadRequest(
            'the storyboard must be a JSON object such as {"prompt": ..., "shots": [...]}',
            code="invalid_storyboard_json",
            param="storyboard",
        )
    return data


MAX_PROFILE_REFERENCE = 300
PROFILE_FOLDERS = ("people", "users")


def profile_user_id(text: str) -> str:
    """A user id, from a bare id or a pasted profile address (`https://host/people/<id>`,
    `/users/<id>`); no pattern runs on more than an id's length."""
    typed = text.strip()
    if len(typed) > MAX_PROFILE_REFERENCE:
        raise BadRequest(
            f"a profile link or user id is at most {MAX_PROFILE_REFERENCE} characters",
            code="invalid_user_id",
            param="user_id",
        )
    path = typed.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    *before, last = path.rsplit("/", 2)
    if (before and before[-1] not in PROFILE_FOLDERS) or not ID_SHAPE.fullmatch(last):
        raise BadRequest(
            "give their profile link (https://.../people/user_...) or their user id "
            f"(user_...), got {typed[:80]!r}",
            code="invalid_user_id",
            param="user_id",
        )
    return last
