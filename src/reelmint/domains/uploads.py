"""Reference images people upload (cameo photos, character images): checked, re-encoded, stored.

One path for every kind, each naming its own rules (`ImageRules`: the words its messages use,
its error code, the largest file, the least side, the most images):

- An image is checked from its header before any pixel is decoded (type by content, not by
  name; dimensions; decompression bombs), then decoded once and saved again as a JPEG beside
  the upload. What is stored is what was checked, and the photo's metadata (a GPS position,
  say) is not kept.
- Refusals are 400s with the kind's code, naming the file as the client named it (our
  temporary paths never reach a message).
- Files are stored before the database transaction that records them (`stored_images`) and
  removed again if it fails, so a refused request leaves nothing behind; storage that cannot
  be reached is a 503 `storage_unavailable` (and what was stored before it is removed too);
  files a transaction stopped referencing are removed after its commit (`remove_files`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reelmint.errors import BadRequest
from reelmint.storage.base import Storage, StorageError, reachable

log = logging.getLogger("reelmint.uploads")

JPEG_QUALITY = 92
CONTENT_TYPE = "image/jpeg"


@dataclass(frozen=True)
class ImageUpload:
    """A file a client sent, and the name it gave (for messages; never a path on our side)."""

    path: Path
    name: str


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed every check, re-encoded as JPEG beside the upload."""

    path: Path
    width: int
    height: int
    bytes: int


@dataclass(frozen=True)
class ImageRules:
    """What one kind of upload accepts, and the words its refusals use.

    `what` names one image in messages ("cameo image 'me.png' is ..."), `owner` what the
    images belong to ("a cameo has at most 5 reference images"); `min_side_reason` ends the
    too-small message (", so your face can be seen").
    """

    what: str
    owner: str
    code: str
    max_bytes: int
    min_side: int
    max_count: int
    required_code: str
    required_message: str
    min_side_reason: str = ""
    param: str = "images"


def check_images(images: Sequence[ImageUpload], *, rules: ImageRules) -> list[CheckedImage]:
    """Check every upload (header first, then one decode) and re-encode it as a JPEG.

    1 to `rules.max_count` images; refusals are 400 `rules.code` naming the file.
    """
    if not images:
        raise BadRequest(rules.required_message, code=rules.required_code, param=rules.param)
    if len(images) > rules.max_count:
        raise too_many_images(rules, f"; you sent {len(images)}")
    return [
        check_image(upload, upload.path.with_name(f"checked-{n}.jpg"), rules=rules)
        for n, upload in enumerate(images)
    ]


def check_image(upload: ImageUpload, target: Path, *, rules: ImageRules) -> CheckedImage:
    """Check one upload and save it re-encoded as a JPEG at `target`."""
    from reelmint.engine.errors import InvalidRequest
    from reelmint.engine.images import check_image_file, load_image

    label = f"{rules.what} {upload.name!r}"
    size = upload.path.stat().st_size if upload.path.is_file() else 0
    check_image_size(rules=rules, name=upload.name, size=size)
    try:
        info = check_image_file(upload.path, what=rules.what, code=rules.code, min_side=0)
        if min(info.width, info.height) < rules.min_side:
            raise bad_image(
                rules,
                f"{label} is {info.width}x{info.height}; a {rules.what} must be at least "
                f"{rules.min_side} pixels a side{rules.min_side_reason}",
            )
        image = load_image(upload.path, what=rules.what, code=rules.code)
    except InvalidRequest as exc:
        message = exc.message.replace(repr(str(upload.path)), repr(upload.name))
        raise bad_image(rules, message) from exc
    image.save(target, "JPEG", quality=JPEG_QUALITY)
    return CheckedImage(
        path=target, width=image.width, height=image.height, bytes=target.stat().st_size
    )


def check_image_size(*, rules: ImageRules, name: str, size: int) -> None:
    """Refuse an image file larger than `rules.max_bytes` (before reading it)."""
    if size > rules.max_bytes:
        raise bad_image(
            rules,
            f"{rules.what} {name!r} is {_amount(size)}; the limit is {_amount(rules.max_bytes)} "
            "an image",
        )


def too_many_images(rules: ImageRules, detail: str = "") -> BadRequest:
    """400 `too_many_images`; `detail` ends the sentence (how many were sent, or are there)."""
    return BadRequest(
        f"{rules.owner} has at most {rules.max_count} reference images{detail}",
        code="too_many_images",
        param=rules.param,
    )


def bad_image(rules: ImageRules, message: str) -> BadRequest:
    return BadRequest(message, code=rules.code, param=rules.param)


def _amount(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{size / 1024:.0f} KiB"


# --- storing ----------------------------------------------------------------------------------


@contextmanager
def stored_images(
    storage: Storage, images: Iterable[tuple[CheckedImage, str]], *, failing: str
) -> Iterator[list[str]]:
    """Store each checked image under its key (made by us, never from a request), then run the
    block (the transaction that records them); if the block fails, the files are removed again.
    Yields the keys. Storage that cannot be reached is a 503 `storage_unavailable` saying what
    `failing` now ("the cameo cannot be created now"); the block does not run."""
    keys: list[str] = []
    try:
        with reachable(failing):
            for image, key in images:
                keys.append(key)
                storage.put_file(key, image.path, content_type=CONTENT_TYPE)
        yield keys
    except BaseException:
        remove_files(storage, keys)
        raise


def remove_files(storage: Storage, keys: Iterable[str]) -> None:
    """Remove stored files no row refers to (any more); a failure only leaves unreferenced
    garbage behind, so it is logged, not raised (the rows are already committed)."""
    for key in keys:
        try:
            storage.delete(key)
        except (StorageError, OSError):
            log.warning("could not remove %s from storage; it is no longer referenced", key)
