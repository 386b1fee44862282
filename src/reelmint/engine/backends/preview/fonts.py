"""Fonts for captions: dialogue may be in any script, Pillow's embedded font is Latin only.

Captions use Pillow's embedded font when it can draw the whole line (Latin text: the same
pixels on every machine); otherwise the first installed font, from a list of common
wide-coverage fonts (DejaVu and Noto on Linux, Arial Unicode on macOS, Arial/Segoe on Windows),
that can draw every character of the line; when none can, the one that draws most of it.
A font "can draw" a character when the character's glyph differs from the font's
missing-glyph box, measured once per font and character. Right-to-left scripts are drawn
left to right (Pillow needs libraqm to shape them).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

CANDIDATE_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/segoeui.ttf",
    "C:/Windows/Fonts/arial.ttf",
)
# A private-use code point no font draws: its glyph is the font's missing-glyph box.
_SURELY_MISSING = "\U0010fffd"
_MEASURE_SIZE = 32


def font_for(text: str, size: int, candidates: Sequence[str] = CANDIDATE_FONTS) -> Font:
    """The best installed font for `text` at `size` pixels."""
    needed = {ch for ch in text if not ch.isspace()}
    by_default = _drawn_by_default(frozenset(needed))
    if by_default == len(needed):
        return ImageFont.load_default(size=size)
    best_path, best_drawn = None, by_default
    for path in _installed(tuple(candidates)):
        drawn = sum(_draws(path, ch) for ch in needed)
        if drawn == len(needed):
            return _font(path, size)
        if drawn > best_drawn:
            best_path, best_drawn = path, drawn
    if best_path is not None:
        return _font(best_path, size)
    return ImageFont.load_default(size=size)


@cache
def _installed(candidates: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(path for path in candidates if Path(path).is_file())


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size)


@cache
def _draws(path: str, char: str) -> bool:
    font = _font(path, _MEASURE_SIZE)
    return _glyph(font, char) != _glyph(font, _SURELY_MISSING)


def _drawn_by_default(chars: frozenset[str]) -> int:
    return sum(_default_draws(ch) for ch in chars)


@cache
def _default_draws(char: str) -> bool:
    font = ImageFont.load_default(size=_MEASURE_SIZE)
    return _glyph(font, char) != _glyph(font, _SURELY_MISSING)


def _glyph(font: Font, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)
