"""Sign up, log in, log out, a forgotten password reset by email, and the emailed link that
confirms a new account's address (signed in to that account; its page asks for a press of a
button, so a mail scanner that opens links confirms nothing).

A failed form is shown again with the message and what was typed (never the password). A
successful one ends the session the browser had, if any (another account's, say), starts a
server-side session (`accounts.service.start_web_session`) whose secret goes into an HttpOnly,
SameSite=Lax cookie, remembers the browser as one of the
account's (a device cookie, `accounts.devices`: a stranger guessing the password does not lock
it out), and sends the browser on to `next` when that is a path on this site.
"""

from __future__ import annotations

import contextlib
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from reelmint.api.deps import SESSION_COOKIE, ServicesDep, request_cookie
from reelmint.domains.accounts.email_confirmation import (
    check_confirmation_token,
    confirm_email,
    is_confirmed,
    require_own_link,
    send_confirmation,
)
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.networks import request_network
from reelmint.domains.accounts.password_reset import (
    check_reset_token,
    request_password_reset,
    reset_password,
)
from reelmint.domains.accounts.service import (
    MIN_PASSWORD,
    authenticate,
    check_signup_open,
    end_web_session,
    get_user,
    set_timezone,
    sign_up,
)
from reelmint.domains.accounts.throttle import counting_failures
from reelmint.domains.quota.service import quota_withheld
from reelmint.errors import ServiceError
from reelmint.web.csrf import (
    anonymous_token,
    check_anonymous_form,
    check_form,
    set_anonymous_cookie,
)
from reelmint.web.flash import redirect_with_flash
from reelmint.web.forms import safe_next
from reelmint.web.security import PageRoute
from reelmint.web.session import (
    PageActor,
    SignedIn,
    clear_session_cookie,
    device_secret,
    set_sign_in_cookies,
    sign_in_browser,
)
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]


def _form_page(
    request: Request,
    template: str,
    *,
    secure: bool,
    status: int = 200,
    **context: object,
) -> Response:
    """A logged-out form, with its double-submit CSRF token in the page and the cookie."""
    token = anonymous_token(request)
    response = render(request, template, {"form_token": token, **context}, status=status)
    set_anonymous_cookie(response, token, secure=secure)
    return response


def _signed_in(
    target: str, cookies: tuple[str, str], *, secure: bool, flash: str
) -> RedirectResponse:
    response = redirect_with_flash(target, flash, secure=secure)
    set_sign_in_cookies(response, cookies, secure=secure)
    return response


def _sign_in_here(db: Session, request: Request, user: User) -> tuple[str, str]:
    """Sign `user` in to this browser (`sign_in_browser`), ending the session it had first,
    whoever's it was: its cookie is replaced, so left alone it would live on server-side,
    listed in that account's Settings but used by no one (signing up, logging in, or setting
    a password from a reset link while signed in)."""
    old_secret = request_cookie(request, SESSION_COOKIE)
    if old_secret:
        end_web_session(db=db, secret=old_secret)
    return sign_in_browser(db, request, user)


def _form_status(error: ServiceError) -> int:
    """The status of a form shown again: 400 for wrong credentials (a 401 needs a challenge),
    429 while the account is locked after too many."""
    return 400 if error.status == 401 else error.status


@router.get("/signup")
def signup_page(
    request: Request, services: ServicesDep, actor: PageActor, next: str = ""
) -> Response:
    settings = services.settings
    if actor is not None:
        return RedirectResponse(safe_next(next, "/create"), status_code=303)
    status = 200 if settings.signup_open else 403
    return _form_page(
        request,
        "signup.html",
        secure=settings.secure_cookies,
        status=status,
        email="",
        display_name="",
        next=safe_next(next, ""),
        error=None,
        min_password=MIN_PASSWORD,
    )


@router.post("/signup")
def signup(
    request: Request,
    services: ServicesDep,
    _actor: PageActor,
    email: TextField = "",
    password: TextField = "",
    display_name: TextField = "",
    csrf_token: TextField = "",
    next: TextField = "",
    timezone: TextField = "",
) -> Response:
    settings = services.settings
    check_anonymous_form(request, csrf_token)
    check_signup_open(settings)  # refused: the closed page, not the form again
    try:
        with services.db.write() as db:
            user = sign_up(
                db=db,
                settings=settings,
                email=email,
                password=password,
                display_name=display_name or None,
                network=request_network(request),
            )
            _adopt_browser_timezone(db, user, timezone)
            send_confirmation(db=db, settings=settings, user=user)
            cookies = _sign_in_here(db, request, user)
    except ServiceError as error:
        return _form_page(
            request,
            "signup.html",
            secure=settings.secure_cookies,
            status=_form_status(error),
            email=email,
            display_name=display_name,
            next=safe_next(next, ""),
            error=error,
            min_password=MIN_PASSWORD,
        )
    target = safe_next(next, "/create")
    flash = "welcome"
    if settings.sends_email:
        flash = "welcome_confirm_quota" if quota_withheld(settings, user) else "welcome_confirm"
    return _signed_in(target, cookies, secure=settings.secure_cookies, flash=flash)


def _adopt_browser_timezone(db: Session, user: User, timezone: str) -> None:
    """The page's script sends the browser's time zone; the user did not type it, so an
    unknown one quietly leaves UTC (it can be changed on the quota page)."""
    if timezone:
        with contextlib.suppress(ServiceError):
            set_timezone(db=db, user=user, timezone=timezone)


@router.get("/login")
def login_page(
    request: Request, services: ServicesDep, actor: PageActor, next: str = ""
) -> Response:
    if actor is not None:
        return RedirectResponse(safe_next(next, "/"), status_code=303)
    return _form_page(
        request,
        "login.html",
        secure=services.settings.secure_cookies,
        email="",
        next=safe_next(next, ""),
        error=None,
    )


@router.post("/login")
def login(
    request: Request,
    services: ServicesDep,
    _actor: PageActor,
    email: TextField = "",
    password: TextField = "",
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    settings = services.settings
    check_anonymous_form(request, csrf_token)
    try:
        with (
            counting_failures(
                services.db,
                settings,
                email,
                device_secret=device_secret(request),
                network=request_network(request),
            ),
            services.db.write() as db,
        ):
            user = authenticate(
                db=db,
                email=email,
                password=password,
                claimed=True,
                contact=settings.operator_contact,
            )
            cookies = _sign_in_here(db, request, user)
    except ServiceError as error:
        return _form_page(
            request,
            "login.html",
            secure=settings.secure_cookies,
            status=_form_status(error),
            email=email,
            next=safe_next(next, ""),
            error=error,
        )
    return _signed_in(
        safe_next(next, "/"), cookies, secure=settings.secure_cookies, flash="logged_in"
    )


@router.post("/logout")
def logout(
    request: Request, services: ServicesDep, actor: PageActor, csrf_token: TextField = ""
) -> Response:
    """End this browser's session. One already ended (in another tab, or expired) is a
    visitor logging out: they are out already, and go to the feed, not to the login page."""
    if actor is not None:
        check_form(actor, request, csrf_token)
    secret = request_cookie(request, SESSION_COOKIE)
    if secret:
        with services.db.write() as db:
            end_web_session(db=db, secret=secret)
    response = redirect_with_flash("/", "logged_out", secure=services.settings.secure_cookies)
    clear_session_cookie(response, secure=services.settings.secure_cookies)
    return response


# --- a forgotten password -------------------------------------------------------------------


@router.get("/forgot-password")
def forgot_password_page(request: Request, services: ServicesDep, _actor: PageActor) -> Response:
    return _form_page(
        request,
        "forgot_password.html",
        secure=services.settings.secure_cookies,
        email="",
        error=None,
        minutes=services.settings.password_reset_minutes,
    )


@router.post("/forgot-password")
def forgot_password(
    request: Request,
    services: ServicesDep,
    _actor: PageActor,
    email: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Always the same answer for an address that is not malformed: whether it has an account
    (and so whether a mail went) is never shown."""
    settings = services.settings
    check_anonymous_form(request, csrf_token)
    try:
        with services.db.write() as db:
            request_password_reset(
                db=db, settings=settings, email=email, network=request_network(request)
            )
    except ServiceError as error:
        return _form_page(
            request,
            "forgot_password.html",
            secure=settings.secure_cookies,
            status=error.status,
            email=email,
            error=error,
            minutes=settings.password_reset_minutes,
        )
    told = "reset_requested" if settings.sends_email else "reset_requested_no_email"
    return redirect_with_flash("/login", told, secure=settings.secure_cookies)


@router.get("/reset-password/{token}")
def reset_password_page(
    request: Request, services: ServicesDep, _actor: PageActor, token: str
) -> Response:
    """The form for a new password, or why the link no longer works (400)."""
    link_error: ServiceError | None = None
    try:
        with services.db.read() as db:
            check_reset_token(db=db, settings=services.settings, token=token)
    except ServiceError as error:
        link_error = error
    return _form_page(
        request,
        "reset_password.html",
        secure=services.settings.secure_cookies,
        status=link_error.status if link_error else 200,
        token=token,
        link_error=link_error,
        error=None,
        min_password=MIN_PASSWORD,
    )


@router.post("/reset-password")
def reset_password_form(
    request: Request,
    services: ServicesDep,
    _actor: PageActor,
    token: TextField = "",
    password: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Set the new password, sign every browser out, and sign this one in (ending the
    session it had, if signed in to another account)."""
    settings = services.settings
    check_anonymous_form(request, csrf_token)
    try:
        with services.db.write() as db:
            user, _ended = reset_password(db=db, settings=settings, token=token, password=password)
            cookies = _sign_in_here(db, request, user)
    except ServiceError as error:
        link_error = error if error.code == "invalid_reset_link" else None
        return _form_page(
            request,
            "reset_password.html",
            secure=settings.secure_cookies,
            status=error.status,
            token=token,
            link_error=link_error,
            error=None if link_error else error,
            min_password=MIN_PASSWORD,
        )
    return _signed_in("/", cookies, secure=settings.secure_cookies, flash="password_reset")


# --- confirming an email address --------------------------------------------------------------


@router.get("/confirm-email/{token}")
def confirm_email_page(
    request: Request, services: ServicesDep, actor: SignedIn, token: str
) -> Response:
    """Signed out: sign in first, then back here (the link and the account's password
    together prove it is yours). Signed in: a button that confirms, or why the link does not
    work (400, 403)."""
    if is_confirmed(actor.user):
        return _confirm_page(request, token=token)
    try:
        with services.db.read() as db:
            linked = check_confirmation_token(db=db, settings=services.settings, token=token)
        require_own_link(linked, actor.user)
    except ServiceError as error:
        return _confirm_page(request, token=token, link_error=error)
    return _confirm_page(request, token=token)


@router.post("/confirm-email")
def confirm_email_form(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    token: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Confirm the signed-in account's address with its link, then on to Settings."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            user = get_user(db=db, user_id=actor.user.id)
            confirm_email(db=db, settings=services.settings, token=token, user=user)
    except ServiceError as error:
        return _confirm_page(request, token=token, link_error=error)
    secure = services.settings.secure_cookies
    return redirect_with_flash("/settings/account", "email_confirmed", secure=secure)


def _confirm_page(
    request: Request, *, token: str, link_error: ServiceError | None = None
) -> Response:
    status = link_error.status if link_error else 200
    return render(
        request, "confirm_email.html", {"token": token, "link_error": link_error}, status=status
    )
