"""Layered parallax backgrounds: painted once per shot, cropped and stacked per frame.

A setting's painter fills a few layer canvases (sky, far, mid, near), each wide and tall enough
for every place the camera goes in the shot. They are then cut into pieces so that a frame does
the least work: rows that a nearer opaque layer always hides are dropped, empty tiles skipped,
opaque ones copied, and only tiles with soft edges are alpha-blended. When the camera move has no
parallax (static, tilt, zoom, handheld, crane) all layers are flattened into one image and a
frame is a single crop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from reelmint.engine.backends.preview.backgrounds.canvas import LayerCanvas, Window
from reelmint.engine.backends.preview.backgrounds.settings import FAR, PAINTERS
from reelmint.engine.backends.preview.backgrounds.sky import paint_sky
from reelmint.engine.backends.preview.camera import CameraState
from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.stage import Stage

PERIOD_WIDTHS = 2


@dataclass(frozen=True)
class CameraSpan:
    """The extreme camera positions of a shot: what the layers must cover."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float

    @classmethod
    def of(cls, cameras: list[CameraState]) -> CameraSpan:
        xs = [c.x for c in cameras] or [0.0]
        ys = [c.y for c in cameras] or [0.0]
        return cls(min(xs), max(xs), min(ys), max(ys))


@dataclass(frozen=True)
class _Piece:
    """A rectangle of one layer: opaque RGB (copied) or RGBA with soft edges (blended)."""

    image: Image.Image
    x: int
    top: int
    masked: bool

    @property
    def right(self) -> int:
        return self.x + self.image.width


@dataclass(frozen=True)
class _Layer:
    parallax: float
    x0: int
    wrap: int | None
    pieces: tuple[_Piece, ...]

    def offset(self, camera_x: float) -> int:
        """Image column at the frame's left edge."""
        ox = round(self.parallax * camera_x) - self.x0
        return ox % self.wrap if self.wrap else ox


class _LayerMaker:
    """Hands painters their canvases, each covering the camera's reach at its parallax."""

    def __init__(
        self, stage: Stage, look: Look, rng: np.random.Generator, span: CameraSpan, rigid: bool
    ) -> None:
        self.stage, self.look, self.rng, self.span, self.rigid = stage, look, rng, span, rigid
        self.period = PERIOD_WIDTHS * stage.width
        self.made: list[tuple[LayerCanvas, float, bool]] = []

    def _window(self, parallax: float) -> tuple[Window, bool]:
        p = 1.0 if self.rigid else parallax
        lo, hi = math.floor(p * self.span.x_min), math.ceil(p * self.span.x_max)
        y0 = math.floor(self.span.y_min)
        height = math.ceil(self.span.y_max) - y0 + self.stage.height + 1
        if hi - lo > self.period:
            return Window(0, y0, self.period + self.stage.width + 1, height, self.period), True
        return Window(lo, y0, hi - lo + self.stage.width + 1, height, self.period), False

    def add(self, parallax: float, depth: float) -> LayerCanvas:
        window, wrap = self._window(parallax)
        canvas = LayerCanvas(window, self.stage, self.look, self.rng, depth=depth)
        self.made.append((canvas, parallax, wrap))
        return canvas

    def sky(
        self, painter: Callable[[LayerCanvas], None] = paint_sky, parallax: float = FAR
    ) -> LayerCanvas:
        canvas = self.add(parallax, 1.0 if painter is paint_sky else 0.3)
        painter(canvas)
        return canvas


def _row_extent(alpha: np.ndarray) -> tuple[int, int]:
    """(first row with anything, first row from which every row is fully opaque)."""
    any_rows = np.flatnonzero(alpha.any(axis=1))
    first = int(any_rows[0]) if any_rows.size else alpha.shape[0]
    not_full = np.flatnonzero((alpha != 255).any(axis=1))
    opaque_from = int(not_full[-1]) + 1 if not_full.size else 0
    return first, max(first, opaque_from)


def _pieces(image: Image.Image, y0: int, hidden_from: float) -> tuple[tuple[_Piece, ...], int]:
    """Cut a finished layer into pieces; also return the world row from which it is opaque.

    Rows hidden behind nearer opaque layers are dropped. The soft rows are cut into tiles, and
    runs of equal tiles merged: empty ones are skipped, opaque ones copied, and only tiles
    with partial alpha are blended, which is most of what makes a parallax frame cheap.
    """
    alpha = np.asarray(image.getchannel("A"))
    first, opaque_from = _row_extent(alpha)
    stop = int(min(image.height, max(0.0, hidden_from - y0)))
    pieces: list[_Piece] = []
    for r0 in range(first, min(opaque_from, stop), TILE_ROWS):
        r1 = min(r0 + TILE_ROWS, opaque_from, stop)
        for c0, c1, kind in _runs(alpha[r0:r1]):
            if kind == _EMPTY:
                continue
            tile = image.crop((c0, r0, c1, r1))
            masked = kind == _SOFT
            pieces.append(_Piece(tile if masked else tile.convert("RGB"), c0, y0 + r0, masked))
    if stop > opaque_from:
        rows = image.crop((0, opaque_from, image.width, stop)).convert("RGB")
        pieces.append(_Piece(rows, 0, y0 + opaque_from, masked=False))
    return tuple(pieces), y0 + opaque_from


TILE_COLS = 32
TILE_ROWS = 48
_EMPTY, _SOFT, _SOLID = 0, 1, 2


def _runs(alpha: np.ndarray) -> list[tuple[int, int, int]]:
    """(first column, end column, kind) of runs of TILE_COLS-wide column groups of the same kind."""
    width = alpha.shape[1]
    tiles = math.ceil(width / TILE_COLS)
    padded = np.zeros((alpha.shape[0], tiles * TILE_COLS), dtype=np.uint8)
    padded[:, :width] = alpha
    groups = padded.reshape(alpha.shape[0], tiles, TILE_COLS)
    empty = groups.max(axis=(0, 2)) == 0
    solid = groups.min(axis=(0, 2)) == 255
    kinds = np.where(empty, _EMPTY, np.where(solid, _SOLID, _SOFT))
    runs: list[tuple[int, int, int]] = []
    start = 0
    for k in range(1, tiles + 1):
        if k == tiles or kinds[k] != kinds[start]:
            runs.append((start * TILE_COLS, min(width, k * TILE_COLS), int(kinds[start])))
            start = k
    return runs


class Background:
    """The shot's background; `compose(camera)` is the unzoomed frame behind the sprites."""

    def __init__(
        self, layers: tuple[_Layer, ...], width: int, height: int, flat: Image.Image | None
    ) -> None:
        self._layers = layers
        self._width, self._height = width, height
        self._flat = flat

    def compose(self, camera: CameraState) -> Image.Image:
        """A new RGB image of the frame's size, ready to have sprites pasted on."""
        cy = round(camera.y)
        if self._flat is not None:
            layer = self._layers[0]
            ox, oy = layer.offset(camera.x), cy - layer.pieces[0].top
            return self._flat.crop((ox, oy, ox + self._width, oy + self._height))
        back = self._layers[0]
        ox = back.offset(camera.x)
        first = back.pieces[0]
        # The back layer is opaque: cropping it makes the frame (rows it lacks come out black,
        # and a nearer layer always covers those).
        frame = first.image.crop(
            (
                ox - first.x,
                cy - first.top,
                ox - first.x + self._width,
                cy - first.top + self._height,
            )
        )
        if frame.mode != "RGB":
            frame = frame.convert("RGB")
        for layer in self._layers:
            ox = layer.offset(camera.x)
            right = ox + self._width
            for piece in layer.pieces:
                if piece is first or piece.right <= ox or piece.x >= right:
                    continue
                where = (piece.x - ox, piece.top - cy)
                frame.paste(piece.image, where, piece.image if piece.masked else None)
        return frame


def build_background(
    setting: str,
    stage: Stage,
    look: Look,
    rng: np.random.Generator,
    span: CameraSpan,
    *,
    rigid: bool,
) -> Background:
    """Paint `setting` for a shot whose camera covers `span`."""
    maker = _LayerMaker(stage, look, rng, span, rigid)
    PAINTERS[setting](maker)
    finished = _merge_equal_parallax(
        [(canvas.finish(), canvas.window, parallax, wrap) for canvas, parallax, wrap in maker.made]
    )
    hidden_from = math.inf
    layers: list[_Layer] = []
    for image, window, parallax, wrap in reversed(finished):
        pieces, opaque_from = _pieces(image, window.y0, hidden_from)
        hidden_from = min(hidden_from, opaque_from)
        if pieces:
            layers.append(_Layer(parallax, window.x0, window.period if wrap else None, pieces))
    layers.reverse()
    if not rigid:
        return Background(tuple(layers), stage.width, stage.height, None)
    return _flattened(tuple(layers), stage)


_Finished = tuple[Image.Image, Window, float, bool]


def _merge_equal_parallax(finished: list[_Finished]) -> list[_Finished]:
    """Stack neighbouring layers that move together (the sky and the far hills) into one.

    They always line up, so one opaque picture does the work of two, one of them soft-edged.
    """
    merged: list[_Finished] = []
    for image, window, parallax, wrap in finished:
        if merged and merged[-1][2] == parallax and merged[-1][1] == window:
            below = merged[-1][0]
            merged[-1] = (Image.alpha_composite(below, image), window, parallax, wrap)
        else:
            merged.append((image, window, parallax, wrap))
    return merged


def _flattened(layers: tuple[_Layer, ...], stage: Stage) -> Background:
    """All layers stacked once (their windows coincide when the camera has no parallax)."""
    pieces = [piece for layer in layers for piece in layer.pieces]
    top = min(piece.top for piece in pieces)
    width = max(piece.right for piece in pieces)
    bottom = max(piece.top + piece.image.height for piece in pieces)
    flat = Image.new("RGB", (width, bottom - top))
    for piece in pieces:
        flat.paste(piece.image, (piece.x, piece.top - top), piece.image if piece.masked else None)
    anchor = _Layer(1.0, layers[0].x0, None, (_Piece(flat, 0, top, masked=False),))
    return Background((anchor,), stage.width, stage.height, flat)
