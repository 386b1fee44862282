"""A canvas for one background layer: periodic content, antialiased, lit by the shot's look.

Layers are wider than the frame so the camera can move over them, and their content repeats
with `period` so a tracking shot can scroll forever by wrapping. Painters work in world pixels
(y = 0 at the top of the rest view) and never think about the window or the period: every
shape is drawn at each repeat that touches the window. Silhouettes (hills, dunes, waves) are
filled with numpy from a height profile with an antialiased edge; details (trees, windows,
rocks) are drawn at twice the size in a sketch band and reduced, which is what antialiasing
costs with Pillow's drawing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.stage import Stage

Colour = tuple[int, ...]
Point = tuple[float, float]

SKETCH_SCALE = 2


@dataclass(frozen=True)
class Window:
    """The part of a layer's world that its image covers, and the layer's repeat period."""

    x0: int
    y0: int
    width: int
    height: int
    period: int


@dataclass(frozen=True)
class Profile:
    """A skyline y(x) that repeats every period: evaluated per column or at any x."""

    base: float
    waves: tuple[tuple[float, int], ...]
    phases: tuple[float, ...]
    period: int
    peaked: bool
    layer: LayerCanvas

    def at(self, x: np.ndarray | float) -> np.ndarray:
        """y of the skyline at world x (scalar or array)."""
        angle = np.asarray(x, dtype=np.float32) * (2.0 * math.pi / self.period)
        y = np.full(angle.shape, self.base, dtype=np.float32)
        for (amplitude, cycles), phase in zip(self.waves, self.phases, strict=True):
            wave = np.sin(angle * max(1, cycles) + phase)
            y += amplitude * (2.0 * np.abs(wave) - 1.0 if self.peaked else wave)
        return y

    def y(self, x: float) -> float:
        return float(self.at(x))

    @property
    def columns(self) -> np.ndarray:
        return self.at(self.layer.columns)


class LayerCanvas:
    """An RGBA image of one layer being painted; `finish()` hands the picture over."""

    def __init__(
        self,
        window: Window,
        stage: Stage,
        look: Look,
        rng: np.random.Generator,
        *,
        depth: float,
    ) -> None:
        self.window = window
        self.stage = stage
        self.look = look
        self.rng = rng
        self.depth = depth
        self.image = Image.new("RGBA", (window.width, window.height), (0, 0, 0, 0))
        self._ops: list[tuple[str, list[Point], tuple[int, ...], float]] = []
        self._rows: list[float] = [math.inf, -math.inf]

    # -- geometry ----------------------------------------------------------------------------
    @property
    def period(self) -> int:
        return self.window.period

    @property
    def columns(self) -> np.ndarray:
        """World x of each image column (float32)."""
        return np.arange(self.window.width, dtype=np.float32) + self.window.x0

    @property
    def rows(self) -> np.ndarray:
        """World y of each image row (float32)."""
        return np.arange(self.window.height, dtype=np.float32) + self.window.y0

    @property
    def bottom(self) -> float:
        return float(self.window.y0 + self.window.height)

    @property
    def top(self) -> float:
        return float(self.window.y0)

    def repeats(self, x: float, reach: float) -> list[float]:
        """Every world x at which an element at `x` (repeating each period) touches the image."""
        p, x0, x1 = self.period, self.window.x0 - reach, self.window.x0 + self.window.width + reach
        first = math.floor((x0 - x) / p)
        return [
            x + k * p for k in range(first, first + 2 + int((x1 - x0) / p)) if x0 <= x + k * p <= x1
        ]

    def scatter(self, spacing: float, jitter: float = 0.3) -> list[float]:
        """Positions in [0, period), about `spacing` apart, for trees, rocks, buildings."""
        count = max(1, round(self.period / spacing))
        step = self.period / count
        offsets = self.rng.uniform(-jitter, jitter, count) * step
        return [float((k * step + o) % self.period) for k, o in enumerate(offsets)]

    def profile(
        self, base: float, waves: Sequence[tuple[float, int]], *, peaked: bool = False
    ) -> Profile:
        """A periodic skyline: `base` plus sines of (amplitude, whole cycles per period).

        `peaked` folds each sine into sharp crests (mountains) instead of round ones (hills).
        """
        phases = tuple(float(self.rng.uniform(0.0, 2.0 * math.pi)) for _ in waves)
        return Profile(base, tuple(waves), phases, self.period, peaked, self)

    # -- colour ----------------------------------------------------------------------------
    def colour(self, rgb: Colour, *, glow: bool = False) -> tuple[int, ...]:
        """`rgb` lit (or, for a light source, only graded) at this layer's depth; alpha kept."""
        lit = self.look.emit(rgb) if glow else self.look.paint(rgb, self.depth)
        return (*lit, rgb[3] if len(rgb) > 3 else 255)

    def _gradient(
        self, top: Colour, bottom: Colour, y_from: float, y_to: float, rows: np.ndarray, glow: bool
    ) -> np.ndarray:
        """Per-row colours (uint8, (rows, 3)) blending `top` to `bottom` between two world ys."""
        span = max(1.0, y_to - y_from)
        f = np.clip((rows - y_from) / span, 0.0, 1.0)[:, None]
        raw = np.asarray(top[:3], np.float32) * (1.0 - f) + np.asarray(bottom[:3], np.float32) * f
        return self.look.paint_array(raw, self.depth, emissive=glow)

    # -- silhouettes -----------------------------------------------------------------------
    def fill_below(
        self,
        ridge: np.ndarray | Profile,
        top: Colour,
        bottom: Colour | None = None,
        *,
        to_y: float | None = None,
        stop_y: float | None = None,
        glow: bool = False,
    ) -> None:
        """Fill below a height profile (antialiased edge) down to `stop_y` (default: the end).

        The gradient runs from `top` at the ridge's highest point to `bottom` at `to_y`.
        """
        self._flush()
        ridge = ridge.columns if isinstance(ridge, Profile) else np.asarray(ridge, dtype=np.float32)
        r0 = max(0, math.floor(float(ridge.min()) - self.window.y0) - 1)
        r1 = (
            self.window.height
            if stop_y is None
            else max(0, min(self.window.height, math.ceil(stop_y - self.window.y0)))
        )
        if r0 >= r1:
            return
        rows = self.rows[r0:r1]
        colours = self._gradient(
            top, bottom or top, float(ridge.min()), to_y or self.bottom, rows, glow
        )
        edge_end = min(r1, math.ceil(float(ridge.max()) - self.window.y0) + 2)
        band = np.empty((r1 - r0, self.window.width, 4), dtype=np.uint8)
        band[..., :3] = colours[:, None, :]
        band[..., 3] = 255
        soft = max(0, edge_end - r0)
        if soft:
            coverage = np.clip(rows[:soft, None] + 1.0 - ridge[None, :], 0.0, 1.0)
            band[:soft, :, 3] = (coverage * 255.0 + 0.5).astype(np.uint8)
            self.image.alpha_composite(Image.fromarray(band[:soft], "RGBA"), dest=(0, r0))
        if soft < band.shape[0]:
            self.image.paste(Image.fromarray(band[soft:], "RGBA"), (0, r0 + soft))

    def fill_rows(self, colours: np.ndarray) -> None:
        """Cover the whole image, opaque, with one colour per row (uint8, (height, 3))."""
        self._flush()
        pixels = np.empty((self.window.height, self.window.width, 4), dtype=np.uint8)
        pixels[..., :3] = colours[:, None, :]
        pixels[..., 3] = 255
        self.image = Image.fromarray(pixels, "RGBA")

    def fill_band(
        self,
        y_from: float,
        y_to: float,
        top: Colour,
        bottom: Colour | None = None,
        *,
        glow: bool = False,
    ) -> None:
        """A full-width horizontal band with a vertical gradient."""
        flat = np.full(self.window.width, y_from, np.float32)
        self.fill_below(flat, top, bottom, to_y=y_to, stop_y=y_to, glow=glow)

    # -- details (antialiased through a 2x sketch) ---------------------------------------------
    def _defer(
        self, op: str, coords: list[Point], fill: tuple[int, ...], width: float = 0.0
    ) -> None:
        """Queue a shape; the sketch is only made, band-sized, when the queue is flushed."""
        ys = [y for _, y in coords]
        self._ops.append((op, coords, _premultiplied(fill), width))
        self._rows[0] = min(self._rows[0], min(ys) - width)
        self._rows[1] = max(self._rows[1], max(ys) + width)

    def _flush(self) -> None:
        """Draw the queued shapes at twice the size over just their rows, reduce, lay over."""
        if not self._ops:
            return
        lo = max(0, math.floor(self._rows[0] - self.window.y0) - 2)
        hi = min(self.window.height, math.ceil(self._rows[1] - self.window.y0) + 2)
        if hi > lo:
            k = SKETCH_SCALE
            sketch = Image.new("RGBa", (self.window.width * k, (hi - lo) * k), (0, 0, 0, 0))
            draw = ImageDraw.Draw(sketch)
            dx, dy = self.window.x0, self.window.y0 + lo
            for op, coords, fill, width in self._ops:
                xy = [((x - dx) * k, (y - dy) * k) for x, y in coords]
                if op == "polygon":
                    draw.polygon(xy, fill=fill)
                elif op == "ellipse":
                    draw.ellipse(_box(xy), fill=fill)
                elif op == "rectangle":
                    draw.rectangle(_box(xy), fill=fill)
                else:
                    draw.line(xy, fill=fill, width=max(1, round(width * k)), joint="curve")
            reduced = sketch.reduce(k).convert("RGBA")
            self.image.alpha_composite(reduced, dest=(0, lo))
        self._ops = []
        self._rows = [math.inf, -math.inf]

    def poly(self, points: Sequence[Point], rgb: Colour, *, glow: bool = False) -> None:
        xs = [p[0] for p in points]
        centre, reach = (min(xs) + max(xs)) / 2, (max(xs) - min(xs)) / 2
        fill = self.colour(rgb, glow=glow)
        for cx in self.repeats(centre, reach):
            self._defer("polygon", [(x + cx - centre, y) for x, y in points], fill)

    def ellipse(
        self, cx: float, cy: float, rx: float, ry: float, rgb: Colour, *, glow: bool = False
    ) -> None:
        fill = self.colour(rgb, glow=glow)
        for x in self.repeats(cx, rx):
            self._defer("ellipse", [(x - rx, cy - ry), (x + rx, cy + ry)], fill)

    def rect(
        self, x0: float, y0: float, x1: float, y1: float, rgb: Colour, *, glow: bool = False
    ) -> None:
        fill = self.colour(rgb, glow=glow)
        centre, reach = (x0 + x1) / 2, abs(x1 - x0) / 2
        for cx in self.repeats(centre, reach):
            self._defer("rectangle", [(cx - reach, min(y0, y1)), (cx + reach, max(y0, y1))], fill)

    def line(
        self, points: Sequence[Point], width: float, rgb: Colour, *, glow: bool = False
    ) -> None:
        xs = [p[0] for p in points]
        centre, reach = (min(xs) + max(xs)) / 2, (max(xs) - min(xs)) / 2 + width
        fill = self.colour(rgb, glow=glow)
        for cx in self.repeats(centre, reach):
            self._defer("line", [(x + cx - centre, y) for x, y in points], fill, width=width)

    def glow(self, cx: float, cy: float, radius: float, rgb: Colour, strength: float = 1.0) -> None:
        """A soft round halo (sun, lamps, lava): alpha falls off smoothly from the centre."""
        self._flush()
        fill = self.colour(rgb, glow=True)
        for x in self.repeats(cx, radius):
            x0, y0 = round(x - radius - self.window.x0), round(cy - radius - self.window.y0)
            size = max(2, round(2 * radius))
            yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
            d = np.hypot(xx - size / 2, yy - size / 2) / (size / 2)
            alpha = np.clip(1.0 - d, 0.0, 1.0) ** 2 * 255.0 * strength
            patch = np.empty((size, size, 4), np.uint8)
            patch[..., :3] = fill[:3]
            patch[..., 3] = alpha.astype(np.uint8)
            self._composite(Image.fromarray(patch, "RGBA"), x0, y0)

    def _composite(self, patch: Image.Image, x0: int, y0: int) -> None:
        """alpha_composite that tolerates patches hanging off the image."""
        left, top = max(0, -x0), max(0, -y0)
        right = min(patch.width, self.window.width - x0)
        bottom = min(patch.height, self.window.height - y0)
        if right <= left or bottom <= top:
            return
        self.image.alpha_composite(
            patch, dest=(x0 + left, y0 + top), source=(left, top, right, bottom)
        )

    def dots(self, xs: np.ndarray, ys: np.ndarray, colours: np.ndarray) -> None:
        """Single pixels (stars, sparkles) written straight into the image; xs, ys in world px."""
        self._flush()
        cols = np.round(xs - self.window.x0).astype(np.int64) % self.period
        rows = np.round(ys - self.window.y0).astype(np.int64)
        pixels = np.array(self.image)
        for shift in range(0, self.window.width + self.period, self.period):
            c = cols + shift
            ok = (c >= 0) & (c < self.window.width) & (rows >= 0) & (rows < self.window.height)
            pixels[rows[ok], c[ok], :3] = colours[ok]
            pixels[rows[ok], c[ok], 3] = 255
        self.image = Image.fromarray(pixels, "RGBA")

    def finish(self) -> Image.Image:
        self._flush()
        return self.image


def _premultiplied(fill: tuple[int, ...]) -> tuple[int, ...]:
    """The fill as the "RGBa" sketch stores it (colour scaled by alpha)."""
    r, g, b, a = fill if len(fill) == 4 else (*fill[:3], 255)
    return (r * a // 255, g * a // 255, b * a // 255, a)


def _box(xy: list[Point]) -> tuple[float, float, float, float]:
    (x0, y0), (x1, y1) = xy
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
