"""Cameos in the browser: create one (typing back the phrase shown), see each one's uses and
delete any of them, change who may use it, approve people, revoke it.

Every change is a POST form carrying the session's CSRF token; the cameos service decides who
may do what. The create form is multipart (the images), read under the same caps as the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from reelmint.api.deps import ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.cameos import service as cameos
from reelmint.domains.cameos.api import read_cameo_form, split_phrases
from reelmint.domains.cameos.models import PERMISSIONS, Cameo
from reelmint.domains.uploads import remove_files
from reelmint.errors import NotFound, ServiceError
from reelmint.scratch import scratch_folder
from reelmint.web.csrf import CSRF_FIELD, check_form
from reelmint.web.forms import profile_user_id
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import confirm_page, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
TextField = Annotated[str, Form()]

PERMISSION_LABELS = {
    "only_me": "Only me",
    "approved": "People I approve",
    "mutual": "Mutual followers (people who follow me and whom I follow)",
    "everyone": "Everyone",
}
# `?done=KEY` after a redirect shows one of these (never text from the URL itself).
NOTICES = {
    "created": "Your cameo was created. People you allow can now use it with its @handle.",
    "saved": "Saved: the new rules apply to every video asked for from now on.",
    "approved": "Approved: they may now use your cameo.",
    "unapproved": "The approval was withdrawn.",
    "deleted": "The video was deleted; its maker was told.",
    "revoked": "The cameo was revoked: nobody can use it any more, and unfinished videos "
    "using it were cancelled and refunded.",
}


@router.get("/cameos")
def cameos_page(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    done: str | None = None,
    uses_of: str | None = None,
    after: str | None = None,
) -> Response:
    """Your cameos; `uses_of=HANDLE&after=VIDEO_ID` pages on through one cameo's uses."""
    older = (uses_of, after) if uses_of and after else None
    try:
        return _page(request, services, actor.user, notice=NOTICES.get(done or ""), older=older)
    except NotFound as error:  # a stale or made-up cursor: the first pages, and why
        return _page(request, services, actor.user, error=error, status=error.status)


@router.post("/cameos")
async def create(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    fields: dict[str, str] = {}
    try:
        with scratch_folder("cameo") as scratch:
            form = await read_cameo_form(
                request,
                folder=Path(scratch),
                settings=services.settings,
                extra_fields=(CSRF_FIELD,),
            )
            check_form(actor, request, form.fields.get(CSRF_FIELD, ""))
            fields = {k: v for k, v in form.fields.items() if k != CSRF_FIELD}
            fields["restrictions"] = ", ".join(form.restrictions)
            await run_in_threadpool(
                cameos.create_cameo,
                services=services,
                user=actor.user,
                request=form.cameo_request(),
                images=form.images,
                consent_phrase=form.fields.get("consent_phrase", ""),
            )
    except ServiceError as error:
        if error.code == "csrf_failed":
            raise
        return await run_in_threadpool(
            _page, request, services, actor.user, error=error, form=fields, status=error.status
        )
    return _done("created")


@router.post("/cameos/{handle}/settings")
def save_settings(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    handle: str,
    display_name: TextField = "",
    permission: TextField = "",
    restrictions: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    return _change(
        request,
        services,
        actor.user,
        "saved",
        lambda db: cameos.update_cameo(
            db=db,
            actor=actor.user,
            handle=handle,
            display_name=display_name or None,
            permission=permission or None,
            restrictions=split_phrases(restrictions),
        ),
    )


@router.post("/cameos/{handle}/approvals")
def approve(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    handle: str,
    person: TextField = "",
    csrf_token: TextField = "",
) -> Response:
    """Approve someone by their email address (one they confirmed) or their profile link."""
    check_form(actor, request, csrf_token)

    def approve_them(db: Session) -> object:
        typed = person.strip()
        if "@" in typed and "/" not in typed:
            return cameos.approve_user(db=db, actor=actor.user, handle=handle, email=typed)
        user_id = profile_user_id(typed)
        return cameos.approve_user(db=db, actor=actor.user, handle=handle, user_id=user_id)

    return _change(request, services, actor.user, "approved", approve_them)


@router.post("/cameos/{handle}/approvals/{user_id}/remove")
def unapprove(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    handle: str,
    user_id: str,
    csrf_token: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    return _change(
        request,
        services,
        actor.user,
        "unapproved",
        lambda db: cameos.withdraw_approval(
            db=db, actor=actor.user, handle=handle, user_id=user_id
        ),
    )


@router.post("/cameos/{handle}/uses/{video_id}/delete")
def delete_use(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    handle: str,
    video_id: str,
    csrf_token: TextField = "",
    confirm: TextField = "",
) -> Response:
    """Delete after a confirmation: the script asks in place; without it, a page asks."""
    check_form(actor, request, csrf_token)
    if confirm != "yes":
        with services.db.read() as db:
            video = cameos.used_video(db=db, actor=actor.user, handle=handle, video_id=video_id)
        return confirm_page(
            request,
            back="/cameos",
            title="Delete this video?",
            message=f"“{video.prompt}” uses your cameo @{handle}. It is deleted for its maker "
            "too, and they are told. This cannot be undone.",
            action=f"/cameos/{handle}/uses/{video_id}/delete",
            button="Delete the video",
        )
    with services.db.write() as db:
        keys = cameos.delete_use(db=db, actor=actor.user, handle=handle, video_id=video_id)
    remove_files(services.storage, keys)
    return _done("deleted")


@router.post("/cameos/{handle}/revoke")
def revoke(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    handle: str,
    csrf_token: TextField = "",
    confirm: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    if confirm != "yes":
        with services.db.read() as db:
            cameo = cameos.own_cameo(db=db, actor=actor.user, handle=handle, moderating=True)
        return confirm_page(
            request,
            back="/cameos",
            title=f"Revoke @{cameo.handle}?",
            message="Nobody can use it from now on, unfinished videos using it are cancelled "
            "and refunded, other people's published videos with it leave the feed, and its "
            "photos are deleted. Finished videos stay with their makers until you delete "
            "them. This cannot be undone.",
            action=f"/cameos/{cameo.handle}/revoke",
            button="Revoke the cameo",
        )
    with services.db.write() as db:
        done = cameos.revoke_cameo(db=db, actor=actor.user, handle=handle)
    remove_files(services.storage, done.image_keys)
    return _done("revoked")


# --- helpers ----------------------------------------------------------------------------------


def _change(request: Request, services: Services, user: User, notice: str, work: Any) -> Response:
    """Run `work(db)` in a write transaction; a refusal shows on the page, with its status."""
    try:
        with services.db.write() as db:
            work(db)
    except ServiceError as error:
        return _page(request, services, user, error=error, status=error.status)
    return _done(notice)


def _done(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/cameos?done={notice}", status_code=303)


def _page(
    request: Request,
    services: Services,
    user: User,
    *,
    notice: str | None = None,
    error: ServiceError | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
    older: tuple[str, str] | None = None,
) -> Response:
    with services.db.write() as db:  # the phrase for the create form is made on first look
        consent = cameos.live_consent(db=db, settings=services.settings, user=user)
        mine = [
            _one(db, cameo, after=older[1] if older and older[0] == cameo.handle else None)
            for cameo in cameos.list_own_cameos(db=db, user=user)
        ]
        phrase = consent.phrase
    context = {
        "cameos": mine,
        "phrase": phrase,
        "statement": cameos.consent_statement(),
        "permissions": [(p, PERMISSION_LABELS[p]) for p in PERMISSIONS],
        "labels": PERMISSION_LABELS,
        "max_images": services.settings.cameo_max_images,
        "min_side": services.settings.cameo_min_image_side,
        "notice": notice,
        "error": error,
        "form": form or {},
    }
    return render(request, "cameos.html", context, status=status)


def _one(db: Session, cameo: Cameo, *, after: str | None = None) -> dict[str, Any]:
    """One of the user's own cameos, as the page shows it (a page of its uses, the newest or
    those after the video `after`)."""
    page = cameos.uses_of_cameo(db=db, cameo=cameo, after=after, limit=cameos.USES_PAGE)
    return {
        "cameo": cameo,
        "images": cameos.images_of(db=db, cameo=cameo),
        "restrictions": ", ".join(cameos.restrictions_of(cameo)),
        "approved": cameos.approved_of(db=db, cameo=cameo),
        "uses": page.uses,
        "more_uses": page.has_more,
        "uses_after": after,
    }
