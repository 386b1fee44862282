"""Who is looking at a page, and the session cookie that says so.

Pages are for browsers, so only the session cookie signs a visitor in here; an
`Authorization` header is ignored (a site behind an HTTP Basic proxy must still work, and
API tokens are for the API). A stale or unknown cookie makes the visitor anonymous, not an
error: a page should offer the login form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from reelmint.api.deps import (
    SESSION_COOKIE,
    Actor,
    ServicesDep,
    actor_from_session_cookie,
    cookie_name,
    request_cookie,
)
from reelmint.domains.accounts.devices import DEVICE_COOKIE, DEVICE_LIFETIME, remember_device
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import SESSION_LIFETIME, start_web_session
from reelmint.web.security import LoginRequired, back_link


def page_actor(request: Request, services: ServicesDep) -> Actor | None:
    """The signed-in visitor, or None; remembered on `request.state` for the layout."""
    actor = actor_from_session_cookie(request_cookie(request, SESSION_COOKIE), services)
    request.state.actor = actor
    return actor


def signed_in_actor(request: Request, actor: Annotated[Actor | None, Depends(page_actor)]) -> Actor:
    """The signed-in visitor; anyone else is sent to log in and brought back afterwards: to the
    page they asked for, or after a form posted once their session had ended (a button on a
    page left open), to the page the form was on (its address takes posts only)."""
    if actor is None:
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:
            target = back_link(request) or "/"
        raise LoginRequired(target)
    return actor


PageActor = Annotated[Actor | None, Depends(page_actor)]
SignedIn = Annotated[Actor, Depends(signed_in_actor)]


def set_session_cookie(response: Response, secret: str, *, secure: bool) -> None:
    """The session cookie: script-proof (HttpOnly), not sent on cross-site posts (Lax)."""
    response.set_cookie(
        cookie_name(SESSION_COOKIE, secure=secure),
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def sign_in_browser(db: Session, request: Request, user: User) -> tuple[str, str]:
    """Start a session for `user` in this browser (named by its User-Agent in Settings) and
    remember the browser as theirs (`accounts.devices`): the secrets for the session and
    device cookies (`set_sign_in_cookies`)."""
    _, session_secret = start_web_session(
        db=db, user=user, user_agent=request.headers.get("user-agent")
    )
    return session_secret, remember_device(db=db, user=user, secret=device_secret(request))


def set_sign_in_cookies(response: Response, cookies: tuple[str, str], *, secure: bool) -> None:
    """The session and device cookies of `sign_in_browser`. With secure cookies, the same
    cookies under their plain names (from before the server used `__Host-` names, never read
    now) are deleted from the browser."""
    session_secret, device = cookies
    set_session_cookie(response, session_secret, secure=secure)
    set_device_cookie(response, device, secure=secure)
    if secure:
        for name in (SESSION_COOKIE, DEVICE_COOKIE):
            response.delete_cookie(name, path="/", httponly=True, samesite="lax")


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        cookie_name(SESSION_COOKIE, secure=secure),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def device_secret(request: Request) -> str | None:
    """The secret of the browser's device cookie (`accounts.devices`), if it sent one."""
    return request_cookie(request, DEVICE_COOKIE)


def set_device_cookie(response: Response, secret: str, *, secure: bool) -> None:
    """The device cookie, which outlives sign-outs: it only lets this browser's password
    attempts be counted apart from a stranger's (`accounts.devices`)."""
    response.set_cookie(
        cookie_name(DEVICE_COOKIE, secure=secure),
        secret,
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_device_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(
        cookie_name(DEVICE_COOKIE, secure=secure),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )
