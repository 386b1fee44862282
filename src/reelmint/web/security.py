"""What every page response carries: security headers, and errors as pages instead of JSON.

`PageRoute` is the route class of every web page. It wraps the page's handler, so it can
(1) turn a refused request (a ServiceError, an engine error, or a form Starlette cannot
parse) into an HTML error page with the same status code, (2) send a visitor who must sign
in to the login page, (3) add the security headers to whatever the page returned, and (4) cap
the body of a page that takes form fields (PAGE_FORM_LIMIT, 413 `too_large`) before it is
parsed. Doing this per route rather than as an app middleware keeps the API's JSON responses
exactly as the API defines them; only `X-Content-Type-Options: nosniff` goes on every response
of the app (the API's and static files' too: `api.app.NoSniff`), and on pages here as well.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from reelmint.api.bodies import replayed
from reelmint.api.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    DATABASE_UNAVAILABLE,
    DATABASE_UNAVAILABLE_MESSAGE,
    database_unavailable,
    field_location,
)
from reelmint.api.multipart import capped, cut_off_multipart
from reelmint.db.base import unstorable_text
from reelmint.db.outages import database_unreachable
from reelmint.engine.errors import InvalidRequest
from reelmint.errors import BadRequest, ServiceError

log = logging.getLogger("reelmint.web")

# The most a page's form may send, unless the page takes uploads (those read their own body
# under the image caps, api/multipart.py). The largest is /create: a 50,000-character
# storyboard and a 2,000-character prompt, up to 9 bytes a character once UTF-8 and %XX-escaped.
PAGE_FORM_LIMIT = 1024 * 1024

# No inline scripts or styles anywhere: every script and stylesheet is a file under /static.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages show private drafts, tokens and CSRF tokens: never keep them in a shared cache.
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """The page needs a signed-in user; the visitor goes to the login page and comes back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse("/login?" + urlencode({"next": next_path}), status_code=303)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    from reelmint.web.templating import render

    context = {"status": status, "code": code, "message": message, "back": back_link(request)}
    return render(request, "error.html", context, status=status)


def back_link(request: Request) -> str | None:
    """The page the visitor came from (its Referer), if it is on this site and is not this
    page: where the error page's "Go back" leads (a form's page, after its post failed)."""
    from reelmint.web.forms import safe_next

    referer = request.headers.get("referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:  # not an address ("http://[", a broken IPv6 host): no way back
        return None
    if parts.scheme not in ("http", "https") or parts.netloc != request.url.netloc:
        return None
    back = safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), "")
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not back or (back == here and request.method in ("GET", "HEAD")):
        return None
    return back


def wants_page(request: Request) -> bool:
    """Whether a refusal raised outside any page (no route matched) should be a page: a
    browser asking (Accept: text/html) for something that is not the API or a static file."""
    path = request.url.path
    if path == "/v1" or path.startswith(("/v1/", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "").lower()


async def page_for_http_error(request: Request, status: int, code: str) -> Response:
    """The site's error page for a request no page handled (an unknown address: 404; a page
    address with the wrong method: 405), with the layout as the visitor sees it."""
    if status == 404:
        message = f"there is no page at {request.url.path[:200]}; check the address"
    elif status == 405:
        message = f"{request.url.path[:200]} cannot be opened this way ({request.method})"
    else:
        message = "the request could not be handled"
    return add_security_headers(await error_page_as_seen(request, status, code, message))


async def error_page_as_seen(request: Request, status: int, code: str, message: str) -> Response:
    """`error_page` with the layout as the visitor sees it (signed in: their menu), also for a
    refusal that came before the page's own checks (a NUL character in the address) and so
    before it knew who asks."""
    from reelmint.api.deps import get_services
    from reelmint.web.notification_pages import remember_services
    from reelmint.web.session import page_actor

    await remember_services(request)  # the layout's navigation reads the database

    def render_page() -> Response:  # reads the database: off the event loop
        if not hasattr(request.state, "actor"):
            try:
                page_actor(request, get_services(request))
            except Exception as error:  # the database may be why the page failed: shown as
                if not database_unreachable(error):  # to a visitor (its outage is logged once)
                    log.exception("error page: the visitor could not be identified")
                request.state.actor = None
        return error_page(request, status, code, message)

    return await run_in_threadpool(render_page)


class PageRoute(APIRoute):
    """The route class of web pages: HTML errors, login redirects, security headers."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        # A page with form fields has them read by FastAPI: its body is capped first. A page
        # without any reads its body itself (the image uploads), under its own caps.
        takes_form = self.body_field is not None

        async def page_handler(request: Request) -> Response:
            try:
                if takes_form:
                    request = await with_capped_body(request)
                response = await handler(request)
            except LoginRequired as exc:
                response = login_redirect(exc.next_path)
            except Exception as exc:
                status, code, message = _refusal(request, exc)
                response = await error_page_as_seen(request, status, code, message)
                if code == DATABASE_UNAVAILABLE:
                    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
            return add_security_headers(response)

        return page_handler


def _refusal(request: Request, exc: Exception) -> tuple[int, str, str]:
    """The error page's status, code and message for what a page raised."""
    if isinstance(exc, ServiceError):
        return exc.status, exc.code, exc.message
    if isinstance(exc, InvalidRequest):
        return 400, exc.code, exc.message
    if isinstance(exc, RequestValidationError):
        return 400, "invalid_request", _first_problem(exc)
    if isinstance(exc, StarletteHTTPException):  # a form Starlette cannot parse
        return exc.status_code, "invalid_request", _unread(exc)
    if refusal := unstorable_text(exc):
        return refusal.status, refusal.code, refusal.message
    if database_unavailable(request, exc):
        return 503, DATABASE_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE
    log.exception("page failed: %s %s", request.method, request.url.path)
    return 500, "internal_error", "something went wrong on our side; try again"


async def with_capped_body(request: Request) -> Request:
    """The request with its body read up to PAGE_FORM_LIMIT: 413 `too_large` for a declared
    Content-Length over it before anything is read, or as soon as a streamed body passes it;
    400 `invalid_multipart` for a multipart form cut off before its closing boundary (which
    Starlette's parser would take without its unfinished last field)."""
    hint = "send the page's form with shorter text"
    body = b"".join([chunk async for chunk in capped(request, PAGE_FORM_LIMIT, hint=hint)])
    if (problem := cut_off_multipart(request.headers, body)) is not None:
        raise BadRequest(problem, code="invalid_multipart")
    return replayed(request, body)


def _unread(exc: StarletteHTTPException) -> str:
    """What to change about a form Starlette refused to parse (too many fields, a field over
    its size limit), in its own words."""
    detail = str(exc.detail).strip().rstrip(".")[:200] if exc.detail else ""
    reason = f" ({detail})" if detail else ""
    return f"the form could not be read{reason}; send fewer and shorter fields"


def _first_problem(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "the request is not valid"
    first = errors[0]
    where = ".".join(field_location(first.get("loc", ())))
    kind = str(first.get("type", ""))
    if where and kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{where} must be a whole number, such as 30"
    if where and kind == "missing":
        return f"{where} is missing; fill it in"
    if where and kind in ("bool_parsing", "bool_type"):
        return f"{where} must be yes or no (true or false, 1 or 0)"
    if where and first.get("loc", ("",))[0] == "query":
        return f"the address's {where} is not one this page takes; follow the page's own links"
    message = str(first.get("msg", "is not valid"))
    return f"{where}: {message}" if where else message
