"""The moving watermark: on every frame, readable anywhere, never in one place, survives H.264."""

from __future__ import annotations

import numpy as np
import pytest

from reelmint.engine.backends.base import Size
from reelmint.engine.errors import EngineError
from reelmint.engine.postprocess.encode import encode_mp4
from reelmint.engine.postprocess.watermark import Watermark

WIDE = Size(854, 480)
FPS = 24


def grey(size: Size, level: int) -> np.ndarray:
    return np.full((size.height, size.width, 3), level, dtype=np.uint8)


def textured(size: Size, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size.height, size.width, 3), np.uint8)


def test_the_mark_is_on_every_frame_and_only_inside_its_box():
    mark = Watermark(WIDE, FPS)
    clean = textured(WIDE)
    for index in range(10 * FPS):
        frame = clean.copy()
        mark.apply(frame, index)
        left, top, right, bottom = mark.box(index)
        assert not np.array_equal(frame[top:bottom, left:right], clean[top:bottom, left:right])
        frame[top:bottom, left:right] = clean[top:bottom, left:right]
        assert np.array_equal(frame, clean), f"frame {index} changed outside the box"


@pytest.mark.parametrize("level", [0, 255, 128])
def test_the_mark_reads_on_dark_bright_and_mid_frames(level):
    """White text lifts a dark frame; the dark shadow sinks a bright one; both show on grey."""
    mark = Watermark(WIDE, FPS)
    frame = grey(WIDE, level)
    mark.apply(frame, 0)
    left, top, right, bottom = mark.box(0)
    region = frame[top:bottom, left:right].astype(int)
    lifted = region.max() - level
    sunk = level - region.min()
    if level == 0:
        assert lifted >= 150
    elif level == 255:
        assert sunk >= 90
    else:
        assert lifted >= 50
        assert sunk >= 30


def test_the_mark_is_semi_transparent():
    """The picture shows through the text: a red frame stays reddish under the mark."""
    mark = Watermark(WIDE, FPS)
    frame = np.zeros((WIDE.height, WIDE.width, 3), dtype=np.uint8)
    frame[..., 0] = 200
    mark.apply(frame, 0)
    left, top, right, bottom = mark.box(0)
    red, green = frame[top:bottom, left:right, 0], frame[top:bottom, left:right, 1]
    assert green.max() > 100  # the white text is there...
    assert green.max() < 230  # ...but never opaque
    assert (red >= green).all()  # and the red picture shows through it everywhere


def test_it_moves_continuously_and_visits_every_side_of_the_frame():
    mark = Watermark(WIDE, FPS)
    boxes = [mark.box(i) for i in range(10 * FPS)]
    lefts, tops, rights, bottoms = (np.array(side) for side in zip(*boxes, strict=True))
    assert lefts.min() < 0.1 * WIDE.width
    assert rights.max() > 0.9 * WIDE.width
    assert tops.min() < 0.1 * WIDE.height
    assert bottoms.max() > 0.9 * WIDE.height
    steps = np.hypot(np.diff(lefts), np.diff(tops))
    assert steps.max() <= 0.02 * WIDE.width  # glides, never jumps


def test_no_fixed_crop_of_a_quarter_keeps_the_mark_all_clip_long():
    """Within 4 s (the shortest clip) the mark leaves its starting quarter of the frame."""
    mark = Watermark(WIDE, FPS)
    quarters = set()
    for index in range(4 * FPS):
        left, top, right, bottom = mark.box(index)
        centre = ((left + right) / 2, (top + bottom) / 2)
        quarters.add((centre[0] > WIDE.width / 2, centre[1] > WIDE.height / 2))
    assert len(quarters) >= 3


@pytest.mark.parametrize("size", [WIDE, Size(1280, 720), Size(480, 854), Size(480, 480)])
def test_the_mark_is_about_five_percent_of_the_frame_and_fits(size):
    mark = Watermark(size, FPS)
    short_side = min(size.width, size.height)
    frame = grey(size, 0)
    mark.apply(frame, 0)
    left, top, right, bottom = mark.box(0)
    lit_rows = np.flatnonzero(frame[top:bottom, left:right].max(axis=(1, 2)) > 120)
    ink_height = lit_rows[-1] - lit_rows[0] + 1
    assert 0.03 * short_side <= ink_height <= 0.06 * short_side
    for index in range(0, 20 * FPS, 7):
        left, top, right, bottom = mark.box(index)
        assert 0 <= left < right <= size.width
        assert 0 <= top < bottom <= size.height


def test_it_is_deterministic():
    first, second = Watermark(WIDE, FPS), Watermark(WIDE, FPS)
    assert [first.position(i) for i in range(240)] == [second.position(i) for i in range(240)]
    a, b = textured(WIDE, 3), textured(WIDE, 3)
    first.apply(a, 77)
    second.apply(b, 77)
    assert np.array_equal(a, b)


def test_the_path_depends_on_time_not_on_frame_rate():
    at_24, at_30 = Watermark(WIDE, 24), Watermark(WIDE, 30)
    assert at_24.position(48) == at_30.position(60)  # both at 2 s


def test_it_survives_encoding(tmp_path, probe):
    size = Size(320, 240)
    rows, cols = np.mgrid[0 : size.height, 0 : size.width]
    base = np.stack([cols * 255 // size.width, rows * 255 // size.height, cols * 0 + 90], -1)

    def frames():
        for _ in range(24):
            yield base.astype(np.uint8)

    mark = Watermark(size, FPS)
    audio = np.zeros((48_000, 2), dtype=np.float32)
    common = {"size": size, "fps": FPS, "frame_count": 24, "audio": audio, "sample_rate": 48_000}
    encode_mp4(frames(), out=tmp_path / "clean.mp4", **common)
    encode_mp4(
        frames(), out=tmp_path / "marked.mp4", on_frame=lambda i, f: mark.apply(f, i), **common
    )
    clean = probe(tmp_path / "clean.mp4", keep_every=1).decoded
    marked = probe(tmp_path / "marked.mp4", keep_every=1).decoded
    for index, (c, m) in enumerate(zip(clean, marked, strict=True)):
        left, top, right, bottom = mark.box(index)
        inside = np.abs(m[top:bottom, left:right].astype(int) - c[top:bottom, left:right])
        assert inside.max() > 80, f"mark lost in frame {index}"
        assert inside.mean() > 8


def test_a_frame_of_another_size_is_refused():
    mark = Watermark(WIDE, FPS)
    with pytest.raises(EngineError) as caught:
        mark.apply(grey(Size(480, 480), 0), 0)
    assert caught.value.code == "bad_frame"


def test_a_frame_too_small_for_the_mark_is_refused():
    with pytest.raises(EngineError) as caught:
        Watermark(Size(48, 48), FPS)
    assert caught.value.code == "frame_too_small"
