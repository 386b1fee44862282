"""The back-most layer: a sky (gradient, sun or moon, stars, clouds) or what stands for one
indoors, in space, under water and in a cave."""

from __future__ import annotations

import numpy as np

from reelmint.engine.backends.preview.backgrounds.canvas import LayerCanvas
from reelmint.engine.backends.preview.look import Body


def _stars(layer: LayerCanvas, density: float, y_max: float, *, coloured: bool = False) -> None:
    """Scattered single-pixel stars, brighter ones rarer; they shine through no daylight."""
    area = layer.period * max(0.0, y_max - layer.top)
    count = int(density * area / 600.0)
    if count <= 0:
        return
    rng = layer.rng
    xs = rng.uniform(0.0, layer.period, count)
    ys = rng.uniform(layer.top, y_max, count)
    brightness = rng.uniform(0.35, 1.0, count) ** 2
    base = np.array([[235, 238, 255]], dtype=np.float32)
    if coloured:
        tints = np.array([[255, 220, 200], [200, 220, 255], [255, 255, 230]], dtype=np.float32)
        base = tints[rng.integers(0, 3, count)]
    raw = base * (0.25 + 0.75 * brightness[:, None])
    layer.dots(xs, ys, layer.look.paint_array(raw, emissive=True))


def _sun_or_moon(layer: LayerCanvas, body: Body, *, is_moon: bool, dimmed: float) -> None:
    stage = layer.stage
    x = body.x * stage.width
    y = body.y * stage.horizon_y
    r = body.radius * stage.unit
    if dimmed <= 0.05:
        return
    layer.glow(x, y, r * (3.0 if is_moon else 5.0), body.colour, strength=0.55 * dimmed)
    colour = (*body.colour, round(255 * min(1.0, dimmed * 1.2)))
    layer.ellipse(x, y, r, r, colour, glow=True)
    if is_moon:
        for dx, dy, k in ((-0.3, -0.2, 0.22), (0.25, 0.15, 0.16), (-0.05, 0.35, 0.12)):
            layer.ellipse(x + dx * r, y + dy * r, k * r, k * r, (200, 200, 190, 150), glow=True)


def _clouds(layer: LayerCanvas, count: int, shade: float, y_max: float) -> None:
    stage, rng = layer.stage, layer.rng
    base = np.array([248.0, 248.0, 252.0]) * shade
    for x in layer.scatter(layer.period / max(1, count), jitter=0.45):
        y = float(rng.uniform(0.06, 0.55)) * y_max
        size = float(rng.uniform(0.05, 0.1)) * stage.unit * (1.6 if count > 10 else 1.0)
        under = tuple(int(v) for v in base * 0.82)
        top = tuple(int(v) for v in base)
        for k in range(5):
            dx = (k - 2) * size * 0.75
            r = size * (1.0 - abs(k - 2) * 0.18)
            layer.ellipse(x + dx, y + size * 0.15, r * 1.1, r * 0.75, under)
        for k in range(3):
            dx = (k - 1) * size * 0.7
            layer.ellipse(x + dx, y - size * 0.1, size * 0.8, size * 0.7, top)


def paint_sky(layer: LayerCanvas) -> None:
    """Gradient to the horizon; sun or moon; stars after dark; clouds as the weather says."""
    look, stage = layer.look, layer.stage
    horizon = stage.horizon_y
    layer.fill_rows(look.sky_array(layer.rows / horizon))
    weather = look.weather_light
    clarity = 1.0 - weather.overcast
    if look.lighting.stars > 0.0 and clarity > 0.3:
        _stars(layer, look.lighting.stars * clarity, horizon * 0.9)
    lighting = look.lighting
    if lighting.sun is not None:
        _sun_or_moon(layer, lighting.sun, is_moon=False, dimmed=clarity)
    if lighting.moon is not None:
        _sun_or_moon(layer, lighting.moon, is_moon=True, dimmed=clarity)
    if weather.clouds:
        _clouds(layer, weather.clouds, weather.cloud_shade, horizon * 0.85)


def paint_space(layer: LayerCanvas) -> None:
    """Deep space: a dark gradient, dense coloured stars, a nebula and a ringed planet."""
    look, stage = layer.look, layer.stage
    f = np.clip(layer.rows / stage.height, 0.0, 1.0)[:, None]
    raw = np.array([4.0, 4.0, 14.0]) * (1 - f) + np.array([18.0, 12.0, 40.0]) * f
    layer.fill_rows(look.paint_array(raw, emissive=True))
    for colour, x, y in (((120, 60, 160), 0.3, 0.3), ((40, 110, 150), 0.75, 0.5)):
        layer.glow(x * stage.width, y * stage.height, 0.5 * stage.unit, colour, strength=0.35)
    _stars(layer, 2.2, layer.bottom, coloured=True)
    px, py, r = 0.72 * stage.width, 0.28 * stage.height, 0.13 * stage.unit
    layer.ellipse(px, py, r * 2.0, r * 0.42, (200, 180, 140, 150), glow=True)
    layer.ellipse(px, py, r, r, (214, 150, 96), glow=True)
    for dy, k in ((-0.45, 0.16), (0.05, 0.12), (0.45, 0.1)):
        layer.ellipse(px, py + dy * r, r * 0.92, r * k, (180, 110, 70), glow=True)
    layer.ellipse(px, py + 0.28 * r, r * 2.0, r * 0.2, (226, 206, 164, 180), glow=True)


def paint_underwater(layer: LayerCanvas) -> None:
    """Water seen from below: light near the surface, deep blue beneath, slanted light rays."""
    stage = layer.stage
    f = np.clip(layer.rows / stage.height, 0.0, 1.0)[:, None]
    raw = np.array([70.0, 190.0, 210.0]) * (1 - f) + np.array([8.0, 40.0, 90.0]) * f
    layer.fill_rows(layer.look.paint_array(raw, 0.0))
    for x in layer.scatter(stage.width * 0.3, jitter=0.4):
        w = float(layer.rng.uniform(0.03, 0.08)) * stage.width
        slant = 0.25 * stage.height
        layer.poly(
            [
                (x, layer.top),
                (x + w, layer.top),
                (x + w + slant, stage.height * 0.9),
                (x + slant, stage.height * 0.9),
            ],
            (220, 250, 255, 34),
            glow=True,
        )


def paint_cave_wall(layer: LayerCanvas) -> None:
    """The far wall of a cave: dark rock with lumps and a few glowing crystals."""
    stage, rng = layer.stage, layer.rng
    f = np.clip(layer.rows / stage.height, 0.0, 1.0)[:, None]
    raw = np.array([46.0, 40.0, 38.0]) * (1 - f) + np.array([80.0, 68.0, 58.0]) * f
    layer.fill_rows(layer.look.paint_array(raw, 0.4))
    for x in layer.scatter(stage.unit * 0.16, jitter=0.5):
        y = float(rng.uniform(0.05, 0.8)) * stage.height
        r = float(rng.uniform(0.04, 0.1)) * stage.unit
        tone = int(rng.integers(30, 70))
        layer.ellipse(x, y, r * 1.4, r, (tone + 10, tone, tone - 6))
    for x in layer.scatter(stage.unit * 0.7, jitter=0.5):
        y = float(rng.uniform(0.5, 0.8)) * stage.height
        s = float(rng.uniform(0.02, 0.04)) * stage.unit
        layer.glow(x, y, s * 5, (120, 200, 255), strength=0.5)
        layer.poly([(x - s, y), (x, y - 3 * s), (x + s, y)], (150, 220, 255), glow=True)


def paint_room_wall(layer: LayerCanvas) -> None:
    """A wall with striped wallpaper, a window onto the time of day, a picture, a skirting."""
    look, stage = layer.look, layer.stage
    floor = stage.y(0.68)
    layer.fill_band(layer.top, floor, (222, 204, 176), (200, 182, 156))
    for x in layer.scatter(stage.unit * 0.12, jitter=0.0):
        layer.rect(x, layer.top, x + stage.unit * 0.03, floor, (210, 190, 162))
    wx0, wx1 = 0.56 * stage.width, 0.56 * stage.width + 0.42 * stage.unit
    wy0, wy1 = stage.y(0.14), stage.y(0.5)
    frame = 0.018 * stage.unit
    layer.rect(wx0 - frame, wy0 - frame, wx1 + frame, wy1 + frame, (246, 244, 238))
    for k in range(6):
        y0 = wy0 + (wy1 - wy0) * k / 6
        y1 = wy0 + (wy1 - wy0) * (k + 1) / 6
        colour = look.sky_raw(0.2 + 0.8 * (k + 0.5) / 6)
        layer.rect(wx0, y0, wx1, y1 + 1, colour, glow=True)
    body = look.lighting.sun or look.lighting.moon
    if body is not None:
        r = 0.04 * stage.unit
        layer.ellipse(
            wx0 + 0.7 * (wx1 - wx0), wy0 + 0.35 * (wy1 - wy0), r, r, body.colour, glow=True
        )
    layer.rect((wx0 + wx1) / 2 - frame / 2, wy0, (wx0 + wx1) / 2 + frame / 2, wy1, (246, 244, 238))
    layer.rect(wx0, (wy0 + wy1) / 2 - frame / 2, wx1, (wy0 + wy1) / 2 + frame / 2, (246, 244, 238))
    px0, py0 = 0.14 * stage.width, stage.y(0.2)
    pw, ph = 0.24 * stage.unit, 0.17 * stage.unit
    layer.rect(px0, py0, px0 + pw, py0 + ph, (120, 80, 40))
    layer.rect(px0 + 6, py0 + 6, px0 + pw - 6, py0 + ph - 6, (150, 190, 220))
    layer.poly(
        [(px0 + 6, py0 + ph - 6), (px0 + pw * 0.45, py0 + ph * 0.35), (px0 + pw - 6, py0 + ph - 6)],
        (70, 120, 80),
    )
    layer.fill_band(floor - 0.03 * stage.unit, floor, (246, 240, 230))
