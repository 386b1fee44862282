"""The real `openai` package against a real server and worker: create, poll, download, remix.

This is the compatibility promise: code written for OpenAI's Videos API works unchanged when
pointed at reelmint's base URL.
"""

from __future__ import annotations

import io
import json
import warnings

import openai
import pytest
from openai import OpenAI
from PIL import Image

from reelmint.engine.postprocess.provenance import verify_file
from support import make_account

PROMPT = "a red car drives through a city at night"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def client(live_server):
    account = make_account(live_server.services)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield OpenAI(base_url=live_server.api_url, api_key=account.token, max_retries=0, timeout=60)


def test_create_poll_download_list_remix_delete(client, live_server, tmp_path, probe):
    # create (multipart, as the client always sends) and poll until done
    created = client.videos.create(model="sora-2", prompt=PROMPT, seconds="4", size="720x1280")
    assert (created.object, created.status, created.model) == ("video", "queued", "sora-2")
    video = client.videos.poll(created.id, poll_interval_ms=200)
    assert video.status == "completed", video.error
    assert (video.progress, video.seconds, video.size) == (100, "4", "720x1280")
    assert video.completed_at is not None

    # download: a playable MP4, signed by the platform
    out = tmp_path / "video.mp4"
    client.videos.download_content(video.id, variant="video").write_to_file(out)
    facts = probe(out)
    assert (facts.width, facts.height, facts.video_codec, facts.audio_codec) == (
        720,
        1280,
        "h264",
        "aac",
    )
    assert 3.9 <= facts.duration <= 4.2
    assert verify_file(out, keys_dir=live_server.services.settings.keys_dir).status == "valid"
    thumbnail = client.videos.download_content(video.id, variant="thumbnail").content
    assert thumbnail[:3] == b"\xff\xd8\xff"  # a JPEG
    sprites = client.videos.download_content(video.id, variant="spritesheet").content
    assert Image.open(io.BytesIO(sprites)).size == (4 * 192, 341)  # a tile for each second

    # remix, with create_and_poll's sibling: poll the new job
    remix = client.videos.remix(video.id, prompt="a blue bus drives through a city at night")
    assert remix.remixed_from_video_id == video.id
    remixed = client.videos.poll(remix.id, poll_interval_ms=200)
    assert remixed.status == "completed"

    # list pages through both, newest first
    listed = [v.id for v in client.videos.list(limit=1)]
    assert listed == [remix.id, video.id]

    # delete
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (video.id, True, "video.deleted")
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


def test_create_and_poll_in_one_call(client):
    video = client.videos.create_and_poll(
        model="sora-2",
        prompt="a cat sleeps on a sofa",
        seconds="4",
        size="720x1280",
        poll_interval_ms=200,
    )
    assert video.status == "completed"


def test_errors_reach_the_client_with_our_codes(client):
    with pytest.raises(openai.BadRequestError) as bad_size:
        client.videos.create(model="sora-2", prompt=PROMPT, seconds="4", size="1792x1024")
    assert bad_size.value.code == "invalid_size"
    assert bad_size.value.param == "size"
    with pytest.raises(openai.BadRequestError) as bad_model:
        client.videos.create(model="dall-e-3", prompt=PROMPT)
    assert bad_model.value.code == "invalid_model"
    assert bad_model.value.body["code"] == "invalid_model"


def test_extensions_travel_in_extra_body(client):
    video = client.videos.create(
        model="sora-2",
        prompt=PROMPT,
        seconds="4",
        size="480x480",
        extra_body={"seed": 7},
    )
    assert video.model_extra["seed"] == 7
    client.videos.delete(video.id)


def test_a_storyboard_travels_in_extra_body_beside_an_empty_prompt(client):
    """The client requires a prompt; a storyboard is sent as the server's hint says
    (extra_body, one JSON string in the form) with an empty one, which counts as none."""
    cards = {"prompt": "Farm", "shots": [{"prompt": "a cow grazes", "duration": 4}]}
    video = client.videos.create(
        model="sora-2", prompt="", size="480x480", extra_body={"storyboard": json.dumps(cards)}
    )
    assert (video.status, video.seconds, video.prompt) == ("queued", "4", "Farm")
    client.videos.delete(video.id)


def test_extend_and_edit_a_video_named_by_id(client, tmp_path, probe):
    """Extensions and edits of a video named by id. openai-python's `videos.extend` and
    `videos.edit` take only an uploaded file for `video` (a `{"id": ...}` raises in the
    client), so an id goes through the client's own `post`, as JSON. The extension plays the
    source again, frame for frame, and goes on for the seconds asked."""
    import numpy as np
    from openai.types import Video

    video = client.videos.create_and_poll(
        model="sora-2", prompt=PROMPT, seconds="4", size="480x480", poll_interval_ms=200
    )
    body = {
        "prompt": "the car stops and a dog jumps out",
        "seconds": "4",
        "video": {"id": video.id},
    }
    extension = client.post("/videos/extensions", body=body, cast_to=Video)
    assert (extension.remixed_from_video_id, extension.seconds) == (video.id, "8")
    extended = client.videos.poll(extension.id, poll_interval_ms=200)
    assert extended.status == "completed", extended.error
    paths = {}
    for name, source in (("source", video.id), ("extended", extended.id)):
        paths[name] = tmp_path / f"{name}.mp4"
        client.videos.download_content(source, variant="video").write_to_file(paths[name])
    source_facts = probe(paths["source"], keep_every=24)
    extended_facts = probe(paths["extended"], keep_every=24)
    assert 7.9 <= extended_facts.duration <= 8.2
    assert len(source_facts.decoded) == 4
    for before, after in zip(source_facts.decoded, extended_facts.decoded, strict=False):
        difference = np.abs(before.astype(np.int16) - after.astype(np.int16)).mean()
        assert difference < 4, difference  # the same pictures, up to the encoder's rounding

    body = {"prompt": "a blue bus drives through a city", "video": {"id": video.id}}
    edit = client.post("/videos/edits", body=body, cast_to=Video)
    assert (edit.remixed_from_video_id, edit.seconds, edit.prompt) == (
        video.id,
        "4",
        body["prompt"],
    )
    assert client.videos.poll(edit.id, poll_interval_ms=200).status == "completed"
    body = {"prompt": "more", "seconds": "20", "video": {"id": video.id}}
    with pytest.raises(openai.BadRequestError) as refused:
        client.post("/videos/extensions", body=body, cast_to=Video)
    assert refused.value.code == "invalid_seconds"
    with pytest.raises(openai.BadRequestError) as uploaded:  # what the client's extend sends
        client.videos.extend(prompt="more", seconds="4", video=paths["source"])
    assert uploaded.value.code == "video_upload_unsupported"
