"""Scenery that several settings share: trees, buildings, fences, rocks, waves, cacti."""

from __future__ import annotations

from reelmint.engine.backends.preview.backgrounds.canvas import LayerCanvas

WARM_WINDOW = (255, 212, 120)
GLASS = (120, 160, 200)
BARK = (104, 70, 44)


def jitter(layer: LayerCanvas, low: float, high: float) -> float:
    return float(layer.rng.uniform(low, high))


def round_tree(
    layer: LayerCanvas, x: float, ground: float, height: float, leaves: tuple[int, int, int]
) -> None:
    """A broadleaf tree: trunk and a cluster of round crowns, darker beneath."""
    trunk = height * 0.09
    layer.rect(x - trunk / 2, ground - height * 0.45, x + trunk / 2, ground, BARK)
    r = height * 0.3
    dark = tuple(int(c * 0.75) for c in leaves)
    for dx, dy in ((-0.6, -0.1), (0.6, -0.1), (0.0, 0.0)):
        layer.ellipse(x + dx * r, ground - height * 0.55 + dy * r, r * 0.8, r * 0.72, dark)
    for dx, dy, k in ((0.0, -0.55, 1.0), (-0.45, -0.35, 0.75), (0.45, -0.35, 0.75)):
        layer.ellipse(x + dx * r, ground - height * 0.55 + dy * r, r * k, r * k * 0.92, leaves)


def conifer(
    layer: LayerCanvas, x: float, ground: float, height: float, needles: tuple[int, int, int]
) -> None:
    """A fir: three stacked triangles on a short trunk."""
    w = height * 0.36
    layer.rect(x - height * 0.03, ground - height * 0.16, x + height * 0.03, ground, BARK)
    for k in range(3):
        top = ground - height * (1.0 - k * 0.22)
        bottom = ground - height * (0.52 - k * 0.18)
        half = w * (0.55 + k * 0.25)
        shade = tuple(int(c * (0.8 + 0.1 * k)) for c in needles)
        layer.poly([(x, top), (x + half, bottom), (x - half, bottom)], shade)


def palm(layer: LayerCanvas, x: float, ground: float, height: float) -> None:
    """A palm: a leaning ringed trunk and drooping fronds."""
    lean = height * 0.15
    layer.line(
        [(x, ground), (x + lean * 0.5, ground - height * 0.5), (x + lean, ground - height)],
        height * 0.05,
        (140, 104, 64),
    )
    top = (x + lean, ground - height)
    for dx, dy in ((-0.45, 0.2), (-0.3, 0.05), (0.3, 0.05), (0.45, 0.22), (0.0, -0.12)):
        end = (top[0] + dx * height, top[1] + dy * height)
        mid = (top[0] + dx * height * 0.5, top[1] + (dy - 0.12) * height * 0.5)
        layer.line([top, mid, end], height * 0.06, (52, 130, 60))
    layer.ellipse(top[0], top[1] + height * 0.03, height * 0.04, height * 0.04, (110, 80, 40))


def cactus(layer: LayerCanvas, x: float, ground: float, height: float) -> None:
    green = (70, 140, 70)
    w = height * 0.14
    layer.line([(x, ground), (x, ground - height)], w, green)
    layer.line(
        [
            (x - w / 2, ground - height * 0.45),
            (x - w * 2, ground - height * 0.5),
            (x - w * 2, ground - height * 0.8),
        ],
        w * 0.7,
        green,
    )
    layer.line(
        [
            (x + w / 2, ground - height * 0.6),
            (x + w * 1.8, ground - height * 0.62),
            (x + w * 1.8, ground - height * 0.85),
        ],
        w * 0.7,
        green,
    )


def rock(
    layer: LayerCanvas, x: float, ground: float, size: float, colour: tuple[int, int, int]
) -> None:
    layer.ellipse(x, ground - size * 0.35, size, size * 0.55, colour)
    light = tuple(min(255, int(c * 1.25)) for c in colour)
    layer.ellipse(x - size * 0.25, ground - size * 0.55, size * 0.45, size * 0.2, light)


def tufts(
    layer: LayerCanvas, y_from: float, y_to: float, spacing: float, colour: tuple[int, ...]
) -> None:
    """Grass tufts scattered over a ground band: a few strokes each."""
    for x in layer.scatter(spacing, jitter=0.5):
        y = jitter(layer, y_from, y_to)
        s = (y - y_from) / max(1.0, y_to - y_from) * 0.6 + 0.4
        h = spacing * 0.5 * s
        for dx in (-0.3, 0.0, 0.3):
            layer.line([(x + dx * h, y), (x + dx * h * 1.8, y - h)], max(1.0, h * 0.12), colour)


def building(
    layer: LayerCanvas,
    x0: float,
    x1: float,
    top: float,
    bottom: float,
    wall: tuple[int, int, int],
    *,
    window: float,
    lit_share: float,
) -> None:
    """A block with a grid of windows; after dark a random share of them are lit."""
    layer.rect(x0, top, x1, bottom, wall)
    layer.rect(x0, top, x1, top + window * 0.4, tuple(int(c * 0.8) for c in wall))
    gap = window * 0.7
    cols = max(1, int((x1 - x0 - gap) / (window + gap)))
    rows = max(1, int((bottom - top - 2 * gap) / (window * 1.3 + gap)))
    margin = (x1 - x0 - cols * window - (cols - 1) * gap) / 2
    lit = layer.rng.random((rows, cols)) < lit_share
    for r in range(rows):
        wy = top + gap * 1.5 + r * (window * 1.3 + gap)
        if wy + window * 1.3 > bottom - gap:
            break
        for c in range(cols):
            wx = x0 + margin + c * (window + gap)
            if lit[r, c]:
                layer.rect(wx, wy, wx + window, wy + window * 1.3, WARM_WINDOW, glow=True)
            else:
                layer.rect(wx, wy, wx + window, wy + window * 1.3, GLASS)


def fence(layer: LayerCanvas, ground: float, height: float, spacing: float) -> None:
    wood = (160, 120, 80)
    for x in layer.scatter(spacing, jitter=0.0):
        layer.rect(x - height * 0.06, ground - height, x + height * 0.06, ground, wood)
    for y in (ground - height * 0.75, ground - height * 0.35):
        layer.fill_band(y - height * 0.06, y + height * 0.06, wood)


def wave_crests(
    layer: LayerCanvas, y_from: float, y_to: float, spacing: float, colour: tuple[int, ...]
) -> None:
    """Short foam strokes on water, larger and further apart near the viewer."""
    for x in layer.scatter(spacing, jitter=0.5):
        y = jitter(layer, y_from, y_to)
        near = (y - y_from) / max(1.0, y_to - y_from)
        w = spacing * (0.25 + 0.5 * near)
        layer.line(
            [(x - w, y + w * 0.1), (x, y - w * 0.08), (x + w, y + w * 0.1)],
            max(1.0, w * 0.08),
            colour,
        )


def lit_share(layer: LayerCanvas) -> float:
    """How many windows are lit: most after dark, none by day."""
    return 0.6 if layer.look.is_dark else 0.0
