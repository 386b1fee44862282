"""The /v1/claims API: create, list, get, dispute, answer and release, with their error codes."""

from __future__ import annotations

from claim_helpers import CAR, make_holder, make_video

from support import make_account


def holder_headers(services, holder):
    from reelmint.domains.accounts.service import create_api_token

    with services.db.write() as db:
        _, token = create_api_token(db=db, user=holder.member, name="holder")
    return {"Authorization": f"Bearer {token}"}


def content_error(client, video_id, headers=None):
    response = client.get(f"/v1/videos/{video_id}/content", headers=headers or {})
    return response.status_code, response.json()["error"]["code"]


def test_claim_dispute_and_answer_over_the_api(client, services, account):
    holder = make_holder(services)
    studio = holder_headers(services, holder)
    video = make_video(services, account.user)
    body = {"video_id": video.id, "character_id": holder.character_id, "action": "block"}

    made = client.post("/v1/claims", headers=studio, json=body)
    assert made.status_code == 201, made.text
    claim = made.json()
    assert claim["object"] == "claim"
    assert (claim["action"], claim["status"], claim["in_force"], claim["effective"]) == (
        "block",
        "active",
        True,
        True,
    )
    assert (claim["character_handle"], claim["organisation_name"]) == ("brightwave", "Wave Studios")
    assert claim["dispute_reason"] is None
    assert isinstance(claim["created_at"], int)
    # The video is gone for everyone but its owner (whose request gets past visibility and
    # finds no file: this test stores none).
    assert content_error(client, video.id) == (404, "video_not_found")
    assert content_error(client, video.id, account.headers) == (404, "content_missing")

    again = client.post("/v1/claims", headers=studio, json=body)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "claim_exists")

    # Both sides list it; a stranger sees nothing.
    for headers in (studio, account.headers):
        listed = client.get("/v1/claims", headers=headers).json()
        assert [c["id"] for c in listed["data"]] == [claim["id"]]
        assert (listed["object"], listed["has_more"]) == ("list", False)
    stranger = make_account(services, "stranger@example.com")
    assert client.get("/v1/claims", headers=stranger.headers).json()["data"] == []
    hidden = client.get(f"/v1/claims/{claim['id']}", headers=stranger.headers)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "claim_not_found")

    for short in ("too short", " " * 12 + "too short"):  # under 10 either way: one answer
        refused = client.post(
            f"/v1/claims/{claim['id']}/dispute", headers=account.headers, json={"reason": short}
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_reason")
        assert "at least 10" in refused.json()["error"]["message"]
    reason = {"reason": "my own surfer, not theirs"}
    disputed = client.post(
        f"/v1/claims/{claim['id']}/dispute", headers=account.headers, json=reason
    )
    assert disputed.status_code == 200, disputed.text
    assert disputed.json()["status"] == "disputed"
    assert disputed.json()["answer_due_at"] - disputed.json()["disputed_at"] == 30 * 86400
    twice = client.post(f"/v1/claims/{claim['id']}/dispute", headers=account.headers, json=reason)
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "claim_already_disputed")

    wrong = client.post(
        f"/v1/claims/{claim['id']}/answer", headers=account.headers, json={"decision": "release"}
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "not_claimant")
    released = client.post(
        f"/v1/claims/{claim['id']}/answer",
        headers=studio,
        json={"decision": "release", "note": "you are right"},
    )
    assert released.status_code == 200, released.text
    assert (released.json()["status"], released.json()["in_force"]) == ("released", False)
    assert released.json()["answer_note"] == "you are right"
    assert client.get(f"/v1/claims/{claim['id']}", headers=account.headers).json()["status"] == (
        "released"
    )
    assert content_error(client, video.id) == (404, "content_missing")  # visible again


def test_api_refusals(client, services, account):
    holder = make_holder(services)
    studio = holder_headers(services, holder)
    car = make_video(services, account.user, prompt=CAR)
    body = {"video_id": car.id, "character_id": holder.character_id, "action": "track"}
    off = client.post("/v1/claims", headers=studio, json=body)
    assert (off.status_code, off.json()["error"]["code"]) == (403, "character_not_in_video")
    not_member = client.post("/v1/claims", headers=account.headers, json=body)
    assert (not_member.status_code, not_member.json()["error"]["code"]) == (
        403,
        "not_character_holder",
    )
    bad = client.post("/v1/claims", headers=studio, json={**body, "action": "delete"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_action")
    anonymous = client.post("/v1/claims", json=body)
    assert anonymous.status_code == 401
    other_org = client.get(
        "/v1/claims", headers=account.headers, params={"organisation_id": holder.organisation_id}
    )
    assert (other_org.status_code, other_org.json()["error"]["code"]) == (
        404,
        "organisation_not_found",
    )


def test_release_any_time_and_filters(client, services, account):
    holder = make_holder(services)
    studio = holder_headers(services, holder)
    first, second = make_video(services, account.user), make_video(services, account.user)
    ids = []
    for video in (first, second):
        body = {"video_id": video.id, "character_id": holder.character_id, "action": "monetize"}
        ids.append(client.post("/v1/claims", headers=studio, json=body).json()["id"])
    released = client.post(f"/v1/claims/{ids[0]}/release", headers=studio)
    assert released.json()["status"] == "released", released.text
    again = client.post(f"/v1/claims/{ids[0]}/release", headers=studio)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "claim_ended")
    active = client.get("/v1/claims", headers=studio, params={"status": "active"}).json()
    assert [c["id"] for c in active["data"]] == [ids[1]]
    page = client.get("/v1/claims", headers=studio, params={"limit": 1}).json()
    assert (len(page["data"]), page["has_more"]) == (1, True)
    rest = client.get(
        "/v1/claims", headers=studio, params={"limit": 1, "after": page["last_id"]}
    ).json()
    assert (len(rest["data"]), rest["has_more"]) == (1, False)
    assert {page["data"][0]["id"], rest["data"][0]["id"]} == set(ids)
    by_video = client.get("/v1/claims", headers=account.headers, params={"video_id": second.id})
    assert [c["id"] for c in by_video.json()["data"]] == [ids[1]]
