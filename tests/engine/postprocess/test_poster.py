"""The poster: a full-size progressive JPEG of a representative frame."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from reelmint.engine.errors import EngineError
from reelmint.engine.postprocess.poster import poster_index, save_poster


def gradient(width: int, height: int) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack(
        [cols * 255 // width, rows * 255 // height, (cols + rows) * 255 // (width + height)], -1
    ).astype(np.uint8)


@pytest.mark.parametrize(("width", "height"), [(854, 480), (480, 854)])
def test_it_writes_a_progressive_jpeg_of_the_frame_size(tmp_path, width, height):
    frame = gradient(width, height)
    path = tmp_path / "poster.jpg"
    save_poster(frame, path)
    assert path.read_bytes()[:3] == b"\xff\xd8\xff"
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == (width, height)
        assert image.mode == "RGB"
        assert image.info.get("progressive") or image.info.get("progression")
        pixels = np.asarray(image, dtype=int)
    assert np.abs(pixels - frame).mean() < 4  # it is this frame


def test_quality_trades_size(tmp_path):
    frame = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    save_poster(frame, tmp_path / "low.jpg", quality=30)
    save_poster(frame, tmp_path / "high.jpg", quality=90)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


@pytest.mark.parametrize(
    "bad",
    [np.zeros((10, 10), np.uint8), np.zeros((10, 10, 4), np.uint8), np.zeros((10, 10, 3))],
    ids=["grey", "rgba", "float"],
)
def test_a_frame_that_is_not_rgb_bytes_is_refused(tmp_path, bad):
    with pytest.raises(EngineError) as caught:
        save_poster(bad, tmp_path / "x.jpg")
    assert caught.value.code == "bad_frame"
    assert not (tmp_path / "x.jpg").exists()


@pytest.mark.parametrize(("frames", "expected"), [(240, 96), (96, 38), (480, 192), (2, 1), (1, 0)])
def test_the_poster_frame_is_40_percent_in_and_never_the_first(frames, expected):
    assert poster_index(frames) == expected


def test_the_poster_index_is_always_a_frame_of_the_clip():
    for frames in range(2, 600):
        assert 1 <= poster_index(frames) < frames


def test_an_empty_clip_has_no_poster():
    with pytest.raises(EngineError):
        poster_index(0)
