"""Who is calling: an API token (Authorization: Bearer rm_...) or a signed-in browser.

A browser's cookie alone never authorises a state-changing request: unsafe methods made with
the session cookie must also carry the session's CSRF token (header `X-CSRF-Token`, or the
`csrf_token` form field on pages), so another site cannot act in the user's name.
"""

from __future__ import annotations

import codecs
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.domains.accounts.devices import DEVICE_COOKIE
from reelmint.domains.accounts.models import User, WebSession
from reelmint.domains.accounts.service import (
    credential_live,
    find_api_token,
    find_web_session,
    needs_touch,
    touch_api_token,
    touch_web_session,
)
from reelmint.domains.accounts.throttle import counting_password_checks
from reelmint.errors import BadRequest, Forbidden, Unauthorized

SESSION_COOKIE = "reelmint_session"
HOST_PREFIX = "__Host-"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Actor:
    """The authenticated caller of a request."""

    user: User
    via: Literal["token", "session"]
    session: WebSession | None = None
    token_id: str | None = None

    def still_signed_in(self, db: Session) -> bool:
        """Whether the credential this actor came with is live now (see `credential_live`)."""
        session_id = self.session.id if self.session is not None else None
        return credential_live(db=db, token_id=self.token_id, session_id=session_id)


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def refuse_nul_in_url(request: Request) -> None:
    """Every route's first check: no NUL character (`%00`) in the path or the query, which no
    id, cursor or search can hold and PostgreSQL cannot be asked about (400
    `invalid_request`, the same on both databases). Async: it does no I/O, so it takes no
    thread from the pool."""
    query = request.query_params.multi_items()
    if "\x00" in request.url.path or any("\x00" in k or "\x00" in v for k, v in query):
        raise BadRequest(
            "the address holds a NUL character (%00); remove it", code="invalid_request"
        )


FORM_MEDIA = ("multipart/form-data", "application/x-www-form-urlencoded")


async def refuse_foreign_charset(request: Request) -> None:
    """Every route's second check: a form (multipart or URL-encoded) in any charset but UTF-8
    is refused (400 `unsupported_charset`). Starlette decodes a multipart body's fields with
    the charset its Content-Type names, and some (`unicode_escape`, `utf-7`) make text no
    database or page can hold, others (`idna`) fail outright; browsers send UTF-8. Async: no
    I/O. Forms FastAPI parses are read before this runs, but nothing is done with them."""
    media, _, parameters = request.headers.get("content-type", "").partition(";")
    if media.strip().lower() not in FORM_MEDIA:
        return
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and not _is_utf8(value.strip().strip('"')):
            raise BadRequest(
                f"forms are read as UTF-8 only, not charset={value.strip()[:40]!r}; leave the "
                "charset out, or send charset=utf-8",
                code="unsupported_charset",
            )


def _is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


def cookie_name(name: str, *, secure: bool) -> str:
    """What cookie `name` is called: with secure cookies (HTTPS), `__Host-` first, which
    browsers keep only when it is Secure, for this host alone and the whole site: a sibling
    subdomain cannot set or overwrite it (cookie tossing); over plain HTTP, as it is."""
    return f"{HOST_PREFIX}{name}" if secure else name


def request_cookie(request: Request, name: str) -> str | None:
    """The value of cookie `name` the request sent, under the name the server's settings
    give it (`cookie_name`): the other form is never read, so a cookie set from elsewhere
    without the prefix is ignored."""
    secure = bool(request.app.state.services.settings.secure_cookies)
    return request.cookies.get(cookie_name(name, secure=secure))


def authenticate(request: Request, services: Services) -> Actor | None:
    """The caller, or None when the request carries no credentials at all."""
    header = request.headers.get("authorization")
    if header:
        return _from_bearer(header, services)
    cookie = request_cookie(request, SESSION_COOKIE)
    if cookie:
        return actor_from_session_cookie(cookie, services)
    return None


def check_csrf(actor: Actor, request: Request, form_token: str | None = None) -> None:
    """Refuse an unsafe cookie-authenticated request without the session's CSRF token."""
    if actor.via != "session" or request.method in SAFE_METHODS or actor.session is None:
        return
    sent = form_token or request.headers.get(CSRF_HEADER)
    if sent != actor.session.csrf_token:
        raise Forbidden(
            "this form has expired or did not come from reelmint; reload the page and retry",
            code="csrf_failed",
        )


def current_actor(request: Request, services: ServicesDep) -> Actor:
    actor = authenticate(request, services)
    if actor is None:
        raise Unauthorized(
            "send an API token as 'Authorization: Bearer rm_...' (create one under Settings, "
            "API tokens) or sign in",
            code="unauthorized",
        )
    check_csrf(actor, request)
    return actor


def optional_actor(request: Request, services: ServicesDep) -> Actor | None:
    actor = authenticate(request, services)
    if actor is not None:
        check_csrf(actor, request)
    return actor


def password_checks(
    request: Request, services: Services, actor: Actor
) -> AbstractContextManager[None]:
    """`throttle.counting_password_checks` for a request in which `actor` gives their password
    again: from a browser's session it counts on the browser's device cookie
    (`accounts.devices`), so a stranger's guessing does not lock it; with an API token, on the
    account."""
    device = request_cookie(request, DEVICE_COOKIE) if actor.via == "session" else None
    return counting_password_checks(
        services.db, services.settings, actor.user, device_secret=device
    )


def current_user(actor: Annotated[Actor, Depends(current_actor)]) -> User:
    return actor.user


def administrator(user: Annotated[User, Depends(current_user)]) -> User:
    """The signed-in user if an administrator; 403 `admin_only` for anyone else, before
    anything about the request's body is read (the services check the role again)."""
    from reelmint.domains.accounts.service import require_admin

    require_admin(user)
    return user


CurrentActor = Annotated[Actor, Depends(current_actor)]
OptionalActor = Annotated[Actor | None, Depends(optional_actor)]
CurrentUser = Annotated[User, Depends(current_user)]
AdminUser = Annotated[User, Depends(administrator)]


def _from_bearer(header: str, services: Services) -> Actor:
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("use 'Authorization: Bearer rm_...'", code="unauthorized")
    with services.db.read() as db:
        contact = services.settings.operator_contact
        found = find_api_token(db=db, secret=secret.strip(), contact=contact)
    if found is None:
        raise Unauthorized(
            "the API token is not valid or was revoked; create a new one", code="invalid_token"
        )
    token, user = found
    if needs_touch(token.last_used_at):
        with services.db.write() as db:
            touch_api_token(db=db, token_id=token.id)
    return Actor(user=user, via="token", token_id=token.id)


def actor_from_session_cookie(cookie: str | None, services: Services) -> Actor | None:
    """The signed-in user a session cookie names (its last use noted now and then), or None."""
    if not cookie:
        return None
    with services.db.read() as db:
        found = find_web_session(db=db, secret=cookie)
    if found is None:
        return None
    session, user = found
    if needs_touch(session.last_seen_at):
        with services.db.write() as db:
            touch_web_session(db=db, session_id=session.id)
    return Actor(user=user, via="session", session=session)
