"""Every form that changes something refuses a post without the session's CSRF token.

A forged cross-site form carries the browser's cookie but cannot know the token; such a post
must be refused with 403 before anything changes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from web_helpers import make_video, sign_in

from reelmint.domains.accounts.models import ApiToken, WebSession
from reelmint.domains.videos.models import Video


def snapshot(services) -> tuple:
    """Everything these forms could change."""
    with services.db.read() as db:
        videos = tuple(
            (v.id, v.status, v.published_at, v.deleted_at, v.cancel_requested)
            for v in db.scalars(select(Video).order_by(Video.id))
        )
        tokens = tuple(
            (t.id, t.revoked_at) for t in db.scalars(select(ApiToken).order_by(ApiToken.id))
        )
        sessions = db.scalar(select(func.count()).select_from(WebSession))
    return videos, tokens, sessions


FORMS = [
    ("/create", {"prompt": "A red car", "seconds": "4", "size": "480x480"}),
    ("/videos/{done}/publish", {}),
    ("/videos/{published}/unpublish", {}),
    ("/videos/{queued}/cancel", {}),
    ("/videos/{done}/delete", {"confirm": "yes"}),
    ("/settings/tokens", {"name": "laptop"}),
    ("/settings/tokens/{token}/revoke", {}),
    ("/logout", {}),
]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[path for path, _ in FORMS])
@pytest.mark.parametrize("token", [None, "", "a-guessed-token"], ids=["absent", "empty", "wrong"])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    services, client, account, path, data, token
):
    browser = sign_in(services, client, account)
    ids = {
        "done": make_video(services, account.user).id,
        "published": make_video(services, account.user, published=True).id,
        "queued": make_video(services, account.user, status="queued").id,
        "token": snapshot(services)[1][0][0],
    }
    before = snapshot(services)
    form = dict(data)
    if token is not None:
        form["csrf_token"] = token
    response = client.post(path.format(**ids), data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_failed" in response.text
    assert snapshot(services) == before
    assert browser.get("/drafts", follow_redirects=False).status_code == 200  # still signed in
