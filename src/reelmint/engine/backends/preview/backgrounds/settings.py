"""One painter per setting: each adds its layers back to front (sky, far, mid, near).

Depth (aerial haze) and parallax rise together: far layers are paler and move least.
Heights are fractions of the frame height (`stage.y`), sizes of its short side (`unit`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from reelmint.engine.backends.preview.backgrounds import features as f
from reelmint.engine.backends.preview.backgrounds.canvas import LayerCanvas
from reelmint.engine.backends.preview.backgrounds.sky import (
    paint_cave_wall,
    paint_room_wall,
    paint_sky,
    paint_space,
    paint_underwater,
)
from reelmint.engine.vocabulary import SETTINGS

FAR, MID, NEAR = 0.25, 0.55, 1.0


class Layers(Protocol):
    """What a painter may ask for: a new layer at a parallax and haze depth, or the sky."""

    def add(self, parallax: float, depth: float) -> LayerCanvas: ...

    def sky(
        self, painter: Callable[[LayerCanvas], None] = paint_sky, parallax: float = FAR
    ) -> LayerCanvas: ...


def _far_hills(
    layers: Layers, base: float, colour: tuple[int, int, int], *, amplitude: float = 0.04
) -> LayerCanvas:
    far = layers.add(FAR, 0.85)
    s = far.stage
    far.fill_below(far.profile(s.y(base), [(s.y(amplitude), 3), (s.y(amplitude * 0.4), 8)]), colour)
    return far


def _grass(layer: LayerCanvas, top: float, colour: tuple[int, int, int] = (96, 170, 70)) -> None:
    s = layer.stage
    edge = layer.profile(s.y(top), [(s.y(0.006), 5)])
    darker = tuple(int(c * 0.72) for c in colour)
    layer.fill_below(edge, colour, darker)
    f.tufts(layer, s.y(top + 0.02), s.y(1.0), s.unit * 0.11, tuple(int(c * 0.8) for c in colour))


# -- open country ------------------------------------------------------------------------------


def countryside(layers: Layers) -> None:
    layers.sky()
    _far_hills(layers, 0.6, (120, 166, 100))
    mid = layers.add(MID, 0.45)
    s = mid.stage
    hills = mid.profile(s.y(0.69), [(s.y(0.035), 2), (s.y(0.012), 5)])
    mid.fill_below(hills, (108, 176, 82), (84, 150, 64))
    for x in mid.scatter(s.unit * 0.5):
        f.round_tree(mid, x, hills.y(x) + 2, s.unit * f.jitter(mid, 0.12, 0.2), (70, 130, 60))
    barn_x = mid.scatter(mid.period * 0.9)[0]
    barn_y = hills.y(barn_x) + 3
    u = s.unit * 0.09
    mid.rect(barn_x - u, barn_y - u, barn_x + u, barn_y, (170, 50, 40))
    mid.poly(
        [
            (barn_x - u * 1.15, barn_y - u),
            (barn_x, barn_y - u * 1.7),
            (barn_x + u * 1.15, barn_y - u),
        ],
        (90, 70, 60),
    )
    near = layers.add(NEAR, 0.0)
    _grass(near, 0.8)
    for x in near.scatter(s.unit * 0.07, jitter=0.5):
        y = s.y(f.jitter(near, 0.84, 1.0))
        colour = ((250, 250, 250), (250, 214, 60), (230, 70, 90))[int(near.rng.integers(0, 3))]
        near.ellipse(x, y, s.unit * 0.007, s.unit * 0.007, colour)
    f.fence(near, s.y(0.82), s.unit * 0.08, s.unit * 0.14)


def park(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.85)
    s = far.stage
    for x in far.scatter(s.unit * 0.16):
        top = s.y(f.jitter(far, 0.3, 0.5))
        far.rect(x, top, x + s.unit * f.jitter(far, 0.08, 0.14), s.y(0.62), (120, 130, 150))
    far.fill_below(far.profile(s.y(0.6), [(s.y(0.02), 9)]), (90, 140, 80))
    mid = layers.add(MID, 0.4)
    for x in mid.scatter(s.unit * 0.42):
        f.round_tree(mid, x, s.y(0.7), s.unit * f.jitter(mid, 0.3, 0.42), (66, 150, 66))
    mid.fill_band(s.y(0.66), s.y(0.7), (100, 170, 80))
    near = layers.add(NEAR, 0.0)
    _grass(near, 0.7, (104, 182, 80))
    path = near.profile(s.y(0.83), [(s.y(0.015), 2)])
    near.fill_below(path, (222, 200, 160), (206, 182, 140), stop_y=s.y(0.95))
    for x in near.scatter(s.unit * 0.9):
        y = s.y(0.78)
        w = s.unit * 0.16
        near.rect(x - w / 2, y - w * 0.22, x + w / 2, y - w * 0.16, (140, 92, 52))
        near.rect(x - w / 2, y - w * 0.4, x + w / 2, y - w * 0.34, (140, 92, 52))
        for dx in (-0.42, 0.42):
            near.rect(x + dx * w - 2, y - w * 0.22, x + dx * w + 2, y, (50, 50, 54))
    for x in near.scatter(s.unit * 0.75):
        near.rect(x - 2, s.y(0.5), x + 2, s.y(0.74), (50, 50, 56))
        near.ellipse(
            x, s.y(0.5), s.unit * 0.018, s.unit * 0.018, (255, 230, 150), glow=near.look.is_dark
        )


def forest(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.85)
    s = far.stage
    far.fill_below(far.profile(s.y(0.56), [(s.y(0.02), 23), (s.y(0.03), 4)]), (60, 100, 70))
    for x in far.scatter(s.unit * 0.05):
        f.conifer(far, x, s.y(0.58), s.unit * f.jitter(far, 0.12, 0.2), (56, 96, 66))
    mid = layers.add(MID, 0.45)
    mid.fill_band(s.y(0.7), s.y(0.8), (44, 66, 34))
    for x in mid.scatter(s.unit * 0.13):
        f.conifer(mid, x, s.y(0.74), s.unit * f.jitter(mid, 0.3, 0.48), (40, 100, 50))
    near = layers.add(NEAR, 0.0)
    floor = near.profile(s.y(0.77), [(s.y(0.01), 4)])
    near.fill_below(floor, (84, 100, 52), (60, 66, 36))
    f.tufts(near, s.y(0.82), s.y(1.0), s.unit * 0.12, (60, 110, 50))
    for x in near.scatter(s.unit * 0.45):
        y = s.y(f.jitter(near, 0.86, 0.97))
        near.rect(x - s.unit * 0.006, y - s.unit * 0.03, x + s.unit * 0.006, y, (236, 226, 206))
        near.ellipse(x, y - s.unit * 0.03, s.unit * 0.022, s.unit * 0.013, (200, 50, 40))


def jungle(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.8)
    s = far.stage
    far.fill_below(far.profile(s.y(0.46), [(s.y(0.03), 26), (s.y(0.05), 5)]), (36, 96, 56))
    mid = layers.add(MID, 0.35)
    mid.fill_below(mid.profile(s.y(0.6), [(s.y(0.04), 18), (s.y(0.02), 7)]), (30, 110, 50))
    for x in mid.scatter(s.unit * 0.35):
        f.palm(mid, x, s.y(0.76), s.unit * f.jitter(mid, 0.4, 0.55))
    for x in mid.scatter(s.unit * 0.2):
        length = s.y(f.jitter(mid, 0.15, 0.45))
        mid.line(
            [(x, mid.top), (x + s.unit * 0.02, mid.top + length * 0.5), (x, length)],
            s.unit * 0.008,
            (40, 120, 50),
        )
        mid.ellipse(x, length, s.unit * 0.02, s.unit * 0.012, (60, 150, 60))
    near = layers.add(NEAR, 0.0)
    near.fill_below(near.profile(s.y(0.78), [(s.y(0.01), 6)]), (70, 96, 40), (44, 60, 28))
    for x in near.scatter(s.unit * 0.22):
        y = s.y(f.jitter(near, 0.8, 0.9))
        for k in range(5):
            angle = -0.8 + 0.4 * k
            near.line(
                [(x, y), (x + angle * s.unit * 0.09, y - s.unit * (0.09 - abs(angle) * 0.04))],
                s.unit * 0.02,
                (40, 140, 60),
            )
        if near.rng.random() < 0.5:
            near.ellipse(x, y - s.unit * 0.05, s.unit * 0.015, s.unit * 0.015, (240, 90, 60))


def desert(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.85)
    s = far.stage
    for x in far.scatter(s.unit * 0.9):
        w, h = s.unit * f.jitter(far, 0.25, 0.45), s.y(f.jitter(far, 0.08, 0.14))
        far.poly(
            [
                (x - w, s.y(0.62)),
                (x - w * 0.6, s.y(0.6) - h),
                (x + w * 0.6, s.y(0.6) - h),
                (x + w, s.y(0.62)),
            ],
            (190, 120, 90),
        )
    far.fill_band(s.y(0.6), s.y(0.64), (214, 170, 120))
    mid = layers.add(MID, 0.4)
    dunes = mid.profile(s.y(0.68), [(s.y(0.04), 2), (s.y(0.015), 5)])
    mid.fill_below(dunes, (236, 196, 130), (214, 166, 104))
    near = layers.add(NEAR, 0.0)
    sand = near.profile(s.y(0.8), [(s.y(0.012), 3)])
    near.fill_below(sand, (240, 208, 146), (220, 178, 112))
    for x in near.scatter(s.unit * 0.7):
        f.cactus(near, x, s.y(f.jitter(near, 0.8, 0.84)), s.unit * f.jitter(near, 0.16, 0.26))
    for x in near.scatter(s.unit * 0.4):
        f.rock(
            near,
            x,
            s.y(f.jitter(near, 0.86, 0.99)),
            s.unit * f.jitter(near, 0.02, 0.05),
            (170, 130, 96),
        )


def mountains(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.8)
    s = far.stage
    peaks = far.profile(s.y(0.44), [(s.y(0.13), 3), (s.y(0.04), 7)], peaked=True)
    snowline = s.y(0.42)
    far.fill_below(peaks, (250, 252, 255), (236, 242, 250), stop_y=snowline + s.y(0.05))
    rock = far.profile(snowline, [(s.y(0.015), 17)])
    far.fill_below(np.maximum(rock.columns, peaks.columns), (110, 118, 140), (90, 100, 120))
    mid = layers.add(MID, 0.45)
    lower = mid.profile(s.y(0.62), [(s.y(0.06), 2), (s.y(0.02), 9)], peaked=True)
    mid.fill_below(lower, (84, 120, 90), (60, 96, 66))
    for x in mid.scatter(s.unit * 0.09):
        f.conifer(mid, x, lower.y(x) + s.y(0.06), s.unit * f.jitter(mid, 0.08, 0.14), (40, 90, 56))
    near = layers.add(NEAR, 0.0)
    _grass(near, 0.8, (118, 166, 84))
    for x in near.scatter(s.unit * 0.5):
        f.rock(
            near,
            x,
            s.y(f.jitter(near, 0.84, 0.98)),
            s.unit * f.jitter(near, 0.03, 0.07),
            (130, 130, 136),
        )


def arctic(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.8)
    s = far.stage
    far.fill_below(
        far.profile(s.y(0.52), [(s.y(0.07), 3), (s.y(0.02), 9)], peaked=True),
        (226, 236, 248),
        (200, 216, 236),
    )
    mid = layers.add(MID, 0.4)
    mid.fill_band(s.y(0.58), s.y(0.72), (48, 88, 120), (34, 70, 100))
    for x in mid.scatter(s.unit * 0.6):
        w, h = s.unit * f.jitter(mid, 0.1, 0.2), s.unit * f.jitter(mid, 0.05, 0.1)
        y = s.y(f.jitter(mid, 0.62, 0.67))
        mid.poly(
            [(x - w, y), (x - w * 0.5, y - h), (x + w * 0.2, y - h * 1.2), (x + w, y)],
            (236, 244, 252),
        )
        mid.poly([(x + w * 0.2, y - h * 1.2), (x + w, y), (x + w * 0.4, y)], (190, 210, 232))
    f.wave_crests(mid, s.y(0.6), s.y(0.7), s.unit * 0.2, (140, 180, 210))
    near = layers.add(NEAR, 0.0)
    near.fill_below(near.profile(s.y(0.72), [(s.y(0.015), 3)]), (246, 250, 253), (214, 228, 242))
    for x in near.scatter(s.unit * 0.35):
        y = s.y(f.jitter(near, 0.76, 0.98))
        near.line(
            [
                (x, y),
                (x + s.unit * 0.05, y + s.unit * 0.01),
                (x + s.unit * 0.09, y - s.unit * 0.005),
            ],
            1.5,
            (170, 196, 226),
        )
    for x in near.scatter(s.unit * 0.6):
        y = s.y(f.jitter(near, 0.8, 0.95))
        near.ellipse(x, y, s.unit * 0.08, s.unit * 0.025, (226, 236, 248))


def volcano(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.6)
    s = far.stage
    cx = 0.5 * s.width
    base, top, rim = s.y(0.66), s.y(0.2), s.unit * 0.09
    half = s.unit * 0.75
    for k, dy in enumerate((0.0, -0.12, -0.24)):
        r = s.unit * (0.1 + 0.05 * k)
        far.ellipse(cx + s.unit * 0.05 * k, top + s.y(dy) - r * 0.3, r * 1.4, r, (70, 62, 64, 220))
    far.glow(cx, top, s.unit * 0.22, (255, 110, 30), strength=0.8)
    far.poly([(cx - half, base), (cx - rim, top), (cx + rim, top), (cx + half, base)], (82, 60, 56))
    for dx in (-0.3, 0.15, 0.45):
        far.line(
            [
                (cx + rim * dx, top + 2),
                (cx + half * dx * 0.5, (top + base) / 2),
                (cx + half * dx * 0.8, base),
            ],
            s.unit * 0.012,
            (255, 120, 30),
            glow=True,
        )
    far.ellipse(cx, top, rim, rim * 0.25, (255, 170, 60), glow=True)
    far.fill_below(far.profile(s.y(0.64), [(s.y(0.02), 5)]), (70, 56, 54))
    mid = layers.add(MID, 0.35)
    hills = mid.profile(s.y(0.72), [(s.y(0.04), 3), (s.y(0.015), 8)], peaked=True)
    mid.fill_below(hills, (58, 46, 46), (40, 32, 32))
    for x in mid.scatter(s.unit * 0.4):
        y = hills.y(x) + s.y(0.03)
        mid.line(
            [(x, y), (x + s.unit * 0.04, y + s.y(0.04)), (x + s.unit * 0.02, y + s.y(0.08))],
            2.0,
            (255, 110, 30),
            glow=True,
        )
    near = layers.add(NEAR, 0.0)
    near.fill_below(near.profile(s.y(0.8), [(s.y(0.01), 5)]), (46, 38, 38), (26, 22, 22))
    for x in near.scatter(s.unit * 0.35):
        y = s.y(f.jitter(near, 0.84, 0.98))
        w = s.unit * 0.08
        near.line(
            [(x - w, y), (x - w * 0.3, y + 3), (x + w * 0.2, y - 2), (x + w, y + 2)],
            2.5,
            (255, 120, 40),
            glow=True,
        )
    for x in near.scatter(s.unit * 0.4):
        f.rock(
            near,
            x,
            s.y(f.jitter(near, 0.84, 0.99)),
            s.unit * f.jitter(near, 0.03, 0.06),
            (60, 52, 50),
        )


def space(layers: Layers) -> None:
    layers.sky(paint_space)
    mid = layers.add(MID, 0.2)
    s = mid.stage
    mid.fill_below(
        mid.profile(s.y(0.74), [(s.y(0.03), 3), (s.y(0.01), 11)]), (120, 120, 128), (100, 100, 108)
    )
    near = layers.add(NEAR, 0.0)
    near.fill_below(near.profile(s.y(0.82), [(s.y(0.008), 4)]), (170, 170, 176), (120, 120, 128))
    for x in near.scatter(s.unit * 0.3):
        y = s.y(f.jitter(near, 0.85, 0.98))
        r = s.unit * f.jitter(near, 0.03, 0.08)
        near.ellipse(x, y, r, r * 0.3, (200, 200, 206))
        near.ellipse(x, y + r * 0.04, r * 0.82, r * 0.22, (110, 110, 118))


def cave(layers: Layers) -> None:
    layers.sky(paint_cave_wall, parallax=0.2)
    mid = layers.add(MID, 0.3)
    s = mid.stage
    ceiling = s.y(0.08)
    mid.fill_band(mid.top, ceiling, (40, 34, 32))
    for x in mid.scatter(s.unit * 0.12):
        length = s.y(f.jitter(mid, 0.06, 0.22))
        w = s.unit * f.jitter(mid, 0.02, 0.05)
        mid.poly([(x - w, ceiling - 1), (x + w, ceiling - 1), (x, ceiling + length)], (74, 64, 58))
    for x in mid.scatter(s.unit * 0.3):
        height = s.y(f.jitter(mid, 0.06, 0.16))
        w = s.unit * f.jitter(mid, 0.03, 0.06)
        mid.poly([(x - w, s.y(0.8)), (x + w, s.y(0.8)), (x, s.y(0.8) - height)], (86, 74, 66))
    near = layers.add(NEAR, 0.0)
    near.fill_below(near.profile(s.y(0.79), [(s.y(0.012), 5)]), (70, 60, 54), (40, 34, 30))
    for x in near.scatter(s.unit * 0.3):
        f.rock(
            near,
            x,
            s.y(f.jitter(near, 0.83, 0.99)),
            s.unit * f.jitter(near, 0.03, 0.07),
            (84, 74, 66),
        )
    for x in near.scatter(s.unit * 0.8):
        y = s.y(f.jitter(near, 0.84, 0.95))
        near.glow(x, y - s.unit * 0.03, s.unit * 0.1, (255, 150, 60), strength=0.6)
        near.rect(x - 2, y - s.unit * 0.06, x + 2, y, (110, 80, 50))
        near.ellipse(x, y - s.unit * 0.07, s.unit * 0.012, s.unit * 0.02, (255, 200, 90), glow=True)


def _room_furniture(near: LayerCanvas) -> None:
    s = near.stage
    u, floor = s.unit, s.y(0.76)
    sofa_x = near.scatter(near.period)[0]
    w = u * 0.5
    near.rect(sofa_x - w / 2, floor - u * 0.2, sofa_x + w / 2, floor - u * 0.1, (150, 60, 60))
    near.rect(sofa_x - w / 2, floor - u * 0.12, sofa_x + w / 2, floor - u * 0.03, (170, 72, 70))
    for dx in (-0.5, 0.5):
        near.rect(
            sofa_x + dx * w - u * 0.03,
            floor - u * 0.15,
            sofa_x + dx * w + u * 0.03,
            floor - u * 0.03,
            (140, 54, 54),
        )
    shelf_x = (sofa_x + near.period * 0.45) % near.period
    near.rect(shelf_x, floor - u * 0.5, shelf_x + u * 0.26, floor, (120, 80, 46))
    for row in range(4):
        y = floor - u * (0.46 - row * 0.12)
        x = shelf_x + u * 0.02
        while x < shelf_x + u * 0.22:
            bw = u * f.jitter(near, 0.015, 0.03)
            colour = ((180, 60, 50), (60, 100, 160), (220, 190, 90), (70, 130, 80))[
                int(near.rng.integers(0, 4))
            ]
            near.rect(x, y, x + bw, y + u * 0.09, colour)
            x += bw + 1
    lamp_x = (sofa_x - near.period * 0.25) % near.period
    near.rect(lamp_x - 2, floor - u * 0.4, lamp_x + 2, floor, (50, 50, 54))
    if near.look.is_dark:
        near.glow(lamp_x, floor - u * 0.4, u * 0.25, (255, 210, 130), strength=0.7)
    near.poly(
        [
            (lamp_x - u * 0.06, floor - u * 0.36),
            (lamp_x + u * 0.06, floor - u * 0.36),
            (lamp_x + u * 0.04, floor - u * 0.46),
            (lamp_x - u * 0.04, floor - u * 0.46),
        ],
        (250, 226, 170),
        glow=near.look.is_dark,
    )


def room(layers: Layers) -> None:
    layers.sky(paint_room_wall, parallax=0.8)
    near = layers.add(NEAR, 0.0)
    s = near.stage
    floor = s.y(0.68)
    near.fill_band(floor, near.bottom, (176, 122, 76), (140, 94, 56))
    for k in range(1, 8):
        y = floor + (near.bottom - floor) * (k / 8) ** 1.4
        near.fill_band(y, y + 1.2, (120, 80, 46))
    near.ellipse(s.width * 0.5, s.y(0.9), s.unit * 0.5, s.unit * 0.08, (60, 90, 140))
    _room_furniture(near)


# -- water -----------------------------------------------------------------------------------


def beach(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.7)
    s = far.stage
    far.fill_band(s.y(0.48), s.y(0.72), (40, 120, 176), (84, 168, 196))
    for x in far.scatter(far.period * 0.6):
        w = s.unit * f.jitter(far, 0.12, 0.22)
        far.ellipse(x, s.y(0.48), w, s.unit * 0.03, (80, 120, 110))
    mid = layers.add(MID, 0.3)
    f.wave_crests(mid, s.y(0.52), s.y(0.66), s.unit * 0.18, (220, 240, 250))
    near = layers.add(NEAR, 0.0)
    surf = near.profile(s.y(0.7), [(s.y(0.01), 4)])
    near.fill_below(surf, (246, 250, 252), stop_y=s.y(0.73))
    near.fill_below(near.profile(s.y(0.72), [(s.y(0.008), 3)]), (238, 218, 166), (220, 192, 136))
    for x in near.scatter(s.unit * 0.25):
        y = s.y(f.jitter(near, 0.78, 0.99))
        near.ellipse(x, y, s.unit * 0.012, s.unit * 0.008, (250, 236, 220))
    for x in near.scatter(near.period * 0.8):
        f.palm(near, x, s.y(0.8), s.unit * 0.55)


def ocean(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.7)
    s = far.stage
    far.fill_band(s.y(0.46), s.y(0.8), (30, 96, 156), (24, 80, 140))
    f.wave_crests(far, s.y(0.48), s.y(0.6), s.unit * 0.1, (170, 210, 236))
    mid = layers.add(MID, 0.3)
    swell = mid.profile(s.y(0.62), [(s.y(0.012), 9), (s.y(0.008), 17)])
    mid.fill_below(swell, (28, 92, 150), (22, 76, 130))
    f.wave_crests(mid, s.y(0.63), s.y(0.75), s.unit * 0.14, (200, 230, 246))
    near = layers.add(NEAR, 0.0)
    front = near.profile(s.y(0.8), [(s.y(0.025), 5), (s.y(0.01), 11)])
    near.fill_below(front, (26, 88, 146), (14, 54, 100))
    f.wave_crests(near, s.y(0.8), s.y(0.98), s.unit * 0.2, (210, 236, 250))


def underwater(layers: Layers) -> None:
    layers.sky(paint_underwater, parallax=0.1)
    far = layers.add(FAR, 0.6)
    s = far.stage
    far.fill_below(far.profile(s.y(0.72), [(s.y(0.05), 3), (s.y(0.02), 8)]), (30, 80, 110))
    mid = layers.add(MID, 0.3)
    for x in mid.scatter(s.unit * 0.14):
        base = s.y(0.88)
        height = s.y(f.jitter(mid, 0.2, 0.45))
        sway = s.unit * 0.03
        mid.line(
            [
                (x, base),
                (x + sway, base - height * 0.35),
                (x - sway, base - height * 0.7),
                (x, base - height),
            ],
            s.unit * 0.018,
            (40, 130, 70),
        )
    for x in mid.scatter(s.unit * 0.35):
        y = s.y(f.jitter(mid, 0.84, 0.88))
        colour = ((240, 110, 110), (250, 160, 80), (200, 100, 200))[int(mid.rng.integers(0, 3))]
        for k in range(4):
            mid.ellipse(
                x + (k - 1.5) * s.unit * 0.025,
                y - s.unit * (0.02 + 0.02 * (k % 2)),
                s.unit * 0.02,
                s.unit * 0.03,
                colour,
            )
    near = layers.add(NEAR, 0.0)
    near.fill_below(near.profile(s.y(0.86), [(s.y(0.015), 3)]), (200, 184, 130), (150, 134, 96))
    for x in near.scatter(s.unit * 0.35):
        f.rock(
            near,
            x,
            s.y(f.jitter(near, 0.9, 0.99)),
            s.unit * f.jitter(near, 0.03, 0.06),
            (110, 110, 100),
        )
    for x in near.scatter(s.unit * 0.9):
        y = s.y(f.jitter(near, 0.9, 0.97))
        r = s.unit * 0.03
        for k in range(5):
            near.line(
                [
                    (x, y),
                    (
                        x + r * (1.0, 0.31, -0.81, -0.81, 0.31)[k],
                        y + r * (0.0, 0.95, 0.59, -0.59, -0.95)[k],
                    ),
                ],
                r * 0.4,
                (240, 120, 80),
            )


def lake(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.8)
    s = far.stage
    far.fill_below(
        far.profile(s.y(0.42), [(s.y(0.07), 2), (s.y(0.025), 6)], peaked=True), (110, 126, 150)
    )
    far.fill_below(far.profile(s.y(0.52), [(s.y(0.012), 21)]), (54, 96, 70))
    mid = layers.add(MID, 0.35)
    mid.fill_band(s.y(0.56), s.y(0.82), (100, 156, 196), (64, 120, 170))
    for x in mid.scatter(s.unit * 0.12):
        y = s.y(f.jitter(mid, 0.58, 0.8))
        mid.line([(x, y), (x + s.unit * f.jitter(mid, 0.04, 0.12), y)], 1.5, (170, 210, 236))
    near = layers.add(NEAR, 0.0)
    _grass(near, 0.8, (96, 156, 66))
    for x in near.scatter(s.unit * 0.25):
        y = s.y(0.82)
        for k in range(4):
            near.line(
                [
                    (x + k * 3, y),
                    (x + k * 3 + (k - 1.5) * 2, y - s.unit * f.jitter(near, 0.06, 0.12)),
                ],
                1.6,
                (90, 120, 60),
            )
        near.ellipse(x + 4, y - s.unit * 0.1, 2.5, s.unit * 0.02, (110, 76, 46))


def river(layers: Layers) -> None:
    layers.sky()
    _far_hills(layers, 0.52, (110, 150, 110))
    mid = layers.add(MID, 0.45)
    s = mid.stage
    bank = mid.profile(s.y(0.6), [(s.y(0.012), 4)])
    mid.fill_below(bank, (100, 164, 76), (80, 140, 60))
    for x in mid.scatter(s.unit * 0.3):
        f.round_tree(
            mid, x, bank.y(x) + s.y(0.03), s.unit * f.jitter(mid, 0.16, 0.26), (60, 130, 60)
        )
    near = layers.add(NEAR, 0.0)
    near.fill_band(s.y(0.66), s.y(0.83), (76, 136, 178), (56, 110, 150))
    for x in near.scatter(s.unit * 0.1):
        y = s.y(f.jitter(near, 0.68, 0.81))
        near.line([(x, y), (x + s.unit * f.jitter(near, 0.05, 0.12), y)], 1.5, (150, 196, 226))
    _grass(near, 0.82, (100, 160, 70))
    for x in near.scatter(s.unit * 0.3):
        f.rock(
            near,
            x,
            s.y(f.jitter(near, 0.86, 0.99)),
            s.unit * f.jitter(near, 0.02, 0.05),
            (140, 136, 128),
        )


# -- built -----------------------------------------------------------------------------------


def city(layers: Layers) -> None:
    layers.sky()
    far = layers.add(FAR, 0.75)
    s = far.stage
    lit = f.lit_share(far)
    for x in far.scatter(s.unit * 0.12, jitter=0.2):
        w = s.unit * f.jitter(far, 0.08, 0.14)
        top = s.y(0.62) - s.y(f.jitter(far, 0.15, 0.42))
        f.building(
            far, x, x + w, top, s.y(0.66), (84, 92, 120), window=s.unit * 0.012, lit_share=lit * 0.8
        )
    mid = layers.add(MID, 0.35)
    walls = ((150, 100, 84), (170, 170, 176), (120, 134, 150), (196, 180, 150), (92, 100, 112))
    for x in mid.scatter(s.unit * 0.24, jitter=0.1):
        w = s.unit * f.jitter(mid, 0.17, 0.24)
        top = s.y(0.8) - s.y(f.jitter(mid, 0.3, 0.6))
        wall = walls[int(mid.rng.integers(0, len(walls)))]
        f.building(mid, x, x + w, top, s.y(0.8), wall, window=s.unit * 0.022, lit_share=lit)
        if mid.rng.random() < 0.4:
            mid.line([(x + w * 0.7, top), (x + w * 0.7, top - s.unit * 0.06)], 1.5, (60, 60, 66))
    near = layers.add(NEAR, 0.0)
    near.fill_band(s.y(0.78), s.y(0.84), (176, 176, 180), (160, 160, 166))
    near.fill_band(s.y(0.84), s.y(0.85), (120, 120, 126))
    near.fill_band(s.y(0.85), near.bottom, (64, 64, 70), (50, 50, 56))
    for x in near.scatter(s.unit * 0.3, jitter=0.0):
        near.rect(x, s.y(0.93), x + s.unit * 0.12, s.y(0.935) + 1, (230, 230, 220))
    _streetlamps(near, s.y(0.82), s.unit * 0.8)


def _streetlamps(layer: LayerCanvas, foot: float, spacing: float) -> None:
    s = layer.stage
    for x in layer.scatter(spacing, jitter=0.0):
        top = foot - s.unit * 0.42
        layer.rect(x - 2, top, x + 2, foot, (50, 52, 58))
        layer.line([(x, top), (x + s.unit * 0.05, top - s.unit * 0.02)], 3.0, (50, 52, 58))
        lamp = (x + s.unit * 0.05, top - s.unit * 0.01)
        if layer.look.is_dark:
            layer.glow(lamp[0], lamp[1], s.unit * 0.12, (255, 220, 140), strength=0.8)
        layer.ellipse(
            lamp[0],
            lamp[1],
            s.unit * 0.018,
            s.unit * 0.01,
            (255, 236, 180),
            glow=layer.look.is_dark,
        )


def street(layers: Layers) -> None:
    layers.sky()
    mid = layers.add(MID, 0.25)
    s = mid.stage
    lit = f.lit_share(mid)
    walls = ((176, 96, 80), (214, 196, 160), (140, 150, 166), (190, 150, 110), (120, 110, 104))
    awnings = ((200, 60, 60), (60, 120, 180), (60, 150, 90), (230, 170, 50))
    x = 0.0
    while x < mid.period - s.unit * 0.1:
        w = min(s.unit * f.jitter(mid, 0.28, 0.4), mid.period - x)
        top = s.y(f.jitter(mid, 0.08, 0.3))
        wall = walls[int(mid.rng.integers(0, len(walls)))]
        f.building(mid, x, x + w, top, s.y(0.62), wall, window=s.unit * 0.03, lit_share=lit)
        mid.rect(x, s.y(0.62), x + w, s.y(0.76), tuple(int(c * 0.9) for c in wall))
        mid.rect(
            x + w * 0.1,
            s.y(0.64),
            x + w * 0.6,
            s.y(0.74),
            (255, 220, 150) if lit else (130, 170, 200),
            glow=bool(lit),
        )
        mid.rect(x + w * 0.7, s.y(0.65), x + w * 0.88, s.y(0.76), (90, 60, 40))
        mid.poly(
            [
                (x + w * 0.06, s.y(0.62)),
                (x + w * 0.64, s.y(0.62)),
                (x + w * 0.68, s.y(0.655)),
                (x + w * 0.02, s.y(0.655)),
            ],
            awnings[int(mid.rng.integers(0, len(awnings)))],
        )
        x += w
    near = layers.add(NEAR, 0.0)
    near.fill_band(s.y(0.76), s.y(0.82), (184, 184, 186), (168, 168, 172))
    near.fill_band(s.y(0.82), s.y(0.83), (120, 120, 126))
    near.fill_band(s.y(0.83), near.bottom, (62, 62, 68), (46, 46, 52))
    for x in near.scatter(s.unit * 0.3, jitter=0.0):
        near.rect(x, s.y(0.95), x + s.unit * 0.14, s.y(0.957) + 1, (236, 236, 226))
    _streetlamps(near, s.y(0.8), s.unit * 0.9)


def highway(layers: Layers) -> None:
    layers.sky()
    _far_hills(layers, 0.54, (120, 150, 120), amplitude=0.03)
    mid = layers.add(MID, 0.4)
    s = mid.stage
    mid.fill_below(mid.profile(s.y(0.6), [(s.y(0.01), 13)]), (84, 136, 70), (70, 116, 60))
    for x in mid.scatter(s.unit * 0.25):
        f.round_tree(mid, x, s.y(0.62), s.unit * f.jitter(mid, 0.12, 0.2), (56, 116, 56))
    for x in mid.scatter(mid.period * 0.9):
        mid.rect(x - 3, s.y(0.38), x + 3, s.y(0.64), (120, 120, 126))
        mid.rect(x - s.unit * 0.14, s.y(0.36), x + s.unit * 0.14, s.y(0.45), (30, 110, 60))
        mid.rect(x - s.unit * 0.12, s.y(0.395), x + s.unit * 0.1, s.y(0.405) + 1, (240, 240, 240))
    near = layers.add(NEAR, 0.0)
    near.fill_band(s.y(0.64), s.y(0.66), (180, 180, 186))
    near.fill_band(s.y(0.66), near.bottom, (78, 78, 84), (52, 52, 58))
    near.fill_band(s.y(0.68), s.y(0.685) + 1, (240, 240, 236))
    for lane in (0.77, 0.87):
        for x in near.scatter(s.unit * 0.35, jitter=0.0):
            near.rect(x, s.y(lane), x + s.unit * 0.15, s.y(lane + 0.006) + 1, (240, 240, 236))
    near.fill_band(s.y(0.975), s.y(0.98) + 1, (240, 210, 60))


def castle(layers: Layers) -> None:
    layers.sky()
    _far_hills(layers, 0.58, (110, 150, 110))
    mid = layers.add(MID, 0.35)
    s = mid.stage
    stone, dark = (170, 164, 152), (140, 134, 124)
    wall_top, foot = s.y(0.44), s.y(0.76)
    mid.fill_band(wall_top, foot, stone, dark)
    merlon = s.unit * 0.035
    for x in mid.scatter(merlon * 2, jitter=0.0):
        mid.rect(x, wall_top - merlon, x + merlon, wall_top + 1, stone)
    for x in mid.scatter(s.unit * 0.55, jitter=0.0):
        w = s.unit * 0.1
        top = s.y(0.26)
        mid.rect(x - w, top, x + w, foot, dark)
        for k in (-1, 0, 1):
            mid.rect(
                x + k * w * 0.7 - merlon / 2,
                top - merlon,
                x + k * w * 0.7 + merlon / 2,
                top + 1,
                dark,
            )
        mid.rect(x - 3, top - s.unit * 0.14, x, top - merlon, (60, 60, 64))
        mid.poly(
            [
                (x, top - s.unit * 0.14),
                (x + s.unit * 0.07, top - s.unit * 0.12),
                (x, top - s.unit * 0.1),
            ],
            (200, 40, 40),
        )
        mid.rect(x - 4, top + s.unit * 0.06, x + 4, top + s.unit * 0.1, (30, 30, 34))
    gate_x = mid.scatter(mid.period)[0]
    gw = s.unit * 0.08
    mid.ellipse(gate_x, foot - gw * 1.6, gw, gw, (40, 34, 30))
    mid.rect(gate_x - gw, foot - gw * 1.6, gate_x + gw, foot, (40, 34, 30))
    near = layers.add(NEAR, 0.0)
    _grass(near, 0.76, (104, 160, 80))
    path = near.profile(s.y(0.84), [(s.y(0.01), 2)])
    near.fill_below(path, (170, 160, 146), (150, 140, 128), stop_y=s.y(0.96))


PAINTERS: dict[str, Callable[[Layers], None]] = {
    "city": city,
    "street": street,
    "forest": forest,
    "jungle": jungle,
    "beach": beach,
    "ocean": ocean,
    "underwater": underwater,
    "lake": lake,
    "river": river,
    "desert": desert,
    "mountains": mountains,
    "arctic": arctic,
    "countryside": countryside,
    "park": park,
    "space": space,
    "cave": cave,
    "room": room,
    "castle": castle,
    "volcano": volcano,
    "highway": highway,
}
assert set(PAINTERS) == set(SETTINGS), "every setting needs a painter"
