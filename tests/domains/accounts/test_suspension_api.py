"""POST /v1/admin/users/{id}/suspend and /reinstate: administrators only; a suspended
account's token is refused with the reason, and its videos answer 404 to everyone else."""

from __future__ import annotations

import html

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


def test_a_suspended_person_is_told_how_to_reach_the_operator(tmp_path):
    """With REELMINT_OPERATOR_CONTACT set, the 403 names it wherever the person meets it: their
    API token, the sign-in form, a password reset link."""
    from fastapi.testclient import TestClient

    from reelmint.domains.accounts.models import User
    from reelmint.domains.accounts.password_reset import RESET_PATH, operator_reset_link
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import suspend_account
    from support import app_serving, make_services
    from web.web_helpers import form_token

    contact = "help@reels.example"
    url = f"sqlite:///{tmp_path / 'contact.db'}"
    services = make_services(tmp_path, url, operator_contact=contact)
    try:
        account = make_account(services, "ann@example.com")
        with services.db.write() as db:
            user = db.get_one(User, account.user.id)
            link = operator_reset_link(db=db, settings=services.settings, user=user)
            suspend_account(db=db, actor=OPERATOR, user_id=account.user.id, reason=REASON)
        told = f"write to the platform's operator at {contact} to ask about it"
        with TestClient(app_serving(services)) as client:
            me = client.get("/v1/me", headers=account.headers).json()["error"]
            token = form_token(client.get("/login").text)
            form = {"email": account.email, "password": account.password, "csrf_token": token}
            signing_in = client.post("/login", data=form, follow_redirects=False)
            body = {"token": link.removeprefix(RESET_PATH), "password": "a new long passphrase"}
            reset = client.post("/v1/auth/password-reset/confirm", json=body).json()["error"]
        assert me["code"] == "account_suspended"
        assert told in me["message"]
        assert REASON in me["message"]
        assert signing_in.status_code == 403
        assert told in html.unescape(signing_in.text)
        assert (reset["code"], told in reset["message"]) == ("account_suspended", True)
    finally:
        services.close()
