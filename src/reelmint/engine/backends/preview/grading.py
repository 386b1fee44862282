"""Style grades as colour functions.

A grade is applied to every colour *before* it is drawn (sprite fills, layer gradients, particle
and caption colours), never to finished frames: a per-frame look-up pass over 400k pixels would
cost more than the whole rest of the frame. The price is that antialiased edges mix graded
colours rather than grading mixed ones, which no one can see.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reelmint.engine.vocabulary import STYLES

Grade = Callable[[np.ndarray, bool], np.ndarray]

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_SEPIA = np.array(
    [[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], dtype=np.float32
)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of (..., 3) colours, the weighting viewers read as brightness."""
    return rgb @ _LUMA


def saturate(rgb: np.ndarray, amount: float) -> np.ndarray:
    """Push colours away from (amount > 1) or toward (amount < 1) their own grey."""
    grey = luminance(rgb)[..., None]
    return grey + (rgb - grey) * amount


def _contrast(rgb: np.ndarray, amount: float, pivot: float = 128.0) -> np.ndarray:
    return pivot + (rgb - pivot) * amount


def _cinematic(rgb: np.ndarray, emissive: bool) -> np.ndarray:
    """A gentle teal-shadow / warm-highlight split with a little extra contrast."""
    luma = luminance(rgb)[..., None] / 255.0
    warm = np.array([10.0, 2.0, -10.0], dtype=np.float32)
    teal = np.array([-8.0, 2.0, 9.0], dtype=np.float32)
    split = luma * warm + (1.0 - luma) * teal
    return _contrast(saturate(rgb, 1.08), 1.08) + split


def _cartoon(rgb: np.ndarray, emissive: bool) -> np.ndarray:
    return saturate(rgb, 1.45) * 1.04 + 6.0


def _noir(rgb: np.ndarray, emissive: bool) -> np.ndarray:
    """Greyscale with a steep S-curve: the three channels come out exactly equal."""
    grey = luminance(rgb) / 255.0
    curved = grey * grey * (3.0 - 2.0 * grey)
    grey = np.clip(0.25 * grey + 0.75 * curved, 0.0, 1.0) * 255.0
    return np.repeat(grey[..., None], 3, axis=-1)


def _vintage(rgb: np.ndarray, emissive: bool) -> np.ndarray:
    sepia = rgb @ _SEPIA.T
    mixed = 0.25 * rgb + 0.75 * sepia
    return 18.0 + np.clip(mixed, 0.0, 255.0) * 0.84


def _neon(rgb: np.ndarray, emissive: bool) -> np.ndarray:
    """Dark and saturated, except light sources, which glow brighter than anything lit."""
    if emissive:
        return saturate(rgb, 1.6) * 1.15 + 10.0
    return saturate(rgb, 1.7) * 0.5 + np.array([4.0, 0.0, 14.0], dtype=np.float32)


def _pastel(rgb: np.ndarray, emissive: bool) -> np.ndarray:
    soft = saturate(rgb, 0.55)
    return soft * 0.62 + 255.0 * 0.38


_GRADES: dict[str, Grade] = {
    "cinematic": _cinematic,
    "cartoon": _cartoon,
    "noir": _noir,
    "vintage": _vintage,
    "neon": _neon,
    "pastel": _pastel,
}
assert set(_GRADES) == set(STYLES), "every style needs a grade"


def grade(style: str, rgb: np.ndarray, *, emissive: bool = False) -> np.ndarray:
    """The colours `rgb` (float, 0..255, shape (..., 3)) as `style` shows them, clipped."""
    graded = _GRADES[style](rgb.astype(np.float32, copy=False), emissive)
    return np.clip(graded, 0.0, 255.0)
