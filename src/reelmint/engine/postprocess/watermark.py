"""A visible, moving "reelmint" mark on every frame, as Sora 2 marks its videos.

Why it moves: a mark that stays in one corner is removed by cropping that corner. This one
glides on a slow bouncing path whose horizontal and vertical periods differ, so over a clip it
visits every region of the frame and no fixed crop keeps the picture while losing the mark.

Why it looks like this: white, semi-transparent text with a soft dark shadow reads on bright
and dark pictures alike, and the small logo (a disc with a play triangle cut out) makes it
recognisable even when the text is partly hidden.

Why it is cheap: the RGBA mark is drawn once, with Pillow, and stored as two uint16 planes
(premultiplied white and inverse alpha). `apply` blends only inside the mark's box, in place,
with integer arithmetic and preallocated buffers. An instance is therefore not thread-safe:
use one per encoding (the encoder calls `on_frame` from a single thread).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from reelmint.engine.backends.base import Size
from reelmint.engine.errors import EngineError

_FONT_SHARE = 0.05  # of the frame height (the shorter side): the mark is ~5 % of it tall
_MIN_FONT_PX = 10
_TEXT_OPACITY = 0.72
_SHADOW_OPACITY = 0.6
_MARGIN_SHARE = 0.025
# Seconds for a full there-and-back sweep. Different, incommensurate periods make the path
# cover the frame instead of retracing one diagonal.
_PERIOD_X = 10.0
_PERIOD_Y = 7.3


class Watermark:
    """The reelmint mark for one frame size and frame rate; deterministic in the frame index."""

    def __init__(self, size: Size, fps: int, *, text: str = "reelmint") -> None:
        if fps <= 0:
            raise EngineError(f"fps must be positive, got {fps}", code="bad_fps")
        self.size = size
        self.fps = fps
        self.text = text
        inverse_alpha, white = _render_mark(text, font_px=_font_px(size))
        self.height, self.width = inverse_alpha.shape[:2]
        self._margin = max(2, round(size.height * _MARGIN_SHARE))
        self._span_x = size.width - self.width - 2 * self._margin
        self._span_y = size.height - self.height - 2 * self._margin
        if self._span_x < 0 or self._span_y < 0:
            raise EngineError(
                f"frame size {size} is too small for a {self.width}x{self.height} watermark",
                code="frame_too_small",
            )
        self._inverse_alpha = inverse_alpha
        self._white = white
        self._work = np.empty_like(inverse_alpha)
        self._carry = np.empty_like(inverse_alpha)

    def position(self, index: int) -> tuple[int, int]:
        """Top-left corner of the mark at frame `index`: a bounce along both axes."""
        seconds = index / self.fps
        x = self._margin + round(self._span_x * _triangle(seconds / _PERIOD_X))
        y = self._margin + round(self._span_y * _triangle(seconds / _PERIOD_Y))
        return x, y

    def box(self, index: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of the mark at frame `index`, right/bottom exclusive."""
        x, y = self.position(index)
        return x, y, x + self.width, y + self.height

    def apply(self, frame: np.ndarray, index: int) -> None:
        """Blend the mark into `frame` (H x W x 3 uint8) in place, inside its box only."""
        if frame.shape != (self.size.height, self.size.width, 3) or frame.dtype != np.uint8:
            raise EngineError(
                f"cannot watermark a {frame.dtype} {frame.shape} frame: expected uint8 "
                f"({self.size.height}, {self.size.width}, 3)",
                code="bad_frame",
            )
        left, top, right, bottom = self.box(index)
        region = frame[top:bottom, left:right]
        work, carry = self._work, self._carry
        # out = frame * (255 - alpha) / 255 + white, with an exact rounded division by 255:
        # (x + 128 + ((x + 128) >> 8)) >> 8. Every intermediate fits in uint16.
        np.multiply(region, self._inverse_alpha, out=work)
        np.add(work, 128, out=work)
        np.right_shift(work, 8, out=carry)
        np.add(work, carry, out=work)
        np.right_shift(work, 8, out=work)
        np.add(work, self._white, out=work)
        np.copyto(region, work, casting="unsafe")


def _font_px(size: Size) -> int:
    return max(_MIN_FONT_PX, round(min(size.width, size.height) * _FONT_SHARE))


def _triangle(phase: float) -> float:
    """0 -> 1 -> 0 over each unit of `phase`: a bounce between two walls."""
    return 1.0 - abs(2.0 * (phase % 1.0) - 1.0)


def _render_mark(text: str, *, font_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw the mark once; return (255 - alpha, premultiplied white), uint16 of (h, w, 3)."""
    ink = _ink_mask(text, font_px=font_px)
    blur = max(1.0, font_px / 8)
    outline = ink.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.GaussianBlur(blur))
    text_alpha = np.asarray(ink, dtype=np.float32) / 255 * _TEXT_OPACITY
    shadow_alpha = np.asarray(outline, dtype=np.float32) / 255 * _SHADOW_OPACITY
    # White text over a black shadow: alpha composites "over"; only the text adds colour.
    alpha = text_alpha + shadow_alpha * (1 - text_alpha)
    alpha_255 = np.rint(alpha * 255).astype(np.uint16)
    white_255 = np.minimum(np.rint(text_alpha * 255).astype(np.uint16), alpha_255)
    inverse_alpha = np.repeat((255 - alpha_255)[:, :, None], 3, axis=2)
    white = np.repeat(white_255[:, :, None], 3, axis=2)
    return np.ascontiguousarray(inverse_alpha), np.ascontiguousarray(white)


def _ink_mask(text: str, *, font_px: int) -> Image.Image:
    """The logo and the text as an 8-bit coverage mask, padded for the shadow to spread."""
    font = ImageFont.load_default(size=font_px)
    left, top, right, bottom = font.getbbox(text)
    ink_height = bottom - top
    logo = ink_height + 2
    gap = max(2, font_px // 4)
    pad = max(3, font_px // 4)
    width = pad + logo + gap + (right - left) + pad
    height = pad + max(logo, ink_height) + pad
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    _draw_logo(draw, left=pad, top=(height - logo) // 2, diameter=logo)
    text_top = (height - ink_height) // 2
    draw.text((pad + logo + gap - left, text_top - top), text, fill=255, font=font)
    return mask


def _draw_logo(draw: ImageDraw.ImageDraw, *, left: int, top: int, diameter: int) -> None:
    """A filled disc with a play triangle cut out of it."""
    draw.ellipse((left, top, left + diameter - 1, top + diameter - 1), fill=255)
    unit = diameter / 10
    cx, cy = left + diameter / 2, top + diameter / 2
    triangle = [
        (cx - 1.6 * unit, cy - 2.6 * unit),
        (cx - 1.6 * unit, cy + 2.6 * unit),
        (cx + 2.8 * unit, cy),
    ]
    draw.polygon(triangle, fill=0)
