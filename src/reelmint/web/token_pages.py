"""Personal API tokens: list, create (the secret is shown once), revoke.

The secret is rendered straight into the response of the POST that made it and stored
nowhere but as a hash, so it cannot be shown again; the page is never cached (`no-store`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from reelmint.api.deps import ServicesDep
from reelmint.api.idempotency import Record
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import ApiToken, User
from reelmint.domains.accounts.service import (
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    tell_security_change,
)
from reelmint.errors import ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import redirect_with_flash
from reelmint.web.once import DONE, new_form_key, once_per_form
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]


@router.get("/settings/tokens")
def tokens_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    return _tokens(request, services, actor.user)


@router.post("/settings/tokens")
def create_token(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    name: TextField = "",
    csrf_token: TextField = "",
    form_key: TextField = "",
) -> Response:
    """Make a token and show its secret, once per form: the same form posted again (a double
    click, a browser's retry) makes no second token and says where the first one's secret was."""
    check_form(actor, request, csrf_token)

    def work(record: Record) -> tuple[ApiToken, str]:
        with services.db.write() as db:
            made = create_api_token(db=db, user=actor.user, name=name)
            tell_security_change(
                db=db,
                user=actor.user,
                subject="A new API token for your reelmint account",
                body=f"An API token named “{made[0].name}” was made for the reelmint account "
                f"{actor.user.email} from its Settings page. It can do everything your "
                "account can. If this was not you, revoke it at once (Settings, API tokens) "
                "and change your password.",
            )
            record(db, DONE)
        return made

    try:
        made = once_per_form(
            services=services,
            user=actor.user,
            form_key=form_key,
            path="/settings/tokens",
            fields={"name": name},
            work=work,
        )
    except ServiceError as error:
        return _tokens(request, services, actor.user, name=name, error=error, status=error.status)
    if made is None:
        secure = services.settings.secure_cookies
        return redirect_with_flash("/settings/tokens", "token_already_made", secure=secure)
    token, secret = made
    context = {"token": token, "secret": secret, "api_url": services.settings.public_url}
    return render(request, "token_created.html", context, status=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    token_id: str,
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        revoke_api_token(db=db, actor=actor.user, token_id=token_id)
    secure = services.settings.secure_cookies
    return redirect_with_flash("/settings/tokens", "token_revoked", secure=secure)


def _tokens(
    request: Request,
    services: Services,
    user: User,
    *,
    name: str = "",
    error: ServiceError | None = None,
    status: int = 200,
) -> Response:
    with services.db.read() as db:
        tokens = list_api_tokens(db=db, user=user)
    context = {"tokens": tokens, "name": name, "error": error, "form_key": new_form_key()}
    return render(request, "tokens.html", context, status=status)
