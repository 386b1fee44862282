"""A small vector pen for sprites: shapes in sprite units, drawn supersampled, colours lit.

Drawers think in units of the sprite's height (y from 0 at the top to 1 at the feet, x from 0 to
the kind's aspect ratio) and never in pixels; the pen scales, pads, lights and styles every
colour and antialiases by drawing at `SUPERSAMPLE` times the size and reducing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
Colour = tuple[int, ...]
Point = tuple[float, float]

SUPERSAMPLE = 3
PAD = 0.06


def shade(colour: Colour, factor: float) -> RGB:
    """`colour` darkened (factor < 1) or lightened toward white (factor > 1)."""
    r, g, b = colour[:3]
    if factor <= 1.0:
        return (round(r * factor), round(g * factor), round(b * factor))
    k = min(1.0, factor - 1.0)
    return (round(r + (255 - r) * k), round(g + (255 - g) * k), round(b + (255 - b) * k))


def mix(a: Colour, b: Colour, amount: float) -> RGB:
    """A colour `amount` of the way from `a` to `b`."""
    r, g, b_ = (round(x + (y - x) * amount) for x, y in zip(a[:3], b[:3], strict=True))
    return (r, g, b_)


def rotate(points: Sequence[Point], cx: float, cy: float, degrees: float) -> list[Point]:
    """`points` turned about (cx, cy), clockwise on screen for positive degrees."""
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [(cx + (x - cx) * c - (y - cy) * s, cy + (x - cx) * s + (y - cy) * c) for x, y in points]


class Pen:
    """Draws one sprite image. `paint` lights a surface colour, `emit` a light source's."""

    def __init__(
        self,
        aspect: float,
        height_px: int,
        paint: Callable[[Colour], RGB],
        emit: Callable[[Colour], RGB],
    ) -> None:
        self.aspect = aspect
        self.height_px = height_px
        self._scale = height_px * SUPERSAMPLE
        width = canvas_width(aspect, height_px) * SUPERSAMPLE
        height = canvas_height(height_px) * SUPERSAMPLE
        self._offset = PAD * self._scale
        self.image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        self._draw = ImageDraw.Draw(self.image)
        self._paint = paint
        self._emit = emit

    # -- colour and coordinates -------------------------------------------------------------
    def _fill(self, colour: Colour, glow: bool) -> tuple[int, int, int, int]:
        rgb = self._emit(colour) if glow else self._paint(colour)
        alpha = colour[3] if len(colour) > 3 else 255
        return (*rgb, alpha)

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return (self._offset + x * self._scale, self._offset + y * self._scale)

    def _len(self, length: float) -> float:
        return length * self._scale

    # -- shapes ----------------------------------------------------------------------------
    def ellipse(
        self, cx: float, cy: float, rx: float, ry: float, colour: Colour, *, glow: bool = False
    ) -> None:
        x0, y0 = self._xy(cx - rx, cy - ry)
        x1, y1 = self._xy(cx + rx, cy + ry)
        self._draw.ellipse((x0, y0, max(x0, x1), max(y0, y1)), fill=self._fill(colour, glow))

    def circle(self, cx: float, cy: float, r: float, colour: Colour, *, glow: bool = False) -> None:
        self.ellipse(cx, cy, r, r, colour, glow=glow)

    def rect(
        self,
        x0: float,
        y0: float,
        x1: float,
        y1: float,
        colour: Colour,
        *,
        radius: float = 0.0,
        glow: bool = False,
    ) -> None:
        a, b = self._xy(x0, y0)
        c, d = self._xy(x1, y1)
        box = (min(a, c), min(b, d), max(a, c), max(b, d))
        fill = self._fill(colour, glow)
        if radius > 0:
            r = min(self._len(radius), (box[2] - box[0]) / 2, (box[3] - box[1]) / 2)
            self._draw.rounded_rectangle(box, radius=r, fill=fill)
        else:
            self._draw.rectangle(box, fill=fill)

    def poly(self, points: Sequence[Point], colour: Colour, *, glow: bool = False) -> None:
        self._draw.polygon([self._xy(x, y) for x, y in points], fill=self._fill(colour, glow))

    def line(
        self, points: Sequence[Point], width: float, colour: Colour, *, glow: bool = False
    ) -> None:
        """A thick polyline with round caps and joints."""
        fill = self._fill(colour, glow)
        pixels = [self._xy(x, y) for x, y in points]
        w = max(1, round(self._len(width)))
        self._draw.line(pixels, fill=fill, width=w, joint="curve")
        r = w / 2.0
        for px, py in (pixels[0], pixels[-1]):
            self._draw.ellipse((px - r, py - r, px + r, py + r), fill=fill)

    def limb(
        self,
        x: float,
        y: float,
        length: float,
        degrees: float,
        width: float,
        colour: Colour,
    ) -> Point:
        """A limb hanging from (x, y), swung `degrees` forward from straight down; its end."""
        a = math.radians(degrees)
        end = (x + length * math.sin(a), y + length * math.cos(a))
        self.line([(x, y), end], width, colour)
        return end

    def arc(
        self,
        cx: float,
        cy: float,
        r: float,
        start: float,
        end: float,
        width: float,
        colour: Colour,
    ) -> None:
        x0, y0 = self._xy(cx - r, cy - r)
        x1, y1 = self._xy(cx + r, cy + r)
        w = max(1, round(self._len(width)))
        self._draw.arc((x0, y0, x1, y1), start, end, fill=self._fill(colour, False), width=w)

    def pie(self, cx: float, cy: float, r: float, start: float, end: float, colour: Colour) -> None:
        x0, y0 = self._xy(cx - r, cy - r)
        x1, y1 = self._xy(cx + r, cy + r)
        self._draw.pieslice((x0, y0, x1, y1), start, end, fill=self._fill(colour, False))

    def eye(self, cx: float, cy: float, r: float) -> None:
        """A friendly cartoon eye: white, dark pupil, a glint."""
        self.circle(cx, cy, r, (250, 250, 250))
        self.circle(cx + r * 0.2, cy, r * 0.6, (20, 20, 24))
        self.circle(cx + r * 0.4, cy - r * 0.3, r * 0.2, (255, 255, 255))

    def finish(self) -> Image.Image:
        """The sprite at its real size, antialiased."""
        return self.image.reduce(SUPERSAMPLE)


def canvas_width(aspect: float, height_px: int) -> int:
    """Pixel width of a sprite of `aspect` drawn `height_px` tall, padding included."""
    return max(1, round((aspect + 2 * PAD) * height_px))


def canvas_height(height_px: int) -> int:
    """Pixel height of a sprite drawn `height_px` tall, padding included."""
    return max(1, round((1 + 2 * PAD) * height_px))
