"""CSRF protection for forms.

Signed-in forms carry the session's CSRF token (`api.deps.check_csrf` compares it). Before
there is a session (sign up, log in) there is nothing on the server to compare with, so those
forms use a double-submit cookie: the page sets a random cookie and puts the same value in
the form; another site can make a browser send the cookie but cannot read it to fill in the
form. (Login CSRF matters too: it would sign the victim into the attacker's account.)
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

from reelmint.api.deps import Actor, check_csrf, cookie_name, request_cookie
from reelmint.errors import Forbidden

ANONYMOUS_CSRF_COOKIE = "reelmint_csrf"
CSRF_FIELD = "csrf_token"
_MAX_TOKEN = 100


def csrf_refused() -> Forbidden:
    return Forbidden(
        "this form has expired or did not come from reelmint; reload the page and retry",
        code="csrf_failed",
    )


def check_form(actor: Actor, request: Request, form_token: str) -> None:
    """Refuse a signed-in form post that lacks the session's CSRF token."""
    check_csrf(actor, request, form_token or None)


def anonymous_token(request: Request) -> str:
    """The browser's double-submit token: the one it already has, or a new one."""
    current = request_cookie(request, ANONYMOUS_CSRF_COOKIE) or ""
    if 20 <= len(current) <= _MAX_TOKEN and current.replace("-", "").replace("_", "").isalnum():
        return current
    return secrets.token_urlsafe(32)


def set_anonymous_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        cookie_name(ANONYMOUS_CSRF_COOKIE, secure=secure),
        token,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def check_anonymous_form(request: Request, form_token: str) -> None:
    """Refuse a logged-out form post whose token does not match the browser's cookie."""
    cookie = request_cookie(request, ANONYMOUS_CSRF_COOKIE) or ""
    if not cookie or not form_token or len(form_token) > _MAX_TOKEN:
        raise csrf_refused()
    if not hmac.compare_digest(cookie.encode(), form_token.encode()):
        raise csrf_refused()
