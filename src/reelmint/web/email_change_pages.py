"""The emailed links of a change of address (`accounts.email_change`). The one mailed to the
new address changes it: opened signed in to that account, its page names both addresses.
The one mailed to a confirmed old address stops the change: it works signed out (whoever
asked knows the password), with the double-submit CSRF form of the other signed-out pages,
and its page then says how to take the account back. Either page changes nothing until its
button is pressed, so a mail scanner that opens links changes nothing. Settings asks for the
change and cancels it (settings_pages)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.domains.accounts.email_change import (
    cancel_email_change_by_link,
    check_cancel_token,
    check_change_token,
    confirm_email_change,
)
from reelmint.domains.accounts.email_confirmation import require_own_link
from reelmint.domains.accounts.service import get_user
from reelmint.errors import ServiceError
from reelmint.web.csrf import (
    anonymous_token,
    check_anonymous_form,
    check_form,
    set_anonymous_cookie,
)
from reelmint.web.flash import redirect_with_flash
from reelmint.web.security import PageRoute
from reelmint.web.session import PageActor, SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]


@router.get("/change-email/{token}")
def change_email_page(
    request: Request, services: ServicesDep, actor: SignedIn, token: str
) -> Response:
    """Signed out: sign in first, then back here (the link and the account's password
    together prove it is yours). Signed in: a button that changes the address, or why the
    link does not work."""
    try:
        with services.db.read() as db:
            linked = check_change_token(db=db, settings=services.settings, token=token)
        require_own_link(linked, actor.user)
    except ServiceError as error:
        return _page(request, token=token, link_error=error)
    return _page(request, token=token, new_email=linked.pending_email)


@router.post("/change-email")
def change_email_form(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    token: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Make the pending address the signed-in account's, then on to Settings."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            user = get_user(db=db, user_id=actor.user.id)
            confirm_email_change(db=db, settings=services.settings, token=token, user=user)
    except ServiceError as error:
        return _page(request, token=token, link_error=error)
    secure = services.settings.secure_cookies
    return redirect_with_flash("/settings/account", "email_changed", secure=secure)


def _page(
    request: Request,
    *,
    token: str,
    new_email: str | None = None,
    link_error: ServiceError | None = None,
) -> Response:
    context = {"token": token, "new_email": new_email, "link_error": link_error}
    status = link_error.status if link_error else 200
    return render(request, "change_email.html", context, status=status)


# --- stopping a change from the old address -------------------------------------------------


@router.get("/cancel-email-change/{token}")
def cancel_email_change_page(
    request: Request, services: ServicesDep, _actor: PageActor, token: str
) -> Response:
    """Signed in or not: what pressing the button stops, or why the link no longer works
    (400). Changes nothing."""
    secure = services.settings.secure_cookies
    try:
        with services.db.read() as db:
            linked = check_cancel_token(db=db, settings=services.settings, token=token)
            old_email, new_email = linked.email, linked.pending_email
    except ServiceError as error:
        return _cancel_page(request, secure=secure, token=token, link_error=error)
    return _cancel_page(
        request, secure=secure, token=token, old_email=old_email, new_email=new_email
    )


@router.post("/cancel-email-change")
def cancel_email_change_form(
    request: Request,
    services: ServicesDep,
    _actor: PageActor,
    token: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Stop the pending change, then say how to keep whoever asked out of the account."""
    check_anonymous_form(request, csrf_token)
    try:
        with services.db.write() as db:
            user = cancel_email_change_by_link(db=db, settings=services.settings, token=token)
            email = user.email
    except ServiceError as error:
        secure = services.settings.secure_cookies
        return _cancel_page(request, secure=secure, token=token, link_error=error)
    return render(request, "cancel_email_change_done.html", {"email": email})


def _cancel_page(
    request: Request,
    *,
    secure: bool,
    token: str,
    old_email: str | None = None,
    new_email: str | None = None,
    link_error: ServiceError | None = None,
) -> Response:
    """The cancel link's page, with the signed-out form's double-submit CSRF token in the page
    and the cookie."""
    form_token = anonymous_token(request)
    context = {
        "form_token": form_token,
        "token": token,
        "old_email": old_email,
        "new_email": new_email,
        "link_error": link_error,
    }
    status = link_error.status if link_error else 200
    response = render(request, "cancel_email_change.html", context, status=status)
    set_anonymous_cookie(response, form_token, secure=secure)
    return response
