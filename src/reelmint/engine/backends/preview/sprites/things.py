"""Creatures, objects, plants and buildings, facing right, standing at y = 1."""

from __future__ import annotations

import math

from reelmint.engine.backends.preview.sprites.parts import (
    BLACK,
    GLASS,
    WARM_LIGHT,
    WHITE,
    WOOD,
    Pose,
    accent,
    legs,
    wave_points,
)
from reelmint.engine.backends.preview.sprites.pen import RGB, Pen, rotate, shade

# -- creatures ---------------------------------------------------------------------------------


def robot(pen: Pen, body: RGB, pose: Pose) -> None:
    joint = shade(body, 0.6)
    legs(pen, [(0.28, 0.66), (0.42, 0.66)], 0.3, 0.08, joint, pose, (0.5, 0.0), amplitude=16)
    pen.rect(0.18, 0.92, 0.34, 0.99, shade(body, 0.5), radius=0.01)
    pen.rect(0.36, 0.92, 0.52, 0.99, shade(body, 0.5), radius=0.01)
    swing = 20 * pose.swing()
    pen.limb(0.14, 0.4, 0.24, swing, 0.06, joint)
    pen.rect(0.14, 0.34, 0.56, 0.68, body, radius=0.03)
    pen.rect(0.24, 0.42, 0.46, 0.56, shade(body, 0.75), radius=0.02)
    blink = int(pose.phase * 4) % 2 == 0
    for k, colour in enumerate(((255, 80, 80), (80, 230, 120), (80, 160, 255))):
        pen.circle(0.29 + k * 0.06, 0.49, 0.02, colour, glow=blink or k == 1)
    pen.rect(0.31, 0.3, 0.39, 0.35, joint)
    pen.rect(0.2, 0.1, 0.52, 0.31, body, radius=0.04)
    pen.rect(0.3, 0.15, 0.5, 0.22, (20, 30, 40), radius=0.02)
    pen.rect(0.33, 0.16, 0.37, 0.21, (90, 230, 250), glow=True)
    pen.rect(0.43, 0.16, 0.47, 0.21, (90, 230, 250), glow=True)
    pen.line([(0.36, 0.1), (0.36, 0.02)], 0.015, joint)
    pen.circle(0.36, 0.02, 0.025, (255, 80, 80), glow=blink)
    end = pen.limb(0.56, 0.4, 0.24, -swing, 0.06, joint)
    pen.circle(end[0], end[1], 0.04, shade(body, 0.5))


def ghost(pen: Pen, body: RGB, pose: Pose) -> None:
    sheet = (*body, 215)
    hem = wave_points(0.06, 0.74, 0.9, 0.05, 0.23, pose.phase, 12)
    pen.poly([(0.06, 0.4), *hem, (0.74, 0.4)], sheet)
    pen.ellipse(0.4, 0.4, 0.34, 0.36, sheet)
    pen.ellipse(0.03, 0.55 + 0.04 * pose.swing(), 0.08, 0.05, sheet)
    pen.ellipse(0.78, 0.55 - 0.04 * pose.swing(), 0.08, 0.05, sheet)
    pen.ellipse(0.34, 0.34, 0.05, 0.08, BLACK)
    pen.ellipse(0.52, 0.34, 0.05, 0.08, BLACK)
    pen.ellipse(0.44, 0.52, 0.05, 0.06, (60, 40, 50))


def dragon(pen: Pen, body: RGB, pose: Pose) -> None:
    belly = accent(body, (236, 206, 110), (236, 236, 200))
    tip = 0.42 * pose.swing()
    wing = shade(body, 0.72)
    pen.poly([(0.7, 0.38), (0.86, 0.36), (0.66, 0.02 - tip), (0.36, 0.12 - tip)], wing)
    tail = [(0.5, 0.56), (0.3, 0.66), (0.14, 0.62), (0.04, 0.52)]
    pen.line(tail, 0.09, body)
    pen.poly([(0.0, 0.44), (0.1, 0.5), (0.02, 0.58)], shade(body, 0.6))
    legs(pen, [(0.64, 0.62), (1.14, 0.6)], 0.33, 0.11, shade(body, 0.75), pose, (0.5, 0.0))
    pen.ellipse(0.88, 0.54, 0.38, 0.2, body)
    pen.ellipse(0.94, 0.64, 0.26, 0.09, belly)
    for k in range(5):
        x = 0.6 + k * 0.12
        pen.poly([(x, 0.38), (x + 0.05, 0.3), (x + 0.1, 0.38)], shade(body, 0.55))
    legs(pen, [(0.7, 0.62), (1.2, 0.6)], 0.33, 0.11, body, pose, (0.0, 0.5))
    pen.line([(1.14, 0.46), (1.34, 0.26)], 0.14, body)
    pen.poly([(1.26, 0.16), (1.56, 0.2), (1.64, 0.28), (1.5, 0.34), (1.28, 0.34)], body)
    pen.poly([(1.3, 0.18), (1.26, 0.04), (1.38, 0.16)], (236, 226, 196))
    pen.circle(1.58, 0.24, 0.015, BLACK)
    pen.eye(1.42, 0.22, 0.03)
    pen.poly(
        [(0.74, 0.38), (0.9, 0.36), (0.8, 0.1 - tip * 0.8), (0.56, 0.14 - tip)], shade(body, 0.9)
    )
    pen.line([(0.82, 0.37), (0.78, 0.12 - tip * 0.8)], 0.015, wing)


def dinosaur(pen: Pen, body: RGB, pose: Pose) -> None:
    legs(pen, [(0.62, 0.56)], 0.42, 0.13, shade(body, 0.72), pose, (0.5,), amplitude=20)
    pen.poly([(0.64, 0.4), (0.02, 0.62), (0.6, 0.6)], body)
    pen.ellipse(0.72, 0.46, 0.3, 0.18, body)
    for k in range(4):
        pen.circle(0.56 + k * 0.1, 0.38, 0.025, shade(body, 0.7))
    legs(pen, [(0.74, 0.56)], 0.42, 0.14, body, pose, (0.0,), amplitude=20)
    pen.line([(0.9, 0.42), (1.1, 0.22)], 0.18, body)
    pen.rect(1.02, 0.06, 1.56, 0.3, body, radius=0.08)
    pen.rect(1.2, 0.26, 1.52, 0.34, shade(body, 0.85), radius=0.04)
    for k in range(5):
        x = 1.24 + k * 0.06
        pen.poly([(x, 0.28), (x + 0.02, 0.32), (x + 0.04, 0.28)], WHITE)
    pen.eye(1.32, 0.14, 0.035)
    pen.line([(0.96, 0.48), (1.04, 0.56), (1.08, 0.54)], 0.04, body)


def alien(pen: Pen, body: RGB, pose: Pose) -> None:
    suit = (180, 184, 196)
    legs(pen, [(0.26, 0.64), (0.34, 0.64)], 0.34, 0.05, body, pose, (0.5, 0.0), amplitude=18)
    pen.limb(0.2, 0.46, 0.22, 20 * pose.swing(), 0.04, body)
    pen.rect(0.18, 0.42, 0.42, 0.68, suit, radius=0.05)
    pen.limb(0.4, 0.46, 0.22, -20 * pose.swing(), 0.04, body)
    pen.line([(0.3, 0.42), (0.3, 0.36)], 0.05, body)
    for dx in (-0.08, 0.08):
        pen.line([(0.3 + dx, 0.06), (0.3 + dx * 2, -0.03)], 0.012, body)
        pen.circle(0.3 + dx * 2, -0.03, 0.02, (250, 230, 90), glow=True)
    pen.ellipse(0.3, 0.2, 0.24, 0.17, body)
    pen.ellipse(0.3, 0.3, 0.12, 0.08, body)
    for dx in (-0.09, 0.09):
        pen.ellipse(0.3 + dx, 0.2, 0.07, 0.045, BLACK)
        pen.circle(0.3 + dx + 0.02, 0.19, 0.012, WHITE)


# -- objects -----------------------------------------------------------------------------------


def ball(pen: Pen, body: RGB, pose: Pose) -> None:
    """A beach ball: its panels turn as it rolls."""
    panel = accent(body, WHITE, (40, 90, 220))
    turn = pose.phase * 120.0
    pen.circle(0.5, 0.5, 0.48, body)
    for k in range(3):
        start = turn + k * 120.0
        pen.pie(0.5, 0.5, 0.48, start, start + 60.0, panel)
    pen.circle(0.5, 0.5, 0.07, accent(body, (250, 210, 60), WHITE))
    pen.ellipse(0.34, 0.28, 0.1, 0.06, (255, 255, 255, 150))


def balloon(pen: Pen, body: RGB, pose: Pose) -> None:
    string = [
        (0.3 + 0.03 * math.sin(2 * math.pi * (k / 8 + pose.phase)), 0.62 + k * 0.0475)
        for k in range(9)
    ]
    pen.line(string, 0.012, (90, 90, 96))
    pen.poly([(0.26, 0.64), (0.34, 0.64), (0.3, 0.58)], shade(body, 0.8))
    pen.ellipse(0.3, 0.3, 0.27, 0.31, body)
    pen.ellipse(0.2, 0.18, 0.06, 0.1, (255, 255, 255, 150))


def kite(pen: Pen, body: RGB, pose: Pose) -> None:
    tail = [
        (0.45 + 0.05 * math.sin(2 * math.pi * (k / 6 + pose.phase)), 0.6 + k * 0.065)
        for k in range(7)
    ]
    pen.line(tail, 0.012, (80, 80, 86))
    bow = accent(body, (250, 210, 60), (40, 90, 220))
    for x, y in tail[2::2]:
        pen.poly(
            [
                (x - 0.05, y - 0.03),
                (x + 0.05, y + 0.03),
                (x + 0.05, y - 0.03),
                (x - 0.05, y + 0.03),
            ],
            bow,
        )
    pen.poly([(0.45, 0.0), (0.82, 0.28), (0.45, 0.62), (0.08, 0.28)], body)
    pen.poly([(0.45, 0.0), (0.82, 0.28), (0.45, 0.28)], shade(body, 1.3))
    pen.poly([(0.45, 0.62), (0.08, 0.28), (0.45, 0.28)], shade(body, 0.8))
    pen.line([(0.45, 0.0), (0.45, 0.62)], 0.015, WOOD)
    pen.line([(0.08, 0.28), (0.82, 0.28)], 0.015, WOOD)


def umbrella(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.line([(0.6, 0.1), (0.6, 0.92)], 0.03, (60, 60, 64))
    pen.arc(0.54, 0.92, 0.06, 0, 180, 0.03, (60, 60, 64))
    pen.pie(0.6, 0.5, 0.58, 180, 360, body)
    for k in range(4):
        pen.circle(0.09 + k * 0.29 + 0.145, 0.5, 0.145, (0, 0, 0, 0))
    for x in (0.31, 0.6, 0.89):
        pen.line([(0.6, -0.06), (x, 0.45)], 0.012, shade(body, 0.7))
    pen.line([(0.6, -0.08), (0.6, 0.0)], 0.025, (60, 60, 64))


# -- plants and buildings ----------------------------------------------------------------------


def tree(pen: Pen, body: RGB, pose: Pose) -> None:
    sway = 0.015 * pose.swing()
    pen.poly([(0.34, 1.0), (0.46, 1.0), (0.43, 0.5), (0.37, 0.5)], WOOD)
    pen.line([(0.4, 0.66), (0.28, 0.52)], 0.03, WOOD)
    dark, light = shade(body, 0.72), shade(body, 1.2)
    for cx, cy, r in ((0.22, 0.5, 0.18), (0.58, 0.5, 0.18), (0.4, 0.52, 0.2)):
        pen.circle(cx + sway, cy, r, dark)
    for cx, cy, r in ((0.4, 0.32, 0.3), (0.2, 0.4, 0.18), (0.6, 0.4, 0.18), (0.4, 0.14, 0.16)):
        pen.circle(cx + sway, cy, r, body)
    for cx, cy, r in ((0.32, 0.2, 0.06), (0.5, 0.3, 0.05), (0.24, 0.36, 0.04)):
        pen.circle(cx + sway, cy, r, light)


def flower(pen: Pen, body: RGB, pose: Pose) -> None:
    stem = (60, 140, 60)
    sway = 0.03 * pose.swing()
    pen.line([(0.3, 1.0), (0.3 + sway * 0.5, 0.6), (0.3 + sway, 0.3)], 0.035, stem)
    pen.ellipse(0.18, 0.7, 0.1, 0.04, stem)
    pen.ellipse(0.42, 0.6, 0.1, 0.04, stem)
    cx, cy = 0.3 + sway, 0.26
    for k in range(6):
        a = 2 * math.pi * k / 6
        pen.circle(cx + 0.13 * math.cos(a), cy + 0.13 * math.sin(a), 0.1, body)
    pen.circle(cx, cy, 0.08, accent(body, (250, 210, 60), (140, 80, 40)))


def _window(pen: Pen, x0: float, y0: float, x1: float, y1: float, pose: Pose) -> None:
    pen.rect(x0, y0, x1, y1, WARM_LIGHT if pose.lights_on else GLASS, glow=pose.lights_on)
    pen.line([((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)], 0.015, WHITE)
    pen.line([(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)], 0.015, WHITE)


def house(pen: Pen, body: RGB, pose: Pose) -> None:
    roof = accent(body, (170, 60, 46), (70, 70, 80))
    pen.rect(0.86, 0.08, 0.98, 0.34, shade(roof, 0.8))
    pen.rect(0.1, 0.46, 1.1, 1.0, body)
    pen.poly([(0.02, 0.5), (0.6, 0.04), (1.18, 0.5)], roof)
    pen.rect(0.5, 0.68, 0.7, 1.0, WOOD)
    pen.circle(0.66, 0.84, 0.015, (230, 200, 80))
    _window(pen, 0.2, 0.58, 0.4, 0.78, pose)
    _window(pen, 0.8, 0.58, 1.0, 0.78, pose)
    _window(pen, 0.52, 0.26, 0.68, 0.4, pose)


def castle(pen: Pen, body: RGB, pose: Pose) -> None:
    cone = accent(body, (60, 80, 170), (170, 50, 50))
    flag = accent(body, (210, 40, 40), (250, 210, 60))
    dark = shade(body, 0.75)
    for x0, x1, top in ((0.02, 0.38, 0.26), (1.12, 1.48, 0.26)):
        pen.rect(x0, top, x1, 1.0, dark)
        pen.poly([(x0 - 0.03, top), ((x0 + x1) / 2, top - 0.2), (x1 + 0.03, top)], cone)
        mx = (x0 + x1) / 2
        pen.line([(mx, top - 0.2), (mx, top - 0.3)], 0.012, BLACK)
        wave = 0.02 * pose.swing(x0)
        pen.poly([(mx, top - 0.3), (mx + 0.12, top - 0.27 + wave), (mx, top - 0.24)], flag)
        pen.rect(mx - 0.03, top + 0.14, mx + 0.03, top + 0.26, BLACK)
    pen.rect(0.34, 0.36, 1.16, 1.0, body)
    for k in range(6):
        x = 0.36 + k * 0.14
        pen.rect(x, 0.3, x + 0.08, 0.37, body)
    pen.pie(0.75, 0.78, 0.16, 180, 360, BLACK)
    pen.rect(0.59, 0.78, 0.91, 1.0, BLACK)
    for y in (0.5, 0.64):
        pen.line([(0.36, y), (1.14, y)], 0.008, dark)
    for x in (0.5, 1.0):
        _window(pen, x - 0.04, 0.44, x + 0.04, 0.56, pose)


def lighthouse(pen: Pen, body: RGB, pose: Pose) -> None:
    stripe = accent(body, (200, 40, 40), (240, 240, 240))

    def half_width(y: float) -> float:
        return 0.08 + 0.06 * (y - 0.26) / 0.74

    pen.poly(
        [
            (0.25 - half_width(1.0), 1.0),
            (0.25 + half_width(1.0), 1.0),
            (0.25 + 0.08, 0.26),
            (0.25 - 0.08, 0.26),
        ],
        body,
    )
    for y0, y1 in ((0.4, 0.52), (0.64, 0.76), (0.88, 1.0)):
        pen.poly(
            [
                (0.25 - half_width(y0), y0),
                (0.25 + half_width(y0), y0),
                (0.25 + half_width(y1), y1),
                (0.25 - half_width(y1), y1),
            ],
            stripe,
        )
    pen.rect(0.13, 0.22, 0.37, 0.27, BLACK)
    pen.rect(0.17, 0.1, 0.33, 0.22, (255, 236, 150), glow=True)
    beam = 0.05 + 0.15 * abs(pose.swing())
    pen.poly(
        [(0.33, 0.14), (0.49, 0.16 - beam), (0.49, 0.16 + beam)], (255, 240, 170, 120), glow=True
    )
    pen.pie(0.25, 0.1, 0.1, 180, 360, stripe)
    pen.rect(0.22, 0.8, 0.28, 0.92, WOOD)


def windmill(pen: Pen, body: RGB, pose: Pose) -> None:
    pen.poly([(0.22, 1.0), (0.58, 1.0), (0.5, 0.36), (0.3, 0.36)], body)
    pen.poly([(0.26, 0.38), (0.54, 0.38), (0.4, 0.24)], shade(body, 0.6))
    pen.pie(0.4, 1.0, 0.08, 180, 360, WOOD)
    pen.rect(0.36, 0.56, 0.44, 0.66, GLASS)
    sail = (238, 234, 222)
    hub = (0.4, 0.34)
    for k in range(4):
        angle = pose.phase * 90.0 + 90.0 * k
        blade = rotate([(0.38, 0.34), (0.42, 0.34), (0.42, 0.0), (0.38, 0.0)], *hub, angle)
        cloth = rotate([(0.42, 0.32), (0.52, 0.32), (0.52, 0.02), (0.42, 0.02)], *hub, angle)
        pen.poly(cloth, sail)
        pen.poly(blade, WOOD)
    pen.circle(*hub, 0.035, BLACK)
