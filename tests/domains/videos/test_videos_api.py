"""The /v1/videos endpoints: the OpenAI shape, every refusal with its code, and who sees what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from video_helpers import FAKE_MP4, complete, completed_video, queue_video, set_state

from domains.rights.claim_helpers import SURFER, claim, make_holder
from reelmint.db.base import utcnow
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import publish_video
from support import make_account

CAR = "a red car drives through a city"


def form(**fields: str) -> dict[str, tuple[None, str]]:
    """Text fields as multipart/form-data parts (what the OpenAI clients send)."""
    return {name: (None, value) for name, value in fields.items()}


# --- create -----------------------------------------------------------------------------------


def test_a_multipart_request_queues_a_video_in_openais_shape(client, account, services):
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files=form(prompt=CAR, model="sora-2", seconds="4", size="720x1280"),
    )
    assert response.status_code == 200
    assert response.headers["openai-poll-after-ms"].isdigit()
    body = response.json()
    assert body["object"] == "video"
    assert body["id"].startswith("video_")
    assert (body["status"], body["progress"], body["model"]) == ("queued", 0, "sora-2")
    assert (body["seconds"], body["size"], body["prompt"]) == ("4", "720x1280", CAR)
    assert body["backend"] == "preview"  # sora-2 is the operator's default backend
    assert body["queue_position"] == 1
    assert body["error"] is None
    assert body["completed_at"] is None
    assert body["expires_at"] is None
    assert isinstance(body["created_at"], int)
    assert isinstance(body["seed"], int)
    assert body["storyboard"]["shots"]
    with services.db.read() as db:
        row = db.get(Video, body["id"])
        assert (row.user_id, row.status, row.seconds) == (account.user.id, "queued", 4.0)


API_DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def documented_create_response() -> dict:
    """The Video object docs/api.md shows POST /v1/videos answering (its `...` elided)."""
    text = API_DOC.read_text(encoding="utf-8")
    after = text.split("The response is the video object", 1)[1]
    block = after.split("```json\n", 1)[1].split("```", 1)[0]
    return json.loads(block.replace("[...]", "[]"))


def test_the_documented_create_response_is_what_the_server_answers(client, account):
    documented = documented_create_response()
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files=form(prompt=documented["prompt"], model="sora-2", seconds=documented["seconds"]),
    )
    body = response.json()
    assert list(documented) == list(body)  # the same fields, in the same order
    same = ("object", "status", "progress", "model", "prompt", "seconds", "size", "backend")
    for name in (*same, "price_units", "queue_position", "error", "published_at"):
        assert documented[name] == body[name], name
    assert body["queue_position"] == 1  # next to run


def test_a_json_request_takes_numbers_and_extensions(client, account):
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        json={"prompt": CAR, "seconds": 4, "size": "480x480", "seed": 7, "backend": "preview"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["seconds"], body["seed"], body["backend"]) == ("4", 7, "preview")


def test_an_explicit_storyboard_is_taken_as_json_or_as_a_form_field(client, account):
    cards = {"prompt": "Farm", "shots": [{"prompt": "a cow grazes"}, {"prompt": "a dog runs"}]}
    as_json = client.post(
        "/v1/videos", headers=account.headers, json={"storyboard": cards, "seconds": 6}
    )
    as_form = client.post(
        "/v1/videos",
        headers=account.headers,
        files=form(storyboard=json.dumps(cards), seconds="6", seed="3"),
    )
    for response in (as_json, as_form):
        assert response.status_code == 200, response.text
        body = response.json()
        first, second = body["storyboard"]["shots"]  # one shot per card, in order
        assert "cow" in first["prompt"]
        assert "dog" in second["prompt"]
        assert body["seconds"] == "6"
    assert as_form.json()["seed"] == 3


def test_a_prompt_and_a_storyboard_together_are_refused_not_dropped(client, account, services):
    """The storyboard would win and the prompt be lost unseen: refused, as by the command line,
    naming prompt, with nothing queued or charged."""
    cards = {"shots": [{"prompt": "a cow grazes", "duration": 4}]}
    as_json = client.post(
        "/v1/videos", headers=account.headers, json={"prompt": CAR, "storyboard": cards}
    )
    as_form = client.post(
        "/v1/videos", headers=account.headers, files=form(prompt=CAR, storyboard=json.dumps(cards))
    )
    for response in (as_json, as_form):
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["param"]) == ("invalid_request", "prompt")
        assert "either a prompt or a storyboard, not both" in error["message"]
    with services.db.read() as db:
        assert db.query(Video).count() == 0


@pytest.mark.parametrize("path", ["/v1/videos", "/v1/videos/estimate"])
@pytest.mark.parametrize("prompt", ["", " "])
def test_an_empty_or_blank_prompt_beside_a_storyboard_counts_as_none(client, account, path, prompt):
    """The openai clients require a prompt, and the server's hint sends storyboards with
    extra_body: an empty prompt is taken as a blank one is."""
    cards = {"prompt": "Farm", "shots": [{"prompt": "a cow grazes", "duration": 4}]}
    as_json = client.post(
        path, headers=account.headers, json={"prompt": prompt, "storyboard": cards}
    )
    as_form = client.post(
        path, headers=account.headers, files=form(prompt=prompt, storyboard=json.dumps(cards))
    )
    for response in (as_json, as_form):
        assert response.status_code == 200, response.text
        assert response.json()["seconds"] in ("4", 4.0)


@pytest.mark.parametrize("path", ["/v1/videos", "/v1/videos/estimate"])
@pytest.mark.parametrize("prompt", ["", " "])
def test_an_empty_or_blank_prompt_alone_says_to_describe_the_video(
    client, account, services, path, prompt
):
    as_json = client.post(path, headers=account.headers, json={"prompt": prompt})
    as_form = client.post(path, headers=account.headers, files=form(prompt=prompt, seconds="4"))
    for response in (as_json, as_form):
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["param"]) == ("invalid_prompt", "prompt")
        assert error["message"] == "the prompt is empty; describe the video you want"
    with services.db.read() as db:
        assert db.query(Video).count() == 0


def test_prompts_keep_the_format_characters_real_text_needs(client, account):
    """Joiners (emoji sequences, Persian and Indic scripts) and the tags of a subdivision flag
    are text; other format characters are refused (see the refusals above)."""
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # ZWNJ inside a word
    prompt = f'a red car {family} under the flag {england} says "{persian}"'
    response = client.post("/v1/videos", headers=account.headers, json={"prompt": prompt})
    assert response.status_code == 200, response.text
    assert response.json()["prompt"] == prompt


def test_model_aliases_and_backend_names_pick_the_backend(client, account):
    for model in ("sora-2-pro", "preview"):
        response = client.post(
            "/v1/videos", headers=account.headers, json={"prompt": CAR, "model": model}
        )
        assert response.status_code == 200
        assert (response.json()["model"], response.json()["backend"]) == (model, "preview")


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"prompt": CAR, "model": "dall-e"}, "invalid_model", "model"),
        ({"prompt": CAR, "backend": "nope"}, "unknown_backend", "backend"),
        ({"prompt": CAR, "seconds": "eight"}, "invalid_seconds", "seconds"),
        ({"prompt": CAR, "seconds": "1_2"}, "invalid_seconds", "seconds"),  # not 12
        ({"prompt": CAR, "seconds": "\uff18"}, "invalid_seconds", "seconds"),  # fullwidth 8
        ({"prompt": CAR, "seconds": "1e1"}, "invalid_seconds", "seconds"),
        ({"prompt": CAR, "seconds": 99}, "invalid_seconds", "seconds"),
        ({"prompt": CAR, "seconds": True}, "invalid_seconds", "seconds"),
        ({"prompt": CAR, "seconds": 10**400}, "invalid_seconds", "seconds"),  # past any float
        ({"prompt": CAR, "seconds": "9" * 100_000}, "invalid_seconds", "seconds"),
        ({"prompt": CAR, "seconds": -(10**400)}, "invalid_seconds", "seconds"),
        ({"prompt": CAR, "size": "1x1"}, "invalid_size", "size"),
        ({"prompt": CAR, "size": "big"}, "invalid_size", "size"),
        ({"prompt": ""}, "invalid_prompt", "prompt"),
        ({}, "invalid_prompt", "prompt"),
        ({"prompt": 5}, "invalid_prompt", "prompt"),
        ({"prompt": "x" * 2001}, "invalid_prompt", "prompt"),
        ({"prompt": "a\x00b"}, "invalid_request", "prompt"),
        ({"prompt": CAR, "seed": -1}, "invalid_seed", "seed"),
        ({"prompt": CAR, "seed": "3"}, "invalid_seed", "seed"),
        ({"storyboard": {"shots": []}}, "invalid_storyboard", "storyboard"),
        ({"prompt": CAR, "seconds": "4.01"}, "invalid_seconds", "seconds"),  # not whole frames
        ({"prompt": "a car \u202edrives"}, "invalid_prompt", "prompt"),  # right-to-left override
        ({"prompt": "a car\u200bdrives"}, "invalid_prompt", "prompt"),  # zero-width space
        (
            {"storyboard": {"shots": [{"prompt": "a cat \u2066sleeps"}]}},
            "invalid_storyboard",
            "storyboard",
        ),
        ({"prompt": CAR, "characters": ["mickey"]}, "unknown_character", "characters"),
        ({"prompt": CAR, "characters": [{"id": "chr_x"}]}, "unknown_character", "characters"),
        ({"prompt": CAR, "characters": [{"id": 5}]}, "invalid_characters", "characters"),
        ({"prompt": CAR, "characters": ["a b"]}, "invalid_characters", "characters"),
        ({"prompt": CAR, "characters": ["@x"] * 5}, "invalid_characters", "characters"),
        ({"prompt": CAR, "colour": "red"}, "unknown_parameter", "colour"),
        ({"prompt": CAR, "model": "m" * 65}, "invalid_model", "model"),
        (
            {"prompt": CAR, "input_reference": "data:image/png;base64,AA=="},
            "invalid_request",
            "input_reference",
        ),
    ],
)
def test_a_bad_json_request_is_refused_naming_the_field(
    client, account, services, body, code, param
):
    response = client.post("/v1/videos", headers=account.headers, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == (code, param)
    assert error["type"] == "invalid_request_error"
    assert 10 < len(error["message"]) < 300  # what was sent is quoted, cut short
    with services.db.read() as db:
        assert db.query(Video).count() == 0  # a refused request changes nothing


def test_a_bare_string_reference_is_told_the_shape_to_send(client, account):
    body = {"prompt": CAR, "input_reference": "data:image/png;base64,AA=="}
    response = client.post("/v1/videos", headers=account.headers, json=body)
    assert response.status_code == 400
    assert '{"image_url": "data:image/png;base64,..."}' in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("fields", "code", "param"),
    [
        ({"prompt": CAR, "seed": "three"}, "invalid_seed", "seed"),
        ({"prompt": CAR, "seed": "1.5"}, "invalid_seed", "seed"),
        ({"storyboard": "{not json"}, "invalid_storyboard", "storyboard"),
        ({"prompt": CAR, "characters": "mickey"}, "unknown_character", "characters"),
        ({"prompt": CAR, "characters[]": "mickey"}, "unknown_character", "characters"),
        ({"prompt": CAR, "storyboard[shots]": "x"}, "invalid_storyboard", "storyboard"),
        ({"prompt": CAR, "input_reference": "cat.png"}, "invalid_reference_image", None),
        ({"prompt": CAR, "colour": "red"}, "unknown_parameter", "colour"),
    ],
)
def test_a_bad_form_is_refused_naming_the_field(client, account, fields, code, param):
    response = client.post("/v1/videos", headers=account.headers, files=form(**fields))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["param"] == (param or "input_reference")


def test_empty_characters_are_fine(client, account):
    as_json = client.post(
        "/v1/videos", headers=account.headers, json={"prompt": CAR, "characters": []}
    )
    as_form = client.post(
        "/v1/videos", headers=account.headers, files=form(prompt=CAR, characters="[]")
    )
    assert (as_json.status_code, as_form.status_code) == (200, 200)


def test_a_field_given_twice_is_refused(client, account):
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files=[("prompt", (None, "a cat")), ("prompt", (None, "a dog"))],
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "duplicate_parameter"


def test_bodies_that_are_not_json_or_forms_are_refused(client, account):
    cases = [
        (
            {"content": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            {"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            {
                "content": b'{"prompt": "a", "prompt": "b"}',
                "headers": {"Content-Type": "application/json"},
            },
            400,
            "invalid_json",
        ),
        (
            {"content": b"prompt=x", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported_media_type",
        ),
        (
            {"content": b"--x\r\nbroken", "headers": {"Content-Type": "multipart/form-data"}},
            400,
            "invalid_multipart",
        ),
    ]
    for kwargs, status, code in cases:
        headers = {**account.headers, **kwargs.pop("headers")}
        response = client.post("/v1/videos", headers=headers, **kwargs)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)


CUT_OFF = (
    b'--zzz\r\nContent-Disposition: form-data; name="prompt"\r\n\r\na cat\r\n'
    b'--zzz\r\nContent-Disposition: form-data; name="seconds"\r\n\r\n4'
)


@pytest.mark.parametrize("path", ["/v1/videos", "/v1/videos/estimate"])
def test_a_form_cut_off_before_its_closing_boundary_is_refused(client, account, services, path):
    """Not taken without its unfinished last field (seconds: the default 8 s, charged)."""
    headers = {**account.headers, "Content-Type": "multipart/form-data; boundary=zzz"}
    response = client.post(path, headers=headers, content=CUT_OFF)
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_multipart")
    assert "ended before its closing boundary (--zzz--)" in response.json()["error"]["message"]
    with services.db.read() as db:
        assert db.query(Video).count() == 0
    whole = client.post(path, headers=headers, content=CUT_OFF + b"\r\n--zzz--\r\n")
    assert whole.status_code == 200, whole.text
    assert whole.json()["seconds"] in ("4", 4.0)


def test_creating_needs_credentials(client):
    response = client.post("/v1/videos", json={"prompt": CAR})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


# --- retrieve, list ---------------------------------------------------------------------------


def test_retrieve_shows_progress_and_finished_states(client, account, services):
    video = queue_video(services, account.user)
    set_state(services, video.id, status="in_progress", progress=40)
    running = client.get(f"/v1/videos/{video.id}", headers=account.headers)
    assert (running.json()["status"], running.json()["progress"]) == ("in_progress", 40)
    assert running.json()["queue_position"] is None
    assert "openai-poll-after-ms" in running.headers
    set_state(services, video.id, status="failed", error_code="render_failed", error_message="boom")
    failed = client.get(f"/v1/videos/{video.id}", headers=account.headers)
    assert failed.json()["error"] == {"code": "render_failed", "message": "boom"}
    assert "openai-poll-after-ms" not in failed.headers


def test_anyone_retrieves_a_published_video_but_nobody_elses_draft(client, account, services):
    other = make_account(services, "bob@example.com")
    shared = completed_video(services, other.user)
    draft = completed_video(services, other.user)
    with services.db.write() as db:
        publish_video(db=db, actor=other.user, video_id=shared.id)
    seen = client.get(f"/v1/videos/{shared.id}", headers=account.headers)
    assert (seen.status_code, seen.json()["id"], seen.json()["status"]) == (
        200,
        shared.id,
        "completed",
    )
    hidden = client.get(f"/v1/videos/{draft.id}", headers=account.headers)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "video_not_found")
    visitor = client.get(f"/v1/videos/{shared.id}")  # no credentials: as its content and page
    assert (visitor.status_code, visitor.json()) == (200, seen.json())
    unseen = client.get(f"/v1/videos/{draft.id}")
    assert (unseen.status_code, unseen.json()["error"]["code"]) == (404, "video_not_found")


def test_queue_position_counts_the_jobs_ahead(client, account, services):
    first, second = queue_video(services, account.user), queue_video(services, account.user)
    positions = [
        client.get(f"/v1/videos/{v.id}", headers=account.headers).json()["queue_position"]
        for v in (first, second)
    ]
    assert positions == [1, 2]


def test_list_pages_with_cursors_in_both_orders(client, account, services):
    ids = [queue_video(services, account.user, f"a cat number {i}").id for i in range(5)]
    seen, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = client.get("/v1/videos", headers=account.headers, params=params).json()
        assert page["object"] == "list"
        seen += [video["id"] for video in page["data"]]
        assert page["first_id"] == page["data"][0]["id"]
        after = page["last_id"]
        if not page["has_more"]:
            break
    assert seen == ids[::-1]
    ascending = client.get("/v1/videos", headers=account.headers, params={"order": "asc"}).json()
    assert [video["id"] for video in ascending["data"]] == ids


def test_a_page_goes_on_after_its_last_video_is_deleted_but_not_after_anothers(
    client, account, services
):
    ids = [queue_video(services, account.user, f"a cat number {i}").id for i in range(3)]
    first = client.get("/v1/videos", headers=account.headers, params={"limit": 1}).json()
    with services.db.write() as db:  # deleted in another tab before "next page"
        db.get(Video, first["last_id"]).deleted_at = utcnow()
    params = {"limit": 5, "after": first["last_id"]}
    rest = client.get("/v1/videos", headers=account.headers, params=params).json()
    assert [video["id"] for video in rest["data"]] == ids[1::-1]
    theirs = queue_video(services, make_account(services, "other@example.com").user)
    params = {"after": theirs.id}
    refused = client.get("/v1/videos", headers=account.headers, params=params)
    assert (refused.status_code, refused.json()["error"]["code"]) == (404, "video_not_found")


def test_list_refuses_bad_parameters(client, account):
    for params, param in (
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"order": "up"}, "order"),
    ):
        response = client.get("/v1/videos", headers=account.headers, params=params)
        assert response.status_code == 400
        assert response.json()["error"]["param"] == param
    unknown = client.get("/v1/videos", headers=account.headers, params={"after": "video_nope"})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["param"] == "after"


def test_an_empty_list(client, account):
    page = client.get("/v1/videos", headers=account.headers).json()
    assert page == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


# --- cancel, delete ---------------------------------------------------------------------------


def test_cancel_a_queued_video_and_not_twice(client, account, services):
    video = queue_video(services, account.user)
    response = client.post(f"/v1/videos/{video.id}/cancel", headers=account.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["error"]["code"] == "cancelled"
    again = client.post(f"/v1/videos/{video.id}/cancel", headers=account.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "video_finished"


def test_cancel_a_running_video_asks_its_worker(client, account, services):
    video = queue_video(services, account.user)
    set_state(services, video.id, status="in_progress", progress=10)
    response = client.post(f"/v1/videos/{video.id}/cancel", headers=account.headers)
    assert response.json()["status"] == "in_progress"  # the worker stops it at its next tick
    with services.db.read() as db:
        assert db.get(Video, video.id).cancel_requested is True


def test_delete_removes_the_video_and_its_files(client, account, services):
    video = completed_video(services, account.user)
    assert services.storage.exists(f"videos/{video.id}/video.mp4")
    response = client.delete(f"/v1/videos/{video.id}", headers=account.headers)
    assert response.json() == {"id": video.id, "object": "video.deleted", "deleted": True}
    assert not services.storage.exists(f"videos/{video.id}/video.mp4")
    assert not services.storage.exists(f"videos/{video.id}/poster.jpg")
    assert client.get(f"/v1/videos/{video.id}", headers=account.headers).status_code == 404
    assert client.delete(f"/v1/videos/{video.id}", headers=account.headers).status_code == 404


# --- remix ------------------------------------------------------------------------------------


def test_remix_makes_a_new_video_from_a_completed_one(client, account, services):
    source = completed_video(services, account.user)
    response = client.post(
        f"/v1/videos/{source.id}/remix", headers=account.headers, json={"prompt": "a dog sleeps"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["remixed_from_video_id"] == source.id
    assert (body["prompt"], body["status"], body["seed"]) == ("a dog sleeps", "queued", source.seed)
    as_form = client.post(
        f"/v1/videos/{source.id}/remix", headers=account.headers, files=form(prompt="a bird")
    )
    assert as_form.json()["remixed_from_video_id"] == source.id


def test_a_video_made_before_lengths_were_whole_frames_remixes_at_its_delivered_length(
    client, account, services
):
    """4.01 s was taken once, and delivered as 96 frames at 24 fps: its remix lasts those 4 s
    (the remix has no length of its own to fix)."""
    source = completed_video(services, account.user)
    with services.db.write() as db:
        db.get_one(Video, source.id).seconds = 4.01
    remix = client.post(
        f"/v1/videos/{source.id}/remix", headers=account.headers, json={"prompt": "a dog sleeps"}
    )
    assert remix.status_code == 200, remix.text
    assert remix.json()["seconds"] == "4"


def test_remix_refusals(client, account, services):
    queued = queue_video(services, account.user)
    not_done = client.post(
        f"/v1/videos/{queued.id}/remix", headers=account.headers, json={"prompt": "x"}
    )
    assert (not_done.status_code, not_done.json()["error"]["code"]) == (409, "video_not_completed")
    done = completed_video(services, account.user)
    for body, param in (
        ({}, "prompt"),
        ({"prompt": "x", "seed": 1}, "seed"),
        ({"prompt": ""}, "prompt"),
    ):
        response = client.post(f"/v1/videos/{done.id}/remix", headers=account.headers, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["param"] == param


def test_a_published_video_of_someone_else_can_be_remixed(client, account, services):
    other = make_account(services, "bob@example.com")
    theirs = completed_video(services, other.user)
    path = f"/v1/videos/{theirs.id}/remix"
    assert client.post(path, headers=account.headers, json={"prompt": "x y"}).status_code == 404
    client.post(f"/v1/videos/{theirs.id}/publish", headers=other.headers)
    response = client.post(path, headers=account.headers, json={"prompt": "a dog sleeps"})
    assert response.status_code == 200
    assert response.json()["remixed_from_video_id"] == theirs.id
    mine = client.get(f"/v1/videos/{response.json()['id']}", headers=account.headers)
    assert mine.status_code == 200


def test_an_admin_watches_any_video_but_remixes_and_likes_only_what_everyone_may(
    client, account, services
):
    """An administrator may see a draft (to moderate it), but may not make it part of a video
    of their own, which they could then publish, nor tell its maker "someone liked it"."""
    admin = make_account(services, "admin@example.com", role="admin")
    draft = completed_video(services, account.user)
    assert client.get(f"/v1/videos/{draft.id}", headers=admin.headers).status_code == 200
    for path, body in (
        (f"/v1/videos/{draft.id}/remix", {"prompt": "a dog sleeps"}),
        ("/v1/videos/extensions", {"prompt": "a dog", "seconds": 4, "video": {"id": draft.id}}),
        (f"/v1/videos/{draft.id}/like", None),
    ):
        response = client.post(path, headers=admin.headers, json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (
            404,
            "video_not_found",
        ), path
    client.post(f"/v1/videos/{draft.id}/publish", headers=account.headers)
    response = client.post(f"/v1/videos/{draft.id}/like", headers=admin.headers)
    assert (response.status_code, response.json()["likes"]) == (200, 1)


# --- publish ----------------------------------------------------------------------------------


def test_publish_and_unpublish(client, account, services):
    video = completed_video(services, account.user)
    published = client.post(f"/v1/videos/{video.id}/publish", headers=account.headers).json()
    assert isinstance(published["published_at"], int)
    again = client.post(f"/v1/videos/{video.id}/publish", headers=account.headers).json()
    assert again["published_at"] == published["published_at"]
    unpublished = client.post(f"/v1/videos/{video.id}/unpublish", headers=account.headers)
    assert unpublished.json()["published_at"] is None


def test_only_completed_videos_are_published(client, account, services):
    video = queue_video(services, account.user)
    for action in ("publish", "unpublish"):
        response = client.post(f"/v1/videos/{video.id}/{action}", headers=account.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (
            409,
            "video_not_completed",
        )


def test_an_admin_cannot_publish_for_the_owner(client, account, services):
    admin = make_account(services, "root@example.com", role="admin")
    video = completed_video(services, account.user)
    response = client.post(f"/v1/videos/{video.id}/publish", headers=admin.headers)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "not_video_owner")


# --- who sees what ----------------------------------------------------------------------------


def test_another_users_video_is_not_found_everywhere(client, account, services):
    other = make_account(services, "bob@example.com")
    video = completed_video(services, other.user)
    queued = queue_video(services, other.user)
    requests = [
        ("GET", f"/v1/videos/{video.id}", {}),
        ("DELETE", f"/v1/videos/{video.id}", {}),
        ("POST", f"/v1/videos/{queued.id}/cancel", {}),
        ("POST", f"/v1/videos/{video.id}/remix", {"json": {"prompt": "x y"}}),
        ("POST", f"/v1/videos/{video.id}/publish", {}),
        ("POST", f"/v1/videos/{video.id}/unpublish", {}),
        ("GET", f"/v1/videos/{video.id}/content", {}),
        ("GET", f"/v1/videos/{video.id}/events", {}),
    ]
    for method, path, kwargs in requests:
        response = client.request(method, path, headers=account.headers, **kwargs)
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "video_not_found"
    listed = client.get("/v1/videos", headers=account.headers).json()["data"]
    assert listed == []
    with services.db.read() as db:  # and nothing changed
        assert db.get(Video, video.id).deleted_at is None
        assert db.get(Video, queued.id).status == "queued"


def test_an_admin_sees_any_video_but_cancels_none_of_others(client, account, services):
    admin = make_account(services, "root@example.com", role="admin")
    video = queue_video(services, account.user)
    assert client.get(f"/v1/videos/{video.id}", headers=admin.headers).status_code == 200
    refused = client.post(f"/v1/videos/{video.id}/cancel", headers=admin.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_video_owner")
    assert client.get(f"/v1/videos/{video.id}", headers=admin.headers).json()["status"] == "queued"


def test_ids_that_cannot_exist_are_not_found(client, account):
    for video_id in ("video_%00", "x" * 65, "video_ü", "a b"):
        response = client.get(f"/v1/videos/{video_id}", headers=account.headers)
        assert response.status_code in (404, 400), video_id
        assert response.json()["error"]["code"] in ("video_not_found", "invalid_request")


def test_completed_videos_report_when(client, account, services):
    video = queue_video(services, account.user)
    complete(services, video.id)
    body = client.get(f"/v1/videos/{video.id}", headers=account.headers).json()
    assert (body["status"], body["progress"]) == ("completed", 100)
    assert body["completed_at"] >= body["created_at"]


# --- content: how long a file may be kept, and ranges it cannot read ------------------------

NO_STORE = "private, no-store"
KEPT = "private, max-age=300"


def cache_control(client, video_id: str, headers: dict[str, str] | None = None) -> list[str]:
    """The Cache-Control of each variant a stored video has (the spritesheet is made from a
    real MP4 by the same route)."""
    answers = []
    for variant in ("video", "thumbnail"):
        response = client.get(
            f"/v1/videos/{video_id}/content", params={"variant": variant}, headers=headers
        )
        assert response.status_code == 200, (variant, response.text)
        answers.append(response.headers["cache-control"])
    return answers


def test_content_is_kept_in_caches_only_while_anyone_may_watch_it(client, account, services):
    video = completed_video(services, account.user)
    assert cache_control(client, video.id, account.headers) == [NO_STORE, NO_STORE]  # a draft
    client.post(f"/v1/videos/{video.id}/publish", headers=account.headers)
    assert cache_control(client, video.id) == [KEPT, KEPT]
    assert cache_control(client, video.id, account.headers) == [KEPT, KEPT]
    client.post(f"/v1/videos/{video.id}/unpublish", headers=account.headers)
    assert cache_control(client, video.id, account.headers) == [NO_STORE, NO_STORE]


def test_a_blocked_videos_content_is_not_kept_for_its_owner(client, account, services):
    holder = make_holder(services)
    video = completed_video(services, account.user, prompt=SURFER)
    client.post(f"/v1/videos/{video.id}/publish", headers=account.headers)
    assert cache_control(client, video.id) == [KEPT, KEPT]
    claim(services, holder, video, "block")
    assert client.get(f"/v1/videos/{video.id}/content").status_code == 404  # hidden
    assert cache_control(client, video.id, account.headers) == [NO_STORE, NO_STORE]


@pytest.mark.parametrize(
    "header", ["bytes=" + "9" * 5000 + "-", "bytes=0-" + "9" * 5000, "bytes=-" + "1" * 5000]
)
def test_a_range_with_a_number_too_long_to_read_gets_the_whole_file(
    client, account, services, header
):
    video = completed_video(services, account.user)
    client.post(f"/v1/videos/{video.id}/publish", headers=account.headers)
    response = client.get(f"/v1/videos/{video.id}/content", headers={"Range": header})
    assert (response.status_code, response.content) == (200, FAKE_MP4)
    assert "content-range" not in response.headers
