"""GET /v1/feed: everyone's published videos without credentials, the Following feed with
them, creators and whether you follow them, cursor paging and its errors."""

from __future__ import annotations

from datetime import timedelta

from test_feed_service import add_video

from reelmint.db.base import utcnow
from support import make_account


def make_video(services, user, *, published: bool = False, published_ago=timedelta(0)) -> str:
    """A completed video of `user`'s, published `published_ago` (or a private draft): its id."""
    return add_video(services, user, published_at=utcnow() - published_ago if published else None)


def test_everyones_feed_needs_no_credentials_and_names_the_creators(services, client):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    older = make_video(services, ada.user, published=True, published_ago=timedelta(minutes=5))
    newer = make_video(services, ada.user, published=True)
    make_video(services, ada.user)  # a private draft
    response = client.get("/v1/feed")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert [item["video"]["id"] for item in body["data"]] == [newer, older]
    first = body["data"][0]
    assert first["object"] == "feed.item"
    assert first["creator"] == {"id": ada.user.id, "object": "user", "display_name": "Ada"}
    assert first["video"]["status"] == "completed"
    assert first["video"]["published_at"] is not None
    assert first["following"] is None  # nobody is asking
    assert body["has_more"] is False
    assert body["next_cursor"] is None


def test_the_following_feed_holds_the_creators_you_follow(services, client):
    ada = make_account(services, "ada@example.com")
    bob = make_account(services, "bob@example.com", display_name="Bob")
    cy = make_account(services, "cy@example.com")
    bobs = make_video(services, bob.user, published=True)
    cys = make_video(services, cy.user, published=True)
    mine = make_video(services, ada.user, published=True)
    assert client.post(f"/v1/users/{bob.user.id}/follow", headers=ada.headers).status_code == 200
    following = client.get("/v1/feed?scope=following", headers=ada.headers).json()
    assert [item["video"]["id"] for item in following["data"]] == [bobs]
    assert following["data"][0]["following"] is True
    everyone = client.get("/v1/feed", headers=ada.headers).json()
    flags = {item["video"]["id"]: item["following"] for item in everyone["data"]}
    assert flags == {bobs: True, cys: False, mine: None}


def test_the_feed_pages_with_next_cursor(services, client):
    ada = make_account(services, "ada@example.com")
    made = [
        make_video(services, ada.user, published=True, published_ago=timedelta(minutes=m))
        for m in (3, 2, 1)
    ]
    seen: list[str] = []
    after = None
    for _ in range(3):
        params = {"limit": 2, **({"after": after} if after else {})}
        body = client.get("/v1/feed", params=params).json()
        seen += [item["video"]["id"] for item in body["data"]]
        after = body["next_cursor"]
        assert body["has_more"] is (after is not None)
        if after is None:
            break
    assert seen == made[::-1]


def test_bad_requests_get_stable_codes(services, client):
    response = client.get("/v1/feed?scope=following")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    response = client.get("/v1/feed?after=nonsense")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    bogus = client.get("/v1/feed?scope=friends")
    assert bogus.json()["error"]["code"] == "invalid_scope"  # as docs/api.md says
    assert "use everyone or following" in bogus.json()["error"]["message"]
    for query in ("scope=friends", "limit=0", "limit=51"):
        response = client.get(f"/v1/feed?{query}")
        assert response.status_code == 400, query
        assert response.json()["error"]["code"]


def test_a_creators_profile_shows_counts_and_never_the_email(services, client):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    bob = make_account(services, "bob@example.com")
    make_video(services, ada.user, published=True)
    make_video(services, ada.user)  # a private draft
    assert client.post(f"/v1/users/{ada.user.id}/follow", headers=bob.headers).status_code == 200
    response = client.get(f"/v1/users/{ada.user.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "user.profile"
    assert (body["id"], body["display_name"]) == (ada.user.id, "Ada")
    assert (body["videos"], body["followers"], body["following"]) == (1, 1, 0)
    assert (body["you_follow"], body["follows_you"]) == (None, None)
    assert body["joined_at"] > 0
    assert "ada@example.com" not in response.text
    as_bob = client.get(f"/v1/users/{ada.user.id}", headers=bob.headers).json()
    assert (as_bob["you_follow"], as_bob["follows_you"]) == (True, False)
    as_ada = client.get(f"/v1/users/{bob.user.id}", headers=ada.headers).json()
    assert (as_ada["you_follow"], as_ada["follows_you"]) == (False, True)


def test_a_creators_videos_page_like_the_feed(services, client):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    bob = make_account(services, "bob@example.com")
    made = [
        make_video(services, ada.user, published=True, published_ago=timedelta(minutes=m))
        for m in (2, 1)
    ]
    make_video(services, bob.user, published=True)
    first = client.get(f"/v1/users/{ada.user.id}/videos", params={"limit": 1}).json()
    assert [item["video"]["id"] for item in first["data"]] == [made[1]]
    assert first["data"][0]["creator"]["display_name"] == "Ada"
    assert first["has_more"] is True
    params = {"limit": 1, "after": first["next_cursor"]}
    second = client.get(
        f"/v1/users/{ada.user.id}/videos", params=params, headers=bob.headers
    ).json()
    assert [item["video"]["id"] for item in second["data"]] == [made[0]]
    assert second["data"][0]["following"] is False
    assert second["has_more"] is False


def test_an_unknown_creator_or_damaged_cursor_gets_a_stable_code(services, client):
    ada = make_account(services, "ada@example.com")
    for path in ("/v1/users/user_nobody", "/v1/users/user_nobody/videos"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "user_not_found"
    response = client.get(f"/v1/users/{ada.user.id}/videos?after=nonsense")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_creators_are_found_by_name_without_their_emails(services, client):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    bob = make_account(services, "bob@example.com", display_name="Bob Adams")
    make_account(services, "adamant@example.com", display_name="Adamant")  # never published
    for creator in (ada, bob):
        make_video(services, creator.user, published=True)
    assert client.post(f"/v1/users/{ada.user.id}/follow", headers=bob.headers).status_code == 200
    response = client.get("/v1/users", params={"q": "ada"}, headers=bob.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert body["data"] == [
        {"id": ada.user.id, "object": "user", "display_name": "Ada", "you_follow": True},
        {"id": bob.user.id, "object": "user", "display_name": "Bob Adams", "you_follow": None},
    ]
    assert body["has_more"] is False
    assert "example.com" not in response.text
    for params in ({"q": "a"}, {"q": "x" * 300}, {}):
        refused = client.get("/v1/users", params=params)
        assert refused.status_code == 400
        assert refused.json()["error"]["code"] == "invalid_query"


def test_a_cursor_with_digits_that_are_not_ascii_gets_a_stable_code(services, client):
    ada = make_account(services, "ada@example.com")
    make_video(services, ada.user, published=True)
    for path in ("/v1/feed", f"/v1/users/{ada.user.id}/videos"):
        for cursor in ("\u00b2_video_x", "\u0661\u0662_video_x"):
            response = client.get(path, params={"after": cursor})
            assert response.status_code == 400, (path, cursor)
            assert response.json()["error"]["code"] == "invalid_cursor"
