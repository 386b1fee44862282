"""The camera of one shot: where the view is and how far it is zoomed, at any time.

World x and y are pixels of the ground plane; the rest view is the rectangle
(0, 0, width, height). Moves are centred on the middle of the shot (a pan right goes from
-D/2 to +D/2) so the composition planned for the subjects is what is seen halfway through.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PAN_FRACTION = 0.3
TILT_FRACTION = 0.3
ZOOM_FACTOR = 1.3
CRANE_RISE = 0.28
CRANE_ZOOM = 1.1
DOLLY_FRACTION = 0.25
SHAKE_FRACTION = 0.012

# Moves whose layers all move together (no parallax), so the background is composed once.
RIGID_MOVES = frozenset(
    {"static", "tilt_up", "tilt_down", "zoom_in", "zoom_out", "handheld", "crane"}
)


@dataclass(frozen=True)
class CameraState:
    """The view at one instant: its top-left corner in the world, and a zoom about its centre."""

    x: float
    y: float
    zoom: float = 1.0


def ease(u: float) -> float:
    """Smoothstep: moves start and stop gently instead of jerking."""
    u = min(1.0, max(0.0, u))
    return u * u * (3.0 - 2.0 * u)


@dataclass(frozen=True)
class Shake:
    """A seeded handheld wobble: two incommensurate sines per axis."""

    freqs: tuple[float, float, float, float]
    phases: tuple[float, float, float, float]

    @classmethod
    def seeded(cls, rng: np.random.Generator) -> Shake:
        slow_x, slow_y = (float(f) for f in rng.uniform(0.3, 0.55, 2))
        fast_x, fast_y = (float(f) for f in rng.uniform(0.9, 1.4, 2))
        a, b, c, d = (float(p) for p in rng.uniform(0.0, 2.0 * math.pi, 4))
        return cls(freqs=(slow_x, slow_y, fast_x, fast_y), phases=(a, b, c, d))

    def offset(self, t: float) -> tuple[float, float]:
        """(dx, dy) in [-1, 1], smooth in t."""
        f, p = self.freqs, self.phases
        dx = 0.65 * math.sin(2 * math.pi * f[0] * t + p[0]) + 0.35 * math.sin(
            2 * math.pi * f[2] * t + p[2]
        )
        dy = 0.65 * math.sin(2 * math.pi * f[1] * t + p[1]) + 0.35 * math.sin(
            2 * math.pi * f[3] * t + p[3]
        )
        return dx, dy


@dataclass(frozen=True)
class CameraRig:
    """A camera move over a shot of `duration` seconds on a `width` x `height` frame.

    `lead_offset(t)` is how far the tracked subject has travelled from where it is at mid-shot;
    a tracking camera moves by exactly that, so the subject stays put on screen.
    """

    move: str
    duration: float
    width: int
    height: int
    shake: Shake
    lead_offset: Callable[[float], float] | None = None

    @property
    def rigid(self) -> bool:
        """True when every layer moves together, so no parallax has to be composed per frame."""
        return self.move in RIGID_MOVES

    def at(self, t: float) -> CameraState:
        u = ease(t / self.duration if self.duration > 0 else 0.0)
        w, h = self.width, self.height
        match self.move:
            case "pan_right":
                return CameraState(x=(u - 0.5) * PAN_FRACTION * w, y=0.0)
            case "pan_left":
                return CameraState(x=(0.5 - u) * PAN_FRACTION * w, y=0.0)
            case "tilt_up":
                return CameraState(x=0.0, y=-u * TILT_FRACTION * h)
            case "tilt_down":
                return CameraState(x=0.0, y=-(1.0 - u) * TILT_FRACTION * h)
            case "zoom_in":
                return CameraState(x=0.0, y=0.0, zoom=1.0 + (ZOOM_FACTOR - 1.0) * u)
            case "zoom_out":
                return CameraState(x=0.0, y=0.0, zoom=ZOOM_FACTOR - (ZOOM_FACTOR - 1.0) * u)
            case "crane":
                return CameraState(x=0.0, y=-u * CRANE_RISE * h, zoom=1.0 + (CRANE_ZOOM - 1.0) * u)
            case "tracking":
                return self._tracking(t, u)
            case "handheld":
                dx, dy = self.shake.offset(t)
                amplitude = SHAKE_FRACTION * min(w, h)
                return CameraState(x=dx * amplitude, y=dy * amplitude)
            case _:
                return CameraState(x=0.0, y=0.0)

    def _tracking(self, t: float, u: float) -> CameraState:
        if self.lead_offset is None:
            return CameraState(x=(u - 0.5) * DOLLY_FRACTION * self.width, y=0.0)
        return CameraState(x=self.lead_offset(t), y=0.0)


def frame_to_screen(
    camera: CameraState, x: float, y: float, width: int, height: int
) -> tuple[float, float]:
    """Where a point of the unzoomed composed frame lands after the camera's zoom."""
    cx, cy = width / 2.0, height / 2.0
    return (x - cx) * camera.zoom + cx, (y - cy) * camera.zoom + cy


def zoom_box(camera: CameraState, width: int, height: int) -> tuple[float, float, float, float]:
    """The region of the composed frame that a zoomed camera enlarges to fill the frame."""
    half_w, half_h = width / (2.0 * camera.zoom), height / (2.0 * camera.zoom)
    cx, cy = width / 2.0, height / 2.0
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
