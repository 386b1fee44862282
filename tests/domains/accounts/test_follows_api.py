"""GET /v1/me/following and /v1/me/followers: paged like the API's other lists."""

from __future__ import annotations

from reelmint.domains.accounts import follows
from support import make_account


def test_follow_lists_page_with_last_id_or_next_cursor(services, client, account):
    others = [make_account(services, f"u{n}@example.com") for n in range(3)]
    for other in others:
        with services.db.write() as db:
            follows.follow(db=db, actor=account.user, user_id=other.user.id)
            follows.follow(db=db, actor=other.user, user_id=account.user.id)
    newest_first = [other.user.id for other in reversed(others)]
    for path in ("/v1/me/following", "/v1/me/followers"):
        first = client.get(path, params={"limit": 2}, headers=account.headers).json()
        assert [u["id"] for u in first["data"]] == newest_first[:2]
        assert (first["first_id"], first["last_id"]) == tuple(newest_first[:2])
        assert first["has_more"] is True
        for after in (first["last_id"], first["next_cursor"]):
            params = {"limit": 2, "after": after}
            rest = client.get(path, params=params, headers=account.headers).json()
            assert [u["id"] for u in rest["data"]] == newest_first[2:]
            assert (rest["has_more"], rest["next_cursor"]) == (False, None)
        assert rest["data"][0] == {
            "id": newest_first[2],
            "object": "user",
            "display_name": others[0].user.display_name,
        }


def test_bad_paging_gets_a_stable_code(services, client, account):
    stranger = make_account(services, "stranger@example.com")
    response = client.get(
        "/v1/me/following", params={"after": stranger.user.id}, headers=account.headers
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user_not_found"
    assert response.json()["error"]["param"] == "after"
    response = client.get("/v1/me/followers", params={"limit": 0}, headers=account.headers)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "limit"
    assert client.get("/v1/me/followers").status_code == 401
