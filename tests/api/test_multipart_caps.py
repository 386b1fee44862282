"""capped(): a body refused by its declared length before it is read, or as it streams past
the limit; a Content-Length that is not a plain number is left to the stream count."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import Request

from reelmint.api.multipart import capped
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
