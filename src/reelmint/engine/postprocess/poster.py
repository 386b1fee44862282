"""The poster: one representative frame as a JPEG, shown in the feed before a video plays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from reelmint.engine.errors import EngineError

_POSTER_AT = 0.4  # of the clip: past any fade-in and the opening shot's setup


def poster_index(frame_count: int) -> int:
    """The frame to show: 40 % into the clip, and never frame 0 (a fade-in starts black)."""
    if frame_count <= 0:
        raise EngineError(
            f"a clip needs at least one frame for a poster, got {frame_count}",
            code="frame_count_mismatch",
        )
    if frame_count == 1:
        return 0
    return max(1, min(frame_count - 1, round((frame_count - 1) * _POSTER_AT)))


def save_poster(frame: np.ndarray, path: Path, *, quality: int = 85) -> None:
    """Write `frame` (H x W x 3 uint8) as a full-size progressive JPEG.

    Progressive, so that a slow connection shows the whole picture blurred first instead of
    the top half sharp; optimised Huffman tables, so that it is a few percent smaller.
    """
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise EngineError(
            f"a poster frame must be uint8 (height, width, 3), got {frame.dtype} {frame.shape}",
            code="bad_frame",
        )
    if not 1 <= quality <= 95:
        raise EngineError(
            f"JPEG quality must be between 1 and 95, got {quality}", code="bad_quality"
        )
    image = Image.fromarray(np.ascontiguousarray(frame))
    image.save(path, format="JPEG", quality=quality, progressive=True, optimize=True)
