"""Reference images: uploaded (multipart) or as a data: URL, capped, vetted, stored with the job."""

from __future__ import annotations

import base64
import tempfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from video_helpers import noisy_png, png_file

from reelmint.api.app import create_app
from reelmint.domains.videos.models import Video
from support import make_account, make_services, unreachable_s3

PROMPT = "a red car drives through a city"


def wan_form(**extra):
    """A request on the wan backend, which takes reference images (admission needs no model)."""
    return {"prompt": (None, PROMPT), "model": (None, "wan"), "seconds": (None, "4"), **extra}


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """Temporary files of requests go here, so a test can see that none are left behind."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def stored_inputs(services) -> list[str]:
    root = services.settings.storage_dir / "inputs"
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def test_an_uploaded_image_is_stored_with_the_job(client, account, services, tmp_path, scratch):
    image = png_file(tmp_path / "cat.png")
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files=wan_form(input_reference=("cat.png", image.read_bytes(), "image/png")),
    )
    assert response.status_code == 200, response.text
    video_id = response.json()["id"]
    with services.db.read() as db:
        key = db.get(Video, video_id).input_reference_key
    assert key == f"inputs/{video_id}/reference.png"
    assert b"".join(services.storage.iter_bytes(key)) == image.read_bytes()
    assert list(scratch.iterdir()) == []


def test_storage_that_cannot_be_reached_refuses_the_upload_and_charges_nothing(
    client, account, services, tmp_path, monkeypatch
):
    image = png_file(tmp_path / "cat.png")
    monkeypatch.setattr(services, "storage", unreachable_s3(tmp_path, monkeypatch))
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files=wan_form(input_reference=("cat.png", image.read_bytes(), "image/png")),
    )
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "the video cannot be created now" in error["message"]
    with services.db.read() as db:
        assert db.scalars(select(Video)).all() == []
    assert client.get("/v1/wallet", headers=account.headers).json()["quota"]["reserved"] == 0


def test_an_image_as_a_data_url_in_json(client, account, services, tmp_path):
    image = png_file(tmp_path / "cat.png")
    url = "data:image/png;base64," + base64.b64encode(image.read_bytes()).decode()
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        json={"prompt": PROMPT, "model": "wan", "input_reference": {"image_url": url}},
    )
    assert response.status_code == 200, response.text
    assert stored_inputs(services) == [f"{response.json()['id']}/reference.png"]


def test_a_file_that_is_not_an_image_is_refused_by_its_name(client, account, services, scratch):
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files=wan_form(input_reference=("notes.png", b"just some text", "image/png")),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_reference_image", "input_reference")
    assert "notes.png" in error["message"]
    assert str(scratch) not in error["message"]  # no server paths in messages
    assert stored_inputs(services) == []
    assert list(scratch.iterdir()) == []


def test_the_preview_backend_does_not_take_images(client, account, tmp_path):
    image = png_file(tmp_path / "cat.png")
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        files={"prompt": (None, PROMPT), "input_reference": ("cat.png", image.read_bytes())},
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("reference_image_unsupported", "input_reference")


def test_uploads_over_the_limit_are_refused_with_413(tmp_path, keys_dir, scratch):
    services = make_services(tmp_path, f"sqlite:///{tmp_path / 'small.db'}", max_upload_bytes=2000)
    account = make_account(services)
    big = noisy_png(tmp_path / "big.png")
    assert big.stat().st_size > 2000
    with TestClient(create_app(services)) as client:
        declared = client.post(
            "/v1/videos",
            headers=account.headers,
            files=wan_form(input_reference=("big.png", big.read_bytes(), "image/png")),
        )
        url = "data:image/png;base64," + base64.b64encode(big.read_bytes()).decode()
        as_url = client.post(
            "/v1/videos",
            headers=account.headers,
            json={"prompt": PROMPT, "model": "wan", "input_reference": {"image_url": url}},
        )

        def chunks():  # no Content-Length: the cap must hold while streaming
            yield b'{"prompt": "' + b"a" * 4000
            yield b"a" * 2_000_000 + b'"}'

        streamed = client.post(
            "/v1/videos",
            headers={**account.headers, "Content-Type": "application/json"},
            content=chunks(),
        )
    for response in (declared, as_url, streamed):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"
    # A JSON body without an image is too large for its text: the message says what a JSON
    # body may hold, and names no image field (which field it was cannot be known unread).
    error = streamed.json()["error"]
    assert error["param"] is None
    assert (
        "a JSON body here holds at most 1048576 bytes of fields and input_reference"
        in (error["message"])
    )
    assert declared.json()["error"]["param"] == "input_reference"  # a form's file: the image
    with services.db.read() as db:
        assert db.query(Video).count() == 0
    assert stored_inputs(services) == []
    assert list(scratch.iterdir()) == []
    services.close()


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ({"image_url": "https://example.com/cat.png"}, "input_reference_unsupported"),
        ({"file_id": "file_123"}, "input_reference_unsupported"),
        ({"image_url": "data:image/png;base64,***"}, "invalid_reference_image"),
        ({"image_url": "data:text/plain;base64,aGk="}, "input_reference_unsupported"),
    ],
)
def test_reference_urls_we_do_not_fetch_are_refused(client, account, reference, code):
    response = client.post(
        "/v1/videos",
        headers=account.headers,
        json={"prompt": PROMPT, "model": "wan", "input_reference": reference},
    )
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["param"]) == (
        code,
        "input_reference",
    )


def test_only_one_file_in_the_input_reference_field(client, account, tmp_path):
    image = png_file(tmp_path / "cat.png").read_bytes()
    wrong_field = client.post(
        "/v1/videos", headers=account.headers, files=wan_form(picture=("cat.png", image))
    )
    assert (wrong_field.status_code, wrong_field.json()["error"]["code"]) == (
        400,
        "unknown_parameter",
    )
    two = client.post(
        "/v1/videos",
        headers=account.headers,
        files=[
            ("prompt", (None, PROMPT)),
            ("input_reference", ("a.png", image)),
            ("input_reference", ("b.png", image)),
        ],
    )
    assert (two.status_code, two.json()["error"]["code"]) == (400, "invalid_multipart")
