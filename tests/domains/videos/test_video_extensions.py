"""OpenAI's POST /v1/videos/extensions and /v1/videos/edits, for videos named by id."""

from __future__ import annotations

import json

import pytest
from video_helpers import complete, completed_video, png_file, queue_video, set_state

from reelmint.domains.pricing.service import price_of
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.engine.backends.base import Size
from support import make_account


def extend(client, account, video_id: str, prompt: str = "a dog runs past", seconds="4", **kw):
    body = {"prompt": prompt, "seconds": seconds, "video": {"id": video_id}, **kw}
    return client.post("/v1/videos/extensions", headers=account.headers, json=body)


def wallet(client, account) -> dict:
    return client.get("/v1/wallet", headers=account.headers).json()


def test_an_extension_plays_the_source_again_and_goes_on(client, account, services):
    source = completed_video(services, account.user, "a red car drives through a city at night")
    response = extend(client, account, source.id, "the car stops and a dog jumps out", "8")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["remixed_from_video_id"] == source.id
    assert (body["status"], body["seconds"], body["size"]) == ("queued", "12", source.size)
    assert (body["seed"], body["model"], body["backend"]) == (source.seed, "sora-2", "preview")
    assert body["prompt"] == "the car stops and a dog jumps out"
    shots = body["storyboard"]["shots"]
    with services.db.read() as db:
        before = db.get(Video, source.id)
    size = Size.parse(source.size)
    whole = price_of(settings=services.settings, backend="preview", seconds=12, size=size)
    assert body["price_units"] == whole.units > before.price_units  # priced as a 12 s video
    source_shots = json.loads(before.storyboard_json)["shots"]
    assert shots[: len(source_shots)] == source_shots
    assert shots[-1]["setting"] == source_shots[-1]["setting"] == "city"
    assert shots[-1]["time_of_day"] == "night"


def test_a_form_names_the_video_as_video_id_and_a_bare_id_is_taken_too(client, account, services):
    source = completed_video(services, account.user)
    as_form = client.post(
        "/v1/videos/extensions",
        headers=account.headers,
        files={
            "prompt": (None, "a dog runs"),
            "seconds": (None, "4"),
            "video[id]": (None, source.id),
        },
    )
    assert as_form.status_code == 200, as_form.text
    assert as_form.json()["remixed_from_video_id"] == source.id
    bare = client.post(
        "/v1/videos/extensions",
        headers=account.headers,
        json={"prompt": "a dog runs", "seconds": 4, "video": source.id},
    )
    assert bare.status_code == 200, bare.text


def test_an_extension_is_refused_with_nothing_charged(client, account, services):
    source = completed_video(services, account.user)
    queued = queue_video(services, account.user)
    start = wallet(client, account)
    cases = [
        (extend(client, account, queued.id), 409, "video_not_completed", None),
        (extend(client, account, "video_nope"), 404, "video_not_found", None),
        (extend(client, account, source.id, seconds="17"), 400, "invalid_seconds", "seconds"),
        (extend(client, account, source.id, seconds="0"), 400, "invalid_seconds", "seconds"),
        (extend(client, account, source.id, seconds="0.02"), 400, "invalid_seconds", "seconds"),
        (extend(client, account, source.id, seconds="4.01"), 400, "invalid_seconds", "seconds"),
        (extend(client, account, source.id, prompt=" "), 400, "invalid_prompt", "prompt"),
        (extend(client, account, source.id, prompt="a \u202edog"), 400, "invalid_prompt", "prompt"),
        (extend(client, account, source.id, seed=3), 400, "unknown_parameter", "seed"),
        (
            client.post(
                "/v1/videos/extensions",
                headers=account.headers,
                json={"prompt": "a dog", "video": {"id": source.id}},
            ),
            400,
            "invalid_seconds",
            "seconds",
        ),
    ]
    for response, status, code, param in cases:
        error = response.json()["error"]
        assert (response.status_code, error["code"]) == (status, code), error
        if param:
            assert error["param"] == param
    too_long = extend(client, account, source.id, seconds="17").json()["error"]["message"]
    assert "add between 1 and 16 s" in too_long  # a 4 s preview video may grow to 20 s
    too_short = extend(client, account, source.id, seconds="0.02").json()["error"]["message"]
    assert "add between 1 and 16 s (a new shot lasts at least 1 s), got 0.02" in too_short
    not_whole = extend(client, account, source.id, seconds="4.01").json()["error"]["message"]
    assert "whole number of frames at 24 fps" in not_whole
    assert "add 4 or 4.041667" in not_whole
    assert wallet(client, account) == start
    with services.db.read() as db:
        assert db.query(Video).count() == 2


def test_uploading_a_video_is_refused_with_what_to_send_instead(client, account, services):
    for path in ("/v1/videos/extensions", "/v1/videos/edits"):
        response = client.post(
            path,
            headers=account.headers,
            files={"prompt": (None, "a dog"), "video": ("clip.mp4", b"\x00" * 64, "video/mp4")},
        )
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["param"]) == (
            400,
            "video_upload_unsupported",
            "video",
        )
        assert "video[id]" in error["message"]


def test_others_videos_extend_once_published(client, account, services):
    other = make_account(services, "bob@example.com")
    theirs = completed_video(services, other.user)
    assert extend(client, account, theirs.id).status_code == 404
    client.post(f"/v1/videos/{theirs.id}/publish", headers=other.headers)
    response = extend(client, account, theirs.id)
    assert response.status_code == 200, response.text
    mine = client.get(f"/v1/videos/{response.json()['id']}", headers=account.headers)
    assert mine.json()["remixed_from_video_id"] == theirs.id


@pytest.mark.parametrize("path", ["/v1/videos/extensions", "/v1/videos/edits"])
def test_a_video_not_found_names_the_field_that_named_it(client, account, services, path):
    """The body's field is `video` (`video[id]` in a form), not the remix path's video_id."""
    other = make_account(services, "bob@example.com")
    draft = completed_video(services, other.user)
    deleted = completed_video(services, account.user)
    assert client.delete(f"/v1/videos/{deleted.id}", headers=account.headers).status_code == 200
    for video_id in (draft.id, deleted.id, "video_nope"):
        fields = {"prompt": "a dog runs"} | ({"seconds": "4"} if "extensions" in path else {})
        as_json = client.post(
            path, headers=account.headers, json={**fields, "video": {"id": video_id}}
        )
        as_form = client.post(
            path,
            headers=account.headers,
            files={**{k: (None, v) for k, v in fields.items()}, "video[id]": (None, video_id)},
        )
        for response in (as_json, as_form):
            error = response.json()["error"]
            assert (response.status_code, error["code"], error["param"]) == (
                404,
                "video_not_found",
                "video",
            )
    remix = client.post(
        f"/v1/videos/{draft.id}/remix", headers=account.headers, json={"prompt": "a dog"}
    )
    assert (remix.status_code, remix.json()["error"]["param"]) == (404, "video_id")


def _wan_video_from_an_image(services, user, tmp_path) -> tuple[Video, bytes]:
    image = png_file(tmp_path / "cat.png")
    video = create_video(
        services=services,
        user=user,
        request=VideoRequest(
            prompt="a cat sleeps on a sofa", model="wan", seconds="4", input_reference=image
        ),
    )
    complete(services, video.id)
    return video, image.read_bytes()


def test_an_extension_of_a_video_made_from_an_image_starts_from_it_again(
    client, account, services, tmp_path
):
    source, image = _wan_video_from_an_image(services, account.user, tmp_path)
    response = extend(client, account, source.id, "the cat wakes up")
    assert response.status_code == 200, response.text
    with services.db.read() as db:
        key = db.get(Video, response.json()["id"]).input_reference_key
    assert key is not None
    assert key != source.input_reference_key  # its own copy: deleting either keeps the other
    assert b"".join(services.storage.iter_bytes(key)) == image


def test_only_its_maker_extends_a_video_made_from_their_image(client, account, services, tmp_path):
    other = make_account(services, "bob@example.com")
    theirs, _ = _wan_video_from_an_image(services, other.user, tmp_path)
    client.post(f"/v1/videos/{theirs.id}/publish", headers=other.headers)
    response = extend(client, account, theirs.id)
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (403, "video_not_extendable")
    remix = client.post(
        f"/v1/videos/{theirs.id}/remix", headers=account.headers, json={"prompt": "a dog"}
    )
    assert remix.status_code == 200  # what the refusal suggests works


def test_an_extension_replays_under_its_idempotency_key(client, account, services):
    source = completed_video(services, account.user)
    headers = {**account.headers, "Idempotency-Key": "extend-1"}
    body = {"prompt": "a dog runs", "seconds": "4", "video": {"id": source.id}}
    first = client.post("/v1/videos/extensions", headers=headers, json=body)
    again = client.post("/v1/videos/extensions", headers=headers, json=body)
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = client.post("/v1/videos/extensions", headers=headers, json={**body, "seconds": "8"})
    assert other.status_code == 409


@pytest.mark.parametrize("as_form", [False, True])
def test_an_edit_is_a_remix_of_the_video_named(client, account, services, as_form):
    source = completed_video(services, account.user)
    if as_form:
        fields = {"prompt": (None, "a dog sleeps"), "video[id]": (None, source.id)}
        response = client.post("/v1/videos/edits", headers=account.headers, files=fields)
    else:
        body = {"prompt": "a dog sleeps", "video": {"id": source.id}}
        response = client.post("/v1/videos/edits", headers=account.headers, json=body)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["remixed_from_video_id"] == source.id
    assert (body["prompt"], body["seconds"], body["seed"]) == ("a dog sleeps", "4", source.seed)


def test_edit_refusals(client, account, services):
    queued = queue_video(services, account.user)
    response = client.post(
        "/v1/videos/edits",
        headers=account.headers,
        json={"prompt": "a dog", "video": {"id": queued.id}},
    )
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (409, "video_not_completed")
    assert "only completed videos can be edited" in error["message"]
    twice = client.post(
        "/v1/videos/edits",
        headers=account.headers,
        files={"prompt": (None, "a"), "video": (None, "x"), "video[id]": (None, queued.id)},
    )
    assert (twice.status_code, twice.json()["error"]["code"]) == (400, "duplicate_parameter")


def test_a_large_upload_where_no_file_is_taken_says_to_name_the_video(client, account, services):
    big = b"\x00" * (2 * 1024 * 1024)
    response = client.post(
        "/v1/videos/extensions",
        headers=account.headers,
        files={"prompt": (None, "a dog"), "video": ("clip.mp4", big, "video/mp4")},
    )
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (413, "too_large")
    assert "name a video by its id" in error["message"]


def test_a_storyboard_this_version_cannot_read_is_not_carried_on(client, account, services):
    source = completed_video(services, account.user)
    old = '{"prompt": "x", "shots": [{"prompt": "a", "duration": 4, "lens": "fisheye"}]}'
    set_state(services, source.id, storyboard_json=old)
    response = extend(client, account, source.id)
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (409, "video_not_extendable")
    assert "remix it instead" in error["message"]


def test_a_reference_image_lost_from_storage_or_unreachable_storage_is_said_so(
    client, account, services, tmp_path, monkeypatch
):
    from reelmint.storage.base import StorageError

    source, _ = _wan_video_from_an_image(services, account.user, tmp_path)
    services.storage.delete(source.input_reference_key)
    lost = extend(client, account, source.id)
    assert (lost.status_code, lost.json()["error"]["code"]) == (409, "video_not_extendable")
    assert "no longer stored" in lost.json()["error"]["message"]

    def unreachable(*_args, **_kwargs):
        raise StorageError("connection refused")

    monkeypatch.setattr(services.storage, "download", unreachable)
    down = extend(client, account, source.id)
    assert (down.status_code, down.json()["error"]["code"]) == (503, "storage_unavailable")


def test_not_even_an_admin_copies_someone_elses_reference_image(client, services, tmp_path):
    maker = make_account(services, "maker@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    theirs, _ = _wan_video_from_an_image(services, maker.user, tmp_path)
    drafted = extend(client, admin, theirs.id)  # an admin acts on others' drafts as anyone
    assert (drafted.status_code, drafted.json()["error"]["code"]) == (404, "video_not_found")
    client.post(f"/v1/videos/{theirs.id}/publish", headers=maker.headers)
    response = extend(client, admin, theirs.id)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "video_not_extendable")


def test_a_form_and_json_saying_the_same_are_one_request_under_a_key(client, account, services):
    source = completed_video(services, account.user)
    headers = {**account.headers, "Idempotency-Key": "same-thing"}
    as_form = client.post(
        "/v1/videos/extensions",
        headers=headers,
        files={"prompt": (None, "a dog"), "seconds": (None, "4"), "video[id]": (None, source.id)},
    )
    as_json = client.post(
        "/v1/videos/extensions",
        headers=headers,
        json={"prompt": "a dog", "seconds": 4, "video": source.id},
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json()["id"] == as_form.json()["id"]
    assert as_json.headers["Idempotent-Replayed"] == "true"


def test_a_video_file_sent_to_create_is_an_unknown_field(client, account):
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files={"prompt": (None, "a dog"), "video": ("clip.mp4", b"\x00" * 64, "video/mp4")},
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "unknown_parameter")


def test_a_video_made_before_lengths_were_whole_frames_goes_on_from_its_delivered_frames(
    client, account, services
):
    """4.01 s was taken once (its storyboard's shots add up to 4.01) and delivered as 96 frames
    at 24 fps: it extends as the 4 s it is, its last shot cut to what was delivered."""
    source = completed_video(services, account.user)
    board = json.loads(source.storyboard_json)
    board["shots"][-1]["duration"] += 0.01
    set_state(services, source.id, seconds=4.01, storyboard_json=json.dumps(board))
    response = extend(client, account, source.id, "the cat wakes up", "4")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["seconds"] == "8"
    shots = body["storyboard"]["shots"]
    assert sum(shot["duration"] for shot in shots) == pytest.approx(8)
    assert shots[len(board["shots"]) - 1]["duration"] == pytest.approx(
        board["shots"][-1]["duration"] - 0.01
    )
    off_grid = extend(client, account, source.id, "the cat wakes up", "4.01")
    assert off_grid.status_code == 400
    assert "add 4 or 4.041667" in off_grid.json()["error"]["message"]


def test_a_video_whose_shots_do_not_add_up_to_its_length_is_not_carried_on(
    client, account, services
):
    """Shots more than half a frame off the delivered length were not rounded to it: their
    last shot is not cut to fit, and the extension is refused, nothing charged."""
    source = completed_video(services, account.user)
    board = json.loads(source.storyboard_json)
    board["shots"][-1]["duration"] += 0.5
    set_state(services, source.id, storyboard_json=json.dumps(board))
    before = wallet(client, account)
    response = extend(client, account, source.id, "the cat wakes up", "4")
    error = response.json()["error"]
    assert (response.status_code, error["code"]) == (409, "video_not_extendable")
    assert "remix it instead" in error["message"]
    assert wallet(client, account) == before
