"""The feed, the create form, My drafts, the video page, and the buttons that change a video
(and, for its owner, the claims on it and the form that disputes one; for administrators, the
form that takes a published video down; for other signed-in users, the Report form, which
report_pages.py handles).

Every change is a POST form carrying the session's CSRF token, checked before anything else;
the services decide who may do what (another user's draft reads as not found), so these
handlers only translate between forms and service calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from reelmint.api.deps import Actor, ServicesDep
from reelmint.bootstrap import Services
from reelmint.db.base import new_id
from reelmint.domains.accounts import blocks, follows
from reelmint.domains.accounts.models import User
from reelmint.domains.feed import likes
from reelmint.domains.feed.service import feed_for
from reelmint.domains.quota import service as quota
from reelmint.domains.quota.models import QuotaChange
from reelmint.domains.rights import claims
from reelmint.domains.uploads import remove_files
from reelmint.domains.videos import reports
from reelmint.domains.videos import service as videos
from reelmint.domains.videos.models import Video, VideoReport
from reelmint.domains.videos.moderation import MAX_REASON_CHARS, take_down_video
from reelmint.domains.wallet import service as wallet
from reelmint.domains.wallet import tips
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import MAX_PROMPT_CHARS, Storyboard
from reelmint.errors import BadRequest, NotFound, ServiceError
from reelmint.web.csrf import check_form
from reelmint.web.flash import flash_redirect
from reelmint.web.forms import (
    CreateChoices,
    CreateForm,
    parse_storyboard,
    safe_next,
    whole_units,
)
from reelmint.web.once import DONE, new_form_key, once_per_form
from reelmint.web.provenance import video_provenance
from reelmint.web.security import PageRoute
from reelmint.web.session import PageActor, SignedIn
from reelmint.web.templating import confirm_page, render
from reelmint.wording import count_of

log = logging.getLogger("reelmint.web")
router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]
DRAFTS_PAGE = 20
FEED_PAGE = 12


# --- reading ----------------------------------------------------------------------------------


@router.get("/")
def feed_page(
    request: Request, services: ServicesDep, actor: PageActor, older: str | None = None
) -> Response:
    viewer = actor.user if actor is not None else None
    return _feed(request, services, viewer, older, scope="everyone")


@router.get("/following")
def following_page(
    request: Request, services: ServicesDep, actor: SignedIn, older: str | None = None
) -> Response:
    """The feed of the creators the user follows."""
    return _feed(request, services, actor.user, older, scope="following")


def _feed(
    request: Request, services: Services, viewer: User | None, older: str | None, *, scope: str
) -> Response:
    base = "/following" if scope == "following" else "/"
    with services.db.read() as db:
        page = feed_for(db=db, viewer=viewer, scope=scope, cursor=older or None, limit=FEED_PAGE)
    context = {
        "page": page,
        "is_first": not older,
        "tab": scope,
        "base": base,
        "here": f"{base}?{urlencode({'older': older})}" if older else base,
    }
    return render(request, "feed.html", context)


@router.get("/create")
def create_page(
    request: Request, services: ServicesDep, actor: SignedIn, remix: str | None = None
) -> Response:
    form = CreateForm.defaults(services.settings)
    source = _remix_source(services, actor.user, remix or "")
    if source is not None:
        form = _remix_form(source, prompt=source.prompt)
    return _create_form(request, services, form, remix_of=source)


@router.post("/create")
def create(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    prompt: TextField = "",
    seconds: TextField = "",
    size: TextField = "",
    storyboard: TextField = "",
    remix: TextField = "",
    csrf_token: TextField = "",
    form_key: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    form = CreateForm(prompt=prompt, seconds=seconds, size=size, storyboard=storyboard)
    source = _remix_source(services, actor.user, remix)
    if source is not None:  # a remix keeps the original's length and size (hidden fields)
        form = _remix_form(source, prompt=prompt, storyboard=storyboard)
    fields = {"prompt": prompt, "seconds": seconds, "size": size, "storyboard": storyboard}
    try:
        request_ = _create_request(form, source)
        once_per_form(
            services=services,
            user=actor.user,
            form_key=form_key,
            path="/create",
            fields={**fields, "remix": source.id if source else ""},
            work=lambda record: videos.create_video_with(
                services=services,
                user=actor.user,
                request=request_,
                remixed_from=source,
                within=lambda db, _video: record(db, DONE),
            ),
        )
    except (ServiceError, InvalidRequest) as error:
        status = error.status if isinstance(error, ServiceError) else 400
        return _create_form(request, services, form, error=error, status=status, remix_of=source)
    return flash_redirect(services, "/drafts", "created")


@router.get("/videos/{video_id}/extend")
def extend_page(
    request: Request, services: ServicesDep, actor: SignedIn, video_id: str
) -> Response:
    """What happens next: a form for more seconds after a completed video's last shot."""
    with services.db.read() as db:
        source = videos.completed_source(
            db=db, actor=actor.user, video_id=video_id, verb="extended"
        )
        videos.reference_to_copy(source, actor.user)  # someone else's image: refused now
    seconds = f"{min(4.0, videos.extension_room(source)):g}"
    return _extend_form(request, services, source, prompt="", seconds=seconds)


@router.post("/videos/{video_id}/extend")
def extend(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    prompt: TextField = "",
    seconds: TextField = "",
    csrf_token: TextField = "",
    form_key: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    try:
        with services.db.read() as db:
            source, request_ = videos.extension_request(
                db=db, actor=actor.user, video_id=video_id, prompt=prompt, seconds=seconds
            )
        once_per_form(
            services=services,
            user=actor.user,
            form_key=form_key,
            path=f"/videos/{source.id}/extend",
            fields={"prompt": prompt, "seconds": seconds},
            work=lambda record: videos.create_derived_with(
                services=services,
                user=actor.user,
                source=source,
                request=request_,
                within=lambda db, _video: record(db, DONE),
            ),
        )
    except NotFound:
        raise  # nothing to show the form for
    except (ServiceError, InvalidRequest) as error:
        status = error.status if isinstance(error, ServiceError) else 400
        with services.db.read() as db:  # the form again, with what was typed
            source = videos.get_visible_video(db=db, actor=actor.user, video_id=video_id)
        return _extend_form(
            request, services, source, prompt=prompt, seconds=seconds, error=error, status=status
        )
    return flash_redirect(services, "/drafts", "created")


def _extend_form(
    request: Request,
    services: Services,
    source: Video,
    *,
    prompt: str,
    seconds: str,
    error: ServiceError | InvalidRequest | None = None,
    status: int = 200,
) -> Response:
    try:
        whole = f"{videos.delivered_seconds(source) + float(seconds):g}"
    except ValueError:
        whole = ""
    priced = CreateForm(prompt=prompt or "a video", seconds=whole, size=source.size)
    estimate = _estimate(request, services, priced, backend=source.backend)
    context = {
        "source": source,
        "form_key": new_form_key(),
        "prompt": prompt,
        "seconds": seconds,
        "room": videos.extension_room(source),
        "base_seconds": videos.delivered_seconds(source),
        "max_prompt": MAX_PROMPT_CHARS,
        **estimate,
        "error": error,
        "error_field": _error_field(error),
    }
    return render(request, "extend.html", context, status=status)


def _remix_source(services: Services, user: User, video_id: str) -> Video | None:
    """The video a remix starts from, as the API's remix takes it: a completed one of theirs,
    or a published one (an administrator's right to see drafts does not let them remix one);
    404 `video_not_found`, or 409 `video_not_completed` for one that is not completed."""
    if not video_id:
        return None
    with services.db.read() as db:
        return videos.completed_source(db=db, actor=user, video_id=video_id, verb="remixed")


def _remix_form(source: Video, *, prompt: str, storyboard: str = "") -> CreateForm:
    """The create form of a remix of `source`: its length and size are the source's."""
    return CreateForm(
        prompt=prompt,
        seconds=f"{videos.delivered_seconds(source):g}",
        size=source.size,
        storyboard=storyboard,
    )


def _create_request(form: CreateForm, source: Video | None) -> videos.VideoRequest:
    """What the create form asks for. A remix is the API's remix (`videos.remix_of`): the new
    prompt with the source's model, size, length and seed, so it takes no storyboard."""
    storyboard = parse_storyboard(form.storyboard)
    if source is None:
        return videos.VideoRequest(
            prompt=form.prompt, seconds=form.seconds, size=form.size or None, storyboard=storyboard
        )
    if storyboard is not None:
        raise BadRequest(
            "a remix takes a new prompt only, with the original's model, size, length and "
            "seed; clear the storyboard, or create a new video to plan your own shots",
            code="invalid_request",
            param="storyboard",
        )
    return videos.remix_of(source, form.prompt)


def _create_form(
    request: Request,
    services: Services,
    form: CreateForm,
    *,
    error: ServiceError | InvalidRequest | None = None,
    status: int = 200,
    remix_of: Video | None = None,
) -> Response:
    backend = remix_of.backend if remix_of is not None else None
    context = {
        "form": form,
        "form_key": new_form_key(),
        **_estimate(request, services, form, backend=backend),
        "next_change": _next_quota_change(request, services),
        "choices": CreateChoices.for_settings(services.settings),
        "error": error,
        "error_field": _error_field(error),
        "remix_of": remix_of,
    }
    return render(request, "create.html", context, status=status)


PAID_FROM = {
    "quota": "today's free quota",
    "granted": "granted credits",
    "purchased": "purchased credits",
}
"""What each source a charge is paid from is called on the page."""


def _estimate(
    request: Request, services: Services, form: CreateForm, *, backend: str | None = None
) -> dict[str, Any]:
    """The price of the form's video as it stands (on `backend`, or the default model's) and
    the user's wallet, for the page; the script updates them as the form changes. A form
    that does not check yet shows no price."""
    # `paid_from`: the script names the sources as the page does when it prices again.
    none: dict[str, Any] = {"estimate": None, "wallet": None, "paid_from": PAID_FROM}
    actor = getattr(request.state, "actor", None)
    if actor is None:
        return none
    try:
        storyboard = parse_storyboard(form.storyboard)
        admission = videos.check_video_request(
            settings=services.settings,
            request=videos.VideoRequest(
                # A storyboard carries its own prompts: a prompt typed as well is refused.
                prompt=form.prompt if storyboard is not None else form.prompt or "a video",
                seconds=form.seconds,
                size=form.size or None,
                backend=backend,
                storyboard=storyboard,
            ),
        )
        with services.db.read() as db:
            found = videos.estimate_video(
                db=db, settings=services.settings, user=actor.user, admission=admission
            )
    except (ServiceError, InvalidRequest):
        return none
    paid_with = ", ".join(
        f"{count_of(units, 'unit')} of {PAID_FROM.get(source, source)}"
        for source, units in found.charge.parts
    )
    estimate = {
        "units": found.price.units,
        "fees": [(fee.name, fee.units) for fee in found.fees],
        "affordable": found.affordable,
        "paid_with": paid_with or "nothing",
    }
    return {**none, "estimate": estimate, "wallet": found.wallet}


def _next_quota_change(request: Request, services: Services) -> QuotaChange | None:
    """The plan's next quota change, if it comes within the notice period, to show by what
    is left today."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        return None
    with services.db.read() as db:
        return quota.next_change_soon(db=db, settings=services.settings, user=actor.user)


def _error_field(error: ServiceError | InvalidRequest | None) -> str | None:
    """Which form field an error is about, so the page can point at it."""
    if error is None:
        return None
    param = getattr(error, "param", None)
    if param in ("prompt", "seconds", "size", "storyboard"):
        return param
    code = error.code
    for field in ("prompt", "seconds", "size", "storyboard"):
        if field in code:
            return field
    return None


@router.get("/drafts")
def drafts_page(
    request: Request, services: ServicesDep, actor: SignedIn, after: str | None = None
) -> Response:
    with services.db.read() as db:
        page = videos.list_own_videos(
            db=db, actor=actor.user, after=after or None, limit=DRAFTS_PAGE
        )
        winners = claims.effective_claims(db=db, video_ids=[v.id for v in page.items])
    blocked = {vid for vid, claim in winners.items() if claim.action == "block"}
    context = {"page": page, "is_first": not after, "blocked": blocked}
    return render(request, "drafts.html", context)


@router.get("/videos/{video_id}")
def video_page(
    request: Request, services: ServicesDep, actor: PageActor, video_id: str
) -> Response:
    user = actor.user if actor is not None else None
    return _video_page(request, services, user, video_id)


def _video_page(
    request: Request,
    services: Services,
    user: User | None,
    video_id: str,
    *,
    claim_error: ServiceError | None = None,
    tip_error: ServiceError | None = None,
    report_error: ServiceError | None = None,
    typed_reason: str = "",
    typed_report: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The video's page; after a refused dispute, `typed_reason` fills its reason again (and
    after a refused report, `typed_report` its category and note)."""
    with services.db.read() as db:
        video = videos.get_visible_video(db=db, actor=user, video_id=video_id)
        claim_context = _claims_of(db, video, user)
        creator = db.get_one(User, video.user_id)
        following = user is not None and follows.follows(
            db=db, follower_id=user.id, followee_id=creator.id
        )
        blocked = user is not None and blocks.between(db, user.id, creator.id)
        like_count, liked = likes.like_state(db=db, video_id=video.id, viewer=user)
        remix = _remix_credit(db, video, user)
        can_tip = user is not None and _purchased(db, user) > 0
        usable = videos.usable_by(db=db, actor=user, video=video, seen=True)
        my_report = _open_report(db, video, user)
    context: dict[str, Any] = {
        "video": video,
        "creator": creator,
        "follows_creator": following,
        "blocked_creator": blocked,  # no Follow button: it would be refused
        "likes": like_count,
        "liked": liked,
        "tip_key": new_id("tipkey"),
        "tip_units": (1, 5, 10),
        "storyboard": _storyboard_of(video),
        "is_owner": user is not None and video.user_id == user.id,
        "usable": usable,
        "extendable": usable and user is not None and videos.can_extend(video, user),
        "moderator": user is not None and user.role == "admin",
        "max_reason_chars": MAX_REASON_CHARS,
        "provenance": video_provenance(services=services, video=video),
        "claim_error": claim_error,
        "typed_reason": typed_reason,
        "tip_error": tip_error,
        "can_tip": can_tip,
        "remix": remix,
        "my_report": my_report,
        "report_error": report_error,
        "typed_report": typed_report or {},
        "report_categories": reports.CATEGORY_WORDS,
        "max_note_chars": reports.MAX_NOTE_CHARS,
        **claim_context,
    }
    return render(request, "video.html", context, status=status)


def _open_report(db: Session, video: Video, user: User | None) -> VideoReport | None:
    """The viewer's open report of the video (the page says so instead of the Report form)."""
    if user is None or video.user_id == user.id:
        return None
    return reports.open_report_of(db=db, video_id=video.id, reporter_id=user.id)


def video_page_with_report_error(
    request: Request,
    services: Services,
    user: User,
    video_id: str,
    error: ServiceError,
    typed: dict[str, str],
) -> Response:
    """The video's page after a refused report: the reason by the form, what was typed."""
    return _video_page(
        request,
        services,
        user,
        video_id,
        report_error=error,
        typed_report=typed,
        status=error.status,
    )


@dataclass(frozen=True)
class RemixCredit:
    """What a remix's page says of its original: the original and its creator when the viewer
    may see it (published, or their own), else None for both ("no longer shown")."""

    original: Video | None
    creator: User | None


def _remix_credit(db: Session, video: Video, viewer: User | None) -> RemixCredit | None:
    if video.remixed_from_video_id is None:
        return None
    try:
        original = videos.get_visible_video(
            db=db, actor=viewer, video_id=video.remixed_from_video_id
        )
    except NotFound:
        return RemixCredit(original=None, creator=None)
    return RemixCredit(original=original, creator=db.get_one(User, original.user_id))


def _purchased(db: Session, user: User) -> int:
    """The user's purchased credits free to spend (what a tip is paid from)."""
    return wallet.read_wallet(db=db, user_id=user.id).purchased.available


def _claims_of(db: Session, video: Video, user: User | None) -> dict[str, Any]:
    """The claim that decides the video's fate (everyone sees a monetize claim; only those who
    can still see a blocked video see its block), and every claim, for its owner and admins."""
    entitled = user is not None and (video.user_id == user.id or user.role == "admin")
    if entitled:  # the winner is among every claim, and `describe` marks it
        every = claims.describe(db=db, claims=claims.claims_on_video(db=db, video=video))
        return {"claim_effect": next((v for v in every if v.effective), None), "claims": every}
    winner = claims.effective_claim(db=db, video=video)
    effect = claims.describe(db=db, claims=[winner])[0] if winner is not None else None
    return {"claim_effect": effect, "claims": []}


def _storyboard_of(video: Video) -> Storyboard | None:
    """The video's planned storyboard; None if this version can no longer read it (a page
    about an old video must still open, without its shots)."""
    try:
        return Storyboard.model_validate_json(video.storyboard_json)
    except ValidationError:
        log.warning("the storyboard of %s no longer validates", video.id)
        return None


# --- changing ---------------------------------------------------------------------------------


@router.post("/videos/{video_id}/claims/{claim_id}/dispute")
def dispute_claim(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    claim_id: str,
    reason: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """The uploader disputes a claim on their video (once); errors show on the video page."""
    check_form(actor, request, csrf_token)
    try:
        with services.db.write() as db:
            claim = claims.get_claim(db=db, actor=actor.user, claim_id=claim_id)
            if claim.video_id != video_id:
                raise NotFound(f"no claim {claim_id[:80]} on this video", code="claim_not_found")
            claims.dispute_claim(
                db=db,
                settings=services.settings,
                actor=actor.user,
                claim_id=claim_id,
                reason=reason,
            )
    except ServiceError as error:
        return _video_page(
            request,
            services,
            actor.user,
            video_id,
            claim_error=error,
            typed_reason=reason,
            status=error.status,
        )
    return flash_redirect(services, f"/videos/{video_id}#claims", "claim_disputed")


@router.post("/videos/{video_id}/like")
def like(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    return _change_like(request, services, actor, video_id, csrf_token, next, likes.like)


@router.post("/videos/{video_id}/unlike")
def unlike(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    return _change_like(request, services, actor, video_id, csrf_token, next, likes.unlike)


def _change_like(
    request: Request,
    services: Services,
    actor: Actor,
    video_id: str,
    csrf_token: str,
    next: str,
    change: Callable[..., int],
) -> Response:
    """Like or unlike (`change`), then back to the page the button was on."""
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        change(db=db, actor=actor.user, video_id=video_id)
    return RedirectResponse(safe_next(next, f"/videos/{video_id}"), status_code=303)


@router.post("/videos/{video_id}/tip")
def tip(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    units: TextField = "",
    tip_key: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Tip the video's creator; the form's own key makes a double submit tip once. A refusal
    (too few purchased credits, say) shows on the video page by the tip form; a video that is
    not there is the error page."""
    check_form(actor, request, csrf_token)
    try:
        amount = whole_units(units)
        with services.db.write() as db:
            done = tips.tip(
                db=db,
                settings=services.settings,
                actor=actor.user,
                video_id=video_id,
                units=amount,
                key=tip_key[:100] or new_id("tipkey"),
            )
    except NotFound:
        raise
    except ServiceError as error:
        return _video_page(
            request, services, actor.user, video_id, tip_error=error, status=error.status
        )
    told = "tipped_holder" if done.claim_id else "tipped"
    return flash_redirect(services, f"/videos/{video_id}", told)


@router.post("/videos/{video_id}/publish")
def publish(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        videos.publish_video(db=db, actor=actor.user, video_id=video_id)
    return flash_redirect(services, safe_next(next, "/drafts"), "published")


@router.post("/videos/{video_id}/unpublish")
def unpublish(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        videos.unpublish_video(db=db, actor=actor.user, video_id=video_id)
    return flash_redirect(services, safe_next(next, "/drafts"), "unpublished")


@router.post("/videos/{video_id}/cancel")
def cancel(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        video = videos.cancel_video(db=db, actor=actor.user, video_id=video_id)
        flash = "cancelled" if video.status == "cancelled" else "cancel_requested"
    return flash_redirect(services, safe_next(next, "/drafts"), flash)


@router.post("/videos/{video_id}/delete")
def delete(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    confirm: TextField = "",
) -> Response:
    """Delete after a confirmation: the script asks in place; without it, a page asks."""
    check_form(actor, request, csrf_token)
    if confirm != "yes":
        with services.db.read() as db:
            video = videos.own_video_to_change(
                db=db, actor=actor.user, video_id=video_id, verb="deleted", lock=False
            )
        return confirm_page(
            request,
            title="Delete this video?",
            subject=video.prompt,
            subject_class="prompt",
            message="The video, its poster and its place in the feed are removed. This cannot "
            "be undone.",
            action=f"/videos/{video.id}/delete",
            button="Delete",
            back="/drafts",
        )
    with services.db.write() as db:
        keys = videos.delete_video(db=db, actor=actor.user, video_id=video_id)
    remove_files(services.storage, keys)
    return flash_redirect(services, "/drafts", "deleted")


@router.post("/videos/{video_id}/take-down")
def take_down(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    video_id: str,
    csrf_token: TextField = "",
    reason: TextField = "",
) -> Response:
    """Administrators: take a published video down, saying why (its owner reads it)."""
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        take_down_video(db=db, actor=actor.user, video_id=video_id, reason=reason)
    return flash_redirect(services, f"/videos/{video_id}", "taken_down")
