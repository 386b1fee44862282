"""Administrators moderate videos by taking them down, saying why; they change no one's video
as its owner does (delete, cancel, publish, unpublish)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from video_helpers import completed_video, queue_video

from reelmint.domains.accounts.service import OPERATOR
from reelmint.domains.feed.service import public_feed
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.moderation import take_down_video
from reelmint.domains.videos.service import (
    delete_video,
    get_visible_video,
    publish_video,
    unpublish_video,
)
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from support import make_account

REASON = "It shows a real person's face without their consent"


def published(services, user, prompt: str = "a cat sleeps on a sofa") -> Video:
    video = completed_video(services, user, prompt)
    with services.db.write() as db:
        return publish_video(db=db, actor=user, video_id=video.id)


def take_down(services, actor, video_id: str, reason: str = REASON) -> Video:
    with services.db.write() as db:
        return take_down_video(db=db, actor=actor, video_id=video_id, reason=reason)


# --- administrators change no one's video -----------------------------------------------------


def test_an_admin_can_neither_delete_nor_cancel_anothers_video(client, account, services):
    admin = make_account(services, "root@example.com", role="admin")
    shown = published(services, account.user)
    queued = queue_video(services, account.user)
    for method, path, instead in (
        ("DELETE", f"/v1/videos/{shown.id}", "take-down"),
        ("POST", f"/v1/videos/{queued.id}/cancel", "cancel"),
        ("POST", f"/v1/videos/{shown.id}/unpublish", "take-down"),
    ):
        response = client.request(method, path, headers=admin.headers)
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (403, "not_video_owner"), path
        assert f"/v1/admin/videos/{path.split('/')[3]}/{instead}" in error["message"]
    with services.db.read() as db:
        assert db.get(Video, shown.id).deleted_at is None
        assert db.get(Video, shown.id).published_at is not None
        assert db.get(Video, queued.id).status == "queued"


def test_the_service_refuses_an_admin_deleting_for_the_owner(services_on):
    owner = make_account(services_on, "ann@example.com")
    admin = make_account(services_on, "root@example.com", role="admin")
    video = published(services_on, owner.user)
    with pytest.raises(Forbidden) as refused, services_on.db.write() as db:
        delete_video(db=db, actor=admin.user, video_id=video.id)
    assert refused.value.code == "not_video_owner"


# --- taking down ------------------------------------------------------------------------------


def test_a_take_down_hides_the_video_tells_its_owner_and_keeps_it_theirs(mailing_on):
    services = mailing_on
    owner = make_account(services, "ann@example.com")
    other = make_account(services, "bob@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    video = published(services, owner.user)

    done = take_down(services, admin.user, video.id, f"  {REASON}  ")
    assert done.published_at is None
    assert (done.taken_down_by, done.taken_down_reason) == (admin.user.id, REASON)
    assert done.taken_down_at is not None
    with services.db.read() as db:
        assert public_feed(db=db).items == []
        for viewer in (None, other.user):
            with pytest.raises(NotFound):
                get_visible_video(db=db, actor=viewer, video_id=video.id)
        assert get_visible_video(db=db, actor=owner.user, video_id=video.id).id == video.id
        told = db.scalars(select(Notification).where(Notification.user_id == owner.user.id)).all()
        mail = db.scalars(select(EmailMessage).where(EmailMessage.user_id == owner.user.id)).all()
    assert [(n.kind, n.link) for n in told] == [("video_taken_down", f"/videos/{video.id}")]
    assert REASON in told[0].body
    assert len(mail) == 1
    assert "taken down" in mail[0].subject

    # Again: the first take-down stands, nothing more is said.
    again = take_down(services, OPERATOR, video.id, "another reason")
    assert (again.taken_down_at, again.taken_down_reason) == (done.taken_down_at, REASON)
    assert again.taken_down_by == admin.user.id
    with services.db.read() as db:
        assert len(db.scalars(select(Notification)).all()) == 1

    # The owner cannot publish it again (nor does unpublishing change that), but may delete it.
    with pytest.raises(Conflict) as refused, services.db.write() as db:
        publish_video(db=db, actor=owner.user, video_id=video.id)
    assert refused.value.code == "video_taken_down"
    assert REASON in refused.value.message
    with services.db.write() as db:
        unpublish_video(db=db, actor=owner.user, video_id=video.id)
        delete_video(db=db, actor=owner.user, video_id=video.id)
        assert db.get(Video, video.id).deleted_at is not None


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("", "invalid_reason"),
        ("   ", "invalid_reason"),
        ("x" * 501, "invalid_reason"),
        ("a \u202ehidden", "invalid_reason"),
        ("two\nlines", None),
    ],
)
def test_a_take_down_says_why_in_one_line_of_plain_text(services, account, reason, code):
    admin = make_account(services, "root@example.com", role="admin")
    video = published(services, account.user)
    if code is None:  # line breaks are blanks: one line
        assert take_down(services, admin.user, video.id, reason).taken_down_reason == "two lines"
        return
    with pytest.raises(BadRequest) as refused:
        take_down(services, admin.user, video.id, reason)
    assert (refused.value.code, refused.value.param) == (code, "reason")


def test_only_a_video_once_published_is_taken_down_and_only_by_an_admin(services, account):
    admin = make_account(services, "root@example.com", role="admin")
    draft = completed_video(services, account.user)
    with pytest.raises(Conflict) as refused:
        take_down(services, admin.user, draft.id)
    assert refused.value.code == "video_not_published"
    with pytest.raises(Forbidden) as refused:
        take_down(services, account.user, published(services, account.user).id)
    assert refused.value.code == "admin_only"
    for missing in ("video_nope", "../etc"):
        with pytest.raises(NotFound):
            take_down(services, admin.user, missing)
    # Unpublished after it was shown (before the moderators got to it): still taken down.
    shown = published(services, account.user)
    with services.db.write() as db:
        unpublish_video(db=db, actor=account.user, video_id=shown.id)
    assert take_down(services, admin.user, shown.id).taken_down_at is not None


def test_the_take_down_endpoint(client, account, services):
    admin = make_account(services, "root@example.com", role="admin")
    video = published(services, account.user)
    path = f"/v1/admin/videos/{video.id}/take-down"
    # A non-administrator is told so before anything about the body.
    for body in ({"reason": REASON}, {"nope": 1}):
        response = client.post(path, headers=account.headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "admin_only")
    assert client.post(path, json={"reason": REASON}).status_code == 401
    for body, code in (({}, "invalid_request"), ({"reason": " "}, "invalid_reason")):
        response = client.post(path, headers=admin.headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    missing = client.post(
        "/v1/admin/videos/video_nope/take-down", headers=admin.headers, json={"reason": REASON}
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "video_not_found")

    response = client.post(path, headers=admin.headers, json={"reason": REASON})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["published_at"], body["taken_down_reason"]) == (None, REASON)
    assert isinstance(body["taken_down_at"], int)
    again = client.post(path, headers=admin.headers, json={"reason": "something else"}).json()
    assert again == body
    assert client.get(f"/v1/videos/{video.id}/content").status_code == 404
    refused = client.post(f"/v1/videos/{video.id}/publish", headers=account.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "video_taken_down")
    mine = client.get(f"/v1/videos/{video.id}", headers=account.headers).json()
    assert mine["taken_down_reason"] == REASON
