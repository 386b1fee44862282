"""POST/DELETE /v1/users/{id}/block and GET /v1/me/blocked: blocking through the API, and
what the blocked person gets back from the follow and profile endpoints."""

from __future__ import annotations

from support import make_account


def test_block_list_and_unblock(services, client, account):
    others = [make_account(services, f"u{n}@example.com") for n in range(3)]
    for other in others:
        path = f"/v1/users/{other.user.id}/block"
        for _ in range(2):  # again: no change
            response = client.post(path, headers=account.headers)
            assert response.status_code == 200
            assert response.json() == {"object": "block", "user_id": other.user.id, "blocked": True}
    newest_first = [other.user.id for other in reversed(others)]
    first = client.get("/v1/me/blocked", params={"limit": 2}, headers=account.headers).json()
    assert [u["id"] for u in first["data"]] == newest_first[:2]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (*newest_first[:2], True)
    for after in (first["last_id"], first["next_cursor"]):
        params = {"limit": 2, "after": after}
        rest = client.get("/v1/me/blocked", params=params, headers=account.headers).json()
        assert [u["id"] for u in rest["data"]] == newest_first[2:]
        assert (rest["has_more"], rest["next_cursor"]) == (False, None)
    assert rest["data"][0] == {
        "id": others[0].user.id,
        "object": "user",
        "display_name": others[0].user.display_name,
    }
    gone = others[1].user.id
    profile = client.get(f"/v1/users/{gone}", headers=account.headers).json()
    assert profile["you_blocked"] is True
    assert client.get(f"/v1/users/{gone}").json()["you_blocked"] is None  # no credentials
    response = client.delete(f"/v1/users/{gone}/block", headers=account.headers)
    assert client.get(f"/v1/users/{gone}", headers=account.headers).json()["you_blocked"] is False
    assert response.json() == {"object": "block", "user_id": gone, "blocked": False}
    left = client.get("/v1/me/blocked", headers=account.headers).json()["data"]
    assert [u["id"] for u in left] == [others[2].user.id, others[0].user.id]
    assert others[0].user.id not in {  # one way: it is no block of theirs
        u["id"] for u in client.get("/v1/me/blocked", headers=others[0].headers).json()["data"]
    }


def test_refusals_have_stable_codes(services, client, account):
    other = make_account(services, "other@example.com")
    me = account.user.id
    cases = [
        (client.post(f"/v1/users/{me}/block", headers=account.headers), 400, "cannot_block_self"),
        (
            client.post("/v1/users/user_missing/block", headers=account.headers),
            404,
            "user_not_found",
        ),
        (client.post(f"/v1/users/{other.user.id}/block"), 401, "unauthorized"),
        (client.get("/v1/me/blocked"), 401, "unauthorized"),
        (
            client.get("/v1/me/blocked", params={"after": other.user.id}, headers=account.headers),
            404,
            "user_not_found",
        ),
    ]
    for response, status, code in cases:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_the_blocked_cannot_follow_and_finds_no_profile(services, client, account):
    other = make_account(services, "other@example.com")
    client.post(f"/v1/users/{other.user.id}/block", headers=account.headers)
    response = client.post(f"/v1/users/{account.user.id}/follow", headers=other.headers)
    assert response.status_code == 404  # as for no one: the block is not revealed
    assert response.json()["error"]["code"] == "user_not_found"
    for path in (f"/v1/users/{account.user.id}", f"/v1/users/{account.user.id}/videos"):
        seen = client.get(path, headers=other.headers)
        assert (seen.status_code, seen.json()["error"]["code"]) == (404, "user_not_found")
        assert client.get(path).status_code == 200  # signed out, as before
    mine = client.get(f"/v1/users/{other.user.id}", headers=account.headers)
    assert mine.status_code == 200  # the blocker still sees whom they blocked


def test_a_cameo_is_no_cameo_to_someone_its_owner_blocked(services, client, account):
    from domains.cameos.cameo_helpers import make_cameo

    make_cameo(services, account.user, "ada", restrictions=("no swimwear",))
    bob = make_account(services, "bob@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    paths = ("/v1/cameos/ada", "/v1/cameos/ada/permission")
    for path in paths:
        assert client.get(path, headers=bob.headers).status_code == 200
    client.post(f"/v1/users/{bob.user.id}/block", headers=account.headers)
    for path in paths:
        hidden = client.get(path, headers=bob.headers)
        assert hidden.status_code == 404, path
        assert hidden.json()["error"]["code"] == "cameo_not_found"
        assert "swimwear" not in hidden.text
        for who in (account, admin):  # its owner and the moderators still find it
            assert client.get(path, headers=who.headers).status_code == 200
    client.delete(f"/v1/users/{bob.user.id}/block", headers=account.headers)
    client.post(f"/v1/users/{account.user.id}/block", headers=bob.headers)  # the other way
    seen = client.get("/v1/cameos/ada/permission", headers=bob.headers).json()
    assert seen["allowed"] is False
    assert "cannot be used by you" in seen["reason"]  # to the blocker: which way not said
