"""The rights holder's studio: register characters, see uses per character per day (a chart),
earnings pending and available, and download the uses as CSV."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import Organisation, User
from reelmint.domains.rights import service as rights
from reelmint.domains.wallet.service import earnings_account
from reelmint.errors import BadRequest, ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]


@router.get("/studio")
def studio_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    return _studio(request, services, actor.user)


@router.post("/studio/characters")
def register(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: TextField = "",
    handle: TextField = "",
    name: TextField = "",
    description: TextField = "",
    aliases: TextField = "",
    policy: TextField = "licensed",
    audience: TextField = "everyone",
    banned_themes: TextField = "",
    fee_units: TextField = "0",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    form = {"handle": handle, "name": name, "description": description, "aliases": aliases}
    try:
        character = rights.CharacterRequest(
            handle=handle,
            name=name,
            description=description,
            aliases=tuple(a for a in aliases.split(",") if a.strip()),
            policy=policy,
            audience=audience,
            banned_themes=tuple(t for t in banned_themes.split(",") if t.strip()),
            fee_units=_whole(fee_units),
        )
        with services.db.write() as db:
            rights.register_character(
                db=db, actor=actor.user, organisation_id=organisation_id, request=character
            )
    except ServiceError as error:
        return _studio(request, services, actor.user, error=error, form=form, status=400)
    return RedirectResponse("/studio", status_code=303)


@router.get("/studio/{organisation_id}/uses.csv")
def uses_csv(organisation_id: str, services: ServicesDep, actor: SignedIn) -> Response:
    with services.db.read() as db:
        found = rights.uses(db=db, actor=actor.user, organisation_id=organisation_id, days=366)
        names = {c.id: c.name for c in rights.list_characters(db=db)}
    return Response(
        rights.uses_csv(found, names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="reelmint-uses.csv"'},
    )


def _whole(text: str) -> int:
    try:
        return int(text.strip() or "0")
    except ValueError:
        raise BadRequest(
            f"the fee must be a whole number of units, got {text[:20]!r}", code="invalid_fee"
        ) from None


def _studio(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with services.db.write() as db:  # earnings accounts are made on first look
        studios = [_one(db, user, org) for org in rights.holder_organisations(db=db, actor=user)]
    context = {"studios": studios, "error": error, "form": form or {}}
    return render(request, "studio.html", context, status=status)


def _one(db: Any, user: User, organisation: Organisation) -> dict[str, Any]:
    characters = rights.list_characters(db=db, organisation_id=organisation.id)
    found = rights.uses(db=db, actor=user, organisation_id=organisation.id)
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    earned: Counter[str] = Counter()
    for use in found:
        per_day[use.character_id][use.day] += 1
        earned[use.character_id] += use.holder_units
    busiest = max((n for days in per_day.values() for n in days.values()), default=1)
    top: Counter[str] = Counter(use.video_id for use in found if use.video_id)
    return {
        "organisation": organisation,
        "characters": characters,
        "per_day": {cid: sorted(days.items()) for cid, days in per_day.items()},
        "earned": earned,
        "busiest": busiest,
        "top_videos": top.most_common(5),
        "pending": earnings_account(db=db, organisation_id=organisation.id).balance,
        "available": earnings_account(
            db=db, organisation_id=organisation.id, available=True
        ).balance,
    }
