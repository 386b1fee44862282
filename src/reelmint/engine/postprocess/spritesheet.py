"""The spritesheet: frames of a finished MP4 in one JPEG grid, for scrubbing previews.

OpenAI's Videos API offers it as `variant=spritesheet` beside the video and its thumbnail.
Here it is made from the signed MP4 itself (so it shows exactly what was delivered, watermark
included), one tile per second of video, at most `MAX_TILES`, left to right and top to bottom.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import av
from PIL import Image

from reelmint.engine.errors import EngineError

log = logging.getLogger("reelmint.engine")

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
    except (av.error.FFmpegError, OSError, ValueError) as error:
        # PyAV's message names the file's path: logged, never shown.
        log.warning("cannot decode %s for a spritesheet: %s", video, error)
        raise EngineError("the video file cannot be decoded", code="unreadable_video") from None
    if not frames:
        raise EngineError("the video file has no frames to show", code="unreadable_video")
    sheet = _tile(frames)
    sheet.save(out, format="JPEG", quality=quality, optimize=True)
    return len(frames)


def _frames_at(video: Path) -> list[Image.Image]:
    """Decode once, front to back, keeping the frame shown at each tile's time."""
    with av.open(str(video)) as container:
        if not container.streams.video:
            return []
        stream = container.streams.video[0]
        seconds = _duration(container, stream)
        wanted = tile_times(seconds)
        kept: list[Image.Image] = []
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            while wanted and frame.time + 1e-6 >= wanted[0]:
                wanted.pop(0)
                kept.append(_shrunk(frame.to_image()))  # a tile, not a frame, is kept
            if not wanted:
                break
        return kept


def _duration(container: av.container.InputContainer, stream: av.VideoStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / av.time_base
    return 1.0


def _shrunk(picture: Image.Image) -> Image.Image:
    """The frame at tile size: at most TILE_WIDTH wide, and never taller than four widths
    (a freak aspect ratio cannot make a huge sheet)."""
    width, height = max(picture.width, 1), max(picture.height, 1)
    tile_w = min(TILE_WIDTH, width)
    tile_h = min(max(1, round(height * tile_w / width)), 4 * TILE_WIDTH)
    return picture.convert("RGB").resize((tile_w, tile_h), Image.Resampling.LANCZOS)


def _tile(tiles: list[Image.Image]) -> Image.Image:
    tile_w, tile_h = tiles[0].size
    columns = min(COLUMNS, len(tiles))
    rows = math.ceil(len(tiles) / columns)
    sheet = Image.new("RGB", (columns * tile_w, rows * tile_h))
    for index, tile in enumerate(tiles):
        sheet.paste(tile, ((index % columns) * tile_w, (index // columns) * tile_h))
    return sheet
