"""The spritesheet: frames of a finished MP4 in one JPEG grid, for scrubbing previews.

OpenAI's Videos API offers it as `variant=spritesheet` beside the video and its thumbnail.
Here it is made from the signed MP4 itself (so it shows exactly what was delivered, watermark
included), one tile per second of video, at most `MAX_TILES`, left to right and top to bottom.
"""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
from PIL import Image

from reelmint.engine.errors import EngineError

MAX_TILES = 25
COLUMNS = 5
TILE_WIDTH = 192


def tile_times(seconds: float, *, max_tiles: int = MAX_TILES) -> list[float]:
    """When each tile is taken: the middle of each second (evenly spread past `max_tiles`)."""
    count = max(1, min(max_tiles, math.ceil(seconds - 1e-9)))
    return [seconds * (i + 0.5) / count for i in range(count)]


def make_spritesheet(video: Path, out: Path, *, quality: int = 80) -> int:
    """Write the spritesheet of the MP4 at `video` to `out` (JPEG); return its tile count.

    Raises EngineError (`unreadable_video`) for a file PyAV cannot decode or that has no frames.
    """
    try:
        frames = _frames_at(video)
    except (av.error.FFmpegError, OSError, StopIteration) as error:
        raise EngineError(
            f"cannot read frames from {video.name}: {error}", code="unreadable_video"
        ) from None
    if not frames:
        raise EngineError(f"{video.name} has no video frames", code="unreadable_video")
    sheet = _tile(frames)
    sheet.save(out, format="JPEG", quality=quality, optimize=True)
    return len(frames)


def _frames_at(video: Path) -> list[np.ndarray]:
    """Decode once, front to back, keeping the frame shown at each tile's time."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        seconds = _duration(container, stream)
        wanted = tile_times(seconds)
        kept: list[np.ndarray] = []
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            while wanted and frame.time + 1e-6 >= wanted[0]:
                wanted.pop(0)
                kept.append(frame.to_ndarray(format="rgb24"))
            if not wanted:
                break
        return kept


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 1.0


def _tile(frames: list[np.ndarray]) -> Image.Image:
    height, width = frames[0].shape[:2]
    tile_w = min(TILE_WIDTH, width)
    tile_h = max(1, round(height * tile_w / width))
    columns = min(COLUMNS, len(frames))
    rows = math.ceil(len(frames) / columns)
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h))
    for index, frame in enumerate(frames):
        tile = Image.fromarray(frame).resize((tile_w, tile_h), Image.Resampling.LANCZOS)
        sheet.paste(tile, ((index % columns) * tile_w, (index // columns) * tile_h))
    return sheet
