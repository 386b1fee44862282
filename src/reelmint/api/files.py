"""Sending a stored file (videos, thumbnails, reference images, a cameo's uses): streamed from
storage with its length, never read into memory at once, and with HTTP byte ranges, which
players need to seek (Safari will not play an MP4 from a server without them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from fastapi.responses import Response, StreamingResponse

from reelmint.api.errors import error_response
from reelmint.errors import NotFound
from reelmint.storage.base import ObjectMissing, Storage, reachable

PRIVATE = "private, no-store"
# At most 18 digits a number (under 10**18 bytes, an exabyte): a longer one is a malformed
# header, not a number for int() to refuse (Python reads at most 4,300 digits).
_BYTE_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})", re.IGNORECASE)


def stored_file(
    storage: Storage,
    key: str,
    media_type: str,
    *,
    what: str,
    cache_control: str = PRIVATE,
    range_header: str | None = None,
    filename: str | None = None,
    head: bool = False,
    missing_advice: str = "ask the operator to check the file storage",
) -> Response:
    """The object under `key`, whole (200) or the byte range `range_header` asks for (206; 416
    `range_not_satisfiable` past the end); 404 `content_missing` if it is gone from storage
    (the message ends with `missing_advice`: what to do about it). With `filename`, browsers
    are told its name (shown inline). `head`: the same status and headers, and no body (HTTP
    HEAD), so nothing is read from storage but its size. Storage that cannot be reached is a
    503 `storage_unavailable` (once the body has started, the connection is cut instead)."""
    unreachable = f"the {what} cannot be sent now"
    try:
        with reachable(unreachable):
            size = storage.size(key)
    except ObjectMissing:
        raise NotFound(
            f"the {what} is missing from the file storage (lost or removed there); "
            f"{missing_advice}",
            code="content_missing",
        ) from None
    headers = {"Accept-Ranges": "bytes", "Cache-Control": cache_control}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    wanted = parse_range(range_header, size)
    if wanted == "unsatisfiable":
        return error_response(
            416,
            "range_not_satisfiable",
            f"the range is outside the file, which has {size} bytes",
            "Range",
            **{"Content-Range": f"bytes */{size}"},
        )
    if wanted is None:
        start, end, status = 0, size - 1, 200
    else:
        (start, end), status = wanted, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    chunks: Iterator[bytes] = iter(())
    if size and not head:
        with reachable(unreachable):  # S3 asks for the object here, before the first chunk
            chunks = storage.iter_bytes(key, start, end)
    return StreamingResponse(chunks, status_code=status, media_type=media_type, headers=headers)


def parse_range(header: str | None, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """The byte range a `Range: bytes=...` header asks for; None: send the whole file.

    RFC 9110 lets a server ignore a Range it does not serve, so several ranges or a malformed
    header (a number of more than 18 digits among them) get the whole file; a range that
    starts past the end is unsatisfiable (416).
    """
    matched = _BYTE_RANGE.fullmatch((header or "").strip())
    if matched is None or matched.group(1) == matched.group(2) == "":
        return None
    first, last = matched.groups()
    if not first:  # the last N bytes
        suffix = int(last)
        return (max(0, size - suffix), size - 1) if suffix and size else "unsatisfiable"
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size:
        return "unsatisfiable"
    if end < start:
        return None
    return start, min(end, size - 1)
