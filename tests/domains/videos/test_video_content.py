"""GET /v1/videos/{id}/content: the files, byte ranges for players, and who may fetch them."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from video_helpers import FAKE_JPEG, FAKE_MP4, complete, completed_video, queue_video, real_mp4

from reelmint.api.app import create_app
from reelmint.api.deps import SESSION_COOKIE
from reelmint.domains.accounts.service import start_web_session
from support import make_account


def content_path(video_id: str, variant: str | None = None) -> str:
    path = f"/v1/videos/{video_id}/content"
    return f"{path}?variant={variant}" if variant else path


def test_the_owner_downloads_the_video_and_its_thumbnail(client, account, services):
    video = completed_video(services, account.user)
    response = client.get(content_path(video.id), headers=account.headers)
    assert response.status_code == 200
    assert response.content == FAKE_MP4
    assert response.headers["content-type"] == "video/mp4"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(FAKE_MP4))
    thumbnail = client.get(content_path(video.id, "thumbnail"), headers=account.headers)
    assert (thumbnail.content, thumbnail.headers["content-type"]) == (FAKE_JPEG, "image/jpeg")


def test_head_answers_as_get_without_a_body_and_asks_the_same_credentials(
    client, account, services
):
    video = completed_video(services, account.user)
    whole = client.get(content_path(video.id), headers=account.headers)
    head = client.head(content_path(video.id), headers=account.headers)
    assert (head.status_code, head.content) == (200, b"")
    for name in ("content-type", "content-length", "accept-ranges", "cache-control"):
        assert head.headers[name] == whole.headers[name], name
    ranged = client.head(content_path(video.id), headers={**account.headers, "Range": "bytes=0-9"})
    assert (ranged.status_code, ranged.headers["content-length"]) == (206, "10")
    assert client.head(content_path(video.id)).status_code == 404  # a draft: not for anyone
    stranger = make_account(services, "eve@example.com")
    assert client.head(content_path(video.id), headers=stranger.headers).status_code == 404


def test_byte_ranges_are_served_for_players(client, account, services):
    video = completed_video(services, account.user)
    size = len(FAKE_MP4)
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=10-{size * 2}": (10, size - 1),
    }
    for header, (start, end) in cases.items():
        response = client.get(content_path(video.id), headers={**account.headers, "Range": header})
        assert response.status_code == 206, header
        assert response.content == FAKE_MP4[start : end + 1]
        assert response.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert response.headers["content-length"] == str(end - start + 1)


def test_a_range_past_the_end_is_416_and_odd_ranges_get_the_whole_file(client, account, services):
    video = completed_video(services, account.user)
    size = len(FAKE_MP4)
    past = client.get(
        content_path(video.id), headers={**account.headers, "Range": f"bytes={size}-"}
    )
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    assert past.json()["error"]["code"] == "range_not_satisfiable"
    for header in ("bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=x-"):
        whole = client.get(content_path(video.id), headers={**account.headers, "Range": header})
        assert (whole.status_code, whole.content) == (200, FAKE_MP4), header


def test_variant_refusals(client, account, services):
    """400 `variant_unsupported` (as docs/api.md lists it), naming the variants there are."""
    video = completed_video(services, account.user)
    for variant in ("gif", "VIDEO", "x" * 300):
        other = client.get(content_path(video.id, variant), headers=account.headers)
        error = other.json()["error"]
        assert (other.status_code, error["code"], error["param"]) == (
            400,
            "variant_unsupported",
            "variant",
        )
        assert "use video, thumbnail or spritesheet" in error["message"]
        assert len(error["message"]) < 200


def test_the_variants_are_still_listed_in_the_api_document(client):
    operation = client.get("/openapi.json").json()["paths"]["/v1/videos/{video_id}/content"]
    (variant,) = [p for p in operation["get"]["parameters"] if p["name"] == "variant"]
    assert variant["schema"]["enum"] == ["video", "thumbnail", "spritesheet"]
    assert variant["schema"]["default"] == "video"


def counting_sheets(monkeypatch, then=None) -> list[int]:
    """Count the spritesheets made (and run `then` as each is made)."""
    from reelmint.domains.videos import service

    made: list[int] = []
    real = service.make_spritesheet

    def counted(*args, **kwargs):
        made.append(1)
        if then is not None:
            then()
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "make_spritesheet", counted)
    return made


def test_the_spritesheet_is_made_once_from_the_mp4_and_deleted_with_it(
    client, account, services, tmp_path, monkeypatch
):
    from PIL import Image

    made = counting_sheets(monkeypatch)
    video = completed_video(services, account.user)
    complete(services, video.id, video=real_mp4(tmp_path))
    key = f"videos/{video.id}/spritesheet.jpg"
    assert not services.storage.exists(key)
    first = client.get(content_path(video.id, "spritesheet"), headers=account.headers)
    assert (first.status_code, first.headers["content-type"]) == (200, "image/jpeg")
    assert f'filename="{video.id}-spritesheet.jpg"' in first.headers["content-disposition"]
    assert Image.open(io.BytesIO(first.content)).format == "JPEG"
    assert services.storage.exists(key)
    again = client.get(content_path(video.id, "spritesheet"), headers=account.headers)
    assert (again.content, len(made)) == (first.content, 1)  # served from storage
    client.delete(f"/v1/videos/{video.id}", headers=account.headers)
    assert not services.storage.exists(key)


def test_a_video_deleted_while_its_sheet_is_made_keeps_no_sheet(
    client, account, services, tmp_path, monkeypatch
):
    video = completed_video(services, account.user)
    complete(services, video.id, video=real_mp4(tmp_path))

    def delete_it() -> None:
        assert client.delete(f"/v1/videos/{video.id}", headers=account.headers).status_code == 200

    counting_sheets(monkeypatch, then=delete_it)
    response = client.get(content_path(video.id, "spritesheet"), headers=account.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "video_not_found")
    assert not services.storage.exists(f"videos/{video.id}/spritesheet.jpg")


def test_storage_that_fails_while_a_sheet_is_made_is_a_503(
    client, account, services, tmp_path, monkeypatch
):
    from reelmint.storage.base import StorageError

    video = completed_video(services, account.user)
    complete(services, video.id, video=real_mp4(tmp_path))

    def refuse(*_args, **_kwargs):
        raise StorageError("the bucket is read-only")

    monkeypatch.setattr(services.storage, "put_file", refuse)
    response = client.get(content_path(video.id, "spritesheet"), headers=account.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "storage_unavailable")


def test_a_video_file_that_cannot_be_read_has_no_spritesheet(client, account, services):
    video = completed_video(services, account.user)  # its "MP4" is made-up bytes
    response = client.get(content_path(video.id, "spritesheet"), headers=account.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "content_unreadable")
    services.storage.delete(f"videos/{video.id}/video.mp4")
    gone = client.get(content_path(video.id, "spritesheet"), headers=account.headers)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "content_missing")


def test_an_unfinished_video_has_no_content_yet(client, account, services):
    video = queue_video(services, account.user)
    response = client.get(content_path(video.id), headers=account.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "video_not_ready")


def test_a_missing_file_is_reported_as_missing(client, account, services):
    video = completed_video(services, account.user)
    services.storage.delete(f"videos/{video.id}/video.mp4")
    response = client.get(content_path(video.id), headers=account.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "content_missing")
    message = response.json()["error"]["message"]  # what happened, and what to do about it
    assert "missing from the file storage" in message
    assert "ask the operator to check the file storage" in message
    assert "deleted, or made again" in message


def test_published_content_is_public_and_unpublishing_hides_it(client, account, services):
    video = completed_video(services, account.user)
    stranger = make_account(services, "eve@example.com")
    assert client.get(content_path(video.id)).status_code == 404
    assert client.get(content_path(video.id), headers=stranger.headers).status_code == 404
    client.post(f"/v1/videos/{video.id}/publish", headers=account.headers)
    anonymous = client.get(content_path(video.id))
    assert (anonymous.status_code, anonymous.content) == (200, FAKE_MP4)
    assert client.get(content_path(video.id), headers=stranger.headers).status_code == 200
    client.post(f"/v1/videos/{video.id}/unpublish", headers=account.headers)
    assert client.get(content_path(video.id)).status_code == 404


def test_a_deleted_published_video_is_gone_for_everyone(client, account, services):
    video = completed_video(services, account.user)
    client.post(f"/v1/videos/{video.id}/publish", headers=account.headers)
    client.delete(f"/v1/videos/{video.id}", headers=account.headers)
    assert client.get(content_path(video.id)).status_code == 404


def test_the_session_cookie_fetches_content_for_a_video_element(services, account):
    video = completed_video(services, account.user)
    with services.db.write() as db:
        _, secret = start_web_session(db=db, user=account.user)
    with TestClient(create_app(services)) as browser:
        browser.cookies.set(SESSION_COOKIE, secret)
        response = browser.get(content_path(video.id), headers={"Range": "bytes=0-9"})
        assert (response.status_code, response.content) == (206, FAKE_MP4[:10])
