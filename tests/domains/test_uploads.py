"""The shared upload path: each kind's rules shape its refusals, the re-encoded JPEG is what is
kept, and stored files are removed again when the transaction that records them fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PIL import Image

from reelmint.domains import uploads
from reelmint.errors import BadRequest, Unavailable
from reelmint.storage.base import StorageError
from reelmint.storage.local import LocalStorage

RULES = uploads.ImageRules(
    what="poster image",
    owner="a poster",
    code="invalid_poster_image",
    max_bytes=50_000,
    min_side=100,
    max_count=2,
    required_code="poster_images_required",
    required_message="add a poster",
    min_side_reason=", so it can be read",
    param="posters",
)


def png(path: Path, size: tuple[int, int] = (120, 160)) -> Path:
    Image.new("RGB", size, (10, 200, 90)).save(path, format="PNG")
    return path


def refusal(images: list[uploads.ImageUpload]) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        uploads.check_images(images, rules=RULES)
    return caught.value


def test_the_rules_name_the_kind_in_every_refusal(tmp_path):
    small = uploads.ImageUpload(png(tmp_path / "a", (120, 90)), "tiny.png")
    error = refusal([small])
    assert (error.code, error.param) == ("invalid_poster_image", "posters")
    assert error.message == (
        "poster image 'tiny.png' is 120x90; a poster image must be at least 100 pixels a side, "
        "so it can be read"
    )
    tinier = uploads.ImageUpload(png(tmp_path / "t", (10, 10)), "dot.png")  # under every least
    assert refusal([tinier]).message == (
        "poster image 'dot.png' is 10x10; a poster image must be at least 100 pixels a side, "
        "so it can be read"
    )
    text = uploads.ImageUpload(tmp_path / "b", "notes.txt")
    text.path.write_text("hello")
    assert refusal([text]).message == "poster image 'notes.txt' is not a JPEG, PNG or WebP image"
    big = uploads.ImageUpload(png(tmp_path / "c"), "big.png")
    with big.path.open("ab") as out:
        out.write(b"\0" * 60_000)
    assert refusal([big]).message.endswith("KiB; the limit is 49 KiB an image")
    three = [uploads.ImageUpload(png(tmp_path / f"d{n}"), f"{n}.png") for n in range(3)]
    too_many = refusal(three)
    assert (too_many.code, too_many.message) == (
        "too_many_images",
        "a poster has at most 2 reference images; you sent 3",
    )
    assert refusal([]).code == "poster_images_required"


def test_the_kept_image_is_the_re_encoded_jpeg(tmp_path):
    source = uploads.ImageUpload(png(tmp_path / "upload-0"), "p.png")
    [checked] = uploads.check_images([source], rules=RULES)
    assert checked.path == tmp_path / "checked-0.jpg"
    assert (checked.width, checked.height, checked.bytes) == (120, 160, checked.path.stat().st_size)
    with Image.open(checked.path) as image:
        assert image.format == "JPEG"


def test_a_multi_picture_jpeg_is_kept_as_its_first_frame_re_encoded(tmp_path):
    """Phone photos often carry the multi-picture extension (Pillow's "MPO")."""
    upload = tmp_path / "upload-0"
    first, second = Image.new("RGB", (120, 160), (220, 20, 20)), Image.new("RGB", (300, 300))
    first.save(upload, "MPO", save_all=True, append_images=[second])

    [checked] = uploads.check_images([uploads.ImageUpload(upload, "phone.jpg")], rules=RULES)

    assert (checked.width, checked.height) == (120, 160)
    with Image.open(checked.path) as image:
        assert (image.format, getattr(image, "n_frames", 1)) == ("JPEG", 1)
        red, green, blue = image.convert("RGB").getpixel((60, 80))
    assert red > 200
    assert max(green, blue) < 60
    assert checked.path.read_bytes() != upload.read_bytes()  # re-encoded, not copied


class FailingStorage(LocalStorage):
    """Local storage whose second upload fails."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.puts = 0

    def put_file(self, key: str, source: Path, *, content_type: str) -> int:
        self.puts += 1
        if self.puts == 2:
            raise StorageError("the disk is full")
        return super().put_file(key, source, content_type=content_type)


def checked_images(tmp_path: Path, count: int) -> list[uploads.CheckedImage]:
    files = [uploads.ImageUpload(png(tmp_path / f"upload-{n}"), f"{n}.png") for n in range(count)]
    return [
        uploads.check_image(f, tmp_path / f"checked-{n}.jpg", rules=RULES)
        for n, f in enumerate(files)
    ]


def test_stored_files_are_removed_when_the_block_fails(tmp_path):
    storage = LocalStorage(tmp_path / "store")
    pairs = list(
        zip(checked_images(tmp_path, 2), ["things/a/0.jpg", "things/a/1.jpg"], strict=True)
    )
    seen: list[bool] = []

    def transaction(keys: list[str]) -> None:
        seen.extend(storage.exists(k) for k in keys)
        raise RuntimeError("the transaction failed")

    with pytest.raises(RuntimeError), uploads.stored_images(storage, pairs, failing="x") as keys:
        transaction(keys)
    assert seen == [True, True]
    assert not storage.exists("things/a/0.jpg")
    assert not storage.exists("things/a/1.jpg")
    with uploads.stored_images(storage, pairs, failing="x"):
        pass
    assert storage.exists("things/a/1.jpg")  # kept when the block succeeds


def test_a_failed_store_removes_what_was_stored_before_it(tmp_path):
    storage = FailingStorage(tmp_path / "store")
    pairs = list(
        zip(checked_images(tmp_path, 2), ["things/b/0.jpg", "things/b/1.jpg"], strict=True)
    )
    with (
        pytest.raises(Unavailable) as caught,
        uploads.stored_images(storage, pairs, failing="the thing cannot be made now"),
    ):
        pytest.fail("the block runs only once every file is stored")
    assert (caught.value.status, caught.value.code) == (503, "storage_unavailable")
    assert caught.value.message == (
        "the file storage cannot be reached, so the thing cannot be made now; try again shortly"
    )
    assert not storage.exists("things/b/0.jpg")


@pytest.mark.parametrize(
    "failure", [StorageError("unreachable"), PermissionError("read-only")], ids=type
)
def test_a_file_that_cannot_be_removed_is_logged_not_raised(tmp_path, caplog, failure):
    class Stuck(LocalStorage):
        def delete(self, key: str) -> None:
            raise failure

    with caplog.at_level(logging.WARNING, logger="reelmint.uploads"):
        uploads.remove_files(Stuck(tmp_path), ["things/c/0.jpg", "things/c/1.jpg"])
    assert "could not remove things/c/0.jpg" in caplog.text
    assert "could not remove things/c/1.jpg" in caplog.text  # one failure stops no other
