"""Vehicles, facing right. `body` paints the bodywork (a red car is red); trim is derived."""

from __future__ import annotations

from reelmint.engine.backends.preview.sprites.parts import (
    BLACK,
    GLASS,
    ORANGE,
    STEEL,
    TYRE,
    WHITE,
    WOOD,
    Pose,
    accent,
    ellipse_band,
    wheel,
)
from reelmint.engine.backends.preview.sprites.pen import RGB, Pen, rotate, shade


def _headlight(pen: Pen, x: float, y: float, r: float, pose: Pose) -> None:
    pen.ellipse(x, y, r * 0.7, r, (255, 236, 170), glow=pose.lights_on)


def car(pen: Pen, body: RGB, pose: Pose) -> None:
    """A hatchback: short tail, long bonnet, so which way it faces is never in doubt."""
    pen.poly([(0.3, 0.46), (0.5, 0.12), (1.2, 0.12), (1.56, 0.46)], body)
    pen.rect(0.04, 0.42, 2.16, 0.82, body, radius=0.14)
    pen.poly([(1.6, 0.44), (2.14, 0.5), (2.16, 0.6), (1.6, 0.6)], shade(body, 1.08))
    pen.poly([(0.42, 0.44), (0.57, 0.19), (0.84, 0.19), (0.84, 0.44)], GLASS)
    pen.poly([(0.92, 0.44), (0.92, 0.19), (1.17, 0.19), (1.42, 0.44)], GLASS)
    pen.line([(0.88, 0.46), (0.88, 0.78)], 0.02, shade(body, 0.6))
    pen.rect(0.04, 0.68, 2.16, 0.74, shade(body, 0.7))
    _headlight(pen, 2.1, 0.55, 0.05, pose)
    pen.ellipse(0.07, 0.52, 0.03, 0.05, (220, 30, 30))
    wheel(pen, 0.48, 0.8, 0.2, pose)
    wheel(pen, 1.74, 0.8, 0.2, pose)


def truck(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.rect(0.04, 0.04, 1.72, 0.8, body, radius=0.03)
    pen.line([(0.06, 0.2), (1.7, 0.2)], 0.015, shade(body, 0.8))
    pen.rect(1.78, 0.28, 2.52, 0.82, shade(body, 0.85), radius=0.08)
    pen.rect(1.98, 0.34, 2.36, 0.54, GLASS, radius=0.03)
    pen.rect(1.74, 0.74, 2.56, 0.8, STEEL)
    _headlight(pen, 2.5, 0.62, 0.05, pose)
    for x in (0.42, 0.86, 2.16):
        wheel(pen, x, 0.83, 0.17, pose)


def bus(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.rect(0.04, 0.08, 2.96, 0.86, body, radius=0.1)
    for k in range(7):
        x = 0.18 + k * 0.33
        pen.rect(x, 0.2, x + 0.26, 0.46, GLASS, radius=0.03)
    pen.rect(2.56, 0.2, 2.82, 0.8, shade(GLASS, 0.8), radius=0.03)
    pen.rect(0.04, 0.54, 2.5, 0.6, accent(body, WHITE, BLACK))
    _headlight(pen, 2.92, 0.7, 0.05, pose)
    wheel(pen, 0.5, 0.84, 0.16, pose)
    wheel(pen, 2.3, 0.84, 0.16, pose)


def bicycle(pen: Pen, body: RGB, pose: Pose) -> None:
    for cx in (0.34, 1.26):
        pen.circle(cx, 0.7, 0.29, TYRE)
        pen.circle(cx, 0.7, 0.24, (0, 0, 0, 0))
        for k in range(3):
            ((x, y),) = rotate([(cx, 0.47)], cx, 0.7, pose.phase * 120 + 120 * k)
            pen.line([(cx, 0.7), (x, y)], 0.012, STEEL)
    frame = [(0.34, 0.7), (0.72, 0.7), (0.62, 0.32), (1.12, 0.32), (0.72, 0.7)]
    pen.line(frame, 0.05, body)
    pen.line([(0.34, 0.7), (0.62, 0.32)], 0.04, body)
    pen.line([(1.12, 0.32), (1.26, 0.7)], 0.045, body)
    pen.line([(1.1, 0.32), (1.08, 0.2), (1.2, 0.18)], 0.035, BLACK)
    pen.ellipse(0.6, 0.28, 0.09, 0.03, BLACK)
    ((px, py),) = rotate([(0.72, 0.58)], 0.72, 0.7, pose.phase * 360)
    pen.line([(0.72, 0.7), (px, py)], 0.03, STEEL)
    pen.circle(0.72, 0.7, 0.045, shade(body, 0.6))


def motorcycle(pen: Pen, body: RGB, pose: Pose) -> None:
    wheel(pen, 0.36, 0.74, 0.25, pose)
    wheel(pen, 1.44, 0.74, 0.25, pose)
    pen.rect(0.62, 0.5, 1.08, 0.72, STEEL, radius=0.05)
    pen.line([(0.5, 0.74), (0.2, 0.62)], 0.05, shade(STEEL, 0.8))
    pen.poly([(0.52, 0.5), (0.76, 0.3), (1.22, 0.3), (1.42, 0.46), (1.28, 0.58), (0.6, 0.58)], body)
    pen.rect(0.36, 0.34, 0.8, 0.42, BLACK, radius=0.04)
    pen.line([(1.44, 0.74), (1.26, 0.3), (1.2, 0.12)], 0.05, shade(STEEL, 0.7))
    pen.line([(1.14, 0.12), (1.3, 0.1)], 0.04, BLACK)
    _headlight(pen, 1.38, 0.3, 0.05, pose)


def train(pen: Pen, body: RGB, pose: Pose) -> None:
    carriage = shade(body, 1.25)
    pen.rect(0.04, 0.14, 1.9, 0.78, carriage, radius=0.06)
    for k in range(4):
        x = 0.2 + k * 0.42
        pen.rect(x, 0.24, x + 0.28, 0.46, GLASS, radius=0.03)
    pen.line([(1.9, 0.66), (2.04, 0.66)], 0.04, BLACK)
    pen.rect(2.0, 0.1, 2.62, 0.76, shade(body, 0.8), radius=0.04)
    pen.rect(2.12, 0.2, 2.46, 0.42, GLASS, radius=0.03)
    pen.rect(2.56, 0.32, 3.72, 0.74, body, radius=0.16)
    for x in (2.9, 3.3):
        pen.line([(x, 0.33), (x, 0.73)], 0.02, shade(body, 0.7))
    pen.rect(3.28, 0.06, 3.48, 0.34, BLACK)
    pen.rect(3.24, 0.04, 3.52, 0.1, BLACK)
    pen.poly([(3.7, 0.62), (3.96, 0.88), (3.7, 0.88)], accent(body, (200, 40, 40)))
    _headlight(pen, 3.7, 0.44, 0.05, pose)
    for k in range(3):
        x = 3.0 - k * 0.55 - pose.phase * 0.25
        r = 0.06 + k * 0.03
        pen.circle(x, 0.0 + 0.02 * k + r, r, (200, 200, 206, 200))
    for x in (0.36, 1.6):
        wheel(pen, x, 0.86, 0.13, pose)
    for x in (2.36, 2.86, 3.38):
        wheel(pen, x, 0.82, 0.17, pose)


def boat(pen: Pen, body: RGB, pose: Pose) -> None:
    angle = -30 + 60 * (0.5 + 0.5 * pose.swing())
    ((ox, oy),) = rotate([(0.7, 1.0)], 1.0, 0.4, angle)
    pen.line([(1.0, 0.4), (ox, oy)], 0.035, WOOD)
    pen.poly([(0.02, 0.42), (1.98, 0.42), (1.72, 0.96), (0.3, 0.96)], body)
    pen.rect(0.02, 0.4, 1.98, 0.5, shade(body, 0.7))
    pen.line([(0.1, 0.7), (1.9, 0.7)], 0.025, accent(body, WHITE, BLACK))
    pen.rect(0.9, 0.28, 1.1, 0.42, WOOD)


def sailboat(pen: Pen, body: RGB, pose: Pose) -> None:
    hull = accent(body, (44, 62, 112), (150, 90, 50))
    pen.line([(0.56, 0.04), (0.56, 0.8)], 0.03, WOOD)
    belly = 0.03 * pose.swing()
    pen.poly([(0.6, 0.06), (0.6, 0.74), (1.08 + belly, 0.74)], body)
    pen.poly([(0.52, 0.14), (0.52, 0.74), (0.12 - belly, 0.74)], shade(body, 0.9))
    flag = 0.03 * pose.swing(0.25)
    pen.poly([(0.56, 0.02), (0.7, 0.04 + flag), (0.56, 0.08)], accent(body, (220, 40, 40)))
    pen.poly([(0.02, 0.78), (1.18, 0.78), (0.98, 0.98), (0.2, 0.98)], hull)
    pen.line([(0.05, 0.82), (1.15, 0.82)], 0.02, WHITE)


def ship(pen: Pen, body: RGB, pose: Pose) -> None:
    deck = (236, 236, 232)
    pen.rect(0.8, 0.3, 2.3, 0.56, deck)
    pen.rect(1.7, 0.14, 2.2, 0.32, deck)
    pen.rect(1.76, 0.18, 2.14, 0.24, GLASS)
    red = accent(body, (196, 40, 36), (40, 40, 48))
    for x in (1.0, 1.36):
        pen.rect(x, 0.04, x + 0.22, 0.32, red)
        pen.rect(x, 0.04, x + 0.22, 0.1, BLACK)
    for k in range(5):
        x = 0.9 + k * 0.26
        pen.rect(x, 0.38, x + 0.16, 0.46, GLASS, glow=pose.lights_on)
    pen.poly([(0.02, 0.56), (3.18, 0.56), (2.92, 1.0), (0.24, 1.0)], body)
    pen.poly([(0.15, 0.86), (3.0, 0.86), (2.92, 1.0), (0.24, 1.0)], red)
    for k in range(8):
        pen.circle(0.5 + k * 0.3, 0.68, 0.03, GLASS, glow=pose.lights_on)
    for k in range(2):
        x = 1.2 - k * 0.45 - pose.phase * 0.2
        pen.circle(x, 0.02 + 0.02 * k, 0.05 + 0.02 * k, (190, 190, 196, 190))


def submarine(pen: Pen, body: RGB, pose: Pose) -> None:
    blade = 0.14 * abs(pose.swing())
    pen.poly([(0.1, 0.6), (0.02, 0.6 - blade - 0.03), (0.02, 0.6 + blade + 0.03)], shade(body, 0.6))
    pen.ellipse(1.3, 0.6, 1.18, 0.3, body)
    pen.rect(1.0, 0.18, 1.5, 0.42, body, radius=0.06)
    pen.line([(1.3, 0.2), (1.3, 0.02), (1.46, 0.02)], 0.03, STEEL)
    pen.poly([(0.3, 0.5), (0.12, 0.34), (0.22, 0.34), (0.46, 0.5)], shade(body, 0.8))
    for x in (1.0, 1.4, 1.8):
        pen.circle(x, 0.6, 0.09, shade(body, 0.6))
        pen.circle(x, 0.6, 0.065, GLASS, glow=pose.lights_on)
    pen.poly(ellipse_band(1.3, 0.6, 1.18, 0.3, 0.5, 0.62), shade(body, 0.75))


def airplane(pen: Pen, body: RGB, pose: Pose) -> None:
    trim = accent(body, (40, 80, 170), (200, 40, 40))
    pen.poly([(0.95, 0.46), (1.32, 0.46), (1.04, 0.18), (0.9, 0.18)], shade(body, 0.7))
    pen.poly([(0.12, 0.44), (0.28, 0.04), (0.48, 0.04), (0.6, 0.44)], shade(body, 0.85))
    pen.rect(0.08, 0.4, 2.0, 0.66, body, radius=0.13)
    pen.ellipse(2.0, 0.54, 0.16, 0.12, body)
    pen.poly([(1.94, 0.45), (2.1, 0.48), (2.06, 0.52), (1.94, 0.52)], GLASS)
    for k in range(9):
        pen.circle(0.7 + k * 0.12, 0.5, 0.025, GLASS, glow=pose.lights_on)
    pen.rect(0.1, 0.58, 1.9, 0.62, trim)
    pen.poly([(0.9, 0.58), (1.42, 0.58), (1.06, 0.96), (0.82, 0.96)], shade(body, 0.9))
    pen.poly([(0.08, 0.5), (0.34, 0.5), (0.16, 0.66), (0.04, 0.66)], shade(body, 0.8))


def helicopter(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.poly([(0.08, 0.42), (0.9, 0.48), (0.9, 0.62), (0.08, 0.5)], body)
    tail = 0.1 * abs(pose.swing())
    pen.line([(0.08, 0.46 - tail - 0.02), (0.08, 0.46 + tail + 0.02)], 0.03, BLACK)
    pen.line([(0.9, 0.95), (1.62, 0.95)], 0.035, BLACK)
    pen.line([(1.05, 0.8), (1.0, 0.95)], 0.03, BLACK)
    pen.line([(1.45, 0.8), (1.5, 0.95)], 0.03, BLACK)
    pen.ellipse(1.24, 0.58, 0.46, 0.28, body)
    pen.ellipse(1.46, 0.52, 0.22, 0.18, GLASS)
    pen.rect(1.2, 0.2, 1.28, 0.32, BLACK)
    span = 0.12 + 0.84 * abs(pose.swing(0.25))
    pen.line([(1.24 - span, 0.2), (1.24 + span, 0.2)], 0.035, shade(BLACK, 2.0))


def rocket(pen: Pen, body: RGB, pose: Pose) -> None:
    trim = accent(body, (210, 40, 40), (240, 240, 240))
    flame = 0.14 + 0.06 * pose.swing()
    pen.poly([(0.12, 0.8), (0.33, 0.8), (0.225, 0.82 + flame)], ORANGE, glow=True)
    pen.poly([(0.16, 0.8), (0.29, 0.8), (0.225, 0.8 + flame * 0.6)], (255, 230, 120), glow=True)
    pen.poly([(0.1, 0.56), (0.0, 0.8), (0.1, 0.78)], trim)
    pen.poly([(0.35, 0.56), (0.45, 0.8), (0.35, 0.78)], trim)
    pen.rect(0.1, 0.18, 0.35, 0.8, body, radius=0.04)
    pen.poly([(0.1, 0.22), (0.225, 0.0), (0.35, 0.22)], trim)
    pen.circle(0.225, 0.4, 0.065, trim)
    pen.circle(0.225, 0.4, 0.045, GLASS)
    pen.rect(0.2, 0.56, 0.25, 0.8, trim)


def hot_air_balloon(pen: Pen, body: RGB, pose: Pose) -> None:
    stripe = accent(body, (250, 210, 60), WHITE)
    pen.poly([(0.1, 0.46), (0.7, 0.46), (0.5, 0.74), (0.3, 0.74)], body)
    pen.ellipse(0.4, 0.34, 0.38, 0.34, body)
    pen.poly(ellipse_band(0.4, 0.34, 0.38, 0.34, 0.2, 0.3), stripe)
    pen.poly(ellipse_band(0.4, 0.34, 0.38, 0.34, 0.5, 0.6), stripe)
    pen.poly([(0.3, 0.62), (0.34, 0.62), (0.36, 0.74), (0.33, 0.74)], stripe)
    pen.poly([(0.46, 0.62), (0.5, 0.62), (0.47, 0.74), (0.44, 0.74)], stripe)
    for x0, x1 in ((0.31, 0.32), (0.49, 0.48)):
        pen.line([(x0, 0.74), (x1, 0.86)], 0.012, WOOD)
    flicker = 0.03 + 0.02 * pose.swing()
    pen.poly([(0.37, 0.84), (0.43, 0.84), (0.4, 0.84 - flicker - 0.03)], ORANGE, glow=True)
    pen.rect(0.3, 0.85, 0.5, 1.0, WOOD, radius=0.02)
    pen.line([(0.3, 0.9), (0.5, 0.9)], 0.01, shade(WOOD, 0.7))


def ufo(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.ellipse(1.0, 0.46, 0.44, 0.32, (150, 220, 232, 210))
    pen.circle(1.0, 0.46, 0.1, (110, 210, 100))
    pen.circle(0.96, 0.43, 0.025, BLACK)
    pen.circle(1.04, 0.43, 0.025, BLACK)
    pen.ellipse(1.0, 0.66, 0.96, 0.18, body)
    pen.ellipse(1.0, 0.72, 0.7, 0.1, shade(body, 0.7))
    lights = ((255, 80, 80), (80, 255, 120), (80, 160, 255), (255, 220, 80))
    for k in range(5):
        colour = lights[(k + int(pose.phase * 4)) % 4]
        pen.circle(0.3 + k * 0.35, 0.66, 0.05, colour, glow=True)
