"""People: whom you follow and who follows you, and the Follow / Unfollow buttons.

Following is what makes two users mutual followers, which a cameo shared with "mutual
followers" requires; and the Following feed (video_pages) shows the videos of the people you
follow. Every change is a POST form carrying the session's CSRF token; the follows service
decides what is allowed (nobody follows themselves, a missing or disabled user reads as not
found), and its errors show on the error page with their message.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reelmint.api.deps import ServicesDep
from reelmint.domains.accounts import follows
from reelmint.web.csrf import check_form
from reelmint.web.flash import set_flash
from reelmint.web.forms import safe_next
from reelmint.web.security import PageRoute
from reelmint.web.session import SignedIn
from reelmint.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

TextField = Annotated[str, Form()]
HOME = "/people"
LISTED = 200  # people shown in each list; the counts say how many there are in all


@router.get(HOME)
def people_page(request: Request, services: ServicesDep, actor: SignedIn) -> Response:
    user = actor.user
    with services.db.read() as db:
        following = follows.following(db=db, user=user, limit=LISTED)
        followers = follows.followers(db=db, user=user, limit=LISTED)
        following_count, followers_count = follows.follow_counts(db=db, user=user)
        # Who of the people I follow follows me too, and whom of my followers I follow.
        mutual = follows.followers_among(
            db=db, followee_id=user.id, user_ids=[u.id for u in following]
        )
        followed = follows.followed_among(
            db=db, follower_id=user.id, user_ids=[u.id for u in followers]
        )
    context = {
        "following": following,
        "followers": followers,
        "following_count": following_count,
        "followers_count": followers_count,
        "mutual": mutual,
        "followed": followed,
    }
    return render(request, "people.html", context)


@router.post("/people/{user_id}/follow")
def follow(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        follows.follow(db=db, actor=actor.user, user_id=user_id)
    return _back(services.settings.secure_cookies, next, "followed")


@router.post("/people/{user_id}/unfollow")
def unfollow(
    request: Request,
    services: ServicesDep,
    actor: SignedIn,
    user_id: str,
    csrf_token: TextField = "",
    next: TextField = "",
) -> Response:
    check_form(actor, request, csrf_token)
    with services.db.write() as db:
        follows.unfollow(db=db, actor=actor.user, user_id=user_id)
    return _back(services.settings.secure_cookies, next, "unfollowed")


def _back(secure: bool, next_: str, flash: str) -> RedirectResponse:
    """Back to the page the button was on (a path on this site), with the message."""
    response = RedirectResponse(safe_next(next_, HOME), status_code=303)
    set_flash(response, flash, secure=secure)
    return response
