"""Animals, facing right, feet at y = 1. `body` paints the fur, feathers, scales or shell.

Four-legged animals share `legs` (diagonal pairs swing together, far legs darker and behind
the body); each kind then adds what tells it apart: ears, trunk, neck, mane, horns, patches.
"""

from __future__ import annotations

import math

from reelmint.engine.backends.preview.sprites.parts import (
    BLACK,
    ORANGE,
    PINK,
    WHITE,
    Pose,
    ellipse_band,
    legs,
    wave_points,
)
from reelmint.engine.backends.preview.sprites.pen import RGB, Pen, mix, shade

_FAR = (0.5, 0.0)
_NEAR = (0.0, 0.5)


def _quad_legs(
    pen: Pen,
    body: RGB,
    pose: Pose,
    xs: tuple[float, float],
    hip_y: float,
    width: float,
    *,
    near: bool,
    foot: RGB | None = None,
) -> None:
    """One pair (far or near) of a quadruped's legs, reaching the ground at y = 1."""
    dx = 0.0 if near else 0.05
    colour = body if near else shade(body, 0.72)
    hips = [(xs[0] + dx, hip_y), (xs[1] + dx, hip_y)]
    length = 0.985 - hip_y - width / 2
    legs(pen, hips, length, width, colour, pose, _NEAR if near else _FAR, foot=foot)


def dog(pen: Pen, body: RGB, pose: Pose) -> None:
    wag = 0.06 * pose.swing(0.25)
    pen.line([(0.34, 0.46), (0.22, 0.32), (0.16 + wag, 0.18)], 0.06, body)
    _quad_legs(pen, body, pose, (0.45, 0.98), 0.52, 0.09, near=False)
    pen.ellipse(0.72, 0.5, 0.42, 0.17, body)
    pen.ellipse(0.78, 0.57, 0.3, 0.08, shade(body, 1.25))
    _quad_legs(pen, body, pose, (0.45, 0.98), 0.52, 0.09, near=True)
    pen.line([(1.0, 0.44), (1.16, 0.28)], 0.17, body)
    pen.line([(1.0, 0.4), (1.1, 0.33)], 0.04, (200, 40, 40))
    pen.ellipse(1.21, 0.25, 0.16, 0.13, body)
    pen.ellipse(1.36, 0.3, 0.1, 0.07, shade(body, 1.3))
    pen.circle(1.45, 0.27, 0.03, BLACK)
    pen.poly([(1.08, 0.16), (1.16, 0.16), (1.12, 0.4), (1.04, 0.38)], shade(body, 0.6))
    pen.eye(1.26, 0.21, 0.028)


def cat(pen: Pen, body: RGB, pose: Pose) -> None:
    tail = wave_points(0.36, 0.06, 0.5, 0.05, 0.6, pose.phase, 6)
    tail = [(x, y - (0.36 - x) * 1.0) for x, y in tail]
    pen.line(tail, 0.05, body)
    _quad_legs(pen, body, pose, (0.46, 0.92), 0.58, 0.07, near=False)
    pen.ellipse(0.68, 0.56, 0.36, 0.13, body)
    for x in (0.5, 0.64, 0.78):
        pen.line([(x, 0.45), (x + 0.04, 0.56)], 0.025, shade(body, 0.7))
    _quad_legs(pen, body, pose, (0.46, 0.92), 0.58, 0.07, near=True)
    pen.poly([(0.98, 0.3), (1.02, 0.1), (1.12, 0.24)], body)
    pen.poly([(1.14, 0.24), (1.22, 0.09), (1.26, 0.3)], body)
    pen.poly([(1.01, 0.27), (1.03, 0.16), (1.09, 0.25)], PINK)
    pen.ellipse(1.11, 0.36, 0.15, 0.13, body)
    pen.ellipse(1.09, 0.33, 0.035, 0.025, (120, 200, 80))
    pen.ellipse(1.18, 0.33, 0.035, 0.025, (120, 200, 80))
    pen.circle(1.24, 0.4, 0.02, PINK)
    for dy in (-0.02, 0.02):
        pen.line([(1.24, 0.41), (1.38, 0.41 + dy * 2)], 0.008, WHITE)


def _horse_shape(pen: Pen, body: RGB, pose: Pose, mane: list[RGB]) -> None:
    tail = [(0.24, 0.34), (0.16, 0.5 + 0.03 * pose.swing()), (0.14, 0.72)]
    for k, colour in enumerate(mane):
        pen.line([(x + 0.02 * k, y) for x, y in tail], 0.06, colour)
    _quad_legs(pen, body, pose, (0.38, 0.86), 0.48, 0.07, near=False, foot=BLACK)
    pen.ellipse(0.62, 0.42, 0.4, 0.16, body)
    _quad_legs(pen, body, pose, (0.38, 0.86), 0.48, 0.07, near=True, foot=BLACK)
    pen.line([(0.92, 0.38), (1.12, 0.14)], 0.15, body)
    pen.poly([(1.04, 0.1), (1.2, 0.05), (1.37, 0.2), (1.33, 0.28), (1.14, 0.22)], body)
    pen.poly([(1.08, 0.08), (1.1, 0.0), (1.15, 0.07)], body)
    for k, colour in enumerate(mane):
        pen.line([(0.86 + 0.015 * k, 0.32 - 0.01 * k), (1.06 + 0.015 * k, 0.06)], 0.05, colour)
    pen.circle(1.33, 0.23, 0.015, BLACK)
    pen.eye(1.16, 0.12, 0.022)


def horse(pen: Pen, body: RGB, pose: Pose) -> None:
    _horse_shape(pen, body, pose, [shade(body, 0.45)])


def unicorn(pen: Pen, body: RGB, pose: Pose) -> None:
    rainbow: list[RGB] = [(240, 80, 90), (250, 180, 60), (120, 200, 110), (90, 150, 240)]
    _horse_shape(pen, body, pose, rainbow)
    pen.poly([(1.14, 0.07), (1.3, -0.06), (1.2, 0.1)], (250, 220, 110), glow=True)


def cow(pen: Pen, body: RGB, pose: Pose) -> None:
    patch = (30, 30, 32) if sum(body) > 360 else WHITE
    pen.line([(0.24, 0.3), (0.16, 0.62)], 0.025, body)
    pen.ellipse(0.16, 0.64, 0.03, 0.05, BLACK)
    _quad_legs(pen, body, pose, (0.38, 1.06), 0.56, 0.09, near=False, foot=BLACK)
    pen.rect(0.22, 0.24, 1.22, 0.64, body, radius=0.14)
    pen.ellipse(0.5, 0.36, 0.14, 0.09, patch)
    pen.ellipse(0.92, 0.5, 0.12, 0.08, patch)
    pen.ellipse(0.7, 0.62, 0.08, 0.05, PINK)
    _quad_legs(pen, body, pose, (0.38, 1.06), 0.56, 0.09, near=True, foot=BLACK)
    pen.rect(1.18, 0.16, 1.48, 0.44, body, radius=0.08)
    pen.ellipse(1.44, 0.42, 0.1, 0.075, PINK)
    pen.circle(1.44, 0.41, 0.015, BLACK)
    pen.line([(1.22, 0.17), (1.18, 0.06)], 0.025, (236, 226, 196))
    pen.line([(1.36, 0.17), (1.4, 0.06)], 0.025, (236, 226, 196))
    pen.ellipse(1.14, 0.22, 0.07, 0.035, shade(body, 0.8))
    pen.eye(1.33, 0.26, 0.025)


def sheep(pen: Pen, body: RGB, pose: Pose) -> None:
    face = (44, 42, 44)
    _quad_legs(pen, face, pose, (0.42, 0.88), 0.62, 0.06, near=False)
    for cx, cy, r in (
        (0.36, 0.52, 0.16),
        (0.58, 0.42, 0.18),
        (0.82, 0.44, 0.17),
        (0.98, 0.52, 0.15),
    ):
        pen.circle(cx, cy, r, shade(body, 0.88))
    pen.ellipse(0.66, 0.54, 0.38, 0.2, body)
    for cx, cy in ((0.4, 0.46), (0.6, 0.38), (0.8, 0.4), (0.5, 0.6), (0.8, 0.6)):
        pen.circle(cx, cy, 0.12, body)
    _quad_legs(pen, face, pose, (0.42, 0.88), 0.62, 0.06, near=True)
    pen.ellipse(1.1, 0.42, 0.12, 0.15, face)
    pen.ellipse(1.0, 0.36, 0.08, 0.035, face)
    pen.circle(1.06, 0.3, 0.07, body)
    pen.circle(1.14, 0.4, 0.02, WHITE)


def pig(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.arc(0.2, 0.42, 0.06, 90, 400, 0.02, shade(body, 0.8))
    _quad_legs(pen, body, pose, (0.44, 0.96), 0.66, 0.1, near=False)
    pen.ellipse(0.7, 0.54, 0.46, 0.26, body)
    _quad_legs(pen, body, pose, (0.44, 0.96), 0.66, 0.1, near=True)
    pen.circle(1.14, 0.46, 0.2, body)
    pen.poly([(1.0, 0.32), (1.08, 0.18), (1.14, 0.3)], shade(body, 0.85))
    pen.ellipse(1.34, 0.5, 0.07, 0.085, shade(body, 0.82))
    pen.circle(1.32, 0.48, 0.015, BLACK)
    pen.circle(1.36, 0.52, 0.015, BLACK)
    pen.eye(1.2, 0.4, 0.025)


def rabbit(pen: Pen, body: RGB, pose: Pose) -> None:
    stretch = 0.06 * max(0.0, pose.swing())
    pen.ellipse(0.42 - stretch, 0.94, 0.2 + stretch, 0.05, shade(body, 0.85))
    pen.ellipse(0.44, 0.68, 0.31, 0.27, body)
    pen.circle(0.12, 0.66, 0.08, WHITE)
    pen.ellipse(0.7, 0.88, 0.08, 0.06, body)
    tilt = 0.03 * pose.swing(0.25)
    for dx in (0.0, 0.1):
        pen.poly(
            [(0.64 + dx, 0.3), (0.6 + dx + tilt, 0.02), (0.7 + dx + tilt, 0.0), (0.72 + dx, 0.3)],
            body,
        )
    pen.poly([(0.76, 0.28), (0.73 + tilt, 0.06), (0.77 + tilt, 0.05), (0.79, 0.28)], PINK)
    pen.ellipse(0.74, 0.4, 0.17, 0.15, body)
    pen.circle(0.9, 0.42, 0.022, PINK)
    pen.eye(0.8, 0.36, 0.028)


def fox(pen: Pen, body: RGB, pose: Pose) -> None:
    swish = 0.04 * pose.swing(0.25)
    pen.poly(
        [(0.5, 0.5), (0.22, 0.34 + swish), (0.02, 0.4 + swish), (0.2, 0.56), (0.48, 0.6)], body
    )
    pen.poly([(0.02, 0.4 + swish), (0.1, 0.46 + swish), (0.12, 0.38 + swish)], WHITE)
    _quad_legs(pen, BLACK, pose, (0.6, 1.02), 0.58, 0.06, near=False)
    pen.ellipse(0.82, 0.54, 0.38, 0.13, body)
    pen.ellipse(1.06, 0.58, 0.12, 0.08, WHITE)
    _quad_legs(pen, BLACK, pose, (0.6, 1.02), 0.58, 0.06, near=True)
    pen.poly([(1.08, 0.3), (1.3, 0.32), (1.52, 0.42), (1.3, 0.5), (1.1, 0.48)], body)
    pen.poly([(1.3, 0.44), (1.52, 0.42), (1.3, 0.5)], WHITE)
    pen.poly([(1.1, 0.32), (1.12, 0.14), (1.22, 0.3)], body)
    pen.poly([(1.13, 0.27), (1.13, 0.18), (1.18, 0.27)], BLACK)
    pen.circle(1.52, 0.42, 0.02, BLACK)
    pen.eye(1.27, 0.37, 0.022)


def bear(pen: Pen, body: RGB, pose: Pose) -> None:
    _quad_legs(pen, body, pose, (0.42, 0.98), 0.62, 0.15, near=False)
    pen.ellipse(0.7, 0.5, 0.5, 0.3, body)
    pen.ellipse(0.62, 0.3, 0.26, 0.12, shade(body, 1.1))
    _quad_legs(pen, body, pose, (0.42, 0.98), 0.62, 0.15, near=True)
    pen.circle(1.1, 0.17, 0.06, body)
    pen.circle(1.27, 0.16, 0.06, body)
    pen.circle(1.2, 0.34, 0.2, body)
    pen.ellipse(1.34, 0.41, 0.1, 0.075, shade(body, 1.35))
    pen.circle(1.42, 0.38, 0.03, BLACK)
    pen.eye(1.24, 0.28, 0.026)


def lion(pen: Pen, body: RGB, pose: Pose) -> None:
    mane = mix(shade(body, 0.55), (120, 60, 20), 0.4)
    pen.line([(0.3, 0.45), (0.16, 0.5), (0.1, 0.36 + 0.04 * pose.swing(0.25))], 0.03, body)
    pen.circle(0.1, 0.36 + 0.04 * pose.swing(0.25), 0.04, mane)
    _quad_legs(pen, body, pose, (0.44, 0.98), 0.55, 0.1, near=False)
    pen.ellipse(0.68, 0.5, 0.42, 0.17, body)
    _quad_legs(pen, body, pose, (0.44, 0.98), 0.55, 0.1, near=True)
    for k in range(10):
        a = 2 * math.pi * k / 10
        pen.circle(1.18 + 0.18 * math.cos(a), 0.34 + 0.18 * math.sin(a), 0.09, mane)
    pen.circle(1.18, 0.34, 0.2, mane)
    pen.circle(1.24, 0.35, 0.14, body)
    pen.ellipse(1.34, 0.41, 0.07, 0.05, shade(body, 1.3))
    pen.circle(1.38, 0.38, 0.025, BLACK)
    pen.eye(1.27, 0.3, 0.024)


def elephant(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.line([(0.18, 0.4), (0.12, 0.62)], 0.02, body)
    _quad_legs(pen, body, pose, (0.36, 0.86), 0.58, 0.16, near=False)
    pen.ellipse(0.6, 0.44, 0.46, 0.28, body)
    _quad_legs(pen, body, pose, (0.36, 0.86), 0.58, 0.16, near=True)
    sway = 0.03 * pose.swing(0.25)
    pen.line([(1.16, 0.4), (1.26, 0.6), (1.28 + sway, 0.8), (1.36 + sway, 0.86)], 0.1, body)
    pen.circle(1.06, 0.34, 0.22, body)
    pen.ellipse(0.94, 0.38, 0.15, 0.21, shade(body, 0.82))
    pen.line([(1.16, 0.5), (1.24, 0.58), (1.34, 0.56)], 0.035, (246, 242, 226))
    pen.eye(1.14, 0.3, 0.025)


def giraffe(pen: Pen, body: RGB, pose: Pose) -> None:
    spots = shade(body, 0.5)
    pen.line([(0.12, 0.48), (0.08, 0.64)], 0.02, body)
    _quad_legs(pen, body, pose, (0.22, 0.56), 0.56, 0.055, near=False, foot=BLACK)
    pen.ellipse(0.4, 0.5, 0.3, 0.12, body)
    pen.line([(0.56, 0.46), (0.72, 0.1)], 0.1, body)
    pen.line([(0.52, 0.42), (0.68, 0.08)], 0.025, spots)
    for cx, cy in (
        (0.26, 0.48),
        (0.4, 0.45),
        (0.52, 0.52),
        (0.34, 0.55),
        (0.62, 0.32),
        (0.68, 0.2),
    ):
        pen.rect(cx - 0.03, cy - 0.025, cx + 0.03, cy + 0.025, spots, radius=0.01)
    _quad_legs(pen, body, pose, (0.22, 0.56), 0.56, 0.055, near=True, foot=BLACK)
    pen.poly([(0.66, 0.04), (0.76, 0.02), (0.88, 0.1), (0.84, 0.14), (0.7, 0.13)], body)
    for x in (0.7, 0.75):
        pen.line([(x, 0.04), (x, -0.02)], 0.015, spots)
        pen.circle(x, -0.02, 0.012, spots)
    pen.circle(0.76, 0.07, 0.012, BLACK)


def bird(pen: Pen, body: RGB, pose: Pose) -> None:
    if not pose.flying:
        legs(pen, [(0.6, 0.66), (0.7, 0.66)], 0.32, 0.02, ORANGE, pose, (0.0, 0.5), amplitude=15)
    pen.poly([(0.36, 0.44), (0.02, 0.32), (0.06, 0.58)], shade(body, 0.8))
    pen.ellipse(0.66, 0.5, 0.34, 0.19, body)
    pen.ellipse(0.72, 0.58, 0.22, 0.1, shade(body, 1.45))
    pen.circle(0.98, 0.36, 0.15, body)
    pen.poly([(1.1, 0.32), (1.32, 0.38), (1.1, 0.42)], ORANGE)
    pen.eye(1.02, 0.33, 0.035)
    if pose.flying:
        tip = 0.46 * pose.swing()
        pen.poly(
            [(0.5, 0.45), (0.82, 0.45), (0.55, 0.45 - tip), (0.4, 0.45 - tip * 0.9)],
            shade(body, 0.7),
        )
    else:
        pen.ellipse(0.6, 0.48, 0.22, 0.1, shade(body, 0.7))


def owl(pen: Pen, body: RGB, pose: Pose) -> None:
    wing = shade(body, 0.7)
    if pose.flying:
        tip = 0.3 * pose.swing()
        pen.poly([(0.2, 0.45), (0.0, 0.3 - tip), (0.08, 0.6)], wing)
        pen.poly([(0.6, 0.45), (0.8, 0.3 - tip), (0.72, 0.6)], wing)
    pen.ellipse(0.4, 0.58, 0.3, 0.38, body)
    pen.ellipse(0.4, 0.68, 0.19, 0.24, shade(body, 1.45))
    for y in (0.6, 0.7, 0.8):
        pen.arc(0.4, y, 0.05, 20, 160, 0.012, body)
    pen.poly([(0.14, 0.28), (0.16, 0.08), (0.28, 0.22)], body)
    pen.poly([(0.52, 0.22), (0.64, 0.08), (0.66, 0.28)], body)
    pen.ellipse(0.4, 0.34, 0.26, 0.17, shade(body, 1.3))
    for x in (0.29, 0.51):
        pen.circle(x, 0.33, 0.09, (250, 200, 60))
        pen.circle(x, 0.33, 0.05, BLACK)
    pen.poly([(0.36, 0.4), (0.44, 0.4), (0.4, 0.48)], ORANGE)
    if not pose.flying:
        pen.ellipse(0.12, 0.62, 0.06, 0.2, wing)
        pen.ellipse(0.68, 0.62, 0.06, 0.2, wing)
    pen.ellipse(0.32, 0.97, 0.06, 0.03, ORANGE)
    pen.ellipse(0.48, 0.97, 0.06, 0.03, ORANGE)


def duck(pen: Pen, body: RGB, pose: Pose) -> None:
    if not pose.swimming and not pose.flying:
        legs(pen, [(0.52, 0.8), (0.66, 0.8)], 0.17, 0.03, ORANGE, pose, (0.0, 0.5), foot=ORANGE)
    pen.poly([(0.2, 0.58), (0.02, 0.44), (0.12, 0.7)], body)
    pen.ellipse(0.6, 0.66, 0.46, 0.2, body)
    pen.line([(0.92, 0.6), (0.94, 0.38)], 0.14, body)
    pen.circle(0.98, 0.3, 0.16, body)
    pen.ellipse(1.16, 0.35, 0.12, 0.045, ORANGE)
    pen.eye(1.02, 0.26, 0.03)
    wing = 0.2 * pose.swing() if pose.flying else 0.0
    pen.poly([(0.36, 0.56 - wing), (0.8, 0.58), (0.62, 0.72), (0.3, 0.66)], shade(body, 0.8))


def penguin(pen: Pen, body: RGB, pose: Pose) -> None:
    flap = 18 * pose.swing()
    pen.limb(0.12, 0.42, 0.32, 18 + flap, 0.08, body)
    pen.ellipse(0.24, 0.96, 0.09, 0.04, ORANGE)
    pen.ellipse(0.4, 0.96, 0.09, 0.04, ORANGE)
    pen.ellipse(0.3, 0.56, 0.25, 0.41, body)
    pen.ellipse(0.34, 0.62, 0.17, 0.32, WHITE)
    pen.limb(0.46, 0.42, 0.3, -14 - flap, 0.07, shade(body, 0.8))
    pen.poly([(0.48, 0.26), (0.6, 0.29), (0.48, 0.32)], ORANGE)
    pen.circle(0.42, 0.24, 0.035, WHITE)
    pen.circle(0.43, 0.24, 0.018, BLACK)


def fish(pen: Pen, body: RGB, pose: Pose) -> None:
    wag = 0.1 * pose.swing()
    pen.poly([(0.42, 0.5), (0.02, 0.18 + wag), (0.1, 0.5), (0.02, 0.82 + wag)], shade(body, 0.85))
    pen.poly([(0.7, 0.2), (0.9, 0.02), (1.14, 0.18)], shade(body, 0.8))
    pen.ellipse(0.96, 0.5, 0.64, 0.34, body)
    pen.poly(ellipse_band(0.96, 0.5, 0.64, 0.34, 0.62, 0.72), shade(body, 1.35))
    pen.poly(ellipse_band(0.96, 0.5, 0.64, 0.34, 0.88, 0.98), shade(body, 1.35))
    pen.arc(1.18, 0.5, 0.14, 300, 60, 0.02, shade(body, 0.7))
    pen.poly([(0.96, 0.6), (0.82, 0.78 + wag * 0.3), (1.04, 0.66)], shade(body, 0.8))
    pen.eye(1.38, 0.42, 0.07)


def shark(pen: Pen, body: RGB, pose: Pose) -> None:
    wag = 0.12 * pose.swing()
    pen.poly([(0.3, 0.52), (0.02, 0.1 + wag), (0.16, 0.52), (0.08, 0.86 + wag * 0.5)], body)
    pen.poly([(1.16, 0.34), (1.46, 0.0), (1.66, 0.34)], body)
    pen.ellipse(1.44, 0.54, 1.24, 0.24, body)
    pen.poly(ellipse_band(1.44, 0.62, 1.1, 0.14, 0.5, 2.5), WHITE)
    pen.poly([(1.4, 0.66), (1.14, 0.96), (1.62, 0.7)], shade(body, 0.85))
    for x in (1.96, 2.04, 2.12):
        pen.line([(x, 0.46), (x - 0.03, 0.6)], 0.015, shade(body, 0.6))
    pen.line([(2.4, 0.62), (2.6, 0.6)], 0.02, shade(body, 0.4))
    pen.circle(2.4, 0.46, 0.035, BLACK)


def whale(pen: Pen, body: RGB, pose: Pose) -> None:
    lift = 0.14 * pose.swing()
    pen.poly([(0.4, 0.5), (0.02, 0.24 - lift), (0.2, 0.42 - lift), (0.3, 0.5)], body)
    pen.poly([(0.4, 0.5), (0.04, 0.62 - lift), (0.22, 0.5 - lift)], body)
    pen.ellipse(1.4, 0.56, 1.12, 0.38, body)
    pen.poly(ellipse_band(1.4, 0.72, 1.0, 0.2, 0.8, 2.4), shade(body, 1.4))
    for k in range(4):
        pen.line([(1.3 + k * 0.24, 0.82), (1.4 + k * 0.24, 0.8)], 0.015, shade(body, 0.8))
    pen.poly([(1.5, 0.78), (1.3, 1.0), (1.74, 0.8)], shade(body, 0.8))
    pen.line([(2.2, 0.66), (2.46, 0.62)], 0.02, shade(body, 0.5))
    pen.circle(2.16, 0.52, 0.035, BLACK)
    spray = 0.06 + 0.04 * pose.swing(0.3)
    for dx in (-0.06, 0.0, 0.06):
        pen.line([(1.9, 0.2), (1.9 + dx, 0.2 - spray)], 0.02, (210, 230, 250, 200))


def dolphin(pen: Pen, body: RGB, pose: Pose) -> None:
    lift = 0.1 * pose.swing()
    pen.poly([(0.36, 0.52), (0.02, 0.3 - lift), (0.14, 0.52), (0.04, 0.72 - lift)], body)
    pen.poly([(1.0, 0.36), (1.12, 0.06), (1.34, 0.34)], body)
    pen.ellipse(1.2, 0.52, 0.92, 0.22, body)
    pen.ellipse(2.14, 0.58, 0.22, 0.06, body)
    pen.poly(ellipse_band(1.3, 0.62, 0.8, 0.12, 0.6, 2.0), shade(body, 1.45))
    pen.poly([(1.4, 0.66), (1.26, 0.9), (1.6, 0.7)], shade(body, 0.8))
    pen.arc(2.04, 0.56, 0.1, 20, 120, 0.015, shade(body, 0.5))
    pen.circle(1.92, 0.46, 0.03, BLACK)


def turtle(pen: Pen, body: RGB, pose: Pose) -> None:
    skin = (150, 178, 110)
    step = 0.05 * pose.swing()
    for x, dy in ((0.46, step), (1.1, -step)):
        pen.ellipse(x, 0.88 + dy * 0.3, 0.1, 0.1, shade(skin, 0.8))
    pen.line([(1.2, 0.72), (1.42, 0.62)], 0.1, skin)
    pen.ellipse(1.46, 0.62, 0.14, 0.1, skin)
    pen.eye(1.52, 0.6, 0.025)
    pen.pie(0.8, 0.84, 0.56, 180, 360, body)
    pen.rect(0.22, 0.8, 1.38, 0.88, shade(body, 0.7), radius=0.03)
    for cx, cy in ((0.56, 0.62), (0.8, 0.5), (1.04, 0.62), (0.8, 0.72)):
        pen.poly(
            [
                (cx - 0.1, cy),
                (cx - 0.05, cy - 0.08),
                (cx + 0.05, cy - 0.08),
                (cx + 0.1, cy),
                (cx + 0.05, cy + 0.08),
                (cx - 0.05, cy + 0.08),
            ],
            shade(body, 0.75),
        )
    for x, dy in ((0.36, -step), (1.2, step)):
        pen.ellipse(x, 0.9 + dy * 0.3, 0.1, 0.08, skin)


def frog(pen: Pen, body: RGB, pose: Pose) -> None:
    kick = max(0.0, pose.swing())
    pen.poly([(0.3, 0.7), (0.06 - 0.1 * kick, 0.96), (0.4, 0.98), (0.5, 0.8)], shade(body, 0.8))
    pen.ellipse(0.66, 0.64, 0.46, 0.28, body)
    pen.ellipse(0.74, 0.74, 0.3, 0.16, shade(body, 1.45))
    pen.line([(0.9, 0.76), (0.98, 0.98)], 0.07, body)
    pen.ellipse(1.02, 0.98, 0.08, 0.03, body)
    for cx in (0.8, 1.02):
        pen.circle(cx, 0.36, 0.12, body)
        pen.circle(cx, 0.34, 0.08, (250, 230, 90))
        pen.ellipse(cx + 0.01, 0.34, 0.06, 0.03, BLACK)
    pen.arc(0.98, 0.5, 0.14, 20, 150, 0.02, shade(body, 0.5))


def snake(pen: Pen, body: RGB, pose: Pose) -> None:
    points = wave_points(0.06, 2.66, 0.66, 0.16, 1.3, pose.phase, 26)
    for k in range(len(points) - 1):
        width = 0.05 + 0.11 * k / (len(points) - 1)
        pen.line([points[k], points[k + 1]], width, body)
    for k in range(4, len(points) - 2, 3):
        x, y = points[k]
        pen.poly([(x - 0.04, y), (x, y - 0.04), (x + 0.04, y), (x, y + 0.04)], shade(body, 0.6))
    hx, hy = points[-1]
    pen.ellipse(hx + 0.12, hy - 0.04, 0.16, 0.11, body)
    flick = 0.04 * pose.swing(0.2)
    pen.line([(hx + 0.26, hy - 0.02), (hx + 0.36, hy - 0.02 + flick)], 0.015, (220, 40, 50))
    pen.eye(hx + 0.16, hy - 0.08, 0.03)


def butterfly(pen: Pen, body: RGB, pose: Pose) -> None:
    open_ = 0.25 + 0.75 * abs(pose.swing(0.25))
    inner = shade(body, 0.7)
    for side in (-1, 1):
        cx = 0.65 + side * 0.3 * open_
        pen.ellipse(cx, 0.34, 0.3 * open_, 0.26, body)
        pen.ellipse(0.65 + side * 0.2 * open_, 0.68, 0.2 * open_, 0.18, inner)
        pen.circle(cx, 0.3, 0.07 * open_ + 0.01, WHITE)
    pen.ellipse(0.65, 0.5, 0.04, 0.3, BLACK)
    pen.line([(0.64, 0.22), (0.56, 0.04)], 0.015, BLACK)
    pen.line([(0.66, 0.22), (0.74, 0.04)], 0.015, BLACK)


def bee(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.poly([(0.18, 0.6), (0.04, 0.62), (0.18, 0.66)], BLACK)
    pen.ellipse(0.6, 0.6, 0.44, 0.3, body)
    for x0 in (0.36, 0.6):
        pen.poly(ellipse_band(0.6, 0.6, 0.44, 0.3, x0, x0 + 0.12), BLACK)
    pen.circle(1.02, 0.58, 0.16, BLACK)
    pen.circle(1.08, 0.54, 0.035, WHITE)
    pen.line([(1.02, 0.44), (1.1, 0.28)], 0.015, BLACK)
    flap = 0.2 * abs(pose.swing())
    pen.ellipse(0.58, 0.24 + flap * 0.5, 0.16, 0.2 - flap * 0.5, (220, 236, 250, 200))
    pen.ellipse(0.76, 0.26 + flap * 0.5, 0.12, 0.16 - flap * 0.4, (200, 224, 246, 200))
