"""Parts that several sprite families share: poses, wheels, legs, stripes, accent colours."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reelmint.engine.backends.preview.sprites.pen import RGB, Colour, Pen, Point, rotate, shade

BLACK: RGB = (24, 24, 28)
WHITE: RGB = (244, 244, 244)
GLASS: RGB = (150, 196, 228)
TYRE: RGB = (34, 34, 38)
STEEL: RGB = (186, 188, 196)
WOOD: RGB = (128, 84, 48)
WARM_LIGHT: RGB = (255, 214, 120)
ORANGE: RGB = (244, 140, 40)
PINK: RGB = (240, 150, 160)


@dataclass(frozen=True)
class Pose:
    """One drawing of an animated subject: `phase` in [0, 1) through its cycle.

    `motion` lets a drawer choose an attitude (a bird flying spreads its wings; a duck swimming
    hides its feet); `lights_on` says whether windows and lamps glow (after dark).
    """

    phase: float = 0.0
    motion: str = "idle"
    lights_on: bool = False

    def swing(self, offset: float = 0.0) -> float:
        """sin of the cycle, in [-1, 1]: the swing of a leg, a wing, a tail."""
        return math.sin(2.0 * math.pi * (self.phase + offset))

    @property
    def flying(self) -> bool:
        return self.motion in ("fly", "float")

    @property
    def swimming(self) -> bool:
        return self.motion == "swim"


def accent(body: Colour, preferred: RGB, fallback: RGB = WHITE) -> RGB:
    """A trim colour that stands apart from `body`: `preferred` unless the two are too alike."""
    distance = sum(abs(a - b) for a, b in zip(body[:3], preferred, strict=True))
    return preferred if distance > 150 else fallback


def wheel(pen: Pen, cx: float, cy: float, r: float, pose: Pose, hub: RGB = STEEL) -> None:
    """A tyre with three spokes that turn with the pose (3-fold symmetry: 120 degrees a cycle)."""
    pen.circle(cx, cy, r, TYRE)
    pen.circle(cx, cy, r * 0.62, hub)
    angle = pose.phase * 120.0
    for k in range(3):
        ((x, y),) = rotate([(cx, cy - r * 0.58)], cx, cy, angle + 120.0 * k)
        pen.line([(cx, cy), (x, y)], r * 0.16, shade(hub, 0.6))
    pen.circle(cx, cy, r * 0.18, shade(hub, 0.5))


def legs(
    pen: Pen,
    hips: Sequence[Point],
    length: float,
    width: float,
    colour: Colour,
    pose: Pose,
    offsets: Sequence[float],
    *,
    amplitude: float = 24.0,
    foot: Colour | None = None,
) -> None:
    """Straight legs from `hips`, swinging with the pose (opposite pairs by `offsets`)."""
    for (x, y), offset in zip(hips, offsets, strict=True):
        end = pen.limb(x, y, length, amplitude * pose.swing(offset), width, colour)
        if foot is not None:
            pen.ellipse(
                end[0] + width * 0.15, end[1] - width * 0.2, width * 0.62, width * 0.35, foot
            )


def ellipse_band(
    cx: float, cy: float, rx: float, ry: float, x0: float, x1: float, steps: int = 8
) -> list[Point]:
    """The slice x0..x1 of an ellipse as a polygon: stripes that follow a round body."""
    xs = [x0 + (x1 - x0) * k / steps for k in range(steps + 1)]

    def half_height(x: float) -> float:
        u = (x - cx) / rx
        return ry * math.sqrt(max(0.0, 1.0 - u * u))

    top = [(x, cy - half_height(x)) for x in xs]
    bottom = [(x, cy + half_height(x)) for x in reversed(xs)]
    return top + bottom


def wave_points(
    x0: float, x1: float, y: float, amplitude: float, wavelength: float, phase: float, steps: int
) -> list[Point]:
    """Points of a sine wave from x0 to x1: snakes, strings, tails, hems."""
    return [
        (
            x0 + (x1 - x0) * k / steps,
            y
            + amplitude
            * math.sin(2.0 * math.pi * ((x0 + (x1 - x0) * k / steps) / wavelength - phase)),
        )
        for k in range(steps + 1)
    ]
