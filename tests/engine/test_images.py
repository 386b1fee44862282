"""User-supplied images are vetted from their header before a pixel is decoded."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelmint.engine import images
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.images import check_image_file, load_image


def _save(tmp_path: Path, name: str, size=(64, 48), fmt="PNG") -> Path:
    path = tmp_path / name
    Image.new("RGB", size, (200, 30, 30)).save(path, format=fmt)
    return path


def _bomb_png(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header claims width x height (the IDAT holds almost nothing)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_good_image_is_read(tmp_path, fmt):
    path = _save(tmp_path, f"ok.{fmt.lower()}", fmt=fmt)
    info = check_image_file(path)
    assert (info.format, info.width, info.height) == (fmt, 64, 48)
    image = load_image(path)
    assert (image.mode, image.size) == ("RGB", (64, 48))


def test_the_format_is_read_from_the_content_not_the_name(tmp_path):
    path = _save(tmp_path, "looks.png", fmt="GIF")
    with pytest.raises(InvalidRequest, match="is GIF; use JPEG, PNG or WebP"):
        check_image_file(path)


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p / "missing.png", "does not exist"),
        (lambda p: p, "is not a file"),
        (lambda p: (p / "text.png").write_text("hello") and p / "text.png", "not a JPEG, PNG"),
        (lambda p: _save(p, "tiny.png", size=(8, 8)), "at least 16 pixels"),
        (lambda p: _bomb_png(p / "bomb.png", 30_000, 30_000), "more than 40 megapixels"),
        (lambda p: _bomb_png(p / "long.png", 9000, 100), "the limit is 8192 pixels a side"),
        (lambda p: _bomb_png(p / "wide.png", 8000, 8000), "and 40 megapixels"),
    ],
)
def test_bad_images_are_refused_with_a_reason(tmp_path, make, needle):
    with pytest.raises(InvalidRequest, match=needle) as caught:
        load_image(make(tmp_path))
    assert caught.value.code == "invalid_reference_image"


def test_an_oversized_file_is_refused_before_it_is_opened(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 100)
    path = _save(tmp_path, "big.png", size=(200, 200))
    with pytest.raises(InvalidRequest, match="the limit is 0 MiB"):
        check_image_file(path)


def test_a_truncated_image_is_refused_when_decoded(tmp_path):
    path = tmp_path / "cut.jpg"
    noise = np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path, format="JPEG")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert check_image_file(path).width == 400  # the header alone looks fine
    with pytest.raises(InvalidRequest, match="damaged"):
        load_image(path)


def test_a_photo_stored_sideways_is_turned_upright_by_its_exif_orientation(tmp_path):
    path = tmp_path / "phone.jpg"
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :20] = (255, 0, 0)  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(pixels).save(path, "JPEG", exif=exif.tobytes(), quality=95)

    image = load_image(path)

    assert image.size == (20, 40)
    top, bottom = np.asarray(image)[5, 10], np.asarray(image)[35, 10]
    assert top[0] > 200, "the stored left half is on top once upright"
    assert top[1] < 60
    assert bottom[0] < 60


def _mpo(path: Path, first=(64, 48), second=(32, 32)) -> Path:
    """A phone-style JPEG with the multi-picture extension: a red first frame, a blue second."""
    red, blue = Image.new("RGB", first, (220, 20, 20)), Image.new("RGB", second, (20, 20, 220))
    red.save(path, "MPO", save_all=True, append_images=[blue])
    return path


def _claim_first_frame_size(path: Path, width: int, height: int) -> Path:
    """Rewrite the first frame's SOF header to declare width x height (the data stays small)."""
    data = bytearray(path.read_bytes())
    at = 2  # after SOI: walk the marker segments to the first frame's SOF0
    while data[at + 1] != 0xC0:
        at += 2 + struct.unpack(">H", data[at + 2 : at + 4])[0]
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def test_a_multi_picture_jpeg_from_a_phone_is_read_as_a_jpeg_at_its_first_frame(tmp_path):
    path = _mpo(tmp_path / "phone.jpg")
    with Image.open(path) as opened:
        assert (opened.format, getattr(opened, "n_frames", 1)) == ("MPO", 2)

    info = check_image_file(path)
    image = load_image(path)

    assert (info.format, info.width, info.height) == ("JPEG", 64, 48)
    assert (image.mode, image.size) == ("RGB", (64, 48))
    red, _, blue = np.asarray(image)[24, 32]
    assert red > 200, "the first frame (red), not the second (blue)"
    assert blue < 60


@pytest.mark.parametrize(
    ("size", "needle"),
    [
        ((30_000, 30_000), "more than 40 megapixels"),
        ((9000, 100), "the limit is 8192 pixels a side"),
        ((8000, 8000), "and 40 megapixels"),
        ((8, 8), "at least 16 pixels"),
    ],
)
def test_a_multi_picture_jpeg_is_checked_from_its_header_like_any_jpeg(
    tmp_path, monkeypatch, size, needle
):
    path = _claim_first_frame_size(_mpo(tmp_path / "phone.jpg"), *size)
    with monkeypatch.context() as patched:  # let Pillow open the bomb, to show what it is
        patched.setattr(Image, "MAX_IMAGE_PIXELS", None)
        with Image.open(path) as opened:
            assert (opened.format, opened.size) == ("MPO", size)
    with pytest.raises(InvalidRequest, match=needle):
        check_image_file(path)
    with pytest.raises(InvalidRequest, match=needle):
        load_image(path)
