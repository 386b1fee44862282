"""Reading images that users hand us (reference images, cameo photos), safely.

An image is checked from its header before any pixel is decoded: the file's size, its real
format (not its name), and its dimensions, so a small file that would decode into gigabytes
(a decompression bomb) is refused without being decoded. The file is opened once, so what is
checked is what is decoded. Pillow's own global pixel limit is left alone (it is process-wide
state); the checks here are stricter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from reelmint.engine.errors import InvalidRequest

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 40_000_000
MIN_IMAGE_SIDE = 16
IMAGE_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# Formats Pillow names apart that are one of ours. "MPO" is a JPEG carrying the multi-picture
# (MPF) extension, as many phone photos do: its first frame is an ordinary JPEG, and only that
# frame is checked and decoded (Pillow opens a file at its first frame).
FORMAT_ALIASES = {"MPO": "JPEG"}
REFERENCE_IMAGE_CODE = "invalid_reference_image"


@dataclass(frozen=True)
class ImageInfo:
    """What an image file's header says."""

    path: Path
    format: str
    width: int
    height: int


def check_image_file(
    path: Path,
    *,
    what: str = "reference image",
    code: str = REFERENCE_IMAGE_CODE,
    min_side: int = MIN_IMAGE_SIDE,
) -> ImageInfo:
    """Check an image from its header only: exists, small enough, JPEG/PNG/WebP, sane size
    (at least `min_side` pixels a side: a caller with a larger rule of its own passes 0 and
    says it, so the user reads one least size).

    Refusals are InvalidRequest with `code` (e.g. "invalid_cameo_image" for a cameo photo).
    """
    return _read(path, what=what, code=code, decode=False, min_side=min_side)[0]


def load_image(
    path: Path, *, what: str = "reference image", code: str = REFERENCE_IMAGE_CODE
) -> Image.Image:
    """Check an image as `check_image_file` does, then decode it into RGB."""
    image = _read(path, what=what, code=code, decode=True)[1]
    if image is None:  # _read decodes when asked; this only narrows the type
        raise InvalidRequest(f"{what} {str(path)!r} could not be decoded", code=code)
    return image


def _read(
    path: Path, *, what: str, code: str, decode: bool, min_side: int = MIN_IMAGE_SIDE
) -> tuple[ImageInfo, Image.Image | None]:
    label = f"{what} {str(path)!r}"
    _check_file(path, label, code)
    try:
        with Image.open(path) as image:
            info = ImageInfo(path, _format_of(image), image.width, image.height)
            _check_header(info, label, code, min_side)
            if not decode:
                return info, None
            image.load()
            # Phones store photos sideways with an EXIF orientation tag: turn them upright.
            return info, ImageOps.exif_transpose(image).convert("RGB")
    except Image.DecompressionBombError as exc:
        raise InvalidRequest(
            f"{label} declares more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels", code=code
        ) from exc
    except UnidentifiedImageError as exc:
        raise InvalidRequest(f"{label} is not a JPEG, PNG or WebP image", code=code) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidRequest(f"{label} is damaged and cannot be decoded", code=code) from exc


def _format_of(image: Image.Image) -> str:
    """The format read from the content, with aliases (a multi-picture JPEG) as what they are."""
    found = image.format or ""
    return FORMAT_ALIASES.get(found, found)


def _check_file(path: Path, label: str, code: str) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise InvalidRequest(f"{label} does not exist", code=code) from exc
    except OSError as exc:
        raise InvalidRequest(f"{label} cannot be read: {exc.strerror}", code=code) from exc
    if not path.is_file():
        raise InvalidRequest(f"{label} is not a file", code=code)
    if size > MAX_IMAGE_BYTES:
        raise InvalidRequest(
            f"{label} is {size / 2**20:.1f} MiB; the limit is {MAX_IMAGE_BYTES >> 20} MiB",
            code=code,
        )


def _check_header(info: ImageInfo, label: str, code: str, min_side: int) -> None:
    if info.format not in IMAGE_FORMATS:
        raise InvalidRequest(
            f"{label} is {info.format or 'of an unknown type'}; use JPEG, PNG or WebP", code=code
        )
    side, pixels = max(info.width, info.height), info.width * info.height
    if side > MAX_IMAGE_SIDE or pixels > MAX_IMAGE_PIXELS:
        raise InvalidRequest(
            f"{label} is {info.width}x{info.height}; the limit is {MAX_IMAGE_SIDE} pixels a side "
            f"and {MAX_IMAGE_PIXELS // 1_000_000} megapixels",
            code=code,
        )
    if min(info.width, info.height) < min_side:
        raise InvalidRequest(
            f"{label} is {info.width}x{info.height}; it must be at least {min_side} pixels a side",
            code=code,
        )
