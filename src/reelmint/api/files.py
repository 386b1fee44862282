"""Sending a stored file back whole (reference images, a cameo's uses): streamed from storage
with its length, never read into memory at once."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.responses import Response, StreamingResponse

from reelmint.errors import NotFound
from reelmint.storage.base import ObjectMissing, Storage

PRIVATE = "private, no-store"


def stored_file(
    storage: Storage, key: str, media_type: str, *, what: str, cache_control: str = PRIVATE
) -> Response:
    """The object under `key`; 404 `content_missing` ("the {what} is missing") if it is gone."""
    try:
        size = storage.size(key)
    except ObjectMissing:
        raise NotFound(f"the {what} is missing", code="content_missing") from None
    chunks: Iterator[bytes] = storage.iter_bytes(key, 0, size - 1) if size else iter(())
    headers = {"Content-Length": str(size), "Cache-Control": cache_control}
    return StreamingResponse(chunks, media_type=media_type, headers=headers)
