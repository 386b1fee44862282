"""People: whom you follow and who follows you, a creator's profile (their published videos),
the Follow / Unfollow and Block / Unblock buttons, and Settings' list of the users you blocked.

Following is what makes two users mutual followers, which a cameo shared with "mutual
followers" requires; and the Following feed (video_pages) shows the videos of the people you
follow. Every change is a POST form carrying the session's CSRF token; the follows service
decides what is allowed (nobody follows themselves, a missing or disabled user reads as not
found), and its errors show on the error page with their message. Blocking is the blocks
service's (accounts/blocks.py): a creator who blocked you reads as not found here too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reelmint.api.deps import Actor, ServicesDep
from reelmint.bootstrap import Services
from reelmint.domains.accounts import blocks, follows
from reelmint.domains.feed import creators
from reelmint.errors import BadRequest, NotFound
from reelmint.web.csrf import check_form
from reelmint.web.flash import redirect_with_flash
from reelmint.web.forms import safe_next
from reelmint.web.security import PageRoute
from reelmint.web.session import PageActor, SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]
HOME = "/people"
BLOCKED = "/settings/blocked"
PEOPLE_PAGE = 50  # people per page of a list; the counts say how many there are in all
PROFILE_PAGE = 12  # videos per page of a profile, as in the feed


@router.get(HOME)
def people_page(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    tab: str = "following",
    after: str | None = None,
) -> Response:
    """Whom you follow (the default tab) or who follows you, a page at a time."""
    user = actor.user
    tab = "followers" if tab == "followers" else "following"
    listing = follows.followers if tab == "followers" else follows.following
    with services.db.read() as db:
        try:
            page = listing(db=db, user=user, limit=PEOPLE_PAGE, after=after or None)
        except (NotFound, BadRequest):  # after someone no longer listed, or a damaged link
            after = None
            page = listing(db=db, user=user, limit=PEOPLE_PAGE)
        following_count, followers_count = follows.follow_counts(db=db, user=user)
        ids = [person.id for person in page.users]
        # Which of them I follow, and which of them follow me: mutual is both.
        you_follow = follows.followed_among(db=db, follower_id=user.id, user_ids=ids)
        follow_you = follows.followers_among(db=db, followee_id=user.id, user_ids=ids)
    here = {"tab": tab, **({"after": after} if after else {})}
    context = {
        "tab": tab,
        "page": page,
        "is_first": not after,
        "following_count": following_count,
        "followers_count": followers_count,
        "you_follow": you_follow,
        "mutual": you_follow & follow_you,
        "here": f"{HOME}?{urlencode(here)}",
    }
    return render(request, "people.html", context)


@router.get("/people/search")
def search_page(request: Request, services: ServicesDep, actor: PageActor, q: str = "") -> Response:
    """Find creators by name; open to visitors, like profiles. A query of the wrong length
    shows its message beside the form, not an error page."""
    viewer = actor.user if actor is not None else None
    found = creators.CreatorSearch(matches=[], has_more=False)
    problem = None
    if q.strip():
        try:
            with services.db.read() as db:
                found = creators.search_creators(db=db, viewer=viewer, query=q)
        except BadRequest as refused:
            problem = refused.message
    here = f"/people/search?{urlencode({'q': q})}"
    context = {"q": q, "found": found, "problem": problem, "here": here}
    return render(request, "people_search.html", context, status=400 if problem else 200)


@router.get("/people/{user_id}")
def profile_page(
    request: Request,
    services: ServicesDep,
    actor: PageActor,
    user_id: str,
    older: str | None = None,
) -> Response:
    """A creator's profile: open to visitors, like the feed."""
    viewer = actor.user if actor is not None else None
    with services.db.read() as db:
        profile = creators.creator_profile(db=db, viewer=viewer, user_id=user_id)
        page = creators.creator_videos(
            db=db, viewer=viewer, user_id=user_id, cursor=older or None, limit=PROFILE_PAGE
        )
    base = f"/people/{profile.user.id}"
    context = {
        "profile": profile,
        "page": page,
        "is_first": not older,
        "is_self": viewer is not None and viewer.id == profile.user.id,
        "base": base,
        "here": f"{base}?{urlencode({'older': older})}" if older else base,
    }
    return render(request, "profile.html", context)


def _act_on(
    request: Request,
    services: Services,
    actor: Actor,
    csrf_token: str,
    next: str,
    user_id: str,
    act: Callable[..., object],
    flash: str,
) -> Response:
    """Follow, unfollow, block or unblock `user_id` (`act`, whose service decides and
    authorises) from a form, then back where the form was, saying `flash`."""
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        act(db=db, actor=actor.user, user_id=user_id)
    return _back(services, next, flash)


@router.post("/people/{user_id}/follow")
def follow(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    return _act_on(request, services, actor, csrf_token, next, user_id, follows.follow, "followed")


@router.post("/people/{user_id}/unfollow")
def unfollow(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    return _act_on(
        request, services, actor, csrf_token, next, user_id, follows.unfollow, "unfollowed"
    )


@router.post("/people/{user_id}/block")
def block(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    return _act_on(request, services, actor, csrf_token, next, user_id, blocks.block, "blocked")


@router.post("/people/{user_id}/unblock")
def unblock(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    return _act_on(request, services, actor, csrf_token, next, user_id, blocks.unblock, "unblocked")


@router.get(BLOCKED)
def blocked_page(
    request: Request, services: ServicesDep, actor: SignedIn, after: str | None = None
) -> Response:
    """Settings: the users you blocked, newest first, each with an Unblock button."""
    with services.db.read() as db:
        try:
            page = blocks.blocked_by(db=db, user=actor.user, limit=PEOPLE_PAGE, after=after)
        except (NotFound, BadRequest):  # after someone unblocked since, or a damaged link
            after = None
            page = blocks.blocked_by(db=db, user=actor.user, limit=PEOPLE_PAGE)
    here = f"{BLOCKED}?{urlencode({'after': after})}" if after else BLOCKED
    context = {"page": page, "is_first": not after, "here": here}
    return render(request, "blocked.html", context)


def _back(services: Services, next_: str, flash: str) -> RedirectResponse:
    """Back to the page the button was on (a path on this site), with the message."""
    secure = services.settings.secure_cookies
    return redirect_with_flash(safe_next(next_, HOME), flash, secure=secure)
