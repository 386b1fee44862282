"""The bodies the API's endpoints read through FastAPI (a JSON model): capped, and read once.

Every API router uses `ApiRoute`. An endpoint whose body FastAPI parses has it read here first,
up to `API_BODY_LIMIT` (413 `too_large` for a declared Content-Length over it before anything
is read, or as soon as a streamed body passes it), so no request, signed in or not, makes the
server hold a body of any size. A JSON body with a lone surrogate in any string is refused
(400 `invalid_request`, `check_text`), and one with a key twice in one object (400
`invalid_json`): which of the two would count is a guess, and endpoints that read their own
body (`domains.videos.api`) refuse it too. Endpoints that take uploads read their body
themselves, under their own caps (`api.multipart`), and are left alone.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Message

from reelmint.api.multipart import capped
from reelmint.errors import BadRequest

# The largest JSON model an endpoint takes is far below this (a character's description,
# aliases and restrictions; a webhook's URL and events): 256 KiB leaves room, and bounds what
# an anonymous request can make the server read.
API_BODY_LIMIT = 256 * 1024


class DuplicateKey(ValueError):
    """A JSON object with the same key twice."""


class ApiRoute(APIRoute):
    """The route class of the API: a body FastAPI parses is capped and checked first."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def api_handler(request: Request) -> Response:
            hint = "send a smaller JSON body (this endpoint takes a few fields)"
            body = b"".join([chunk async for chunk in capped(request, API_BODY_LIMIT, hint=hint)])
            check_json_keys(request, body)
            return await handler(replayed(request, body))

        return api_handler


def replayed(request: Request, body: bytes) -> Request:
    """`request` with `body`, already read, given again to whatever reads it next."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await request.receive()  # the client's disconnect, if it comes
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def check_json_keys(request: Request, body: bytes) -> None:
    """Refuse (400 `invalid_json`) a JSON body with a key twice in one object, or a number
    too long to read, and (400 `invalid_request`, `check_text`) one holding a lone surrogate;
    any other fault is left to FastAPI's own JSON errors."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body or (media and media != "application/json" and not media.endswith("+json")):
        return
    try:
        parsed = json.loads(body, object_pairs_hook=no_duplicate_keys)
    except DuplicateKey as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}", code="invalid_json") from None
    except ValueError as exc:
        if "digits" in str(exc):  # int() refuses numbers past 4300 digits
            raise BadRequest(
                "the body is not valid JSON: a number in it has more than 4300 digits",
                code="invalid_json",
            ) from None
        return  # FastAPI says what is wrong with it
    except RecursionError:
        raise BadRequest(
            "the body is not valid JSON: it is nested too deeply", code="invalid_json"
        ) from None
    check_text(parsed, nul=False)


def check_text(value: Any, path: str = "", *, nul: bool = True) -> None:
    """Refuse lone surrogates, and NUL characters unless `nul` is False, anywhere in a parsed
    body (400 `invalid_request`, naming the field): no database can store them, and no page
    show a surrogate. Every API body is checked for surrogates (`check_json_keys`); its fields'
    own checks refuse a NUL with their own codes."""
    if isinstance(value, str):
        if (nul and "\x00" in value) or any("\ud800" <= ch <= "\udfff" for ch in value):
            what = "a NUL character or an unpaired surrogate" if nul else "an unpaired surrogate"
            raise BadRequest(
                f"{path or 'the body'} holds {what}; remove it",
                code="invalid_request",
                param=path or None,
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, path, nul=nul)
            check_text(item, f"{path}.{key}" if path else str(key), nul=nul)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text(item, f"{path}[{index}]", nul=nul)


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; `DuplicateKey` when a key comes twice."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f"the key {key[:40]!r} appears twice in one object")
        result[key] = value
    return result
