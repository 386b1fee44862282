"""The spritesheet: one tile per second of a real MP4, in order, in one JPEG grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelmint.engine.backends.base import Size
from reelmint.engine.errors import EngineError
from reelmint.engine.postprocess.encode import encode_mp4
from reelmint.engine.postprocess.spritesheet import (
    COLUMNS,
    MAX_TILES,
    TILE_WIDTH,
    make_spritesheet,
    tile_times,
)

FPS = 24
SIZE = Size(320, 240)


def coloured_clip(out: Path, seconds: int) -> list[tuple[int, int, int]]:
    """A clip whose every second is one flat colour; the colours, in order."""
    colours = [((s * 37) % 256, (s * 91) % 256, 255 - (s * 53) % 256) for s in range(seconds)]

    def frames():
        for index in range(seconds * FPS):
            frame = np.empty((SIZE.height, SIZE.width, 3), dtype=np.uint8)
            frame[:] = colours[index // FPS]
            yield frame

    count = seconds * FPS
    encode_mp4(
        frames(),
        size=SIZE,
        fps=FPS,
        frame_count=count,
        audio=np.zeros((count * 2000, 2), dtype=np.float32),
        sample_rate=48_000,
        out=out,
    )
    return colours


def test_one_tile_per_second_in_order(tmp_path):
    colours = coloured_clip(tmp_path / "clip.mp4", 7)
    sheet_path = tmp_path / "sheet.jpg"
    assert make_spritesheet(tmp_path / "clip.mp4", sheet_path) == 7
    sheet = Image.open(sheet_path)
    tile_w, tile_h = TILE_WIDTH, TILE_WIDTH * 240 // 320
    assert (sheet.format, sheet.size) == ("JPEG", (COLUMNS * tile_w, 2 * tile_h))
    pixels = np.asarray(sheet.convert("RGB")).astype(int)
    for index, colour in enumerate(colours):
        row, column = divmod(index, COLUMNS)
        middle = pixels[row * tile_h + tile_h // 2, column * tile_w + tile_w // 2]
        assert np.abs(middle - colour).max() < 12, (index, middle, colour)


def test_long_clips_spread_the_tiles_and_short_ones_get_one():
    assert len(tile_times(60)) == MAX_TILES
    spread = tile_times(60)
    assert spread[0] > 0
    assert spread[-1] < 60
    assert tile_times(0.5) == [0.25]
    assert tile_times(4) == [0.5, 1.5, 2.5, 3.5]


def test_a_file_that_is_not_a_video_is_refused(tmp_path):
    bogus = tmp_path / "clip.mp4"
    bogus.write_bytes(b"not a video at all")
    with pytest.raises(EngineError) as refused:
        make_spritesheet(bogus, tmp_path / "sheet.jpg")
    assert refused.value.code == "unreadable_video"
    assert str(tmp_path) not in refused.value.message  # never the server's paths
    assert not (tmp_path / "sheet.jpg").exists()


def test_a_file_without_pictures_is_refused_without_naming_its_path(tmp_path):
    import av

    sound_only = tmp_path / "secret-folder" / "clip.mp4"
    sound_only.parent.mkdir()
    with av.open(str(sound_only), "w") as container:
        stream = container.add_stream("aac", rate=48_000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 48_000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(EngineError) as refused:
        make_spritesheet(sound_only, tmp_path / "sheet.jpg")
    assert refused.value.code == "unreadable_video"
    assert "secret-folder" not in refused.value.message
