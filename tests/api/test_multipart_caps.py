"""capped(): a body refused by its declared length before it is read, or as it streams past
the limit; a Content-Length that is not a plain number is left to the stream count.
parse_multipart(): a body cut off before its closing boundary is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import Request
from starlette.datastructures import Headers
from starlette.formparsers import MultiPartException

from reelmint.api.multipart import capped, parse_multipart
from reelmint.errors import TooLarge

LIMIT = 100


def request_with(content_length: bytes, body: bytes) -> tuple[Request, list[int]]:
    """A request declaring `content_length` whose body is `body` in one message; the list
    counts the messages read."""
    reads: list[int] = []

    async def receive() -> dict[str, Any]:
        reads.append(1)
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {"type": "http", "method": "POST", "headers": [(b"content-length", content_length)]}
    return Request(scope, receive), reads


def read(request: Request) -> bytes:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in capped(request, LIMIT, hint="send less")])

    return asyncio.run(collect())


@pytest.mark.parametrize("declared", [b"101", b"9" * 19, b"9" * 5000])
def test_a_declared_length_over_the_limit_is_refused_before_reading(declared):
    request, reads = request_with(declared, b"x")
    with pytest.raises(TooLarge) as refused:
        read(request)
    assert refused.value.code == "too_large"
    assert "send less" in refused.value.message
    assert reads == []


@pytest.mark.parametrize("declared", ["²".encode("latin-1"), b"", b"12x"])
def test_a_length_that_is_not_ascii_digits_is_left_to_the_stream_count(declared):
    request, _ = request_with(declared, b"x" * LIMIT)
    assert read(request) == b"x" * LIMIT
    request, _ = request_with(declared, b"x" * (LIMIT + 1))
    with pytest.raises(TooLarge):
        read(request)


# --- parse_multipart: a body must reach its closing boundary ----------------------------------

FIELD = b'--zzz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n'
LAST = b'--zzz\r\nContent-Disposition: form-data; name="seconds"\r\n\r\n4'
FILE = (
    b'--zzz\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\nPNGDATA"
)


def parse(body: bytes) -> dict[str, Any]:
    headers = Headers({"content-type": "multipart/form-data; boundary=zzz"})

    async def stream() -> AsyncIterator[bytes]:
        yield body

    async def run() -> dict[str, Any]:
        form = await parse_multipart(
            headers, stream(), max_files=2, max_fields=4, max_part_size=1024
        )
        return dict(form.multi_items())

    return asyncio.run(run())


def test_a_whole_body_is_read_and_its_epilogue_ignored():
    fields = parse(FIELD + LAST + b"\r\n--zzz--\r\nepilogue")
    assert fields == {"prompt": "a cat", "seconds": "4"}


@pytest.mark.parametrize(
    "body",
    [
        FIELD + LAST,  # the last field cut off: Starlette alone drops it and keeps the rest
        FIELD + LAST + b"\r\n--zzz",  # the boundary, but not the closing one
        FIELD,  # ended between parts
        FIELD + FILE,  # a file cut off
        b"",
    ],
    ids=["last-field", "no-closing-dashes", "between-parts", "file", "empty"],
)
def test_a_body_cut_off_before_its_closing_boundary_is_refused(body):
    with pytest.raises(MultiPartException) as refused:
        parse(body)
    assert "ended before its closing boundary (--zzz--)" in refused.value.message
    assert "send the whole body" in refused.value.message
