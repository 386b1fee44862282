"""The cameo API over HTTP: consent, multipart creation and its refusals, the permission
check, approvals, the owner's view of uses (watching and deleting them), and revocation."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from cameo_helpers import bomb_png, face_png, make_cameo, order
from PIL import Image

from reelmint.domains.videos.models import Video
from support import make_account, unreachable_s3


def png_bytes(tmp_path, name: str = "me.png", **kwargs) -> bytes:
    return face_png(tmp_path / name, **kwargs).read_bytes()


def create(client, account, tmp_path, *, phrase: str | None = None, files=None, **fields):
    if phrase is None:
        phrase = client.post("/v1/cameos/consent", headers=account.headers).json()["phrase"]
    data = {
        "handle": "ada",
        "display_name": "Ada L.",
        "permission": "everyone",
        "consent_phrase": phrase,
        **fields,
    }
    if files is None:
        files = [("images", ("me.png", io.BytesIO(png_bytes(tmp_path)), "image/png"))]
    if not files:  # still multipart: the text fields as parts without a file name
        files, data = [(name, (None, value)) for name, value in data.items()], {}
    return client.post("/v1/cameos", headers=account.headers, data=data, files=files)


def error_of(response) -> dict:
    return response.json()["error"]


def test_consent_then_create_then_read(client, account, tmp_path):
    consent = client.post("/v1/cameos/consent", headers=account.headers)
    assert consent.status_code == 200
    body = consent.json()
    assert body["object"] == "cameo.consent"
    assert len(body["phrase"].split()) == 4
    assert "consent" in body["statement"]
    files = [
        ("images", ("front.png", io.BytesIO(png_bytes(tmp_path, "a.png")), "image/png")),
        ("images", ("side.png", io.BytesIO(png_bytes(tmp_path, "b.png")), "image/png")),
    ]
    made = create(
        client,
        account,
        tmp_path,
        phrase=body["phrase"],
        files=files,
        restrictions="politics, horror",
        handle="@Ada",
    )
    assert made.status_code == 201, made.text
    cameo = made.json()
    assert (cameo["handle"], cameo["permission"], cameo["status"]) == ("ada", "everyone", "active")
    assert cameo["restrictions"] == ["politics", "horror"]
    assert [i["position"] for i in cameo["images"]] == [0, 1]
    image = client.get(cameo["images"][0]["url"], headers=account.headers)
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
    assert image.content[:3] == b"\xff\xd8\xff"
    mine = client.get("/v1/cameos", headers=account.headers).json()["data"]
    assert [c["handle"] for c in mine] == ["ada"]

    other = make_account(client.app.state.services, "bob@example.com")
    public = client.get("/v1/cameos/ada", headers=other.headers).json()
    assert set(public) == {
        "id",
        "object",
        "handle",
        "display_name",
        "permission",
        "restrictions",
        "status",
    }
    assert client.get(cameo["images"][0]["url"], headers=other.headers).status_code == 404


@pytest.mark.parametrize(
    ("fields", "files", "status", "code"),
    [
        ({"consent_phrase": "wrong words here now"}, None, 400, "consent_phrase_mismatch"),
        ({"handle": "a"}, None, 400, "invalid_handle"),
        ({"permission": "friends"}, None, 400, "invalid_permission"),
        ({"nickname": "x"}, None, 400, "unknown_parameter"),
        (
            {},
            [("images", ("x.gif", io.BytesIO(b"GIF89a" + b"\0" * 40), "image/gif"))],
            400,
            "invalid_cameo_image",
        ),
        ({}, [("photo", ("x.png", io.BytesIO(b"x"), "image/png"))], 400, "unknown_parameter"),
        ({}, [], 400, "cameo_images_required"),
    ],
    ids=["phrase", "handle", "permission", "field", "gif", "file-field", "no-images"],
)
def test_creation_refusals(client, account, tmp_path, fields, files, status, code):
    response = create(client, account, tmp_path, files=files, **fields)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert client.get("/v1/cameos", headers=account.headers).json()["data"] == []


def test_a_bomb_and_too_many_images_are_refused(client, account, tmp_path):
    bomb = bomb_png(tmp_path / "bomb.png").read_bytes()
    response = create(
        client, account, tmp_path, files=[("images", ("bomb.png", io.BytesIO(bomb), "image/png"))]
    )
    assert (response.status_code, error_of(response)["code"]) == (400, "invalid_cameo_image")
    assert "'bomb.png' is 8000x8000" in error_of(response)["message"]
    photo = png_bytes(tmp_path)
    many = [("images", (f"{n}.png", io.BytesIO(photo), "image/png")) for n in range(6)]
    response = create(client, account, tmp_path, files=many)
    assert (response.status_code, error_of(response)["code"]) == (400, "too_many_images")


def test_a_phone_photo_with_the_multi_picture_extension_is_accepted(client, account, tmp_path):
    face = Image.open(face_png(tmp_path / "face.png")).convert("RGB")
    photo = io.BytesIO()
    face.save(photo, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 64))])

    made = create(
        client, account, tmp_path, files=[("images", ("IMG_0001.jpg", photo, "image/jpeg"))]
    )

    assert made.status_code == 201, made.text
    stored = client.get(made.json()["images"][0]["url"], headers=account.headers)
    with Image.open(io.BytesIO(stored.content)) as image:
        assert (image.format, image.size, getattr(image, "n_frames", 1)) == ("JPEG", (256, 256), 1)
        kept = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert np.abs(kept - np.asarray(face, dtype=np.int16)).mean() < 4  # the first frame


def test_storage_that_cannot_be_reached_is_a_503_and_makes_nothing(
    client, services, account, tmp_path, monkeypatch
):
    """Not a 500: the photos cannot be stored, so nothing is made; the same request succeeds
    (handle, consent phrase and all) once storage is back."""
    phrase = client.post("/v1/cameos/consent", headers=account.headers).json()["phrase"]
    working = services.storage
    monkeypatch.setattr(services, "storage", unreachable_s3(tmp_path, monkeypatch))
    response = create(client, account, tmp_path, phrase=phrase)
    assert response.status_code == 503, response.text
    error = error_of(response)
    assert error["code"] == "storage_unavailable"
    assert "the cameo cannot be created now" in error["message"]
    assert client.get("/v1/cameos", headers=account.headers).json()["data"] == []

    monkeypatch.setattr(services, "storage", working)
    again = create(client, account, tmp_path, phrase=phrase)
    assert again.status_code == 201, again.text
    assert again.json()["handle"] == "ada"


def test_a_form_cut_off_before_its_closing_boundary_is_refused(client, account, tmp_path):
    """The image forms share the API's multipart reading: a body that stops before its
    closing boundary is refused, not read without its unfinished last part."""
    phrase = client.post("/v1/cameos/consent", headers=account.headers).json()["phrase"]
    fields = {"handle": "ada", "display_name": "Ada L.", "permission": "everyone"}
    whole = httpx.Request(
        "POST",
        "http://testserver/v1/cameos",
        data={**fields, "consent_phrase": phrase},
        files=[("images", ("me.png", png_bytes(tmp_path), "image/png"))],
    )
    body = whole.read()
    cut = body[: body.rindex(b"\r\n--")]  # the image part, without the closing boundary
    headers = {**account.headers, "Content-Type": whole.headers["content-type"]}
    response = client.post("/v1/cameos", headers=headers, content=cut)
    assert (response.status_code, error_of(response)["code"]) == (400, "invalid_multipart")
    assert "ended before its closing boundary" in error_of(response)["message"]
    assert client.get("/v1/cameos", headers=account.headers).json()["data"] == []
    response = client.post("/v1/cameos", headers=headers, content=body)
    assert response.status_code == 201, response.text


def test_a_json_body_is_refused_with_a_hint(client, account):
    response = client.post("/v1/cameos", headers=account.headers, json={"handle": "ada"})
    assert response.status_code == 415
    assert "multipart/form-data" in error_of(response)["message"]


def test_creating_needs_credentials(client, tmp_path):
    response = client.post("/v1/cameos/consent")
    assert response.status_code == 401


def test_the_permission_endpoint(client, services, account, tmp_path):
    assert (
        create(client, account, tmp_path, permission="approved", restrictions="knife").status_code
        == 201
    )
    bob = make_account(services, "bob@example.com")

    def check(who, **params):
        response = client.get("/v1/cameos/ada/permission", headers=who.headers, params=params)
        assert response.status_code == 200
        return response.json()

    denied = check(bob)
    assert (denied["allowed"], denied["code"]) == (False, "cameo_permission_denied")
    assert "approved" in denied["reason"]
    assert check(account)["allowed"] is True  # the owner

    approved = client.post(
        "/v1/cameos/ada/approvals", headers=account.headers, json={"email": bob.email}
    )
    assert approved.status_code == 200
    assert approved.json()["user"]["id"] == bob.user.id
    listed = client.get("/v1/cameos/ada/approvals", headers=account.headers).json()["data"]
    assert [u["id"] for u in listed] == [bob.user.id]
    assert check(bob) == {
        "object": "cameo.permission",
        "handle": "ada",
        "display_name": "Ada L.",
        "allowed": True,
        "code": None,
        "reason": None,
    }
    assert check(bob, prompt="@ada holds a knife")["allowed"] is False
    gone = client.delete(f"/v1/cameos/ada/approvals/{bob.user.id}", headers=account.headers)
    assert gone.status_code == 200
    assert check(bob)["allowed"] is False
    missing = client.get("/v1/cameos/nobody/permission", headers=bob.headers)
    assert (missing.status_code, error_of(missing)["code"]) == (404, "cameo_not_found")
    assert client.get("/v1/cameos/ada/permission").status_code == 401


def test_using_a_cameo_without_permission_through_the_videos_api(client, services, account):
    make_cameo(services, account.user, permission="only_me")
    bob = make_account(services, "bob@example.com")
    response = client.post(
        "/v1/videos", headers=bob.headers, json={"prompt": "@ada dances", "seconds": "4"}
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "cameo_permission_denied"
    assert "Ada (@ada)" in error_of(response)["message"]


def test_the_estimate_refuses_a_cameo_as_creating_would(client, services, account):
    make_cameo(services, account.user, permission="only_me")
    bob = make_account(services, "bob@example.com")
    ask = {"prompt": "@ada dances", "seconds": "4"}
    refused = client.post("/v1/videos/estimate", headers=bob.headers, json=ask)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "cameo_permission_denied"
    assert "Ada (@ada)" in error_of(refused)["message"]
    mine = client.post("/v1/videos/estimate", headers=account.headers, json=ask)
    assert mine.status_code == 200
    assert mine.json()["units"] >= 1


def test_the_estimate_refuses_more_cameos_than_a_video_may_have(client, services, account):
    most = services.settings.cameo_max_per_video
    handles = [f"ada{n}" for n in range(most + 1)]
    for handle in handles:
        make_cameo(services, account.user, handle)
    ask = {"prompt": " and ".join(f"@{h}" for h in handles) + " dance", "seconds": "4"}
    refused = client.post("/v1/videos/estimate", headers=account.headers, json=ask)
    assert refused.status_code == 400
    assert (error_of(refused)["code"], error_of(refused)["param"]) == ("too_many_cameos", "prompt")


def test_changing_permission_and_restrictions(client, services, account):
    make_cameo(services, account.user, permission="only_me")
    changed = client.patch(
        "/v1/cameos/ada",
        headers=account.headers,
        json={"permission": "mutual", "restrictions": ["war", " war ", "gore"]},
    )
    assert changed.status_code == 200
    assert (changed.json()["permission"], changed.json()["restrictions"]) == (
        "mutual",
        ["war", "gore"],
    )
    bad = client.patch("/v1/cameos/ada", headers=account.headers, json={"permission": "all"})
    assert bad.status_code == 400
    bob = make_account(services, "bob@example.com")
    theirs = client.patch("/v1/cameos/ada", headers=bob.headers, json={"permission": "everyone"})
    assert theirs.status_code == 404


def test_the_owner_lists_watches_and_deletes_uses(client, services, account, tmp_path):
    make_cameo(services, account.user)
    bob = make_account(services, "bob@example.com", display_name="bob")
    video = order(services, bob.user, "@ada climbs a mountain")
    poster = tmp_path / "poster.jpg"
    poster.write_bytes(b"\xff\xd8\xff poster")
    services.storage.put_file(f"videos/{video.id}/poster.jpg", poster, content_type="image/jpeg")
    with services.db.write() as db:
        row = db.get(Video, video.id)
        row.status, row.poster_key, row.video_key = (
            "completed",
            f"videos/{video.id}/poster.jpg",
            "x",
        )

    [use] = client.get("/v1/cameos/ada/uses", headers=account.headers).json()["data"]
    assert use["video_id"] == video.id
    assert use["user"] == {"id": bob.user.id, "display_name": "bob"}
    assert (use["status"], use["published"], use["deleted"]) == ("completed", False, False)

    def thumbnail(**headers: str):
        return client.get(
            f"/v1/cameos/ada/uses/{video.id}/content",
            headers={**account.headers, **headers},
            params={"variant": "thumbnail"},
        )

    thumb = thumbnail()
    assert (thumb.status_code, thumb.content) == (200, b"\xff\xd8\xff poster")
    assert thumb.headers["accept-ranges"] == "bytes"
    part = thumbnail(Range="bytes=4-9")
    assert (part.status_code, part.content) == (206, b"poster")
    assert part.headers["content-range"] == "bytes 4-9/10"
    past = thumbnail(Range="bytes=10-")
    assert (past.status_code, past.json()["error"]["code"]) == (416, "range_not_satisfiable")
    for variant in ("spritesheet", "gif"):  # a use offers the video and its thumbnail only
        refused = client.get(
            f"/v1/cameos/ada/uses/{video.id}/content",
            headers=account.headers,
            params={"variant": variant},
        )
        error = refused.json()["error"]
        assert (refused.status_code, error["code"], error["param"]) == (
            400,
            "variant_unsupported",
            "variant",
        )
        assert error["message"].endswith("use video or thumbnail")
    assert client.get("/v1/cameos/ada/uses", headers=bob.headers).status_code == 404
    # the video is bob's draft: through the videos API only bob sees it
    assert client.get(f"/v1/videos/{video.id}", headers=account.headers).status_code == 404

    deleted = client.delete(f"/v1/cameos/ada/uses/{video.id}", headers=account.headers)
    assert deleted.status_code == 200
    assert not services.storage.exists(f"videos/{video.id}/poster.jpg")
    assert client.get(f"/v1/videos/{video.id}", headers=bob.headers).status_code == 404
    [use] = client.get("/v1/cameos/ada/uses", headers=account.headers).json()["data"]
    assert use["deleted"] is True
    again = client.delete(f"/v1/cameos/ada/uses/{video.id}", headers=account.headers)
    assert again.status_code == 404


def test_the_uses_are_paged_newest_first(client, services, account):
    make_cameo(services, account.user)
    bob = make_account(services, "bob@example.com")
    made = [order(services, bob.user, f"@ada scene {n}").id for n in range(5)]
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = client.get("/v1/cameos/ada/uses", headers=account.headers, params=params).json()
        ids = [use["video_id"] for use in page["data"]]
        assert (page["first_id"], page["last_id"]) == (ids[0], ids[-1])
        seen += ids
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert seen == made[::-1]
    stale = client.get(
        "/v1/cameos/ada/uses", headers=account.headers, params={"after": "video_nosuchvideo"}
    )
    assert (stale.status_code, error_of(stale)["code"], error_of(stale)["param"]) == (
        404,
        "video_not_found",
        "after",
    )
    too_many = client.get("/v1/cameos/ada/uses", headers=account.headers, params={"limit": 101})
    assert too_many.status_code == 400


def test_revoking_over_the_api(client, services, account):
    make_cameo(services, account.user)
    bob = make_account(services, "bob@example.com")
    video = order(services, bob.user, "@ada swims in a lake")
    revoked = client.post("/v1/cameos/ada/revoke", headers=account.headers)
    assert revoked.status_code == 200
    body = revoked.json()
    assert (body["status"], body["cancelled_video_ids"]) == ("revoked", [video.id])
    assert body["unpublished_video_ids"] == []  # nothing of bob's was published
    assert body["images"][0]["url"] is None
    assert not list((services.settings.storage_dir / "cameos").rglob("*.jpg"))  # photos gone
    refused = client.post(
        "/v1/videos", headers=bob.headers, json={"prompt": "@ada swims", "seconds": "4"}
    )
    assert error_of(refused)["code"] == "cameo_permission_denied"
    permission = client.get("/v1/cameos/ada/permission", headers=account.headers).json()
    assert permission["allowed"] is False
    assert client.post("/v1/cameos/ada/revoke", headers=bob.headers).status_code == 404
    changed = client.patch(
        "/v1/cameos/ada", headers=account.headers, json={"permission": "everyone"}
    )
    assert (changed.status_code, error_of(changed)["code"]) == (409, "cameo_revoked")


def test_following_over_the_api(client, services, account):
    bob = make_account(services, "bob@example.com")
    first = client.post(f"/v1/users/{bob.user.id}/follow", headers=account.headers)
    assert first.json() == {
        "object": "follow",
        "user_id": bob.user.id,
        "following": True,
        "mutual": False,
    }
    back = client.post(f"/v1/users/{account.user.id}/follow", headers=bob.headers)
    assert back.json()["mutual"] is True
    following = client.get("/v1/me/following", headers=account.headers).json()["data"]
    followers = client.get("/v1/me/followers", headers=account.headers).json()["data"]
    assert [u["id"] for u in following] == [bob.user.id] == [u["id"] for u in followers]
    assert (
        client.delete(f"/v1/users/{bob.user.id}/follow", headers=account.headers).status_code == 200
    )
    assert client.get("/v1/me/following", headers=account.headers).json()["data"] == []
    self_follow = client.post(f"/v1/users/{account.user.id}/follow", headers=account.headers)
    assert (self_follow.status_code, error_of(self_follow)["code"]) == (400, "cannot_follow_self")
    missing = client.post("/v1/users/user_nope/follow", headers=account.headers)
    assert missing.status_code == 404


def test_uploads_are_capped_per_image_and_per_body(tmp_path, keys_dir):
    from fastapi.testclient import TestClient

    from reelmint.api.app import create_app
    from support import make_services

    small = make_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'small.db'}",
        cameo_max_image_bytes=100_000,
        cameo_max_images=2,
    )
    account = make_account(small)
    noise = bytes(range(256)) * 600  # 153,600 bytes
    with TestClient(create_app(small)) as client:
        one = create(
            client,
            account,
            tmp_path,
            files=[("images", ("big.png", io.BytesIO(noise), "image/png"))],
        )
        assert (one.status_code, error_of(one)["code"]) == (400, "invalid_cameo_image")
        assert "'big.png' is 150 KiB; the limit is 98 KiB an image" in error_of(one)["message"]
        two = [("images", (f"{n}.png", io.BytesIO(noise), "image/png")) for n in range(2)]
        body = create(client, account, tmp_path, files=two)
        assert (body.status_code, error_of(body)["code"]) == (413, "too_large")
    small.close()
