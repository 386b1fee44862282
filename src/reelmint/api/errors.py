"""Every error as JSON with a stable code, in the shape OpenAI clients already understand:

{"error": {"code": "invalid_seconds", "message": "seconds must be ...", "type": "...",
           "param": "seconds"}}
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from reelmint.db.base import unstorable_text
from reelmint.db.outages import database_unreachable, describe
from reelmint.engine.errors import BackendUnavailable, EngineError, InvalidRequest
from reelmint.errors import ServiceError, TooManyRequests

log = logging.getLogger("reelmint.api")

DATABASE_UNAVAILABLE = "database_unavailable"
DATABASE_UNAVAILABLE_MESSAGE = (
    "the database cannot be reached just now, so nothing was done; try again in a moment"
)
# What a 503 `database_unavailable` asks the client to wait (a restart or fail-over takes
# seconds; a client that retries sooner only adds to the load on the way back).
DATABASE_RETRY_AFTER_SECONDS = 5

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "service_unavailable_error",
}
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    401: "unauthorized",
    403: "forbidden",
    413: "too_large",
}


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict[str, Any]:
    kind = _TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    return {"error": {"code": code, "message": message, "type": kind, "param": param}}


def error_response(
    status: int, code: str, message: str, param: str | None = None, **headers: str
) -> JSONResponse:
    body = error_body(status, code, message, param)
    return JSONResponse(body, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unexpected)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    if isinstance(exc, TooManyRequests) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, exc.retry_after))
    return error_response(exc.status, exc.code, exc.message, exc.param, **headers)


async def _engine_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    if isinstance(exc, InvalidRequest):
        return error_response(400, exc.code, exc.message)
    if isinstance(exc, BackendUnavailable):
        return error_response(503, exc.code, exc.message)
    log.error("engine failure: %s", exc)
    return error_response(500, exc.code, "the video engine failed; try again later")


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    body_refused = _body_refused(request, first)
    if body_refused is not None:
        return body_refused
    location = field_location(first.get("loc", ()))
    param = ".".join(location) or None
    if first.get("type") == "extra_forbidden":
        return error_response(
            400,
            "unknown_parameter",
            f"unknown field {param!r}; leave it out (the API reference lists this endpoint's "
            "fields)",
            param,
        )
    message = str(first.get("msg", "the request is not valid"))
    text = f"{param}: {message}" if param else message
    if param == "limit":  # every list's page size, as `db.paging.check_limit` says it
        return error_response(400, "invalid_limit", text, param)
    if location == [] and first.get("type") == "missing":
        return error_response(
            400, "invalid_json", "the body is missing; send a JSON object with the fields", None
        )
    if location == [] and first.get("type") in _NOT_AN_OBJECT:
        return error_response(400, "invalid_json", _not_an_object(request, first), None)
    return error_response(400, "invalid_request", text, param)


_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type"})
"""What pydantic says of a body that is JSON but not an object (`[]`, `"text"`, `1`), or of
one FastAPI did not read as JSON because it came without a Content-Type."""


def _not_an_object(request: Request, first: dict[str, Any]) -> str:
    """Why the body is not a JSON object, and what to send instead."""
    if not request.headers.get("content-type"):
        return (
            "the body was sent without a Content-Type; send a JSON object with "
            "Content-Type: application/json"
        )
    sent = first.get("input")
    kind = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}.get(
        type(sent), "a number"
    )
    return f"the body is {kind}; send a JSON object with the fields"


REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})
"""Where in the request FastAPI says a field is: left out of `param`, which names the field as
the client sends it (`video_id`, not `path.video_id`; a header by its name, `Idempotency-Key`)."""


def field_location(loc: Sequence[Any]) -> list[str]:
    """A validation error's location without the part of the request it is in (only the
    first part: a body field may itself be called `query`)."""
    parts = [str(part) for part in loc]
    return parts[1:] if parts and parts[0] in REQUEST_PARTS else parts


def _body_refused(request: Request, first: dict[str, Any]) -> JSONResponse | None:
    """A JSON body that is not JSON (400 `invalid_json`, saying where), or a body of another
    type where JSON was wanted (415 `unsupported_media_type`); None for any other error."""
    location = tuple(first.get("loc", ()))
    if first.get("type") == "json_invalid":
        where = location[1] if len(location) > 1 else "?"
        detail = str((first.get("ctx") or {}).get("error", "not JSON"))[:200]
        return error_response(
            400, "invalid_json", f"the body is not valid JSON (at character {where}): {detail}"
        )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    sent_other = media and media != "application/json" and not media.endswith("+json")
    if location == ("body",) and sent_other:
        return error_response(
            415,
            "unsupported_media_type",
            f"this endpoint takes a JSON body (Content-Type: application/json), not {media[:60]}",
        )
    return None


async def _http_error(request: Request, exc: Exception) -> Response:
    """JSON for the API; a browser asking for an unknown page gets the site's error page
    (web.security.wants_page: not under /v1, and it accepts text/html)."""
    from reelmint.web.security import page_for_http_error, wants_page

    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})
    allowed = allowed_methods(request) if exc.status_code == 405 else []
    if allowed:
        headers["Allow"] = ", ".join(allowed)
    if exc.status_code in (404, 405) and wants_page(request):
        page = await page_for_http_error(request, exc.status_code, code)
        page.headers.update(headers)
        return page
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        if allowed:
            message += f"; use {' or '.join(allowed)}"
    return error_response(exc.status_code, code, message, **headers)


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on the request's path (Starlette's 405 names only the
    first matching route's: `GET /v1/videos/{id}` and `DELETE` are two routes). Each method
    is tried against the app's routes as routing would (`BaseRoute.matches`), so routers
    included in routers are looked into too."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """A NUL character no check caught is the caller's bad input (400); any other data fault
    is ours."""
    refusal = unstorable_text(exc)
    if refusal is not None:
        return await _service_error(request, refusal)
    return await _unexpected(request, exc)


def database_unavailable(request: Request, error: BaseException) -> bool:
    """Whether `error` is the database being out of reach; if so, say so in one log line (a
    traceback per request would bury the outage's start in the log)."""
    if not database_unreachable(error):
        return False
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, describe(error)
    )
    return True


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 `database_unavailable` (with Retry-After) while the database cannot be reached;
    any other database error (integrity, programming) is ours: 500."""
    if not database_unavailable(request, exc):
        return await _unexpected(request, exc)
    return error_response(
        503,
        DATABASE_UNAVAILABLE,
        DATABASE_UNAVAILABLE_MESSAGE,
        **{"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "something went wrong on our side; try again")
