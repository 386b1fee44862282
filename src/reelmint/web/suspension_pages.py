"""Suspending accounts on the web, for administrators: /operator/accounts lists the suspended
accounts (each with a Reinstate button) and suspends one named by its address, saying why; the
Reports page suspends a reported video's creator. The services decide and authorise
(domains/accounts/suspension.py): anyone else gets 403 before anything is looked up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.db.base import ID_SHAPE
from reelmint.domains.accounts import suspension
from reelmint.domains.accounts.models import User
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]
HOME = "/operator/accounts"


@router.get(HOME)
def accounts_page(
    request: Request, services: ServicesDep, actor: SignedIn, older: str | None = None
) -> Response:
    """403 for anyone but an administrator (the service decides); `older`: the suspended
    accounts after that cursor."""
    return _page(request, services, actor.user, older=older or None)


@router.post(HOME + "/suspend")
def suspend_by_email(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    email: TextField = "",
    reason: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Suspend the account with this address; refused, the page again with why and what was
    typed."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            user = suspension.account_by_email(db=db, actor=actor.user, email=email)
            suspension.suspend_account(
                db=db,
                actor=actor.user,
                user_id=user.id,
                reason=reason,
                contact=services.settings.operator_contact,
            )
    except ServiceError as error:
        typed = {"email": email, "reason": reason}
        return _page(request, services, actor.user, error=error, typed=typed)
    return flash_redirect(services, HOME, "account_suspended")


@router.post(HOME + "/{user_id}/suspend")
def suspend_creator(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    reason: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Suspend a reported video's creator (the Reports page's form), then back to the list of
    suspended accounts; refused, that page says why."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            suspension.suspend_account(
                db=db,
                actor=actor.user,
                user_id=user_id,
                reason=reason,
                contact=services.settings.operator_contact,
            )
    except ServiceError as error:  # the by-address form, filled in for this creator
        typed = {"email": _address_of(services, user_id), "reason": reason}
        return _page(request, services, actor.user, error=error, typed=typed)
    return flash_redirect(services, HOME, "account_suspended")


def _address_of(services: Services, user_id: str) -> str:
    """The account's address (administrators see it on this page anyway), or "" for none."""
    with services.db.read() as db:
        found = db.get(User, user_id) if ID_SHAPE.fullmatch(user_id) else None
        return found.email if found is not None else ""


@router.post(HOME + "/{user_id}/reinstate")
def reinstate(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            suspension.reinstate_account(db=db, actor=actor.user, user_id=user_id)
    except ServiceError as error:
        return _page(request, services, actor.user, error=error)
    return flash_redirect(services, HOME, "account_reinstated")


def _page(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    typed: dict[str, str] | None = None,
    older: str | None = None,
) -> Response:
    with services.db.read() as db:
        try:
            page = suspension.suspended_accounts(
                db=db, actor=user, limit=suspension.MAX_PAGE, after=older
            )
        except ServiceError as bad_link:  # a damaged or stale "older" link: the newest
            if bad_link.param != "after":
                raise
            older = None
            page = suspension.suspended_accounts(db=db, actor=user, limit=suspension.MAX_PAGE)
    context: dict[str, Any] = {
        "suspended": page.users,
        "next_cursor": page.next_cursor,
        "is_first": older is None,
        "error": error,
        "typed": typed or {},
        "max_reason": suspension.MAX_REASON_CHARS,
    }
    return render(request, "operator_accounts.html", context, status=error.status if error else 200)
