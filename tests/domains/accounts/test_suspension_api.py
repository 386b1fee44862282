"""POST /v1/admin/users/{id}/suspend and /reinstate: administrators only; a suspended
account's token is refused with the reason, and its videos answer 404 to everyone else."""

from __future__ import annotations

from domains.videos.video_helpers import completed_video
from reelmint.domains.videos.service import publish_video
from support import make_account

REASON = "harassment of other creators"


def test_an_administrator_suspends_and_reinstates_an_account(client, services, account):
    admin = make_account(services, "root@example.com", role="admin")
    with services.db.write() as db:
        video = publish_video(
            db=db, actor=account.user, video_id=completed_video(services, account.user).id
        )
    assert client.get(f"/v1/videos/{video.id}").status_code == 200

    done = client.post(
        f"/v1/admin/users/{account.user.id}/suspend", headers=admin.headers, json={"reason": REASON}
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["object"], body["suspended"], body["reason"]) == (
        "account_suspension",
        True,
        REASON,
    )
    assert isinstance(body["suspended_at"], int)  # unix seconds, as every API time
    listed = client.get("/v1/admin/suspensions", headers=admin.headers).json()["data"]
    assert [(item["user_id"], item["reason"]) for item in listed] == [(account.user.id, REASON)]
    me = client.get("/v1/me", headers=account.headers)
    assert (me.status_code, me.json()["error"]["code"]) == (403, "account_suspended")
    assert REASON in me.json()["error"]["message"]
    assert client.get(f"/v1/videos/{video.id}").status_code == 404
    assert client.get(f"/v1/users/{account.user.id}").status_code == 404

    back = client.post(f"/v1/admin/users/{account.user.id}/reinstate", headers=admin.headers)
    assert (back.status_code, back.json()["suspended"], back.json()["reason"]) == (200, False, None)
    assert client.get("/v1/admin/suspensions", headers=admin.headers).json()["data"] == []
    assert client.get("/v1/me", headers=account.headers).status_code == 200
    assert client.get(f"/v1/videos/{video.id}").status_code == 200


def test_refusals_name_what_to_change(client, services, account):
    other = make_account(services, "bob@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    path = f"/v1/admin/users/{other.user.id}/suspend"
    for headers, body, status, code in (
        (account.headers, {"reason": REASON}, 403, "admin_only"),
        (admin.headers, {"reason": ""}, 400, "invalid_reason"),
        (admin.headers, {"reason": "x" * 501}, 400, "invalid_reason"),
        (admin.headers, {"reason": "x" * 5000}, 400, "invalid_reason"),  # one code at any length
        (admin.headers, {"reason": REASON, "days": 3}, 400, "unknown_parameter"),
    ):
        refused = client.post(path, headers=headers, json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), body
    unknown = client.post(
        "/v1/admin/users/user_nobody/suspend", headers=admin.headers, json={"reason": REASON}
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "user_not_found")
    not_suspended = client.post(f"/v1/admin/users/{other.user.id}/reinstate", headers=admin.headers)
    assert (not_suspended.status_code, not_suspended.json()["error"]["code"]) == (
        409,
        "not_suspended",
    )
    assert client.get("/v1/me", headers=other.headers).status_code == 200


def test_anyone_else_is_told_403_before_anything_about_the_body(client, services, account):
    other = make_account(services, "bob@example.com")
    path = f"/v1/admin/users/{other.user.id}/suspend"
    for body in ({}, {"reason": REASON, "days": 3}):
        refused = client.post(path, headers=account.headers, json=body)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")
    listed = client.get("/v1/admin/suspensions", headers=account.headers)
    assert (listed.status_code, listed.json()["error"]["code"]) == (403, "admin_only")
