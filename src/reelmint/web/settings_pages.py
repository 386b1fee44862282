"""Settings: the account page (your email address, a new link to confirm it, and changing it;
your name, your password, the browsers signed in to the account (each named by its
User-Agent, `web.agents`) with a way to sign out one or all the others, whether social news is
told to you, closing the account; links to the time zone and API tokens, whose page is
token_pages).

Every change is a POST form carrying the session's CSRF token; the accounts service checks
the values (a name's length, the current password) and a refusal shows on this page beside
the form, with nothing changed. Forms that ask for the password count a wrong one as a failed
sign-in does (`api.deps.password_checks`: on this browser's device when it
has one, so a stranger guessing at the login page does not lock these forms). A new password
ends every session (this browser gets a new one, so a copied cookie stops working too) and
forgets every other browser's device; closing the
account (password and typed words needed) signs out everywhere and removes its files.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reelmint.api.deps import Actor, ServicesDep, password_checks
from reelmint.bootstrap import Services
from reelmint.domains.accounts.api import export_response
from reelmint.domains.accounts.closure import (
    CONFIRMATION,
    Forfeit,
    after_closing,
    close_own_account,
    forfeit_of,
)
from reelmint.domains.accounts.email_change import (
    cancel_email_change,
    live_pending_email,
    request_email_change,
)
from reelmint.domains.accounts.email_confirmation import send_confirmation
from reelmint.domains.accounts.service import (
    MIN_PASSWORD,
    change_password,
    end_other_web_sessions,
    end_web_session_of,
    get_user,
    live_web_sessions,
    rename,
)
from reelmint.domains.notifications.service import set_social_notifications
from reelmint.errors import ServiceError
from reelmint.web.agents import browser_name
from reelmint.web.csrf import check_form
from reelmint.web.flash import redirect_with_flash
from reelmint.web.security import PageRoute
from reelmint.web.session import (
    SignedIn,
    clear_device_cookie,
    clear_session_cookie,
    device_secret,
    set_sign_in_cookies,
    sign_in_browser,
)
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]
HOME = "/settings/account"


@router.get("/settings")
def settings_home(actor: SignedIn) -> Response:
    """Settings opens on the account page (the navigation links there too)."""
    return RedirectResponse(HOME, status_code=303)


@router.get(HOME)
def account_page(request: Request, actor: SignedIn) -> Response:
    return _page(request, actor)


@router.get("/settings/account/export")
def export(services: ServicesDep, actor: SignedIn) -> Response:
    """Your data as a ZIP file (the same as GET /v1/me/export)."""
    return export_response(services, actor.user.id)


@router.post("/settings/account/email-confirmation")
def new_confirmation_link(
    request: Request, services: ServicesDep, actor: SignedIn, csrf_token: TextField = ""
) -> Response:
    """Email a new link to confirm the address (older ones stop working); nothing to send
    once it is confirmed."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            user = get_user(db=db, user_id=actor.user.id)
            sent = send_confirmation(db=db, settings=services.settings, user=user)
    except ServiceError as error:
        return _page(request, actor, email_error=error)
    return _done(services, "confirmation_sent" if sent else "email_confirmed")


@router.post("/settings/account/email")
def change_email(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    email: TextField = "",
    password: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Ask to change the address: a link goes to the new one, which takes over once used."""
    check_form(actor, request, csrf_token)
    settings = services.settings
    try:
        with password_checks(request, services, actor), services.db.write() as db:
            user = get_user(db=db, user_id=actor.user.id)
            request_email_change(
                db=db, settings=settings, user=user, new_email=email, password=password
            )
    except ServiceError as error:
        return _page(request, actor, change_error=error, typed_email=email)
    return _done(services, "email_change_sent")


@router.post("/settings/account/email/cancel")
def cancel_email(
    request: Request, services: ServicesDep, actor: SignedIn, csrf_token: TextField = ""
) -> Response:
    """Forget a pending change of address (its link stops working)."""
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        cancelled = cancel_email_change(get_user(db=db, user_id=actor.user.id))
    return _done(services, "email_change_cancelled" if cancelled else "no_email_change")


@router.post("/settings/account/name")
def change_name(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    display_name: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            rename(db=db, user=get_user(db=db, user_id=actor.user.id), display_name=display_name)
    except ServiceError as error:
        return _page(request, actor, name_error=error, typed_name=display_name)
    return _done(services, "renamed")


@router.post("/settings/account/password")
def new_password(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    current_password: TextField = "",
    password: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with password_checks(request, services, actor), services.db.write() as db:
            user = get_user(db=db, user_id=actor.user.id)
            change_password(
                db=db,
                user=user,
                current=current_password,
                new=password,
                keep_device_secret=device_secret(request),
            )
            # Every old cookie stops working, this browser's too: it gets a new one, and stays
            # (or becomes) a device of the account's, so it is never left with none.
            cookies = sign_in_browser(db, request, user)
    except ServiceError as error:
        return _page(request, actor, password_error=error)
    response = _done(services, "password_changed")
    set_sign_in_cookies(response, cookies, secure=services.settings.secure_cookies)
    return response


@router.post("/settings/account/notifications")
def notifications(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    notify_social: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """The social notifications checkbox (a browser sends an unticked box as nothing)."""
    check_form(actor, request, csrf_token)
    on = bool(notify_social)
    with services.db.write() as db:
        set_social_notifications(db=db, user=get_user(db=db, user_id=actor.user.id), on=on)
    return _done(services, "social_notifications_on" if on else "social_notifications_off")


@router.post("/settings/account/close")
def close(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    password: TextField = "",
    confirmation: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with password_checks(request, services, actor), services.db.write() as db:
            user = get_user(db=db, user_id=actor.user.id)
            closed = close_own_account(
                db=db, user=user, password=password, confirmation=confirmation
            )
    except ServiceError as error:  # the phrase stays as typed; a password is never sent back
        return _page(request, actor, close_error=error, typed_confirmation=confirmation)
    after_closing(services, closed)
    secure = services.settings.secure_cookies
    response = redirect_with_flash("/", "account_closed", secure=secure)
    clear_session_cookie(response, secure=secure)
    clear_device_cookie(response, secure=secure)
    return response


@router.post("/settings/account/sessions/others/end")
def sign_out_others(
    request: Request, services: ServicesDep, actor: SignedIn, csrf_token: TextField = ""
) -> Response:
    """Sign out every browser but this one."""
    check_form(actor, request, csrf_token)
    keep = actor.session.id if actor.session else None
    with services.db.write() as db:
        user = get_user(db=db, user_id=actor.user.id)
        ended = end_other_web_sessions(db=db, user=user, keep_session_id=keep)
    return _done(services, "signed_out_others" if ended else "no_other_browsers")


@router.post("/settings/account/sessions/{session_id}/end")
def sign_out_one(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    session_id: str,
    csrf_token: TextField = "",
) -> Response:
    """Sign out one other browser (this one signs out with Log out)."""
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        user = get_user(db=db, user_id=actor.user.id)
        end_web_session_of(db=db, user=user, session_id=session_id)
    if actor.session is not None and session_id == actor.session.id:
        secure = services.settings.secure_cookies
        response = redirect_with_flash("/", "logged_out", secure=secure)
        clear_session_cookie(response, secure=secure)
        return response
    return _done(services, "signed_out_browser")


def _browsers(request: Request, actor: Actor) -> list[dict[str, Any]]:
    """The browsers signed in to the account, for the page: this one first."""
    with request.app.state.services.db.read() as db:
        sessions = live_web_sessions(db=db, user=actor.user)
    current = actor.session.id if actor.session else None
    browsers = [
        {
            "id": session.id,
            "name": browser_name(session.user_agent),
            "signed_in": session.created_at,
            "last_seen": session.last_seen_at or session.created_at,
            "current": session.id == current,
        }
        for session in sessions
    ]
    return sorted(browsers, key=lambda browser: not browser["current"])


def _page(
    request: Request,
    actor: Actor,
    *,
    name_error: ServiceError | None = None,
    typed_name: str | None = None,
    password_error: ServiceError | None = None,
    close_error: ServiceError | None = None,
    email_error: ServiceError | None = None,
    change_error: ServiceError | None = None,
    typed_email: str = "",
    typed_confirmation: str = "",
) -> Response:
    error = name_error or password_error or close_error or email_error or change_error
    context: dict[str, Any] = {
        "close_error": close_error,
        "typed_confirmation": typed_confirmation,
        "email_error": email_error,
        "change_error": change_error,
        "pending_email": live_pending_email(actor.user, request.app.state.services.settings),
        "typed_email": typed_email,
        "confirmation": CONFIRMATION,
        "name": actor.user.display_name if typed_name is None else typed_name,
        "name_error": name_error,
        "password_error": password_error,
        "min_password": MIN_PASSWORD,
        "browsers": _browsers(request, actor),
        "forfeit": _forfeit(request, actor),
    }
    return render(request, "account.html", context, status=error.status if error else 200)


def _forfeit(request: Request, actor: Actor) -> Forfeit:
    with request.app.state.services.db.read() as db:
        return forfeit_of(db=db, user_id=actor.user.id)


def _done(services: Services, flash: str) -> RedirectResponse:
    return redirect_with_flash(HOME, flash, secure=services.settings.secure_cookies)
