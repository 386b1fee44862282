"""The rights holder's studio: register characters and add or delete their reference images,
see uses per character per day (a chart), earnings pending, available and in payout, top
videos, and download the uses as CSV; claim videos (from a video id or the top videos), release
claims and answer disputes, and download the claims; owners ask for payouts of the available
earnings (members see them); everyone sees the members (their forms: studio_members)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from reelmint.api.deps import ServicesDep
from reelmint.api.multipart import FormSpec, read_image_form
from reelmint.bootstrap import Services
from reelmint.domains import uploads
from reelmint.domains.accounts import invitations
from reelmint.domains.accounts import service as accounts
from reelmint.domains.accounts.models import Organisation, User
from reelmint.domains.payouts import service as payouts
from reelmint.domains.rights import claims, images
from reelmint.domains.rights import service as rights
from reelmint.domains.videos.models import Video
from reelmint.domains.wallet import tips
from reelmint.domains.wallet.api import whole_statement_response
from reelmint.domains.wallet.service import (
    StatementLine,
    earnings_account,
    organisation_statement,
)
from reelmint.errors import BadRequest, ServiceError
from reelmint.money import money_text
from reelmint.scratch import scratch_folder
from reelmint.web.csrf import CSRF_FIELD, check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.forms import plain_int
from reelmint.web.payout_forms import (
    PayoutForm,
    PayoutTerms,
    ask_for_payout,
    cancel,
    new_payout_key,
)
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]
IMAGE_FORM = FormSpec(
    fields=(),
    media_hint="send the images with the page's upload form",
    extra_fields=(CSRF_FIELD,),
)


@router.get("/studio")
def studio_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    return render_studio(request, services, actor.user)


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
    share_percent: TextField = "70",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    form = {  # every field as typed: a refusal must not quietly reset the fee or the policy
        "organisation_id": organisation_id,
        "handle": handle,
        "name": name,
        "description": description,
        "aliases": aliases,
        "policy": policy,
        "audience": audience,
        "banned_themes": banned_themes,
        "fee_units": fee_units,
        "share_percent": share_percent,
    }
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
            holder_share_bps=_share_bps(share_percent),
        )
        with services.db.write() as db:
            registered = rights.register_character(
                db=db,
                actor=actor.user,
                organisation_id=organisation_id,
                request=character,
                max_share_bps=services.settings.holder_share_max_bps,
            )
    except ServiceError as error:
        return render_studio(
            request, services, actor.user, error=error, form=form, status=error.status
        )
    target = f"/studio#character-{registered.id}"
    return flash_redirect(services, target, "character_registered")


@router.post("/studio/characters/{character_id}/images")
async def add_images(
    request: Request, services: ServicesDep, actor: SignedIn, character_id: str
) -> Response:
    """Upload reference images (multipart, read under the API's caps); a refusal shows on the
    page and adds none of them."""
    rules = images.image_rules(services.settings)
    try:
        with scratch_folder("character") as scratch:
            form = await read_image_form(
                request, folder=Path(scratch), rules=rules, spec=IMAGE_FORM
            )
            check_form(actor, request, form.fields.get(CSRF_FIELD, ""))
            added = await run_in_threadpool(
                images.add_images,
                services=services,
                actor=actor.user,
                character_id=character_id,
                images=form.images,
            )
    except ServiceError as error:
        if error.code == "csrf_failed":
            raise
        return await run_in_threadpool(
            render_studio, request, services, actor.user, image_error=error, status=error.status
        )
    return RedirectResponse(f"/studio#character-{added[0].character_id}", status_code=303)


@router.post("/studio/characters/{character_id}/images/{position}/delete")
def delete_image(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    character_id: str,
    position: int,
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        deleted = images.delete_image(
            services=services, actor=actor.user, character_id=character_id, position=position
        )
    except ServiceError as error:
        return render_studio(request, services, actor.user, image_error=error, status=error.status)
    return RedirectResponse(f"/studio#character-{deleted.character_id}", status_code=303)


@router.post("/studio/characters/{character_id}/retire")
def retire_character(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    character_id: str,
    csrf_token: TextField = "",
    confirm: TextField = "",
) -> Response:
    """Retire one of the organisation's characters for good (the box ticked to confirm)."""
    check_form(actor, request, csrf_token)
    try:
        if confirm != "yes":
            raise BadRequest(
                "tick the box to confirm: retiring a character cannot be undone",
                code="confirmation_required",
            )
        with services.db.write() as db:
            retired = rights.retire_character(db=db, actor=actor.user, character_id=character_id)
        uploads.remove_files(services.storage, retired.image_keys)
    except ServiceError as error:
        return render_studio(request, services, actor.user, image_error=error, status=error.status)
    flash = "character_retired_claims" if retired.claims_ended else "character_retired"
    return flash_redirect(services, "/studio", flash)


@router.get("/studio/{organisation_id}/uses.csv")
def uses_csv(organisation_id: str, services: ServicesDep, actor: SignedIn) -> Response:
    with services.db.read() as db:
        found = rights.uses(db=db, actor=actor.user, organisation_id=organisation_id, days=366)
        names = rights.character_names(db=db, organisation_id=organisation_id)
    return Response(
        rights.uses_csv(found, names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="reelmint-uses.csv"'},
    )


@router.get("/studio/{organisation_id}/earnings.csv")
def earnings_csv(organisation_id: str, services: ServicesDep, actor: SignedIn) -> Response:
    """The organisation's earnings statement (members only): shares, releases, payouts."""
    with services.db.read() as db:
        rights.holder_organisation(db=db, actor=actor.user, organisation_id=organisation_id)

    def read_page(after: str | None, limit: int) -> list[StatementLine]:
        with services.db.read() as db:
            return organisation_statement(
                db=db, organisation_id=organisation_id, limit=limit, after=after
            )

    return whole_statement_response(read_page, f"reelmint-earnings-{organisation_id}.csv")


@router.post("/studio/claims")
def claim_video(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: TextField = "",
    character_id: TextField = "",
    action: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    form = {"video_id": video_id, "character_id": character_id, "action": action}
    try:
        with services.db.write() as db:
            claim = claims.create_claim(
                db=db,
                settings=services.settings,
                actor=actor.user,
                video_id=_video_id(video_id),
                character_id=character_id,
                action=action,
            )
    except ServiceError as error:
        return render_studio(
            request, services, actor.user, claim_error=error, form=form, status=error.status
        )
    return flash_redirect(services, f"/studio#claim-{claim.id}", "claim_made")


@router.post("/studio/claims/{claim_id}/answer")
def answer_dispute(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    claim_id: str,
    decision: TextField = "",
    note: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            answered = claims.answer_dispute(
                db=db, actor=actor.user, claim_id=claim_id, decision=decision, note=note
            )
    except ServiceError as error:
        return render_studio(request, services, actor.user, claim_error=error, status=error.status)
    return flash_redirect(services, f"/studio#claim-{claim_id}", f"claim_{answered.status}")


@router.post("/studio/claims/{claim_id}/release")
def release_claim(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    claim_id: str,
    note: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            claims.release_claim(db=db, actor=actor.user, claim_id=claim_id, note=note)
    except ServiceError as error:
        return render_studio(request, services, actor.user, claim_error=error, status=error.status)
    return flash_redirect(services, f"/studio#claim-{claim_id}", "claim_released")


@router.get("/studio/{organisation_id}/claims.csv")
def claims_csv(organisation_id: str, services: ServicesDep, actor: SignedIn) -> Response:
    with services.db.read() as db:
        found = _all_claims(db, actor.user, organisation_id)
        body = claims.claims_csv(db=db, claims=found)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="reelmint-claims.csv"'},
    )


@router.post("/studio/payouts")
def request_payout(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    organisation_id: TextField = "",
    units: TextField = "",
    note: TextField = "",
    payout_key: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """An owner asks for a payout of the organisation's available earnings (the service
    refuses anyone else); the form's own key makes a double submit ask once."""
    check_form(actor, request, csrf_token)
    form = PayoutForm(units=units, note=note)
    try:
        payout = ask_for_payout(
            services=services,
            actor=actor.user,
            form=form,
            key=payout_key,
            organisation_id=organisation_id,
        )
    except ServiceError as error:
        return render_studio(
            request,
            services,
            actor.user,
            payout_error=error,
            payout_typed=(organisation_id, form),
            status=error.status,
        )
    return _payouts_redirect(services, payout.payee_id, "payout_requested")


@router.post("/studio/payouts/{payout_id}/cancel")
def cancel_payout(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    payout_id: str,
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        payout = cancel(services=services, actor=actor.user, payout_id=payout_id)
    except ServiceError as error:
        return render_studio(request, services, actor.user, cancel_error=error, status=error.status)
    return _payouts_redirect(services, payout.payee_id, "payout_cancelled")


def _payouts_redirect(services: Services, organisation_id: str, flash: str) -> Response:
    target = f"/studio#payouts-{organisation_id}"
    return flash_redirect(services, target, flash)


def _all_claims(db: Any, user: User, organisation_id: str) -> list[Any]:
    found: list[Any] = []
    after = None
    while True:
        page = claims.list_claims(
            db=db, actor=user, organisation_id=organisation_id, after=after, limit=claims.MAX_PAGE
        )
        found.extend(page.items)
        if not page.has_more:
            return found
        after = page.items[-1].id


def _video_id(text: str) -> str:
    """A video id, also from a pasted video page address (`.../videos/<id>`, with or without
    a query or a `#fragment`); text that is no address (`http://[`) is taken as it is, and
    the service finds no video by it."""
    try:
        path = urlsplit(text.strip()).path
    except ValueError:
        return text.strip()
    return path.rstrip("/").rsplit("/", 1)[-1]


def _share_bps(text: str) -> int:
    """The holder's share typed as a whole percentage (70), in basis points (7000)."""
    percent = plain_int(text.strip().removesuffix("%").strip() or "70")
    if percent is None or not 0 <= percent <= 100:
        raise BadRequest(
            f"your share of the fee must be a whole percentage from 0 to 100, got {text[:20]!r}",
            code="invalid_share",
        )
    return percent * 100


def _whole(text: str) -> int:
    fee = plain_int(text.strip() or "0")
    if fee is None:
        raise BadRequest(
            f"the fee must be a whole number of units, got {text[:20]!r}", code="invalid_fee"
        )
    return fee


def render_studio(
    request: Request,
    services: Services,
    user: User,
    *,
    error: ServiceError | None = None,
    claim_error: ServiceError | None = None,
    image_error: ServiceError | None = None,
    payout_error: ServiceError | None = None,
    cancel_error: ServiceError | None = None,
    member_error: ServiceError | None = None,
    form: dict[str, str] | None = None,
    payout_typed: tuple[str, PayoutForm] | None = None,
    member_typed: tuple[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    with services.db.write() as db:  # earnings accounts are made on first look
        studios = [_one(db, user, org) for org in rights.holder_organisations(db=db, actor=user)]
    typed_for, typed = payout_typed or ("", PayoutForm())
    member_typed_for, member_typed_fields = member_typed or ("", {})
    context = {
        "studios": studios,
        "error": error,
        "claim_error": claim_error,
        "image_error": image_error,
        "payout_error": payout_error,
        "cancel_error": cancel_error,
        "member_error": member_error,
        "member_typed_for": member_typed_for,
        "member_typed": member_typed_fields,
        "payout_typed_for": typed_for,
        "payout_typed": typed,
        "payout_key": new_payout_key(),
        "terms": PayoutTerms.of(services.settings),
        "money": money_text,
        "form": form or {},
        "claim_actions": claims.CLAIM_ACTIONS,
        "max_images": services.settings.character_max_images,
        "min_image_side": services.settings.character_min_image_side,
        "max_share_percent": services.settings.holder_share_max_bps // 100,
    }
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
    top = Counter(use.video_id for use in found if use.video_id).most_common(5)
    recent = claims.list_claims(
        db=db, actor=user, organisation_id=organisation.id, limit=claims.MAX_PAGE
    )
    videos = _videos(db, [vid for vid, _ in top] + [c.video_id for c in recent.items])
    earnings = _earnings(db, user, organisation)
    return {
        "organisation": organisation,
        "characters": characters,
        "images": images.images_by_character(db=db, characters=characters),
        "per_day": {cid: sorted(days.items()) for cid, days in per_day.items()},
        "earned": earned,
        "busiest": busiest,
        "top_videos": [(videos.get(vid), n) for vid, n in top],
        "claims": claims.describe(db=db, claims=recent.items),
        "claim_tips": tips.claim_tips(db=db, claim_ids=[c.id for c in recent.items]),
        "more_claims": recent.has_more,
        "videos": {c.video_id: videos.get(c.video_id) for c in recent.items},
        **earnings,
        "members": _members(db, user, organisation),
        "invitations": _invitations(db, user, organisation) if earnings["is_owner"] else [],
    }


def _earnings(db: Any, user: User, organisation: Organisation) -> dict[str, Any]:
    """Pending, available (less what is asked for in payouts) and in payout; the payouts; and
    whether the user may ask for one (owners)."""
    available = earnings_account(db=db, organisation_id=organisation.id, available=True)
    return {
        "pending": earnings_account(db=db, organisation_id=organisation.id).balance,
        "available": available.available,
        "in_payout": available.reserved,
        "is_owner": accounts.is_owner(db=db, user_id=user.id, organisation_id=organisation.id),
        "payouts": payouts.list_payouts(db=db, actor=user, organisation_id=organisation.id),
    }


@dataclass(frozen=True)
class MemberRow:
    """One member as the studio lists them (plain values: the page renders after the
    session closes)."""

    user_id: str
    display_name: str
    role: str
    joined_at: datetime
    is_you: bool
    sole_owner: bool


def _members(db: Any, user: User, organisation: Organisation) -> list[MemberRow]:
    """Its members, owners first, then by name; which one is the viewer, and the only owner
    (who may neither step down nor leave)."""
    found = accounts.members(db=db, actor=user, organisation=organisation)
    owners = sum(1 for m in found if m.role == "owner")
    return [
        MemberRow(
            user_id=m.user_id,
            display_name=m.user.display_name,
            role=m.role,
            joined_at=m.created_at,
            is_you=m.user_id == user.id,
            sole_owner=m.role == "owner" and owners == 1,
        )
        for m in found
    ]


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as the studio lists it to the organisation's owners."""

    user_id: str
    display_name: str
    role: str
    sent_by: str | None
    sent_at: datetime
    expires_at: datetime
    is_open: bool


def _invitations(db: Any, user: User, organisation: Organisation) -> list[InvitationRow]:
    """Its invitations, open and expired, newest first (owners and administrators)."""
    return [
        InvitationRow(
            user_id=i.user_id,
            display_name=i.user.display_name,
            role=i.role,
            sent_by=i.invited_by.display_name if i.invited_by is not None else None,
            sent_at=i.created_at,
            expires_at=i.expires_at,
            is_open=invitations.is_open(i),
        )
        for i in invitations.invitations_of(db=db, actor=user, organisation=organisation)
    ]


def _videos(db: Any, ids: list[str]) -> dict[str, Video]:
    """The videos the studio shows (top videos and claimed ones), in one query."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    return {v.id: v for v in db.scalars(select(Video).where(Video.id.in_(wanted)))}
