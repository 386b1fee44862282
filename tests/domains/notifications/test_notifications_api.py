"""The /v1/notifications endpoints: shapes, filters, paging, marking read, who may see what."""

from __future__ import annotations

import pytest
from smtp_helpers import tell

from reelmint.api.deps import CSRF_HEADER, SESSION_COOKIE
from reelmint.domains.accounts.service import start_web_session
from reelmint.domains.notifications.models import Notification
from support import make_account


@pytest.fixture
def grace(services):
    return make_account(services, "grace@example.com")


def test_list_newest_first_with_the_unread_count(services, client, account):
    older = tell(services, account.user, title="older", link="/drafts")
    newer = tell(services, account.user, title="newer", body="line one\n\nline two")
    response = client.get("/v1/notifications", headers=account.headers)
    assert response.status_code == 200
    listed = response.json()
    assert listed["object"] == "list"
    assert [item["id"] for item in listed["data"]] == [newer.id, older.id]
    assert (listed["first_id"], listed["last_id"], listed["has_more"]) == (
        newer.id,
        older.id,
        False,
    )
    assert listed["unread_count"] == 2
    item = listed["data"][1]
    assert item == {
        "id": older.id,
        "object": "notification",
        "kind": "quota_change",
        "title": "older",
        "body": "From 1 March your free daily quota is 20 clips.",
        "link": "/drafts",
        "read": False,
        "read_at": None,
        "created_at": int(older.created_at.timestamp()),
    }
    assert listed["data"][0]["body"] == "line one\n\nline two"


def test_paging_and_the_unread_filter(services, client, account):
    made = [tell(services, account.user, title=f"n{index}") for index in range(3)]
    client.post(f"/v1/notifications/{made[1].id}/read", headers=account.headers)
    first = client.get("/v1/notifications?limit=2", headers=account.headers).json()
    assert first["has_more"] is True
    rest = client.get(
        f"/v1/notifications?limit=2&after={first['last_id']}", headers=account.headers
    ).json()
    assert [i["title"] for i in first["data"] + rest["data"]] == ["n2", "n1", "n0"]
    assert rest["has_more"] is False
    unread = client.get("/v1/notifications?unread=true", headers=account.headers).json()
    assert [i["title"] for i in unread["data"]] == ["n2", "n0"]
    assert unread["unread_count"] == 2


def test_next_cursor_pages_on_after_the_last_notification_is_deleted(services, client, account):
    made = [tell(services, account.user, title=f"n{index}") for index in range(3)]
    first = client.get("/v1/notifications?limit=1", headers=account.headers).json()
    assert first["last_id"] == made[2].id
    with services.db.write() as db:
        db.delete(db.get(Notification, made[2].id))
    by_id = client.get(f"/v1/notifications?after={first['last_id']}", headers=account.headers)
    assert by_id.status_code == 404
    rest = client.get(f"/v1/notifications?after={first['next_cursor']}", headers=account.headers)
    assert [item["title"] for item in rest.json()["data"]] == ["n1", "n0"]
    assert (rest.json()["has_more"], rest.json()["next_cursor"]) == (False, None)
    damaged = client.get("/v1/notifications?after=123_ntf", headers=account.headers)
    assert (damaged.status_code, damaged.json()["error"]["code"]) == (400, "invalid_cursor")


def test_mark_one_read(services, client, account):
    made = tell(services, account.user)
    response = client.post(f"/v1/notifications/{made.id}/read", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["read"]) == (made.id, True)
    assert isinstance(body["read_at"], int)
    again = client.post(f"/v1/notifications/{made.id}/read", headers=account.headers).json()
    assert again["read_at"] == body["read_at"]
    assert client.get("/v1/notifications", headers=account.headers).json()["unread_count"] == 0


def test_mark_all_read(services, client, account, grace):
    for _ in range(3):
        tell(services, account.user)
    tell(services, grace.user)
    response = client.post("/v1/notifications/read-all", headers=account.headers)
    assert response.status_code == 200
    assert response.json() == {
        "object": "notification.read_all",
        "marked_read": 3,
        "unread_count": 0,
    }
    assert client.get("/v1/notifications", headers=grace.headers).json()["unread_count"] == 1


def test_another_users_notification_is_not_found(services, client, account, grace):
    hers = tell(services, grace.user)
    response = client.post(f"/v1/notifications/{hers.id}/read", headers=account.headers)
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("notification_not_found", "notification_id")
    assert client.get("/v1/notifications", headers=account.headers).json()["data"] == []
    after = client.get(f"/v1/notifications?after={hers.id}", headers=account.headers)
    assert after.status_code == 404
    assert after.json()["error"]["param"] == "after"
    theirs = client.get("/v1/notifications", headers=grace.headers).json()
    assert theirs["data"][0]["read"] is False, "nothing of hers changed"


def test_credentials_are_required(client):
    assert client.get("/v1/notifications").status_code == 401
    assert client.post("/v1/notifications/read-all").status_code == 401


def test_a_bad_limit_is_a_400(client, account):
    response = client.get("/v1/notifications?limit=0", headers=account.headers)
    assert response.status_code == 400


def test_a_signed_in_browser_needs_the_csrf_token_to_change_anything(services, client, account):
    tell(services, account.user)
    with services.db.write() as db:
        session, secret = start_web_session(db=db, user=account.user)
    client.cookies.set(SESSION_COOKIE, secret)
    assert client.get("/v1/notifications").json()["unread_count"] == 1
    refused = client.post("/v1/notifications/read-all")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    allowed = client.post("/v1/notifications/read-all", headers={CSRF_HEADER: session.csrf_token})
    assert allowed.json()["marked_read"] == 1
